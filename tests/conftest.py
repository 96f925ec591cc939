"""Fixtures shared by the whole suite."""

import os
import shutil

import pytest


def pytest_collection_modifyitems(config, items):
    """Skip tests whose service is absent here; .ci/run provides them."""
    skip_redis = pytest.mark.skip(reason="needs REDIS_URL (run by .ci/run)")
    skip_browser = pytest.mark.skip(reason="needs /usr/bin/chromium")
    has_browser = shutil.which("chromium") is not None
    for item in items:
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)
        if "e2e" in item.keywords and not has_browser:
            item.add_marker(skip_browser)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
