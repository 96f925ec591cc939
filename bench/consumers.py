"""A bare Channels broadcast consumer: the floor bench/chat.py measures the room consumer against.

Routed by `config/routing.py` only when BENCHMARK_ENDPOINTS is true (never in production). It
calls the channel layer directly on purpose: it is the measure of the layer itself, not part of
the product.
"""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import path

GROUP = "bench.floor"


class FloorConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(GROUP, {"type": "floor.message", "text": text_data})

    async def floor_message(self, event):
        await self.send(text_data=event["text"])


websocket_urlpatterns = [path("ws/_bench/floor/", FloorConsumer.as_asgi())]
