"""Every WebSocket route of the project, all under /ws/."""

from cohorts.routing import websocket_urlpatterns as cohorts_websocket_urlpatterns

websocket_urlpatterns = [*cohorts_websocket_urlpatterns]
