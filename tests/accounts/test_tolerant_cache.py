"""The Redis cache backend stands aside when Redis is unreachable (config/cache.py): reads miss, writes
are dropped, one warning per outage, and it is used again by itself when Redis returns."""

import logging
import time

import pytest
from django.core.cache import cache

from tests.servers import RedisProcess, free_port, port_range_from_env
from config import cache as tolerant
from config.cache import TolerantRedisCache
from tests.factories import make_user
from tests.factories_cms import make_case

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_outage_known(monkeypatch):
    """Outages are remembered per process and Redis location: start each test with none."""
    monkeypatch.setattr(tolerant, "_outages", {})


def _backend(port: int) -> TolerantRedisCache:
    return TolerantRedisCache(
        f"redis://127.0.0.1:{port}/0", {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}
    )


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "config.cache" and r.levelno == logging.WARNING]


def test_with_redis_unreachable_every_call_answers_as_an_empty_cache_and_one_warning_is_logged(caplog):
    backend = _backend(free_port(port_range_from_env()))
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="config.cache"):
        assert backend.get("key") is None
        assert backend.get("key", "default") == "default"
        assert backend.set("key", "value") is None
        assert backend.add("lock", True) is True  # allauth's rate-limit lock is taken, not waited for
        assert backend.get_or_set("key", "built") == "built"
        assert backend.get_many(["a", "b"]) == {}
        assert backend.set_many({"a": 1}) == []
        assert backend.has_key("key") is False
        assert backend.touch("key") is False
        assert backend.delete("key") is False
        assert backend.delete_many(["a", "b"]) is None
        with pytest.raises(ValueError):
            backend.incr("counter")  # as for a missing key: callers already handle it
        for _ in range(50):
            backend.get("key")
    assert time.monotonic() - started < 2  # no call waits for the connection that failed
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "Cache unreachable" in warnings[0]
    with pytest.raises(Exception):  # noqa: B017 — /healthz asks Redis itself and sees the outage
        backend.ping()


@pytest.mark.redis
def test_the_cache_is_used_again_when_redis_returns_and_a_new_outage_is_logged_again(caplog, monkeypatch):
    monkeypatch.setattr(tolerant, "RETRY_AFTER", 0.2)
    redis = RedisProcess()  # its port, nothing listening yet
    backend = _backend(redis.port)
    try:
        with caplog.at_level(logging.INFO, logger="config.cache"):
            backend.set("key", "lost")
            assert backend.get("key") is None
            redis.start()
            time.sleep(0.3)
            backend.set("key", "kept")
            assert backend.get("key") == "kept"
            assert backend.ping() is True
            assert any("reachable again" in r.getMessage() for r in caplog.records)
            redis.stop()
            assert backend.get("key", "default") == "default"
    finally:
        redis.stop()
    assert len(_warnings(caplog)) == 2  # one per outage


@pytest.mark.django_db
@pytest.mark.usefixtures("unreachable_redis_cache")
def test_pages_login_and_sessions_work_with_redis_unreachable(client):
    case = make_case()
    user = make_user(email="cadre@ch-exemple.fr")
    for url in ["/", "/catalogue/", case.url, "/search/?q=coop%C3%A9rer", "/accounts/login/"]:
        assert client.get(url).status_code == 200, url
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)  # sessions live in the database
    assert client.get("/dashboard/").status_code == 200
    client.logout()
    # Rate limits fail open rather than locking everyone out: after more failures than the limit
    # (5 per account in 5 minutes), the right password still gets in.
    for _ in range(7):
        assert client.post("/accounts/login/", {"login": user.email, "password": "wrong"}).status_code == 200
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
