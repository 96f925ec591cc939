"""Rooms across real server processes: two daphne processes sharing rooms through Redis, a
process killed under its clients, and a Redis outage. Run by .ci/run against PostgreSQL.

Each test module starts its own throw-away redis-server (never the machine's shared one) and
points two server processes at it and at the test database.
"""

import asyncio
import json
import urllib.request
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client

from rooms.models import Message
from tests.rooms.factories import make_room_with_members
from tests.servers import RedisProcess, ServerProcess

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect as ws_connect  # noqa: E402

pytestmark = [pytest.mark.redis, pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


SERVER_APP_NAME = "passerelles-test-server"


def _database_url() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        pytest.skip("the server processes need a database they can share: run with DATABASE_URL (PostgreSQL)")
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}?application_name={SERVER_APP_NAME}"


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    """sync_to_async ran ORM calls in a worker thread: close its connections so that the
    test database can be dropped at the end of the session."""
    yield
    from django.db import connections

    await sync_to_async(connections.close_all)()


@pytest.fixture
def cluster():
    """A private Redis and two server processes using it and the test database."""
    database_url = _database_url()
    redis = RedisProcess().start()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis.url,
        "CHANNEL_LAYER_PREFIX": f"t{uuid.uuid4().hex[:8]}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "LOG_LEVEL": "WARNING",
        # The slow-client test sends in bursts; the rate limit itself is tested in-process.
        "ROOMS_RATE_LIMIT_MESSAGES": "1000",
    }
    servers = []
    try:
        servers = [ServerProcess(env=env).start(), ServerProcess(env=env).start()]
        yield redis, servers
    finally:
        for server in servers:
            server.stop()
        redis.stop()
        _close_other_sessions()


def _close_other_sessions() -> None:
    """A killed server leaves its database session behind until PostgreSQL notices; end it
    so the test database can be dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [SERVER_APP_NAME],
        )


@sync_to_async
def _login(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


class RoomClient:
    """A minimal client of the protocol: remembers the last id and every id it received."""

    def __init__(self, server: ServerProcess, room_id: int, cookie: str):
        self.server, self.room_id, self.cookie = server, room_id, cookie
        self.seen: list[int] = []
        self.socket = None

    @property
    def last_id(self) -> int:
        return self.seen[-1] if self.seen else 0

    async def open(self, server: ServerProcess | None = None, after: int | None = None):
        self.server = server or self.server
        query = f"?after={after if after is not None else self.last_id}"
        self.socket = await ws_connect(
            f"{self.server.ws}/ws/rooms/{self.room_id}/{query}",
            origin=self.server.http,
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=10,
        )
        await self.until("resumed")
        return self

    async def open_with_retry(self, server: ServerProcess, attempts: int = 40):
        """Reconnect as the browser client does: retry (here every half second) until accepted."""
        for attempt in range(attempts):
            try:
                return await self.open(server=server)
            except Exception:  # noqa: BLE001
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.5)

    async def until(self, frame_type: str, timeout: float = 10) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            self._note(frame)
            if frame["type"] == frame_type:
                return frame

    def _note(self, frame: dict) -> None:
        if frame["type"] == "message":
            self.seen.append(frame["message"]["id"])
        elif frame["type"] == "resume":
            self.seen.extend(m["id"] for m in frame["messages"])

    async def send_message(self, body: str, client_id: str | None = None) -> int:
        client_id = client_id or uuid.uuid4().hex
        await self.socket.send(json.dumps({"type": "message.send", "client_id": client_id, "body": body}))
        while True:
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
            self._note(frame)
            if frame["type"] == "ack" and frame["client_id"] == client_id:
                return frame["id"]
            if frame["type"] == "error" and frame.get("client_id") == client_id:
                raise AssertionError(frame)

    async def wait_for_ids(self, expected: list[int], timeout: float = 10) -> None:
        async def _loop():
            while sorted(set(self.seen)) != expected or len(self.seen) < len(expected):
                self._note(json.loads(await self.socket.recv()))

        await asyncio.wait_for(_loop(), timeout)

    async def close(self):
        if self.socket is not None:
            await self.socket.close()


async def _members():
    room, _facilitator, (alice, bob) = await sync_to_async(make_room_with_members)()
    return room, alice, bob, await _login(alice), await _login(bob)


async def test_two_server_processes_share_a_room_through_redis(cluster):
    _redis, (one, two) = cluster
    room, _alice, _bob, alice_cookie, bob_cookie = await _members()
    alice = await RoomClient(one, room.pk, alice_cookie).open()
    bob = await RoomClient(two, room.pk, bob_cookie).open()
    first = await alice.send_message("Depuis le processus 1")
    await bob.wait_for_ids([first])
    second = await bob.send_message("Depuis le processus 2")
    await alice.wait_for_ids([first, second])
    await bob.wait_for_ids([first, second])
    assert bob.seen == [1, 2] and alice.seen == [1, 2]
    await alice.close()
    await bob.close()


async def test_killed_process_clients_reconnect_to_the_other_and_resume_without_loss_or_duplicates(cluster):
    _redis, (one, two) = cluster
    room, _alice, _bob, alice_cookie, bob_cookie = await _members()
    alice = await RoomClient(one, room.pk, alice_cookie).open()
    bob = await RoomClient(two, room.pk, bob_cookie).open()
    for i in range(3):
        await bob.send_message(f"avant la panne {i}")
    await alice.wait_for_ids([1, 2, 3])
    one.kill()
    for i in range(3):
        await bob.send_message(f"pendant la panne {i}")  # the dead process's channels are still in the group
    await alice.open(server=two)  # resumes from its last id, on the surviving process
    await alice.send_message("de retour")
    await bob.wait_for_ids(list(range(1, 8)))
    await alice.wait_for_ids(list(range(1, 8)))
    assert alice.seen == list(range(1, 8)) and bob.seen == list(range(1, 8))  # in order, once each
    assert await sync_to_async(Message.objects.filter(room=room).count)() == 7
    await alice.close()
    await bob.close()


def _get(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    try:
        return urllib.request.urlopen(request, timeout=10).status  # noqa: S310 — loopback only
    except urllib.error.HTTPError as error:
        return error.code


async def test_redis_outage_keeps_pages_working_and_clients_recover_and_resume(cluster):
    redis, (one, two) = cluster
    room, _alice, _bob, alice_cookie, bob_cookie = await _members()
    alice = await RoomClient(one, room.pk, alice_cookie).open()
    bob = await RoomClient(two, room.pk, bob_cookie).open()
    await alice.send_message("avant la coupure")
    await bob.wait_for_ids([1])

    redis.stop()
    # Live connections learn that the layer is gone: they are closed, so clients show "reconnecting".
    with pytest.raises((websockets.exceptions.ConnectionClosed, asyncio.TimeoutError)):
        await bob.until("never", timeout=15)
    # Pages keep working, and a new connection is refused rather than half-open.
    status = await sync_to_async(_get)(f"{one.http}/rooms/{room.pk}/", alice_cookie)
    assert status == 200
    with pytest.raises(Exception):  # noqa: B017 — handshake refused while Redis is down
        await RoomClient(two, room.pk, bob_cookie).open()
    # Written while Redis is down (plain form path): stored, to be delivered on resume.
    await sync_to_async(_post_form)(one, room.pk, alice_cookie, "pendant la coupure")
    assert await sync_to_async(Message.objects.filter(room=room).count)() == 2

    redis.start()  # same port, servers untouched
    await bob.open_with_retry(server=two)
    await bob.wait_for_ids([1, 2])
    await alice.open_with_retry(server=one)
    third = await alice.send_message("après la coupure")
    await bob.wait_for_ids([1, 2, third])
    assert bob.seen == [1, 2, 3]
    await alice.close()
    await bob.close()


def _post_form(server: ServerProcess, room_id: int, cookie: str, body: str) -> None:
    """Post through the no-JS form (CSRF token from the page, as a browser would)."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"{server.http}/rooms/{room_id}/"
    page = opener.open(urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"}), timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf_cookie = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "body": body, "client_id": uuid.uuid4().hex}).encode()
    request = urllib.request.Request(
        url, data=data,
        headers={"Cookie": f"sessionid={cookie}; csrftoken={csrf_cookie}", "Referer": url, "Origin": server.http},
    )
    opener.open(request, timeout=10)


def _rss_kib(pid: int) -> int:
    from pathlib import Path

    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def test_a_client_that_stops_reading_does_not_slow_the_others_and_catches_up_by_resume(cluster):
    _redis, (one, two) = cluster
    room, _alice, _bob, alice_cookie, bob_cookie = await _members()
    stalled = await RoomClient(one, room.pk, bob_cookie).open()  # from now on it never reads
    fast = await RoomClient(two, room.pk, alice_cookie).open()
    rss_before = _rss_kib(one.process.pid)
    count = 150
    started = asyncio.get_running_loop().time()
    for i in range(count):
        await fast.send_message(f"{i} " + "texte de charge " * 100)
    await fast.wait_for_ids(list(range(1, count + 1)), timeout=30)
    elapsed = asyncio.get_running_loop().time() - started
    assert elapsed < 30  # the room kept going for everyone else
    assert _rss_kib(one.process.pid) - rss_before < 64 * 1024  # what waits for the stalled client is bounded
    # The stalled client gives up its connection and resumes from the last id it had read.
    await stalled.close()
    catching_up = await RoomClient(two, room.pk, bob_cookie).open(after=stalled.last_id)
    assert catching_up.seen == list(range(1, count + 1))  # everything, in order, once
    await catching_up.close()
    await fast.close()
