"""WebSocket routes of the cohorts app (rooms)."""

websocket_urlpatterns: list = []
