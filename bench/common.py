"""What the page benchmarks share: Django set up on a data set of their own, quietly."""

from __future__ import annotations

import os
from pathlib import Path


def setup(database_path: Path | None) -> None:
    """Django on `database_path` (SQLite; None keeps DATABASE_URL), with the floor page on.

    Seeding creates hundreds of pages: the search-index and reference-index tasks they queue
    (and any e-mail) are skipped, and log lines below WARNING are not printed."""
    if database_path is not None:
        os.environ["DATABASE_URL"] = f"sqlite:///{database_path}"
    os.environ["BENCHMARK_ENDPOINTS"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import logging

    from django.conf import settings

    from django.test.utils import override_settings

    # Through override_settings: the tasks handler was configured while the apps loaded (Wagtail's
    # tasks are declared then), and only the setting_changed signal makes it read TASKS again.
    override_settings(
        TASKS={"default": {**settings.TASKS["default"], "BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ).enable()
    settings.ALLOWED_HOSTS = ["*"]
    logging.disable(logging.INFO)
