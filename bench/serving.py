"""Page-serving cost under gunicorn (sync, WSGI), uvicorn and daphne (ASGI).

For each server in turn: start one process on a loopback port, warm up, then send a fixed
number of requests at a fixed concurrency to the floor page (/_bench/floor, a constant 20 KB
page through the whole middleware stack) and to real pages, and print the median and p95
latency and the server's CPU milliseconds per request (read from /proc before and after, so
the client's own work is not counted). Absolute figures vary between machines and runs:
compare each page with the floor measured in the same run.

    .venv/bin/python bench/serving.py                 # 300 requests per page, concurrency 4
    .venv/bin/python bench/serving.py --requests 500 --servers gunicorn,uvicorn

Never part of the pass/fail suite. Uses its own SQLite file under bench/out/.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MAX_REQUESTS = 5000

SERVERS = {
    "gunicorn": lambda port: [str(BIN / "gunicorn"), "--workers", "1", "--worker-class", "sync",
                              "--bind", f"{HOST}:{port}", "--log-level", "warning", "config.wsgi:application"],
    "uvicorn": lambda port: [str(BIN / "uvicorn"), "--host", HOST, "--port", str(port), "--workers", "1",
                             "--no-access-log", "--log-level", "warning", "config.asgi:application"],
    "daphne": lambda port: [str(BIN / "daphne"), "-b", HOST, "-p", str(port), "-v", "0", "config.asgi:application"],
}


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started in its own process group (SIGTERM, then SIGKILL after 15 s)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def bench_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.bench",
        DATABASE_URL=f"sqlite:///{OUT / 'bench.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def prepare_database(env: dict[str, str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)


def process_tree_cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and every descendant (gunicorn's worker is a child of its arbiter)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in tree)


def wait_until_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not answer within {timeout:.0f} s")


class Client:
    """One keep-alive connection per thread; reopened when the server closes it (gunicorn sync)."""

    def __init__(self, port: int):
        self.port = port
        self.local = threading.local()

    def get(self, path: str) -> tuple[int, float, int]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers={"Host": HOST})
            response = connection.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            self.local.connection = None
            return self.get(path)
        elapsed = time.perf_counter() - started
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
        return response.status, elapsed, len(body)


def measure(port: int, pid: int, path: str, requests: int, concurrency: int, warmup: int) -> dict:
    client = Client(port)
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda _: client.get(path), range(warmup)))
        cpu_before = process_tree_cpu_seconds(pid)
        wall_before = time.perf_counter()
        results = list(pool.map(lambda _: client.get(path), range(requests)))
        wall = time.perf_counter() - wall_before
        cpu = process_tree_cpu_seconds(pid) - cpu_before
    statuses = {status for status, _, _ in results}
    latencies = sorted(elapsed for _, elapsed, _ in results)
    return {
        "status": ",".join(str(s) for s in sorted(statuses)),
        "bytes": results[-1][2],
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "cpu_ms": cpu * 1000 / requests,
        "rps": requests / wall,
    }


def query_counts(env: dict[str, str], paths: list[str]) -> dict[str, int]:
    """SQL queries per page, counted once in a separate process with Django's test client."""
    code = (
        "import django, json, sys; django.setup()\n"
        "from django.db import connection\n"
        "from django.test import Client\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "client = Client(); out = {}\n"
        "for path in sys.argv[1:]:\n"
        "    client.get(path)\n"
        "    with CaptureQueriesContext(connection) as queries:\n"
        "        client.get(path)\n"
        "    out[path] = len(queries)\n"
        "print(json.dumps(out))\n"
    )
    env = {**env, "ALLOWED_HOSTS": "testserver,127.0.0.1"}
    result = subprocess.run([sys.executable, "-c", code, *paths], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        return {}
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def real_pages(port: int) -> list[str]:
    """The login page (a form through allauth), plus the catalogue once the cms branch serves it."""
    pages = ["/accounts/login/"]
    for path in ("/catalogue/",):
        connection = http.client.HTTPConnection(HOST, port, timeout=10)
        connection.request("GET", path, headers={"Host": HOST})
        response = connection.getresponse()
        body = response.read()
        if response.status == 200 and len(body) > 2000:
            pages.append(path)
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help=f"measured requests per page (max {MAX_REQUESTS})")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--servers", default="gunicorn,uvicorn,daphne")
    parser.add_argument("--port", type=int, default=8701, help="first loopback port; one per server")
    args = parser.parse_args()
    requests = max(10, min(args.requests, MAX_REQUESTS))

    env = bench_environment()
    prepare_database(env)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU, {requests} requests per page at concurrency "
          f"{args.concurrency} after {args.warmup} warm-up, SQLite, loopback\n")
    header = f"{'server':<9} {'page':<18} {'status':>6} {'KB':>6} {'median ms':>10} {'p95 ms':>8} {'CPU ms/req':>11} {'req/s':>7}"
    print(header)
    print("-" * len(header))
    pages_for_queries: list[str] = []
    for offset, name in enumerate(args.servers.split(",")):
        port = args.port + offset
        process = subprocess.Popen(SERVERS[name](port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            wait_until_up(port)
            pages = ["/_bench/floor", *real_pages(port)]
            pages_for_queries = pages
            for path in pages:
                row = measure(port, process.pid, path, requests, args.concurrency, args.warmup)
                print(f"{name:<9} {path:<18} {row['status']:>6} {row['bytes'] / 1024:>6.1f} {row['median_ms']:>10.2f} "
                      f"{row['p95_ms']:>8.2f} {row['cpu_ms']:>11.2f} {row['rps']:>7.0f}", flush=True)
        finally:
            stop_server(process)
    counts = query_counts(env, pages_for_queries)
    if counts:
        print("\nSQL queries per request: " + ", ".join(f"{path} {n}" for path, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
