"""Wagtail looks up the request's Site with a query on every page it serves; this takes it from the
content cache instead (`cms.content_cache.site_for`), with its root page already fetched."""

from django.db import DatabaseError
from wagtail import views as wagtail_views

from cms import content_cache
from cms.wagtail_adapter import request_site_set


class CachedSiteMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Only for the pages Wagtail serves: other views never pay for a site they do not use."""
        if view_func is not wagtail_views.serve:
            return None
        try:
            request_site_set(request, content_cache.site_for(request))
        except DatabaseError:
            pass  # Wagtail looks the site up itself, and reports the failure as it always does
        return None
