"""Fixtures of the browser tests: the real ASGI server, Debian's Chromium (helpers: browser.py).

- `start_server()` starts daphne on what the test database holds now (data made with the
  factories first; `django_db(transaction=True)`). `demo_server` is one daphne per module on a
  fresh copy of the demo (`seed_demo`, run once per session into its own database), with
  `demo_server.urls` naming its pages (`tests/e2e/demo.py`). Both listen on a free port of
  `TEST_SERVER_PORTS` when it is set.
- `browser` is headless Debian Chromium (never a downloaded build); `new_page(server, width=...)`
  opens a page in a fresh context whose relative URLs go to that server.
- In tests/e2e/browser.py, `login(page, email)` signs in through the real login form and
  `axe_check(page)` runs axe-core, failing on any serious or critical violation.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.browser import (
    AXE_PAGES,
    CHROMIUM,
    CHROMIUM_ARGS,
    WAIT,
    ServerProcess,
    axe_available,
    database_url_for_server,
    server_database_sessions_end,
    server_env,
)

ROOT = Path(__file__).resolve().parent.parent.parent
SERVER_START_TIMEOUT = 180  # s: daphne imports the whole project; a loaded 2-core machine is slow at it


# --- Servers -----------------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """A test on the demo needs no data of its own, but the demo is copied from the migrated test
    database, which pytest-django creates only for tests marked django_db."""
    for item in items:
        if "demo_server" in getattr(item, "fixturenames", ()) and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)


@pytest.fixture
def start_server(tmp_path):
    """Start a daphne process on what the test database holds now; stopped after the test.

    On SQLite the server works on a copy made at start: create the data first, then start it,
    and check what the server stores through the browser (`database_url_for_server`)."""
    servers = []

    def start() -> ServerProcess:
        from django.db import connection

        server = ServerProcess(env=server_env(database_url_for_server(connection, tmp_path)))
        servers.append(server)
        return server.start(timeout=SERVER_START_TIMEOUT)

    yield start
    for server in servers:
        server.stop()
    if servers:
        from django.db import connection

        server_database_sessions_end(connection)


@dataclass
class DemoDatabase:
    """The demo, seeded once per session into a database of its own; `copy()` gives a fresh one."""

    url: str
    urls: dict
    directory: Path
    copies: list = field(default_factory=list)

    @property
    def on_postgres(self) -> bool:
        return self.url.startswith("postgres")

    def copy(self) -> str:
        n = len(self.copies) + 1
        if self.on_postgres:
            name = f"{_pg_name(self.url)}_{n}"
            _pg_create_from(self.url, name)
            url = _pg_url(self.url, name)
        else:
            path = self.directory / f"demo-{n}.sqlite3"
            shutil.copyfile(self.url.removeprefix("sqlite:///"), path)
            url = f"sqlite:///{path}"
        self.copies.append(url)
        return url

    def drop(self, url: str) -> None:
        if url.startswith("postgres"):
            _pg_drop(url)


@pytest.fixture(scope="session")
def demo_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """Migrated like the test database (copied from it), then `seed_demo` in a process of its own.

    The copy is taken with the migrations' data restored (a transactional test before may have
    emptied the tables), so the test database is left as the migrations made it."""
    from django.db import connection

    if connection.vendor == "sqlite":
        test_database = connection.is_in_memory_db()
    else:
        test_database = connection.settings_dict["NAME"].startswith("test_")
    if not test_database:
        raise RuntimeError("demo_database copies the test database: mark its tests django_db")
    directory = tmp_path_factory.mktemp("demo")
    with django_db_blocker.unblock():
        if getattr(connection, "_test_serialized_contents", None):  # else no test has emptied it
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
        url = database_url_for_server(connection, directory)
        if url.startswith("postgres"):
            connection.close()
            template = url
            url = _pg_url(template, f"{connection.settings_dict['NAME']}_demo")
            _pg_create_from(template, _pg_name(url))
        else:
            path = directory / "demo.sqlite3"
            Path(url.removeprefix("sqlite:///")).rename(path)
            url = f"sqlite:///{path}"
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.e2e.demo"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **server_env(url)},
    )
    if seeded.returncode:
        raise RuntimeError(f"seed_demo failed:\n{seeded.stdout[-3000:]}\n{seeded.stderr[-3000:]}")
    database = DemoDatabase(url=url, urls=json.loads(seeded.stdout.strip().splitlines()[-1]), directory=directory)
    yield database
    if database.on_postgres:
        _pg_drop(url)


@pytest.fixture(scope="module")
def demo_server(demo_database, tmp_path_factory):
    """One daphne per test module on a fresh copy of the demo; `demo_server.urls` names its pages;
    the e-mails it sends are read with `sent_emails(demo_server)` (tests/e2e/browser.py)."""
    url = demo_database.copy()
    mail_dir = tmp_path_factory.mktemp("mail")
    server = ServerProcess(env=server_env(url, mail_dir=mail_dir)).start(timeout=SERVER_START_TIMEOUT)
    server.urls = demo_database.urls
    server.mail_dir = mail_dir
    yield server
    server.stop()
    demo_database.drop(url)


def _pg_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def _pg_url(url: str, name: str) -> str:
    base, rest = url.rsplit("/", 1)
    query = rest.split("?", 1)[1] if "?" in rest else ""
    return f"{base}/{name}" + (f"?{query}" if query else "")


def _pg_admin(url: str):
    """A connection to the server's `postgres` database, to create and drop the copies."""
    import psycopg

    return psycopg.connect(_pg_url(url, "postgres").split("?", 1)[0], autocommit=True)


def _pg_create_from(template_url: str, name: str) -> None:
    """CREATE DATABASE … TEMPLATE: a copy of a whole database in about a second. The template
    must have no session open, so the stopped servers' sessions are ended first."""
    with _pg_admin(template_url) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [_pg_name(template_url)],
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_name(template_url)}"')


def _pg_drop(url: str) -> None:
    with _pg_admin(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{_pg_name(url)}" WITH (FORCE)')


# --- Browser -----------------------------------------------------------------------------------


class _Chromium:
    """Headless Debian Chromium, started when the first page is opened.

    Playwright's sync API runs an event loop in this thread, which makes Django see an async
    context: DJANGO_ALLOW_ASYNC_UNSAFE lets the test's ORM calls through, but a connection opened
    there is not the test's and stays open (PostgreSQL then cannot drop the test database). So
    make the data first, then open pages; starting Chromium only then keeps that order."""

    def __init__(self):
        self._playwright = None
        self._browser = None

    def __getattr__(self, name):
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        return getattr(self._browser, name)

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()


@pytest.fixture
def browser(monkeypatch):
    """Headless Debian Chromium (never a downloaded build), closed after the test."""
    if CHROMIUM is None:
        pytest.skip("e2e: chromium not installed (apt-get install chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    chromium = _Chromium()
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser):
    """`new_page(server, width=1280, scripts=True)`: a page in a context of its own (own cookies),
    900 px high (844 at phone widths); relative URLs go to `server` (a ServerProcess or a URL).

    `scripts=False` is a visitor without JavaScript: the site's scripts are never loaded. (Not
    Playwright's `java_script_enabled=False`, under which the test could not run axe.)"""

    def open_page(server=None, *, width: int = 1280, scripts: bool = True, **options):
        base = getattr(server, "http", server)
        options.setdefault("viewport", {"width": width, "height": 844 if width < 600 else 900})
        context = browser.new_context(base_url=base, **options)
        context.set_default_timeout(WAIT)
        if not scripts:
            context.route(re.compile(r"\.m?js(\?|$)"), lambda route: route.abort())
        return context.new_page()

    return open_page


# --- Report ------------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One closing line on the browser tests, so that a run without them, or without the
    accessibility checks, says so."""
    outcomes = {}
    for key in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(key, []):
            if getattr(report, "nodeid", "").startswith("tests/e2e/") and report.when in ("setup", "call"):
                outcomes.setdefault(report.nodeid, key)
    if not outcomes:
        return
    if CHROMIUM is None:
        terminalreporter.write_line("e2e: skipped — chromium not installed (apt-get install chromium)", yellow=True)
        return
    found = list(outcomes.values())
    counts = ", ".join(f"{found.count(key)} {key}" for key in ("passed", "failed", "skipped", "error") if key in found)
    if axe_available():
        terminalreporter.write_line(f"e2e: {counts}; axe-core read {len(AXE_PAGES)} page state(s)")
    else:
        missing = "accessibility NOT checked — axe-core not installed (npm ci --prefix tests/e2e)"
        terminalreporter.write_line(f"e2e: {counts}; {missing}", yellow=True)


def prepared_server(demo_database, name: str):
    """A daphne on a fresh copy of the demo to which tests/e2e/journey_data.py `<name>` was applied;
    `server.data` is what it returned. Use with `yield from` in a module-scoped fixture."""
    from tests.e2e.journey_data import prepare

    url = demo_database.copy()
    data = prepare(url, name)
    server = ServerProcess(env=server_env(url)).start(timeout=SERVER_START_TIMEOUT)
    server.data = data
    yield server
    server.stop()
    demo_database.drop(url)
