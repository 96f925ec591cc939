"""The one ASGI application: WebSocket routes behind the origin check and session auth.

The origin check answers before the consumer runs; Channels still tidies old database
connections when the refusing consumer dispatches, hence the database mark.
"""

import pytest
from channels.security.websocket import OriginValidator
from channels.testing import WebsocketCommunicator

from config.asgi import application


@pytest.mark.django_db
async def test_websocket_from_a_foreign_origin_is_rejected():
    communicator = WebsocketCommunicator(application, "/ws/rooms/1/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.disconnect()


@pytest.mark.django_db
async def test_websocket_without_an_origin_header_is_rejected():
    communicator = WebsocketCommunicator(application, "/ws/rooms/1/")
    connected, _ = await communicator.connect()
    assert connected is False
    await communicator.disconnect()


def test_websocket_protocol_goes_through_the_allowed_hosts_origin_check():
    validator = application.application_mapping["websocket"]
    assert isinstance(validator, OriginValidator)
    assert "127.0.0.1" in validator.allowed_origins and "evil.example" not in validator.allowed_origins
    assert set(application.application_mapping) == {"http", "websocket"}
