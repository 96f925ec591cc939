"""WebSocket routes of the cohorts app (rooms)."""

import os

from django.conf import settings
from django.urls import path

from cohorts.consumers import RoomConsumer

websocket_urlpatterns: list = [
    path("ws/rooms/<int:room_id>/", RoomConsumer.as_asgi()),
]


def _benchmark_endpoints() -> bool:
    value = getattr(settings, "BENCHMARK_ENDPOINTS", None)
    if value is None:  # until the foundation setting lands: the same name, from the environment
        value = os.environ.get("BENCHMARK_ENDPOINTS", "").lower() in {"1", "true", "yes"}
    return bool(value)


if _benchmark_endpoints():
    # bench/chat.py's floor: a bare broadcast consumer, no auth, no database. Never in production.
    from cohorts.bench_consumers import FloorConsumer

    websocket_urlpatterns.append(path("ws/_bench/floor/", FloorConsumer.as_asgi()))
