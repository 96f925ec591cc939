"""The production shape, through real daphne processes on a private Redis (cache and channel layer):
a room socket left idle stays open, and a Redis outage leaves the pages and the login working.
Run by .ci/run's second stage (PostgreSQL and REDIS_URL); each test starts its own redis-server,
never touching the machine's shared one.
"""

import asyncio
import time
import uuid

import pytest
import requests
from asgiref.sync import sync_to_async
from django.db import connection

from cohorts.testing_servers import (
    RedisProcess,
    ServerProcess,
    database_url_for_server,
    server_database_sessions_end,
)
from tests.cohorts.test_rooms_multiprocess import RoomClient, _login
from tests.factories import make_user
from tests.factories_cms import make_case
from tests.factories_rooms import make_room_with_members

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


@pytest.fixture
def start_server(tmp_path):
    """start_server() → (redis, server): a private Redis, and one daphne process using it as its
    cache and channel layer, on the test database. Create the data first (SQLite: the server
    works on a copy taken at start)."""
    started = []

    def start():
        redis = RedisProcess().start()
        started.append(redis)
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_for_server(connection, tmp_path),
            "REDIS_URL": redis.url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "LOG_LEVEL": "WARNING",
        }
        server = ServerProcess(env=env).start()
        started.append(server)
        return redis, server

    yield start
    for process in reversed(started):
        process.stop()
    server_database_sessions_end(connection)


async def test_a_room_socket_left_idle_on_redis_stays_open_and_then_receives_a_message(start_server):
    room, _facilitator, (_alice, _bob) = await sync_to_async(make_room_with_members)()
    alice_cookie, bob_cookie = await _login(_alice), await _login(_bob)
    _redis, server = await sync_to_async(start_server)()
    alice = await RoomClient(server, room.pk, alice_cookie).open()

    opened = time.monotonic()
    # Idle: the client sends nothing (daphne's own WebSocket pings are answered by the library).
    # Frames the server may push meanwhile (presence) are read and kept; a close ends the wait.
    with pytest.raises(asyncio.TimeoutError):
        await alice.until("never", timeout=IDLE_SECONDS)
    assert time.monotonic() - opened >= 30
    assert alice.socket.close_code is None, f"closed with {alice.socket.close_code}"

    bob = await RoomClient(server, room.pk, bob_cookie).open()
    posted = await bob.send_message("Après un long silence")
    await alice.wait_for_ids([posted])
    await alice.close()
    await bob.close()


def _status(session: requests.Session, url: str) -> int:
    return session.get(url, timeout=10, allow_redirects=False).status_code


def _login_post(base: str, email: str) -> requests.Response:
    """A browser's login: GET the form (CSRF cookie and token), then POST valid credentials."""
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=10)
    assert page.status_code == 200, page.status_code
    token = session.cookies["csrftoken"]
    return session.post(
        f"{base}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
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


async def test_a_redis_outage_leaves_pages_and_login_working_and_rooms_recover_when_it_returns(start_server):
    case_url = await sync_to_async(lambda: make_case().url)()
    room, _facilitator, (alice_user, bob_user) = await sync_to_async(make_room_with_members)()
    login_user = await sync_to_async(make_user)(email=f"cadre-{uuid.uuid4().hex[:6]}@ch-exemple.fr")
    alice_cookie, bob_cookie = await _login(alice_user), await _login(bob_user)
    redis, server = await sync_to_async(start_server)()

    expected = {"home": 200, "catalogue": 200, "case": 200, "dashboard": 200, "search": 200,
                "login": 302, "login_session": True}
    assert await sync_to_async(_answers)(server.http, case_url, alice_cookie, login_user.email) == expected

    redis.stop()
    assert await sync_to_async(_answers)(server.http, case_url, alice_cookie, login_user.email) == expected
    health = await sync_to_async(requests.get)(f"{server.http}/healthz", timeout=10)
    assert health.status_code == 503
    assert health.json()["failing"] == ["cache", "channel_layer"]

    redis.start()  # same port, server untouched
    deadline = time.monotonic() + 15
    while (await sync_to_async(requests.get)(f"{server.http}/healthz", timeout=10)).status_code != 200:
        assert time.monotonic() < deadline, "/healthz did not recover"
        await asyncio.sleep(0.5)
    assert await sync_to_async(_answers)(server.http, case_url, alice_cookie, login_user.email) == expected
    alice = await RoomClient(server, room.pk, alice_cookie).open_with_retry(server)
    bob = await RoomClient(server, room.pk, bob_cookie).open_with_retry(server)
    posted = await alice.send_message("La liaison est rétablie")
    await bob.wait_for_ids([posted])
    await alice.close()
    await bob.close()
