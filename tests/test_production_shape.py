"""The production shape, through real daphne processes on a private Redis (cache and channel layer):
a room socket left idle stays open, and a Redis outage leaves the pages and the login working.
Run by .ci/run's second stage (PostgreSQL and REDIS_URL); each test starts its own redis-server,
never touching the machine's shared one.
"""

import asyncio
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from asgiref.sync import sync_to_async
from django.db import connection

from tests.factories import make_user
from tests.factories_cms import make_case
from tests.rooms.factories import make_room_with_members
from tests.rooms.test_rooms_multiprocess import RoomClient, _login
from tests.servers import (
    RedisProcess,
    ServerProcess,
    database_url_for_server,
    free_port,
    port_range_from_env,
    server_database_sessions_end,
)

websockets = pytest.importorskip("websockets")

pytestmark = [pytest.mark.redis, pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
IDLE_SECONDS = 32  # well past redis-py's default socket timeout (5 s) and channels-redis' blocking read (5 s)


@pytest.fixture(autouse=True)
async def _close_thread_connections():
    """sync_to_async ran ORM calls in a worker thread: close its connections so that the
    test database can be dropped at the end of the session."""
    yield
    from django.db import connections

    await sync_to_async(connections.close_all)()


def _unused_port(taken: set[int]) -> int:
    """A free port not already given to a process that has not bound it yet."""
    ports = port_range_from_env()
    port = free_port([p for p in ports if p not in taken] if ports else None)
    taken.add(port)
    return port


@pytest.fixture
def start_servers(tmp_path):
    """start_servers(n) → n pairs (redis, server): a private Redis each, and a daphne process using it
    as its cache and channel layer, on the test database; the servers start in parallel. Create the
    data first (SQLite: the servers work on a copy taken now)."""
    started = []

    def start(count: int) -> list[tuple[RedisProcess, ServerProcess]]:
        database_url, taken, pairs = database_url_for_server(connection, tmp_path), set(), []
        for _ in range(count):
            redis = RedisProcess(port=_unused_port(taken)).start()
            env = {
                "DJANGO_SETTINGS_MODULE": "config.settings.test",
                "DATABASE_URL": database_url,
                "REDIS_URL": redis.url,
                "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "LOG_LEVEL": "WARNING",
            }
            pairs.append((redis, ServerProcess(env=env, port=_unused_port(taken))))
            started.extend(pairs[-1])
        with ThreadPoolExecutor(count) as pool:  # generous: CI machines are shared
            list(pool.map(lambda pair: pair[1].start(timeout=180), pairs))
        return pairs

    yield start
    for process in reversed(started):
        process.stop()
    server_database_sessions_end(connection)


async def test_an_idle_room_socket_stays_open_and_a_redis_outage_spares_pages_and_login(start_servers):
    """Two independent scenarios, each on its own private Redis and server, run side by side so that
    the suite waits through the idle period once (see the two functions below)."""
    idle_data = await sync_to_async(_idle_scenario_data)()
    outage_data = await sync_to_async(_outage_scenario_data)()
    await _login_cookies(idle_data)
    await _login_cookies(outage_data)
    (_idle_redis, idle_server), (outage_redis, outage_server) = await sync_to_async(start_servers)(2)
    await asyncio.gather(
        _a_room_socket_left_idle_stays_open_and_then_receives_a_message(idle_server, idle_data),
        _a_redis_outage_leaves_pages_and_login_working_and_rooms_recover(outage_redis, outage_server, outage_data),
    )


def _idle_scenario_data() -> dict:
    room, _facilitator, (alice, bob) = make_room_with_members()
    return {"room": room, "alice": alice, "bob": bob}


def _outage_scenario_data() -> dict:
    room, _facilitator, (alice, bob) = make_room_with_members()
    login_user = make_user(email=f"cadre-{uuid.uuid4().hex[:6]}@ch-exemple.fr")
    return {"room": room, "alice": alice, "bob": bob, "case_url": make_case().url, "login_email": login_user.email}


async def _login_cookies(data: dict) -> None:
    data["alice_cookie"], data["bob_cookie"] = await _login(data["alice"]), await _login(data["bob"])


async def _a_room_socket_left_idle_stays_open_and_then_receives_a_message(server, data):
    alice = await RoomClient(server, data["room"].pk, data["alice_cookie"]).open()
    opened = time.monotonic()
    # Idle: the client sends nothing (daphne's own WebSocket pings are answered by the library).
    # Frames the server may push meanwhile (presence) are read and kept; a close ends the wait early.
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(alice.until("never", timeout=IDLE_SECONDS + 5), IDLE_SECONDS)
    assert time.monotonic() - opened >= 30
    assert alice.socket.close_code is None, f"closed with {alice.socket.close_code}"

    bob = await RoomClient(server, data["room"].pk, data["bob_cookie"]).open()
    posted = await bob.send_message("Après un long silence")
    await alice.wait_for_ids([posted])
    await alice.close()
    await bob.close()


def _status(session: requests.Session, url: str) -> int:
    return session.get(url, timeout=30, allow_redirects=False).status_code


def _login_post(base: str, email: str) -> requests.Response:
    """A browser's login: GET the form (CSRF cookie and token), then POST valid credentials."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30)
    assert page.status_code == 200, page.status_code
    token = session.cookies["csrftoken"]
    return session.post(
        f"{base}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
        allow_redirects=False,
    )


def _pages(base: str, case_url: str) -> dict[str, str]:
    return {
        "home": f"{base}/",
        "catalogue": f"{base}/catalogue/",
        "case": f"{base}{case_url}",
        "dashboard": f"{base}/dashboard/",
        "search": f"{base}/search/?q=coop%C3%A9rer",
    }


def _answers(base: str, case_url: str, cookie: str, email: str) -> dict[str, int]:
    session = requests.Session()
    session.cookies.set("sessionid", cookie)
    answers = {name: _status(session, url) for name, url in _pages(base, case_url).items()}
    login = _login_post(base, email)
    answers["login"] = login.status_code
    answers["login_session"] = "sessionid" in login.cookies
    return answers


async def _a_redis_outage_leaves_pages_and_login_working_and_rooms_recover(redis, server, data):
    case_url, email, alice_cookie = data["case_url"], data["login_email"], data["alice_cookie"]
    expected = {"home": 200, "catalogue": 200, "case": 200, "dashboard": 200, "search": 200,
                "login": 302, "login_session": True}
    assert await sync_to_async(_answers)(server.http, case_url, alice_cookie, email) == expected

    redis.stop()
    assert await sync_to_async(_answers)(server.http, case_url, alice_cookie, email) == expected
    health = await sync_to_async(requests.get)(f"{server.http}/healthz", timeout=30)
    assert health.status_code == 503
    assert health.json()["failing"] == ["cache", "channel_layer"]

    redis.start()  # same port, server untouched
    deadline = time.monotonic() + 30
    while (await sync_to_async(requests.get)(f"{server.http}/healthz", timeout=30)).status_code != 200:
        assert time.monotonic() < deadline, "/healthz did not recover"
        await asyncio.sleep(0.5)
    assert await sync_to_async(_answers)(server.http, case_url, alice_cookie, email) == expected
    alice = await RoomClient(server, data["room"].pk, alice_cookie).open_with_retry(server)
    bob = await RoomClient(server, data["room"].pk, data["bob_cookie"]).open_with_retry(server)
    posted = await alice.send_message("La liaison est rétablie")
    await bob.wait_for_ids([posted])
    await alice.close()
    await bob.close()
