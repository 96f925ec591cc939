"""What every browser test shares: the real ASGI server, Debian's Chromium, signing in, axe.

- `start_server()` starts daphne on what the test database holds now (data made with the
  factories first; `django_db(transaction=True)`). `demo_server` is one daphne per module on a
  fresh copy of the demo (`seed_demo`, run once per session into its own database), with
  `demo_server.urls` naming its pages (`tests/e2e/demo.py`). Both listen on a free port of
  `TEST_SERVER_PORTS` when it is set.
- `browser` is headless Debian Chromium (`shutil.which("chromium")`, never a downloaded
  build); `new_page(server, width=...)` opens a page in a fresh context whose relative URLs
  go to that server.
- `login(page, email)` signs in through the real login form; `axe_check(page)` runs axe-core
  and fails on any serious or critical violation.

The server helpers are imported here and nowhere else in tests/e2e.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from accounts.demo import DEMO_PASSWORD
from cohorts.testing_servers import ServerProcess, database_url_for_server, server_database_sessions_end

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
FACTORY_PASSWORD = "correct-horse-battery"  # tests.factories.make_user's default
WAIT = 15_000  # ms: generous for a loaded machine; every wait ends as soon as its condition holds
SERIOUS = ("serious", "critical")

# What the terminal summary reports: the pages axe read, and why axe could not run.
AXE_PAGES: list[str] = []


# --- Servers -----------------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    """A test on the demo needs no data of its own, but the demo is copied from the migrated test
    database, which pytest-django creates only for tests marked django_db."""
    for item in items:
        if "demo_server" in getattr(item, "fixturenames", ()) and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)


def _server_env(database_url: str) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CHANNEL_LAYER_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
        "CACHE_KEY_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def start_server(tmp_path):
    """Start a daphne process on what the test database holds now; stopped after the test.

    On SQLite the server works on a copy made at start: create the data first, then start it,
    and check what the server stores through the browser (`database_url_for_server`)."""
    servers = []

    def start() -> ServerProcess:
        from django.db import connection

        server = ServerProcess(env=_server_env(database_url_for_server(connection, tmp_path)))
        servers.append(server)
        return server.start()

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

    test_database = connection.is_in_memory_db() if connection.vendor == "sqlite" else connection.settings_dict["NAME"].startswith("test_")
    if not test_database:
        raise RuntimeError("demo_database needs the test database: its tests are marked django_db (pytest_collection_modifyitems)")
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
        [sys.executable, "-m", "tests.e2e.demo"], cwd=HERE.parent.parent, capture_output=True, text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
    )
    if seeded.returncode:
        raise RuntimeError(f"seed_demo failed:\n{seeded.stdout[-3000:]}\n{seeded.stderr[-3000:]}")
    database = DemoDatabase(url=url, urls=json.loads(seeded.stdout.strip().splitlines()[-1]), directory=directory)
    yield database
    if database.on_postgres:
        _pg_drop(url)


@pytest.fixture(scope="module")
def demo_server(demo_database):
    """One daphne per test module on a fresh copy of the demo; `demo_server.urls` names its pages."""
    url = demo_database.copy()
    server = ServerProcess(env=_server_env(url)).start()
    server.urls = demo_database.urls
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


def login(page, email: str, password: str = DEMO_PASSWORD, *, next: str | None = None):
    """Sign in through the login form and wait until the person has landed where the site sent them."""
    page.goto("/accounts/login/" + (f"?next={next}" if next else ""))
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.locator("main form").get_by_role("button").last.click()
    if next:
        page.wait_for_url(re.compile(re.escape(next) + "$"))
    else:
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


# --- Accessibility -----------------------------------------------------------------------------

_RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def axe_available() -> bool:
    return AXE_SCRIPT.exists()


def axe_check(page, *, label: str = "") -> list[dict]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation.

    The script is evaluated through the DevTools protocol, which a Content-Security-Policy does
    not restrict, so nothing is loaded from outside and no page setting changes. Returns the
    violations of lesser impact, for whoever wants to look at them."""
    if not axe_available():
        if os.environ.get("E2E_REQUIRE_AXE"):
            pytest.fail(f"axe-core is missing: npm ci --prefix {HERE.relative_to(Path.cwd()) if HERE.is_relative_to(Path.cwd()) else HERE}")
        return []
    if page.evaluate("() => typeof window.axe") == "undefined":
        page.evaluate(_axe_source())
    violations = page.evaluate(_RUN_AXE)
    AXE_PAGES.append(label or page.url)
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"axe on {label or page.url}:\n" + format_violations(serious)
    return violations


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}")
            lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines()[:4])
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


_AXE_SOURCE: list[str] = []


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE_SCRIPT.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


# --- Report ------------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line on what the browser tests did, so a skipped or unchecked run is visible."""
    e2e = [r for key in ("passed", "failed", "skipped", "error") for r in terminalreporter.stats.get(key, [])
           if getattr(r, "when", "call") in ("call", "setup") and "/e2e/" in getattr(r, "nodeid", "").replace("::", "/")]
    if not e2e:
        return
    if CHROMIUM is None:
        terminalreporter.write_line("e2e: skipped — chromium not installed (apt-get install chromium)", yellow=True)
    elif not axe_available():
        terminalreporter.write_line(
            f"e2e: ran without accessibility checks — axe-core not installed (npm ci --prefix tests/e2e)", yellow=True
        )
    else:
        terminalreporter.write_line(f"e2e: axe-core checked {len(AXE_PAGES)} page state(s), 0 serious or critical violations"
                                    if not terminalreporter.stats.get("failed") else
                                    f"e2e: axe-core checked {len(AXE_PAGES)} page state(s)")
