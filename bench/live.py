"""Live case session benchmark: prints figures, is not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/passerelles_live TEST_SERVER_PORTS=8250-8299 \
        .venv/bin/python bench/live.py

CLIENTS learners (three professions) follow one live run over two daphne processes sharing a
private, clean redis-server and PostgreSQL, each connected to `/ws/live/<run>/` as live.js is. The
facilitator drives through the panel's real forms (HTTP POST to the first process):

- **reveal-to-screen**: from the facilitator's POST to each learner's socket receiving the step
  ("event"), and to that learner's refresh having come back ("screen": what live.js does before the
  episode shows): the light refresh of the case page's live parts (`cohorts:live_regions`, with the
  keys of the parts the learner's page shows, as live.js sends them), or with BENCH_REFRESH=page the
  whole case page again (what live.js did before), or with BENCH_REFRESH=floor `/_bench/floor` (a
  constant page through the whole middleware stack, no query: the least any HTTP refresh costs). A
  failed refresh is counted. Two reveals.
- **poll round-trip**: each learner answers as soon as the poll opens (a `poll.answer` frame: the
  lms decision answer is written), from its send to the `poll.answered` acknowledgement; and from
  the poll's opening to the facilitator's socket counting every answer. Two polls.
- **lost / doubled**: every numbered step must reach every learner once.
- **reconnection**: one learner drops before a step and reconnects to the *other* process with
  `?after=<last step seen>`: what it receives.

Then, on the same servers and a fresh Redis, the room fan-out of bench/chat.py (its `run_load`) with
the same number of clients, 10 messages a second for 10 s: the room floor to compare with.

It also prints the peak number of connections to the database during the live run (sampled every
0.1 s), against PostgreSQL's `max_connections`.

The two daphne processes run with DATABASE_CONN_MAX_AGE=0 (BENCH_CONN_MAX_AGE to change it). Under
ASGI, Django runs each request's view in a thread of its own (asgiref's per-request
ThreadSensitiveContext): with a non-zero age, the connection a request opened stays open after its
thread has finished, until the thread object is collected, so 60 refreshes at once left up to 99
connections open and PostgreSQL (max_connections 100) refused some ("too many clients"). Django's
own advice is the same: no persistent connections under ASGI (docs/deploy.md).

With BENCH_HTTP=gunicorn the pages (the learners' refreshes, the facilitator's panel and forms) go to
gunicorn with BENCH_HTTP_WORKERS sync workers (3) and DATABASE_CONN_MAX_AGE=60, and only the sockets to
the two daphne processes: the production shape of docs/deploy.md (a proxy sends /ws/ to daphne and
everything else to gunicorn). Server CPU then counts gunicorn's workers too.

Knobs: BENCH_CLIENTS (60), BENCH_SKIP_ROOM, BENCH_REFRESH (regions | page | floor), BENCH_CONN_MAX_AGE (0),
BENCH_HTTP (daphne | gunicorn), BENCH_HTTP_WORKERS (3).
"""

import asyncio
import json
import os
import re
import signal
import statistics
import sys
import threading
import time
import uuid
from urllib.parse import quote
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")  # fast password hashing for setup

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "60"))
REFRESH = os.environ.get("BENCH_REFRESH", "regions")
CONN_MAX_AGE = os.environ.get("BENCH_CONN_MAX_AGE", "0")
HTTP = os.environ.get("BENCH_HTTP", "daphne")
HTTP_WORKERS = int(os.environ.get("BENCH_HTTP_WORKERS", "3"))
# The live parts a page shows, as live.js reads them: element id and data-live-key (none on a placeholder).
REGION = re.compile(r'<[a-z]+ id="([^"]+)"[^>]*? data-live-region data-live-key="([^"]*)"(?! data-live-same)')


def setup_live():
    """A cohort of CLIENTS learners of three professions on a four-episode case, its facilitator,
    their session cookies, and a live run started (in DATABASE_URL)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    call_command("migrate", verbosity=0, interactive=False)
    from cohorts import live_services
    from tests.factories_cohorts import LiveWorld

    world = LiveWorld(per_profession=max(1, CLIENTS // 3), groups=0, fourth_episode=True)

    def cookie(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    run = live_services.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    return {
        "run": run.pk, "seq": run.last_seq, "cookies": [cookie(u) for u in world.learners[:CLIENTS]],
        "facilitator": cookie(world.facilitator), "case_url": world.case.url,
        "panel": reverse("cohorts:live_panel", args=[world.cohort.pk, run.pk]),
        "regions": reverse("cohorts:live_regions", args=[world.cohort.pk, run.pk]) + f"?page={world.case.pk}",
        "action": lambda name: reverse("cohorts:live_action", args=[world.cohort.pk, run.pk, name]),
        "options": [[o["id"] for o in d["value"]["options"]] for d in (world.d1, world.d2)],
        "decisions": [world.d1["id"], world.d2["id"]],
    }


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


class Learner:
    def __init__(self, index: int, server, cookie: str):
        self.index, self.server, self.cookie = index, server, cookie
        self.counts: dict[int, int] = {}
        self.event_at: dict[int, float] = {}
        self.screen_at: dict[int, float] = {}
        self.answer_sent: float = 0.0
        self.acks: list[float] = []
        self.socket = None
        self.reader = None
        self.resumed_with: list[int] = []
        self.keys: dict[str, str] = {}  # the live parts its page shows
        self.failed: dict[int, str] = {}


async def run_live(servers, data, pages=None) -> dict:
    """`pages`: the gunicorn process serving HTTP (BENCH_HTTP=gunicorn), else the daphne processes do."""
    from websockets.asyncio.client import connect

    from tests.servers import csrf_for, form_post, http_get

    def http(learner_or_server) -> str:
        return pages["url"] if pages else learner_or_server.http

    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=CLIENTS + 8))
    run_id, options = data["run"], data["options"]
    learners = [Learner(i, servers[i % 2], c) for i, c in enumerate(data["cookies"])]
    tallies: list[tuple[float, int]] = []
    errors = []

    csrf = await asyncio.to_thread(csrf_for, http(servers[0]), data["panel"], session_cookie=data["facilitator"])

    async def post(name: str, **fields) -> float:
        started = time.perf_counter()  # the facilitator's click: the panel page was loaded before
        status = await asyncio.to_thread(form_post, http(servers[0]), data["action"](name), session_cookie=data["facilitator"],
                                         data=fields, csrf_page=data["panel"], csrf=csrf)
        assert status == 302, (name, status)
        return started

    async def read(learner: Learner, resumed_flag: asyncio.Event | None = None):
        async for raw in learner.socket:
            frame = json.loads(raw)
            now = time.perf_counter()
            if frame["type"] == "live.event":
                seq = frame["seq"]
                learner.counts[seq] = learner.counts.get(seq, 0) + 1
                learner.event_at.setdefault(seq, now)
                if resumed_flag is not None and not resumed_flag.is_set():
                    learner.resumed_with.append(seq)
                if frame["kind"] == "reveal":
                    asyncio.create_task(screen(learner, seq))
                elif frame["kind"] == "poll_open":
                    block = frame["data"]["block_id"]
                    choices = options[data["decisions"].index(block)]
                    learner.answer_sent = time.perf_counter()
                    await learner.socket.send(json.dumps({
                        "type": "poll.answer", "client_id": f"b{learner.index}-{seq}",
                        "option_id": choices[learner.index % len(choices)], "rationale": f"Raison {learner.index}",
                    }))
            elif frame["type"] == "poll.answered":
                learner.acks.append(now - learner.answer_sent)
            elif frame["type"] == "live.resumed" and resumed_flag is not None:
                resumed_flag.set()
            elif frame["type"] == "error":
                errors.append(frame)

    def refresh_url(learner: Learner) -> str:
        base = http(learner.server)
        if REFRESH == "page":
            return f"{base}{data['case_url']}"
        if REFRESH == "floor":  # the cheapest page through the whole stack: what any HTTP refresh costs at least
            return f"{base}/_bench/floor"
        have = "".join(f"&have={quote(f'{region}~{key}')}" for region, key in learner.keys.items())
        return f"{base}{data['regions']}{have}"

    async def screen(learner: Learner, seq: int):
        try:
            status, body = await asyncio.to_thread(http_get, refresh_url(learner), session_cookie=learner.cookie)
        except Exception as error:  # noqa: BLE001 — counted, as live.js would retry
            learner.failed[seq] = str(error)
            return
        if status == 200:
            learner.keys.update(REGION.findall(body))
            learner.screen_at[seq] = time.perf_counter()

    async def open_learner(learner: Learner, after: int, server=None, resumed_flag=None):
        learner.server = server or learner.server
        learner.socket = await connect(f"{learner.server.ws}/ws/live/{run_id}/?after={after}", origin=learner.server.http,
                                       additional_headers={"Cookie": f"sessionid={learner.cookie}"}, open_timeout=30, max_queue=None)
        learner.reader = asyncio.create_task(read(learner, resumed_flag))

    loading = asyncio.Semaphore(6)

    async def load_page(learner: Learner):  # the page the learner reads, loaded before the session's steps
        async with loading:
            _status, body = await asyncio.to_thread(http_get, f"{http(learner.server)}{data['case_url']}", session_cookie=learner.cookie)
        learner.keys = dict(REGION.findall(body))

    await asyncio.gather(*(load_page(learner) for learner in learners))
    for learner in learners:
        await open_learner(learner, data["seq"])
    facilitator = await connect(f"{servers[1].ws}/ws/live/{run_id}/", origin=servers[1].http,
                                additional_headers={"Cookie": f"sessionid={data['facilitator']}"}, open_timeout=30)

    async def read_facilitator():
        async for raw in facilitator:
            frame = json.loads(raw)
            if frame["type"] == "live.tally":
                tallies.append((time.perf_counter(), frame["answered"]))

    facilitator_reader = asyncio.create_task(read_facilitator())
    await asyncio.sleep(2)

    async def until(condition, timeout: float = 60):
        deadline = time.perf_counter() + timeout
        while not condition() and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)

    from bench.serving import process_tree_cpu_seconds

    def server_cpu() -> float:
        pids = [server.process.pid for server in servers] + ([pages["process"].pid] if pages else [])
        return sum(process_tree_cpu_seconds(pid) for pid in pids)

    reveal_event, reveal_screen, poll_full, refresh_cpu = [], [], [], []
    seq = data["seq"]
    for round_number in range(2):
        seq += 1
        if round_number == 1:  # one learner drops before this reveal, and comes back to the other process
            dropped = learners[0]
            last_seen = max(dropped.counts)
            await dropped.socket.close()
            dropped.reader.cancel()
        cpu0 = server_cpu()
        t0 = await post("reveal")
        await until(lambda s=seq: all(s in l.screen_at or s in l.failed for l in learners if l.socket.state.name == "OPEN"))
        refreshed = sum(1 for l in learners if seq in l.screen_at)
        if refreshed:  # the reveal's POST, its deliveries and the refreshes, per refresh
            refresh_cpu.append(1000 * (server_cpu() - cpu0) / refreshed)
        if round_number == 1:
            flag = asyncio.Event()
            await open_learner(dropped, last_seen, server=servers[0] if dropped.server is servers[1] else servers[1], resumed_flag=flag)
            await until(flag.is_set, 10)
            await until(lambda s=seq: s in dropped.screen_at, 30)
        for learner in learners:
            if seq in learner.event_at and not (round_number == 1 and learner is learners[0]):
                reveal_event.append(learner.event_at[seq] - t0)
            if seq in learner.screen_at and not (round_number == 1 and learner is learners[0]):
                reveal_screen.append(learner.screen_at[seq] - t0)
        seq += 1
        tallies.clear()
        opened = await post("poll-open", block_id=data["decisions"][round_number], minutes="5")
        await until(lambda n=round_number: all(len(l.acks) > n for l in learners))
        await until(lambda: tallies and tallies[-1][1] >= len(learners), 30)
        full = next((at for at, n in tallies if n >= len(learners)), None)
        if full is not None:
            poll_full.append(full - opened)
        seq += 1
        await post("poll-close")
        await until(lambda s=seq: all(s in l.counts for l in learners))
    seq += 1
    await post("end")
    await until(lambda s=seq: all(s in l.counts for l in learners), 30)
    facilitator_reader.cancel()
    for learner in learners:
        learner.reader.cancel()
        await learner.socket.close()
    await facilitator.close()

    first, last = data["seq"] + 1, seq
    expected = (last - first + 1) * len(learners)
    unique = sum(len([s for s in l.counts if first <= s <= last]) for l in learners)
    total = sum(n for l in learners for s, n in l.counts.items() if first <= s <= last)
    acks = [a for l in learners for a in l.acks]
    return {
        "clients": len(learners), "steps": last - first + 1,
        "reveal_event": reveal_event, "reveal_screen": reveal_screen, "poll_ack": acks, "poll_full": poll_full,
        "refresh_cpu": refresh_cpu,
        "expected": expected, "lost": expected - unique, "doubled": total - unique, "errors": len(errors),
        "failed_refreshes": sorted({error for l in learners for error in l.failed.values()}),
        "failed_count": sum(len(l.failed) for l in learners),
        "reconnected": {"last_seen": last_seen, "resumed_with": learners[0].resumed_with,
                        "screen": learners[0].screen_at.get(data["seq"] + 4) is not None},
    }


class ConnectionSampler:
    """The number of connections to the benchmark's database, sampled every 0.1 s in a thread of its own."""

    def __init__(self):
        self.peak, self.limit, self._stop = 0, 0, threading.Event()

    def start(self) -> "ConnectionSampler":
        import psycopg

        self._conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        self.limit = int(self._conn.execute("SHOW max_connections").fetchone()[0])
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.1):
            (count,) = self._conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
            self.peak = max(self.peak, count)

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._conn.close()


def _gunicorn(env: dict) -> dict:
    """gunicorn with HTTP_WORKERS sync workers on a free port of TEST_SERVER_PORTS, as production serves pages."""
    import subprocess

    from bench.serving import BIN, wait_until_up
    from tests.servers import free_port, port_range_from_env

    port = free_port(port_range_from_env())
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(HTTP_WORKERS), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "config.wsgi:application"],
        cwd=BASE_DIR, env={**os.environ, **env}, stdout=subprocess.DEVNULL, start_new_session=True,
    )
    wait_until_up(port)
    return {"url": f"http://127.0.0.1:{port}", "process": process}


def main() -> None:
    from bench import chat
    from tests.servers import RedisProcess, ServerProcess

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to a PostgreSQL database (both server processes share it).")
    data = setup_live()
    room = None if os.environ.get("BENCH_SKIP_ROOM") else chat.setup_room(CLIENTS)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test", "BENCHMARK_ENDPOINTS": "1", "DATABASE_CONN_MAX_AGE": CONN_MAX_AGE,
        "LOG_LEVEL": "WARNING", "ROOMS_RATE_LIMIT_MESSAGES": "10",
    }
    print(f"live run {data['run']}: {CLIENTS} learners over 2 daphne processes, private Redis, PostgreSQL; "
          f"refresh: {REFRESH}, DATABASE_CONN_MAX_AGE={CONN_MAX_AGE}; pages served by "
          + (f"gunicorn ({HTTP_WORKERS} sync workers, DATABASE_CONN_MAX_AGE=60)" if HTTP == "gunicorn" else "the daphne processes"))
    redis = RedisProcess().start()
    servers = [ServerProcess(env={**env, "REDIS_URL": redis.url}).start(), ServerProcess(env={**env, "REDIS_URL": redis.url}).start()]
    pages = _gunicorn({**env, "REDIS_URL": redis.url, "DATABASE_CONN_MAX_AGE": "60"}) if HTTP == "gunicorn" else None
    sampler = ConnectionSampler().start()
    try:
        live = asyncio.run(run_live(servers, data, pages))
    finally:
        sampler.stop()
        if pages:
            from bench.serving import stop_server

            stop_server(pages["process"])
        for server in servers:
            server.stop()
        redis.stop()
    room_result = None
    if room is not None:
        chat.CLIENTS, chat.RATE, chat.SECONDS = CLIENTS, 10.0, 10.0
        redis = RedisProcess().start()
        servers = [ServerProcess(env={**env, "REDIS_URL": redis.url}).start(), ServerProcess(env={**env, "REDIS_URL": redis.url}).start()]
        try:
            room_result = asyncio.run(chat.run_load("room", servers, *room))
        finally:
            for server in servers:
                server.stop()
            redis.stop()

    def line(label, values):
        print(f"{label:<44} {pct(values, 50):8.1f} {pct(values, 95):8.1f} {len(values):6d}")

    print(f"{'measure':<44} {'p50 ms':>8} {'p95 ms':>8} {'n':>6}")
    line("reveal: POST -> step received on the socket", live["reveal_event"])
    line("reveal: POST -> case page fetched (screen)", live["reveal_screen"])
    line("poll: answer frame -> acknowledgement", live["poll_ack"])
    line("poll: opening -> facilitator counts all", live["poll_full"])
    if room_result:
        print(f"{'room floor: message -> every member (chat.py)':<44} {room_result['p50']:8.1f} {room_result['p95']:8.1f} "
              f"{room_result['expected']:6d}   lost {room_result['lost']} doubled {room_result['duplicated']}")
    print(f"refreshes failed: {live['failed_count']} {live['failed_refreshes'][:3]}")
    print("server CPU per learner refresh at a reveal (both daphne processes, the POST and the deliveries included): "
          + ", ".join(f"{ms:.1f} ms" for ms in live["refresh_cpu"]))
    print(f"database connections during the live run: peak {sampler.peak} (max_connections {sampler.limit})")
    print(f"steps: {live['steps']} x {live['clients']} learners = {live['expected']} deliveries; "
          f"lost {live['lost']}, doubled {live['doubled']}, error frames {live['errors']}")
    rc = live["reconnected"]
    print(f"reconnection: a learner dropped after step {rc['last_seen']}, reconnected to the other process with "
          f"?after={rc['last_seen']} and received steps {rc['resumed_with']} before 'live.resumed'; "
          f"its case page fetched afterwards: {'yes' if rc['screen'] else 'no'}")
    if live["reveal_screen"]:
        print(f"mean reveal-to-screen {1000 * statistics.fmean(live['reveal_screen']):.1f} ms")


if __name__ == "__main__":
    main()
