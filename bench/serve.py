"""The learner's pages through a real server: server CPU per request, × floor, and queries.

Starts gunicorn (one sync worker, config.settings.bench) on a free loopback port against a
prepared copy of the demo (migrate + seed_demo; `--large` adds the large data set of
bench/pages.py beside it: 2,000 learners, 200 pages, 100,000 decision answers), signs in as the
demo director (directrice@passerelles.test), and for each page sends warm-up requests, then a
fixed number of requests at a fixed concurrency, reading the server's CPU from /proc before
and after (so the client's own work is not counted). The floor (/_bench/floor, a constant page
through the same middleware, same process, without a session) is measured first and last in each
round, and once more signed in (a session and its user read: what every signed-in page pays); every page
is measured in two rounds. Queries are counted by the server itself (config.settings.bench adds
`config.middleware.BenchMeasureMiddleware`, which reports them in a response header).

The cold view is the first view of a page after an editor publishes: `/_bench/content-changed`
starts a new content generation (what publishing does to `cms.content_cache`), then the page is
requested once; repeated, its queries and the request's own CPU time (also from that header) are
reported.

    .venv/bin/python bench/serve.py                     # demo data, 300 requests per page, concurrency 4
    .venv/bin/python bench/serve.py --large             # demo + large data set (seeding takes a few minutes)
    .venv/bin/python bench/serve.py --reuse --requests 100 --pages case,dashboard

The port is the first free one of TEST_SERVER_PORTS (e.g. 8200-8249) or of 8700-8749. The data
live in their own SQLite file under bench/out/ (kept: `--reuse` skips preparing it again).
Never part of the pass/fail suite; absolute figures vary between machines and runs: read the
ratios to the floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serving import BIN, HOST, OUT, Client, process_tree_cpu_seconds, stop_server, wait_until_up  # noqa: E402

DIRECTOR = ("directrice@passerelles.test", "passerelles-demo")
BENCH_LEARNER = ("learner0@bench.test", "bench-password")  # bench/pages.py's first learner
COLD_CYCLES = 15

# Printed in the table as the issue names them; which URL each is is found in the database.
DISCOVER = r"""
import json
from django.urls import reverse
from accounts.models import User
from cms.models import CaseStudyPage, CataloguePage, HomePage, LessonPage, ModulePage, ProgrammePage
from rooms.models import Room
director = User.objects.get(email="directrice@passerelles.test")
case = CaseStudyPage.objects.live().filter(title__startswith="Sortir de l").order_by("path").first()
module = case.get_parent().specific
programme = module.get_parent().specific
room = Room.objects.filter(kind="cohort", cohort__memberships__user=director).order_by("pk").first()
urls = {
    "home": "/",
    "catalogue": CataloguePage.objects.live().filter(locale__language_code="fr").first().url,
    "programme": programme.url,
    "module": module.url,
    "case": case.url,
    "lesson": LessonPage.objects.live().descendant_of(module).order_by("path").first().url,
    "dashboard": reverse("lms:dashboard"),
    "room": reverse("rooms:room_detail", args=[room.pk]) if room else None,
}
large = CaseStudyPage.objects.live().filter(title__startswith="Cas ").order_by("path").first()
if large is not None:
    urls["large case"] = large.url
    # bench/pages.py's learners have no verified address: allauth would not let the first one sign in.
    from allauth.account.models import EmailAddress
    learner = User.objects.get(email="learner0@bench.test")
    EmailAddress.objects.update_or_create(user=learner, email=learner.email, defaults={"verified": True, "primary": True})
print(json.dumps(urls))
"""


def free_port() -> int:
    spec = os.environ.get("TEST_SERVER_PORTS", "8700-8749")
    first, _, last = spec.partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {spec}")


def environment(database: Path, conn_max_age: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(
        DATABASE_CONN_MAX_AGE=str(conn_max_age),
        DJANGO_SETTINGS_MODULE="config.settings.bench",
        DATABASE_URL=f"sqlite:///{database}",
        PYTHONDONTWRITEBYTECODE="1",
        LOG_LEVEL="WARNING",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    return env


def prepare(database: Path, env: dict[str, str], large: bool) -> None:
    """The demo (migrate, seed_demo), then the large data set of bench/pages.py under its catalogue."""
    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    print(f"demo prepared in {time.perf_counter() - started:.0f} s", flush=True)
    if large:
        code = (
            "import sys; sys.path.insert(0, '.')\n"
            "from bench.common import setup; setup(None)\n"
            "from bench.pages import SCALES, seed\n"
            "from cms.models import CataloguePage\n"
            "seed(SCALES['large'], catalogue=CataloguePage.objects.filter(locale__language_code='fr').first())\n"
        )
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.bench"},
                       check=True)


def discover(env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", DISCOVER], cwd=ROOT, env=env,
                            check=True, capture_output=True, text=True)
    return {k: v for k, v in json.loads(result.stdout.strip().splitlines()[-1]).items() if v}


class Session(Client):
    """A keep-alive client that sends a session cookie with every request."""

    def __init__(self, port: int, cookie: str = ""):
        super().__init__(port)
        self.cookie = cookie

    def request(self, method: str, path: str, body: str = "", headers: dict | None = None):
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        all_headers = {"Host": HOST, **({"Cookie": self.cookie} if self.cookie else {}), **(headers or {})}
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    def get(self, path: str):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request("GET", path, headers={"Host": HOST, **({"Cookie": self.cookie} if self.cookie else {})})
            response = connection.getresponse()
            response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            self.local.connection = None
            return self.get(path)
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            self.local.connection = None
        return response


def login(port: int, email: str, password: str) -> str:
    """Sign in through allauth's form; the Cookie header of the session."""
    anonymous = Session(port)
    page = anonymous.request("GET", "/accounts/login/")
    csrf = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", "")).group(1)
    body = urllib.parse.urlencode({"login": email, "password": password, "csrfmiddlewaretoken": csrf})
    response = anonymous.request("POST", "/accounts/login/", body=body, headers={
        "Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://{HOST}:{port}/accounts/login/"})
    session = re.search(r"sessionid=([^;]+)", ",".join(response.headers.get_all("Set-Cookie") or []))
    cookie = f"sessionid={session.group(1)}; csrftoken={csrf}" if session else ""
    if response.status != 302 or not cookie or Session(port, cookie).request("GET", "/dashboard/").status != 200:
        raise RuntimeError(f"login of {email} failed ({response.status})")
    return cookie


def measure(session: Session, pid: int, path: str, requests: int, concurrency: int, warmup: int) -> dict:
    with ThreadPoolExecutor(concurrency) as pool:
        first = list(pool.map(lambda _: session.get(path), range(warmup)))[-1]
        cpu_before = process_tree_cpu_seconds(pid)
        wall_before = time.perf_counter()
        results = list(pool.map(lambda _: session.get(path), range(requests)))
        wall = time.perf_counter() - wall_before
        cpu = process_tree_cpu_seconds(pid) - cpu_before
    statuses = sorted({r.status for r in results} | {first.status})
    return {
        "status": ",".join(map(str, statuses)),
        "cpu_ms": cpu * 1000 / requests,
        "rps": requests / wall,
        "queries": int(results[-1].getheader("X-Bench-Queries", "-1")),
    }


def cold(session: Session, path: str, cycles: int) -> dict:
    """The first view of `path` after each of `cycles` new content generations."""
    queries, cpu = [], []
    for _ in range(cycles):
        session.request("POST", "/_bench/content-changed")
        response = session.request("GET", path)
        queries.append(int(response.getheader("X-Bench-Queries", "-1")))
        cpu.append(int(response.getheader("X-Bench-CPU-us", "0")) / 1000)
    return {"queries": max(queries), "cpu_ms": statistics.median(cpu), "cpu_max_ms": max(cpu)}


def run_server(env: dict[str, str], port: int) -> subprocess.Popen:
    command = [str(BIN / "gunicorn"), "--workers", "1", "--worker-class", "sync", "--bind", f"{HOST}:{port}",
               "--log-level", "warning", "config.wsgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    wait_until_up(port)
    return process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="measured requests per page and round")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--large", action="store_true", help="add the large data set (2,000 learners, 200 pages)")
    parser.add_argument("--reuse", action="store_true", help="keep the database prepared by an earlier run")
    parser.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    parser.add_argument("--cold-cycles", type=int, default=COLD_CYCLES)
    parser.add_argument("--conn-max-age", type=int, default=60,
                        help="DATABASE_CONN_MAX_AGE of the server: 60, as docs/deploy.md runs it in production "
                             "(0, Django's default, opens a database connection for every request)")
    args = parser.parse_args()

    database = OUT / ("serve-large.sqlite3" if args.large else "serve-demo.sqlite3")
    env = environment(database, args.conn_max_age)
    if not (args.reuse and database.exists()):
        prepare(database, env, args.large)
    urls = discover(env)
    wanted = [name.strip() for name in args.pages.split(",") if name.strip()]
    port = free_port()
    process = run_server(env, port)
    try:
        director = Session(port, login(port, *DIRECTOR))
        sessions = {"director": director, "anonymous": Session(port)}
        pages = [("floor, signed in", "director", "/_bench/floor")]
        pages += [(name, "director", url) for name, url in urls.items() if name != "large case"]
        pages.insert(pages.index(next(p for p in pages if p[0] == "case")), ("case, anonymous", "anonymous", urls["case"]))
        if "large case" in urls:
            sessions["bench learner"] = Session(port, login(port, *BENCH_LEARNER))
            pages += [("case (large programme)", "bench learner", urls["large case"]),
                      ("dashboard (large programme)", "bench learner", urls["dashboard"])]
        if wanted:
            pages = [p for p in pages if any(p[0].startswith(w) for w in wanted)]
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU, gunicorn 1 sync worker on port {port}, "
              f"SQLite (DATABASE_CONN_MAX_AGE={args.conn_max_age}), {'demo + large data set' if args.large else 'demo data'}; "
              f"{args.requests} requests per page "
              f"and round at concurrency {args.concurrency} after {args.warmup} warm-up\n", flush=True)
        rows: dict[str, list[dict]] = {}
        floors: list[float] = []
        for round_number in range(args.rounds):
            floors.append(measure(sessions["anonymous"], process.pid, "/_bench/floor", args.requests, args.concurrency, args.warmup)["cpu_ms"])
            for name, who, url in pages:
                row = measure(sessions[who], process.pid, url, args.requests, args.concurrency, args.warmup)
                rows.setdefault(name, []).append(row)
                print(f"  round {round_number + 1}: {name:<28} {row['cpu_ms']:6.2f} ms  {row['queries']:3d} queries  "
                      f"status {row['status']}", flush=True)
            floors.append(measure(sessions["anonymous"], process.pid, "/_bench/floor", args.requests, args.concurrency, args.warmup)["cpu_ms"])
        floor = statistics.mean(floors)
        colds = {name: cold(sessions[who], url, args.cold_cycles) for name, who, url in pages
                 if who != "anonymous" and url != "/_bench/floor"}
    finally:
        stop_server(process)

    header = f"| {'page':<28} | {'CPU ms / request':>18} | {'× floor':>7} | {'queries':>7} | {'cold queries':>12} | {'cold CPU ms':>11} |"
    print("\n" + header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    print(f"| {'floor (/_bench/floor)':<28} | {min(floors):>8.2f}–{max(floors):<9.2f} | {1:>7} | {0:>7} | {'':>12} | {'':>11} |")
    for name, measured in rows.items():
        cpus = [r["cpu_ms"] for r in measured]
        statuses = {r["status"] for r in measured}
        note = "" if statuses == {"200"} else f" (status {','.join(sorted(statuses))})"
        cold_row = colds.get(name)
        cold_cells = f"{cold_row['queries']:>12} | {cold_row['cpu_ms']:>11.1f}" if cold_row else f"{'':>12} | {'':>11}"
        print(f"| {name + note:<28} | {min(cpus):>8.2f}–{max(cpus):<9.2f} | {statistics.mean(cpus) / floor:>7.1f} | "
              f"{measured[-1]['queries']:>7} | {cold_cells} |")
    print(f"\nCold: first view after a new content generation, {args.cold_cycles} times; the highest query count and "
          "the median CPU of the request itself (thread time inside the middleware stack).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
