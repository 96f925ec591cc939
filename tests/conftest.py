"""Fixtures shared by the whole suite."""

import os
import shutil

import pytest


E2E_SKIPPED = "e2e: skipped — chromium not installed (apt-get install chromium; .ci/run does)"


def pytest_report_header(config):
    """Say at the start whether the browser tests (tests/e2e) will run."""
    chromium = shutil.which("chromium")
    return f"e2e: Chromium at {chromium}" if chromium else E2E_SKIPPED


def pytest_collection_modifyitems(config, items):
    """Skip tests whose service is absent here; .ci/run provides them."""
    skip_redis = pytest.mark.skip(reason="needs REDIS_URL (run by .ci/run)")
    skip_browser = pytest.mark.skip(reason=E2E_SKIPPED)
    skip_postgres = pytest.mark.skip(reason="needs DATABASE_URL on PostgreSQL (run by .ci/run)")
    has_browser = shutil.which("chromium") is not None
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    for item in items:
        _restore_migration_data_after(item)
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)
        if "e2e" in item.keywords and not has_browser:
            item.add_marker(skip_browser)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_postgres)


def _restore_migration_data_after(item) -> None:
    """Transactional tests flush every table, which would also wipe what data migrations
    created (roles, locales, the page tree, the workflow) for the tests that follow:
    serialized rollback restores it."""
    marker = item.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction") or "serialized_rollback" in marker.kwargs:
        return
    item.add_marker(pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True), append=False)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def unreachable_redis_cache(settings):
    """The production cache backend (config.cache.TolerantRedisCache) pointed at a port nothing
    listens on: Redis stopped, as far as the code can tell. Returns the location."""
    from tests.servers import free_port, port_range_from_env

    location = f"redis://127.0.0.1:{free_port(port_range_from_env())}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    return location


@pytest.fixture(autouse=True)
def _french_by_default():
    """Each test starts in the default language: a request in English leaves English active in the
    thread (the middleware activates a language per request), which must not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
