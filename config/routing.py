"""Every WebSocket route of the project, all under /ws/.

The last route refuses, before the handshake, any path that no other route matches (such as
`/ws/rooms/abc/`): without it Channels' URLRouter raises and the server answers HTTP 500.
"""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.urls import re_path

from rooms.routing import websocket_urlpatterns as rooms_websocket_urlpatterns

CLOSE_NOT_FOUND = 4404


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Refuses the connection: no such WebSocket endpoint."""

    async def connect(self):
        await self.close(code=CLOSE_NOT_FOUND)


bench_websocket_urlpatterns = []
if settings.BENCHMARK_ENDPOINTS:
    # bench/chat.py's floor: a bare broadcast consumer, no auth, no database. Never in production.
    from bench.consumers import websocket_urlpatterns as bench_websocket_urlpatterns

websocket_urlpatterns = [
    *rooms_websocket_urlpatterns,
    *bench_websocket_urlpatterns,
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
