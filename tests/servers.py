"""Start and stop real ASGI server processes and a throw-away Redis, for the multi-process
tests (tests/rooms/test_rooms_multiprocess.py, tests/test_production_shape.py), the browser tests of rooms
(tests/e2e/test_rooms_chat.py) and the chat benchmark (bench/chat.py)."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port(ports: range | None = None) -> int:
    """A port nothing listens on: chosen by the system, or the first free one of `ports`."""
    for port in ports or [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in {ports}")


def port_range_from_env(name: str = "TEST_SERVER_PORTS") -> range | None:
    """`8100-8149` in the environment variable `name` limits test servers (and their Redis) to
    those ports; unset, the system chooses."""
    value = os.environ.get(name, "")
    if "-" not in value:
        return None
    first, last = (int(part) for part in value.split("-", 1))
    return range(first, last + 1)


SERVER_APPLICATION_NAME = "passerelles-test-server"


def database_url_for_server(connection, directory: Path) -> str:
    """A DATABASE_URL under which a server process reads the test database behind `connection`.

    PostgreSQL: the test database itself, so the test must commit what the server is to see
    (`django_db(transaction=True)`). SQLite: the default test database lives in this process's
    memory and no other process can open it, so it is copied to a file in `directory` with
    SQLite's backup API (milliseconds) and the server works on that copy: create the data first,
    then start the server; what either side writes afterwards the other does not see.
    Call `server_database_sessions_end` once the server is stopped.
    """
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        if not connection.is_in_memory_db():
            return f"sqlite:///{settings['NAME']}"
        import sqlite3

        path = Path(directory) / "server.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return f"sqlite:///{path}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}?application_name={SERVER_APPLICATION_NAME}"


def server_database_sessions_end(connection) -> None:
    """PostgreSQL notices a stopped server's sessions only after a while, and a test database
    with sessions cannot be dropped: end them now."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [SERVER_APPLICATION_NAME],
        )


def _wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@dataclass
class RedisProcess:
    """A private redis-server: stopping it never disturbs the machine's shared Redis."""

    port: int = field(default_factory=lambda: free_port(port_range_from_env()))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisProcess":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not _wait_for_port(self.port, 10):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None


@dataclass
class ServerProcess:
    """One daphne process serving config.asgi:application."""

    env: dict
    port: int = field(default_factory=lambda: free_port(port_range_from_env()))
    process: subprocess.Popen | None = None
    log_path: str = ""

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "ServerProcess":
        daphne = Path(sys.executable).with_name("daphne")
        command = [str(daphne)] if daphne.exists() else [sys.executable, "-m", "daphne"]
        log = tempfile.NamedTemporaryFile("w", prefix=f"daphne-{self.port}-", suffix=".log", delete=False)
        self.log_path = log.name
        self.process = subprocess.Popen(
            [*command, "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
            cwd=BASE_DIR,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {Path(self.log_path).read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.http}/healthz", timeout=2)  # noqa: S310 — loopback only
                return self
            except urllib.error.HTTPError:
                return self  # it answers; a 503 (layer down) is still an answering server
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not answer in time")

    def kill(self) -> None:
        """SIGKILL: the process dies holding its connections, as in a crash."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def http_get(url: str, *, session_cookie: str, timeout: float = 30) -> tuple[int, str]:
    """A signed-in GET, as a browser (or live.js) does: (status, body)."""
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session_cookie}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — loopback only
        return response.status, response.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_for(base_url: str, page: str, *, session_cookie: str) -> tuple[str, str]:
    """The CSRF cookie and form token a signed-in person gets from `page` (a page holding a form)."""
    import re

    request = urllib.request.Request(f"{base_url}{page}", headers={"Cookie": f"sessionid={session_cookie}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — loopback only
        cookie = next(
            value.split(";", 1)[0] for value in response.headers.get_all("Set-Cookie") or [] if value.startswith("csrftoken=")
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    return cookie, token


def form_post(base_url: str, path: str, *, session_cookie: str, data: dict, csrf_page: str, csrf=None) -> int:
    """POST a form as a signed-in person does through a page of the site: the CSRF cookie and token
    come from `csrf_page` (or `csrf`, as `csrf_for` returns them). Returns the status (302 after a write)."""
    from urllib.parse import urlencode

    cookie, token = csrf or csrf_for(base_url, csrf_page, session_cookie=session_cookie)
    opener = urllib.request.build_opener(_NoRedirect)
    body = urlencode({**data, "csrfmiddlewaretoken": token}).encode()
    request = urllib.request.Request(
        f"{base_url}{path}", data=body, method="POST",
        headers={"Cookie": f"sessionid={session_cookie}; {cookie}", "Content-Type": "application/x-www-form-urlencoded",
                 "Referer": f"{base_url}{csrf_page}"},
    )
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
