"""The default cache on Redis, as an accelerator and never a dependency.

`TolerantRedisCache` is Django's RedisCache until Redis cannot be reached (connection refused or
lost, a timeout, Redis still loading its data after a restart). From then on it behaves as Django's
DummyCache: every read is a miss, every write is dropped, `add` reports success (so allauth's rate
limit lock is taken at once), `incr` raises ValueError as for a missing key. Pages are then built
from the database, sessions live in the database anyway, and rate limits let requests through.

One warning is logged when an outage starts and one line when Redis answers again, per process,
never one per call. While Redis is down it is asked again every RETRY_AFTER seconds (the calls in
between do not wait for a connection that will fail), so it is used again within seconds of its
return, with no restart.

`/healthz` asks Redis directly (`ping`), so an outage the cache hides from pages still shows there.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER = 2.0  # seconds between two attempts while Redis is down


class _Outage:
    """Whether the Redis servers of one cache are known to be down, shared by every thread of the
    process (Django gives each thread its own cache object)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.since: float | None = None  # time.monotonic() when it started; None while Redis answers
        self.retry_at = 0.0

    def skip(self) -> bool:
        """True while Redis is down and the next attempt is not due yet."""
        return self.since is not None and time.monotonic() < self.retry_at

    def failed(self, error: Exception) -> None:
        with self.lock:
            now = time.monotonic()
            self.retry_at = now + RETRY_AFTER
            if self.since is None:
                self.since = now
                # redis-py's message names host and port, never the password a URL may hold.
                logger.warning("Cache unreachable (%s): serving without it until it answers again", error)

    def answered(self) -> None:
        if self.since is None:
            return
        with self.lock:
            if self.since is not None:
                logger.info("Cache reachable again after %.0f s", time.monotonic() - self.since)
                self.since = None


_outages: dict[tuple, _Outage] = {}
_outages_lock = threading.Lock()


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        with _outages_lock:
            self._outage = _outages.setdefault(tuple(self._servers), _Outage())

    def _tolerant(self, method, fallback, *args):
        """`method(self, *args)` (RedisCache's), or `fallback()` when Redis is (known to be) unreachable."""
        if self._outage.skip():
            return fallback()
        try:
            result = method(self, *args)
        except UNREACHABLE as error:
            self._outage.failed(error)
            return fallback()
        self._outage.answered()
        return result

    def ping(self) -> bool:
        """Ask Redis itself, bypassing the tolerance (for /healthz): raises when it does not answer."""
        return bool(self._cache.get_client(None, write=True).ping())

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant(RedisCache.add, lambda: True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._tolerant(RedisCache.get, lambda: default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant(RedisCache.set, lambda: None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant(RedisCache.touch, lambda: False, key, timeout, version)

    def delete(self, key, version=None):
        return self._tolerant(RedisCache.delete, lambda: False, key, version)

    def get_many(self, keys, version=None):
        return self._tolerant(RedisCache.get_many, dict, keys, version)

    def has_key(self, key, version=None):
        return self._tolerant(RedisCache.has_key, lambda: False, key, version)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")

        return self._tolerant(RedisCache.incr, missing, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant(RedisCache.set_many, list, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._tolerant(RedisCache.delete_many, lambda: None, keys, version)

    def clear(self):
        return self._tolerant(RedisCache.clear, lambda: False)
