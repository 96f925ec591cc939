"""The one ASGI application: WebSocket routes behind the origin check and session auth.

A member of a room, with a valid session, connects from the site's own pages; the same
session from another site's page (cross-site WebSocket hijacking) or from a client that sends
no Origin is refused before the consumer runs. Without `AllowedHostsOriginValidator` in
`config/asgi.py` the last two would connect.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from tests.factories_cohorts import make_cohort

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """One channel layer per test: each test has its own event loop."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@sync_to_async
def _member_with_session() -> tuple[str, bytes]:
    """The path of a cohort room and the session cookie of its facilitator."""
    cohort = make_cohort()
    client = Client()
    client.force_login(cohort.created_by)
    return f"/ws/rooms/{cohort.rooms.get(kind='cohort').pk}/", f"sessionid={client.cookies['sessionid'].value}".encode()


async def _connects(path: str, headers: list) -> bool:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return connected


async def test_a_member_connects_from_the_sites_own_origin():
    path, cookie = await _member_with_session()
    assert await _connects(path, [(b"origin", b"http://testserver"), (b"cookie", cookie)])


async def test_the_same_session_from_a_foreign_origin_is_refused():
    path, cookie = await _member_with_session()
    assert not await _connects(path, [(b"origin", b"https://evil.example"), (b"cookie", cookie)])


async def test_the_same_session_without_an_origin_header_is_refused():
    path, cookie = await _member_with_session()
    assert not await _connects(path, [(b"cookie", cookie)])
