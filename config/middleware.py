"""Project middleware."""

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """French unless the person chose otherwise.

    The choice is the language cookie, set by the switcher and, at login, from the profile.
    Unlike Django's LocaleMiddleware the browser's Accept-Language is ignored: a director
    whose browser is set to English still gets the French platform until they switch.
    """

    def process_request(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RejectNulBytesMiddleware:
    """No URL of the site contains a NUL byte, and no parameter may: a path with one answers 404,
    a query string with one 400, before any view or database sees it (PostgreSQL refuses NUL in
    text and would answer 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or "\x00" in request.path:
            raise Http404
        if "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL byte in the query string")
        return self.get_response(request)


class BenchMeasureMiddleware:
    """Benchmarks only (config.settings.bench): each response says how many SQL queries its request
    made (`X-Bench-Queries`) and how much CPU its thread spent inside the middleware stack
    (`X-Bench-CPU-us`), so a benchmark counts a real server's queries for a logged-in page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        from django.db import connections

        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        started = time.thread_time_ns()
        with connections["default"].execute_wrapper(counter):
            response = self.get_response(request)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response["X-Bench-Queries"] = str(count[0])
        response["X-Bench-CPU-us"] = str((time.thread_time_ns() - started) // 1000)
        return response
