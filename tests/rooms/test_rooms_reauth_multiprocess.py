"""Re-authorisation across real server processes: a change made anywhere (here, by this test
process) closes the sockets concerned on every daphne process within a second, through Redis;
and the hardened protocol as a real server sends it (close codes a browser can receive).
Run by .ci/run's second stage (PostgreSQL and Redis)."""

import asyncio
import json
import time
import http.client
import urllib.parse

import pytest
from asgiref.sync import sync_to_async

from cohorts import services as cohort_services
from cohorts.models import Cohort, CohortMembership
from lms.export import account_erase
from rooms.consumers import CLOSE_READ_ONLY, CLOSE_REVOKED, CLOSE_TOO_LARGE
from tests.rooms.factories import add_member, add_to_group, make_cohort, make_group_room
from tests.rooms.test_rooms_multiprocess import (  # noqa: F401 — fixtures
    RoomClient,
    _close_thread_connections,
    _login,
    cluster,
)

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect as ws_connect  # noqa: E402

pytestmark = [pytest.mark.redis, pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def same_layer(cluster, settings):  # noqa: F811
    """This test process becomes a third process of the deployment: its channel layer is the
    servers' (their private Redis and prefix), as a management command or an admin page would be."""
    from channels.layers import channel_layers

    redis, (one, _two) = cluster
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis.url], "prefix": one.env["CHANNEL_LAYER_PREFIX"]},
        }
    }
    channel_layers.backends.clear()
    yield cluster
    channel_layers.backends.clear()


def _setup():
    cohort = make_cohort()
    facilitator = add_member(cohort, role=CohortMembership.Role.FACILITATOR)
    cohort.created_by = facilitator
    cohort.save()
    group_a, room_a = make_group_room(cohort=cohort, name="Groupe A")
    group_b, _room_b = make_group_room(cohort=cohort, name="Groupe B")
    alice, bob = add_member(cohort), add_member(cohort)
    add_to_group(group_a, alice)
    add_to_group(group_a, bob)
    return cohort, facilitator, group_b, room_a, alice, bob


def _move(cohort, facilitator, group_b, alice):
    cohort_services.group_member_move(cohort=cohort, user_id=alice.pk, group=group_b)


def _remove(cohort, facilitator, group_b, alice):
    CohortMembership.objects.filter(cohort=cohort, user=alice).delete()


def _reform(cohort, facilitator, group_b, alice):
    cohort_services.groups_form(cohort=cohort, size=2)


def _deactivate(cohort, facilitator, group_b, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])


def _erase(cohort, facilitator, group_b, alice):
    account_erase(user=alice)


def _close(cohort, facilitator, group_b, alice):
    cohort_services.cohort_close(cohort=Cohort.objects.get(pk=cohort.pk))


async def _closed_code(client: RoomClient, timeout: float) -> int | None:
    try:
        while True:
            await asyncio.wait_for(client.socket.recv(), timeout)
    except websockets.exceptions.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    except asyncio.TimeoutError:
        return None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_move, CLOSE_REVOKED),
        (_remove, CLOSE_REVOKED),
        (_reform, CLOSE_REVOKED),
        (_deactivate, CLOSE_REVOKED),
        (_erase, CLOSE_REVOKED),
        (_close, CLOSE_READ_ONLY),
    ],
    ids=["moved-out-of-group", "removed-from-cohort", "groups-re-formed", "deactivated", "erased", "cohort-closed"],
)
async def test_a_change_of_access_closes_the_sockets_concerned_on_every_process_within_a_second(
    same_layer, change, expected
):
    _redis, (one, two) = same_layer
    cohort, facilitator, group_b, room_a, alice, bob = await sync_to_async(_setup)()
    alice_cookie, bob_cookie = await _login(alice), await _login(bob)
    on_one = await RoomClient(one, room_a.pk, alice_cookie).open()
    on_two = await RoomClient(two, room_a.pk, alice_cookie).open()
    bystander = await RoomClient(two, room_a.pk, bob_cookie).open()
    started = time.monotonic()
    await sync_to_async(change)(cohort, facilitator, group_b, alice)
    codes = await asyncio.gather(_closed_code(on_one, 3), _closed_code(on_two, 3))
    took = time.monotonic() - started
    assert codes == [expected, expected]
    assert took < 1.5  # within a second of the commit, plus the test's own database write
    if change in (_move, _remove, _deactivate, _erase):
        # The others stay, and go on talking.
        first = await bystander.send_message("On continue sans elle")
        assert first == 1
    await bystander.close()


async def test_frames_over_the_limit_close_with_a_code_the_server_can_send(cluster):  # noqa: F811
    _redis, (one, _two) = cluster
    _cohort, _facilitator, _group_b, room_a, alice, _bob = await sync_to_async(_setup)()
    client = await RoomClient(one, room_a.pk, await _login(alice)).open()
    await client.socket.send("x" * (300 * 1024))
    assert await _closed_code(client, 5) == CLOSE_TOO_LARGE


async def test_malformed_frames_through_a_real_server_keep_the_connection(cluster):  # noqa: F811
    _redis, (one, _two) = cluster
    _cohort, _facilitator, _group_b, room_a, alice, _bob = await sync_to_async(_setup)()
    client = await RoomClient(one, room_a.pk, await _login(alice)).open()
    for text in ("[" * 20_000 + "]" * 20_000, '{"type": "resume", "after": 1000000000000}', "{]"):
        await client.socket.send(text)
    await client.socket.send(json.dumps({"type": "ping"}))
    await client.until("pong")
    first = await client.send_message("Toujours là")
    await client.wait_for_ids([1])
    assert first == 1 and client.seen == [1]
    await client.close()


def _handshake_status(url: str, origin: str) -> int:
    """The HTTP status of a WebSocket opening handshake. http.client rather than urllib: urllib
    replaces the Connection header with "close", which the server rightly answers with 400."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(
            "GET",
            parts.path,
            headers={
                "Connection": "Upgrade", "Upgrade": "websocket", "Origin": origin,
                "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


async def test_an_unknown_websocket_path_is_refused_not_a_server_error(cluster):  # noqa: F811
    _redis, (one, _two) = cluster
    for path in ("/ws/rooms/abc/", "/ws/nothing/"):
        status = await sync_to_async(_handshake_status)(f"{one.http}{path}", one.http)
        assert status == 403, path
        with pytest.raises(websockets.exceptions.InvalidStatus):
            await ws_connect(f"{one.ws}{path}", origin=one.http, open_timeout=10)
