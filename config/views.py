"""Project-wide views that belong to no app."""

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _cache_ok() -> bool:
    """Ask the cache server itself (Redis): the cache backend turns its failures into misses, which
    pages must not see but this check must."""
    ping = getattr(cache, "ping", None)  # config.cache.TolerantRedisCache; local memory always answers
    if ping is None:
        return True
    try:
        return ping()
    except Exception:
        return False


def _channel_layer_ok() -> bool:
    """Send a message to a throw-away channel and read it back."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return False
        channel = f"healthz.{uuid.uuid4().hex}"
        token = uuid.uuid4().hex

        async def round_trip() -> bool:
            await layer.send(channel, {"type": "healthz.ping", "token": token})
            message = await layer.receive(channel)
            return message.get("token") == token

        return async_to_sync(round_trip)()
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request):
    """200 when the database, the cache and the channel layer all answer; 503 naming what failed."""
    checks = {"database": _database_ok(), "cache": _cache_ok(), "channel_layer": _channel_layer_ok()}
    failing = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not failing else "error",
        "checks": {name: "ok" if ok else "error" for name, ok in checks.items()},
        "failing": failing,
    }
    return JsonResponse(body, status=200 if not failing else 503)


# ~20 KB of fixed HTML, built once: the floor a benchmark compares real pages with.
_FLOOR_PAGE = (
    "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>floor</title></head><body>"
    + "".join(f"<p>Ligne {n:04d} : une page constante servie par toute la pile de middlewares.</p>" for n in range(256))
    + "</body></html>"
)


def bench_floor(request):
    """A constant page through the full middleware stack; routed only when BENCHMARK_ENDPOINTS is on."""
    return HttpResponse(_FLOOR_PAGE)


@csrf_exempt
@require_POST
def bench_content_changed(request):
    """What an editor's publishing does to the content cache (a new content generation), so that a
    benchmark can measure the first view after it; routed only when BENCHMARK_ENDPOINTS is on."""
    from cms.content_cache import content_changed

    content_changed()
    return HttpResponse("ok")


@require_GET
def favicon(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page links: send them to the static one."""
    return redirect(static("favicon.ico"), permanent=True)
