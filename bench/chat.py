"""Chat fan-out benchmark: prints figures, is not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/passerelles_rooms .venv/bin/python bench/chat.py
    BENCH_CLIENTS=100 BENCH_SECONDS=30 BENCH_MEMORY_CLIENTS=1000 DATABASE_URL=… .venv/bin/python bench/chat.py

One room, CLIENTS connected clients spread over two daphne processes sharing a private, clean
redis-server, RATE messages a second for SECONDS seconds (each client sends in turn). Measured
per run: p50/p95/p99 delivery latency, deliveries per second, lost and duplicated deliveries
(every client must receive every message once, its own included), and the server CPU per
delivered message (µs: utime + stime of both daphne processes, read from /proc before the first
message and after the last delivery, divided by the deliveries). The same load runs against the
bare Channels broadcast consumer (`/ws/_bench/floor/`, no auth, no database) on the same servers
and Redis: the floor. Room and floor alternate, RUNS times each, and the medians are compared:
on a shared machine one run's tail latency says little. Last, MEMORY_CLIENTS idle room
connections to one process, to report the memory each costs.

Environment knobs: BENCH_CLIENTS (40), BENCH_RATE (20), BENCH_SECONDS (10), BENCH_RUNS (3),
BENCH_MEMORY_CLIENTS (0: skipped; 1000 for the memory figure), BENCH_SKIP_FLOOR, BENCH_ONLY_MEMORY.
The issue's reference load is BENCH_CLIENTS=100 BENCH_SECONDS=30. Servers take their ports from
TEST_SERVER_PORTS when it is set.
"""

import asyncio
import json
import os
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")  # fast password hashing for setup

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "40"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MEMORY_CLIENTS = int(os.environ.get("BENCH_MEMORY_CLIENTS", "0"))
GRACE = 10.0  # seconds to wait for late deliveries after the last send

from bench.serving import process_tree_cpu_seconds  # noqa: E402


def setup_room(n_users: int):
    """A cohort room with n_users members and a session cookie for each (in DATABASE_URL)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    from tests.factories import make_user
    from tests.rooms.factories import add_member, make_cohort, make_cohort_room

    cohort = make_cohort(name=f"Banc d'essai {uuid.uuid4().hex[:6]}")
    room = make_cohort_room(cohort=cohort)
    cookies = []
    for i in range(n_users):
        user = add_member(cohort, make_user(email=f"bench-{uuid.uuid4().hex[:10]}@example.org"))
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return room.pk, cookies


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Load:
    """Drive one run and collect what each client receives."""

    def __init__(self, kind: str, total_messages: int):
        self.kind = kind
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.received: list[dict[int, int]] = []
        self.total = total_messages
        self.errors = 0

    def note(self, index: int, number: int) -> None:
        counts = self.received[index]
        counts[number] = counts.get(number, 0) + 1
        if counts[number] == 1 and number in self.sent_at:
            self.latencies.append(time.perf_counter() - self.sent_at[number])


async def run_load(kind: str, servers, room_id: int, cookies: list[str]) -> dict:
    from websockets.asyncio.client import connect

    load = Load(kind, int(RATE * SECONDS))
    run = uuid.uuid4().hex[:8]  # client ids are idempotency keys: a second run must not reuse them
    sockets = []
    for i in range(CLIENTS):
        server = servers[i % len(servers)]
        if kind == "room":
            url = f"{server.ws}/ws/rooms/{room_id}/"
            headers = {"Cookie": f"sessionid={cookies[i % len(cookies)]}"}
        else:
            url = f"{server.ws}/ws/_bench/floor/"
            headers = {}
        socket = await connect(url, origin=server.http, additional_headers=headers, open_timeout=30, max_queue=None)
        sockets.append(socket)
        load.received.append({})
        if kind == "room":
            while json.loads(await socket.recv())["type"] != "resumed":
                pass

    async def reader(index: int, socket):
        try:
            async for raw in socket:
                if kind == "floor":
                    load.note(index, int(raw.split(" ", 1)[0]))
                    continue
                frame = json.loads(raw)
                if frame["type"] == "message":
                    load.note(index, int(frame["message"]["body"].split(" ", 1)[0]))
                elif frame["type"] == "resume":
                    for message in frame["messages"]:
                        load.note(index, int(message["body"].split(" ", 1)[0]))
                elif frame["type"] == "error":
                    load.errors += 1
        except Exception:  # noqa: BLE001 — a closed socket ends its reader
            return

    readers = [asyncio.create_task(reader(i, s)) for i, s in enumerate(sockets)]
    await asyncio.sleep(1)
    cpu_before = sum(process_tree_cpu_seconds(server.process.pid) for server in servers)
    started = time.perf_counter()
    for number in range(load.total):
        due = started + number / RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sender = sockets[number % CLIENTS]
        load.sent_at[number] = time.perf_counter()
        text = f"{number} message de charge"
        if kind == "room":
            await sender.send(json.dumps({"type": "message.send", "client_id": f"b{run}-{number}", "body": text}))
        else:
            await sender.send(text)
    send_end = time.perf_counter()
    expected = load.total * CLIENTS
    # Wait while deliveries still come in (late is not lost), until GRACE seconds without progress.
    progress, last_change, hard_stop = -1, time.perf_counter(), time.perf_counter() + 180
    while time.perf_counter() - last_change < GRACE and time.perf_counter() < hard_stop:
        got = sum(len(r) for r in load.received)
        if got >= expected:
            break
        if got != progress:
            progress, last_change = got, time.perf_counter()
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - started
    cpu = sum(process_tree_cpu_seconds(server.process.pid) for server in servers) - cpu_before
    for socket in sockets:
        await socket.close()
    for task in readers:
        task.cancel()
    unique = sum(len(r) for r in load.received)
    total = sum(sum(r.values()) for r in load.received)
    lat = sorted(load.latencies)

    def pct(p):
        return 1000 * lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")

    return {
        "kind": kind,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "mean": 1000 * statistics.fmean(lat) if lat else float("nan"),
        "deliveries_per_s": total / max(elapsed, send_end - started),
        "expected": expected,
        "lost": expected - unique,
        "duplicated": total - unique,
        "errors": load.errors,
        "cpu_us_per_delivery": 1e6 * cpu / max(unique, 1),
    }


async def _drain(socket) -> None:
    try:
        async for _frame in socket:
            pass
    except Exception:  # noqa: BLE001
        return


async def memory_run(server, room_id: int, cookies: list[str]) -> dict:
    from websockets.asyncio.client import connect

    before = rss_kib(server.process.pid)
    sockets, readers = [], []
    failures = 0
    for i in range(MEMORY_CLIENTS):
        try:
            socket = await connect(
                f"{server.ws}/ws/rooms/{room_id}/", origin=server.http,
                additional_headers={"Cookie": f"sessionid={cookies[i % len(cookies)]}"}, open_timeout=60,
            )
            while json.loads(await socket.recv())["type"] != "resumed":
                pass
        except Exception:  # noqa: BLE001 — count it and go on: the figure is per connection held
            failures += 1
            continue
        sockets.append(socket)
        readers.append(asyncio.create_task(_drain(socket)))  # a live client reads what it is sent
    await asyncio.sleep(5)
    after = rss_kib(server.process.pid)
    held = sum(1 for socket in sockets if socket.state.name == "OPEN")
    for socket in sockets:
        await socket.close()
    for task in readers:
        task.cancel()
    return {"clients": held, "failures": failures, "rss_before_mib": before / 1024, "rss_after_mib": after / 1024,
            "kib_per_connection": (after - before) / max(held, 1)}


def main() -> None:
    from tests.servers import RedisProcess, ServerProcess

    # On SIGTERM (e.g. `timeout`), unwind so that the `finally` blocks stop the servers and Redis.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to a PostgreSQL database (both server processes share it).")
    room_id, cookies = setup_room(CLIENTS)
    print(f"room {room_id}: {CLIENTS} clients, {RATE:g} msg/s for {SECONDS:g} s, 2 daphne processes, private Redis",
          flush=True)
    results = []
    kinds = [] if os.environ.get("BENCH_ONLY_MEMORY") else ["room"] + ([] if os.environ.get("BENCH_SKIP_FLOOR") else ["floor"])
    for kind in kinds * RUNS:  # alternating: room, floor, room, floor…
        redis = RedisProcess().start()  # a clean Redis for each run: no channels left over from a previous one
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "REDIS_URL": redis.url,
            "BENCHMARK_ENDPOINTS": "1",
            "DATABASE_CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            # The load sends RATE/CLIENTS messages a second per user: far below the limit anyway.
            "ROOMS_RATE_LIMIT_MESSAGES": "10",
        }
        servers = [ServerProcess(env=env).start(), ServerProcess(env=env).start()]
        try:
            results.append(asyncio.run(run_load(kind, servers, room_id, cookies)))
            r = results[-1]
            print(f"  {kind}: p95 {r['p95']:.1f} ms, {r['cpu_us_per_delivery']:.0f} µs CPU per delivery, "
                  f"lost {r['lost']}, doubled {r['duplicated']}", flush=True)
        finally:
            for server in servers:
                server.stop()
            redis.stop()
    if not results:
        kinds = []
    print(f"{'consumer':<8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'deliv/s':>9} {'expected':>9} {'lost':>6} {'dup':>5} "
          f"{'errors':>6} {'CPU µs/delivery':>16}")
    for r in results:
        print(f"{r['kind']:<8} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f} {r['deliveries_per_s']:9.0f} "
              f"{r['expected']:9d} {r['lost']:6d} {r['duplicated']:5d} {r['errors']:6d} {r['cpu_us_per_delivery']:16.0f}")
    medians = {
        kind: {key: statistics.median(r[key] for r in results if r["kind"] == kind) for key in ("p95", "cpu_us_per_delivery")}
        for kind in kinds
    }
    for kind, median in medians.items():
        lost = sum(r["lost"] for r in results if r["kind"] == kind)
        doubled = sum(r["duplicated"] for r in results if r["kind"] == kind)
        print(f"median of {RUNS} {kind} runs: p95 {median['p95']:.1f} ms, CPU {median['cpu_us_per_delivery']:.0f} µs per "
              f"delivery; lost {lost}, doubled {doubled} in all")
    if "room" in medians and "floor" in medians and medians["floor"]["p95"]:
        print(f"room / floor: CPU per delivery {medians['room']['cpu_us_per_delivery'] / medians['floor']['cpu_us_per_delivery']:.2f} "
              f"(goal <= 1.3), p95 {medians['room']['p95'] / medians['floor']['p95']:.2f} (goal <= 1.5)")
    if MEMORY_CLIENTS:
        redis = RedisProcess().start()
        env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "REDIS_URL": redis.url, "LOG_LEVEL": "WARNING",
               "DATABASE_CONN_MAX_AGE": "60"}
        server = ServerProcess(env=env).start()
        try:
            memory = asyncio.run(memory_run(server, room_id, cookies))
        finally:
            server.stop()
            redis.stop()
        print(f"memory: {memory['clients']} idle room connections on one daphne process: RSS "
              f"{memory['rss_before_mib']:.0f} -> {memory['rss_after_mib']:.0f} MiB, "
              f"{memory['kib_per_connection']:.1f} KiB per connection ({memory['failures']} connections failed)")


if __name__ == "__main__":
    main()
