"""WebSocket routes: the room socket always, the benchmark floor only when BENCHMARK_ENDPOINTS."""

import importlib

from django.test import override_settings

import config.routing


def _routes() -> list[str]:
    return [str(route.pattern) for route in config.routing.websocket_urlpatterns]


def test_the_benchmark_floor_is_routed_only_when_benchmark_endpoints_is_on():
    assert "ws/rooms/<int:room_id>/" in _routes()
    assert "ws/_bench/floor/" not in _routes()
    try:
        with override_settings(BENCHMARK_ENDPOINTS=True):
            importlib.reload(config.routing)
            assert "ws/_bench/floor/" in _routes()
            assert _routes()[-1] == ""  # the refusal of unknown paths stays last
    finally:
        importlib.reload(config.routing)
    assert "ws/_bench/floor/" not in _routes()
