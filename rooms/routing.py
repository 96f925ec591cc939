"""WebSocket routes of the rooms app."""

from django.urls import path

from rooms.consumers import RoomConsumer
from rooms.live import LiveRunConsumer

websocket_urlpatterns = [
    path("ws/rooms/<int:room_id>/", RoomConsumer.as_asgi()),
    path("ws/live/<int:run_id>/", LiveRunConsumer.as_asgi()),
]
