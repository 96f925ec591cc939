"""Soak of the rooms in the production shape: prints figures, is not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/passerelles_soak SOAK_MINUTES=10 \\
        .venv/bin/python bench/soak.py

Two daphne processes (`config.settings.bench`) share PostgreSQL (DATABASE_URL, which must
exist) and a private redis-server (`tests.servers`; TEST_SERVER_PORTS limits their
ports). 60 learners of one cohort are split by `groups_form` into 6 groups of 10, so 6 group
rooms; each learner holds one socket to their group's room, half on each process, for
SOAK_MINUTES minutes (default 10; fractions such as 0.5 are allowed). The rooms are mostly idle:
each has a burst every 15-60 s, in which 2-5 of its members send 1-3 messages each within 8 s.
At 35 % of the run Redis is stopped for 10 s (less in runs under 2 minutes) and started again
on the same port; at 65 % the first server process is killed (SIGKILL) and restarted on the
same port. Sending stops a little before the end, so the last messages can arrive.

Each client behaves as `static/js/rooms.js`: on any close it reconnects with exponential
back-off (0.5 s doubling up to 30 s, equal jitter, reset by `resumed`) and `?after=<last id>`;
a message not yet acknowledged is re-sent with the same client id on `resumed` and when its
last try is 8 s old; a `ping` every 25 s. A failed handshake sends the next attempt to the
other process, as a load balancer would. At the end each client sends one `resume` frame
(after its last id), to tell messages that only a reconnection would have brought from lost ones.

Printed: the timeline; messages sent and acknowledged; deliveries lost (acknowledged, never
received by a member of the room), doubled, out of order; p50/p95 delivery latency (from the
first write of the message to its receipt, over all deliveries and over live frames only);
reconnections per client-hour (in all and outside the fault windows) with the close codes and
refused handshakes seen in each phase; error frames; RSS of each server process at start and
end; tracebacks in the server logs and the exceptions that ended connections there.

Knobs: SOAK_MINUTES (10), SOAK_SEED (1).
"""

import asyncio
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.chat import rss_kib  # noqa: E402

MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
SEED = int(os.environ.get("SOAK_SEED", "1"))
MEMBERS = 60
GROUP_SIZE = 10  # 60 learners -> 6 groups, 6 rooms
BURST_GAP = (15.0, 60.0)  # seconds between two bursts in a room
BURST_SPREAD = 8.0  # a burst's messages are sent within this many seconds
PING_EVERY = 25.0  # as rooms.js
RESEND_AFTER = 8.0  # as rooms.js: an unacknowledged message is sent again after this long
FLUSH_EVERY = 4.0  # as rooms.js: how often unacknowledged messages are looked at
GRACE = 30.0  # at most this long after the run for the last deliveries
FAULT_TAIL = 5.0  # closes this long after a fault ends still count as caused by it


def setup_data() -> tuple[dict[int, list[int]], dict[int, str]]:
    """A cohort of MEMBERS learners in groups of GROUP_SIZE (`groups_form`, which creates the
    group rooms): returns room id -> member user ids, and user id -> session cookie."""
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    from accounts.choices import Profession
    from accounts.models import User
    from cohorts.models import GroupMembership
    from rooms.models import Room
    from cohorts.services import groups_form
    from tests.factories import make_user
    from tests.rooms.factories import add_member, make_cohort

    tag = uuid.uuid4().hex[:6]
    professions = list(Profession.values)
    with transaction.atomic():
        cohort = make_cohort(name=f"Soak {tag}")
        for i in range(MEMBERS):
            user = make_user(email=f"soak-{tag}-{i}@example.org", profession=professions[i % len(professions)],
                             organisation=f"CH {i % 7}")
            add_member(cohort, user)
        groups = groups_form(cohort=cohort, size=GROUP_SIZE, seed=SEED)
    rooms: dict[int, list[int]] = {}
    for room in Room.objects.filter(group__in=groups).order_by("pk"):
        members = GroupMembership.objects.filter(group_id=room.group_id).values_list("user_id", flat=True)
        rooms[room.pk] = sorted(members)
    sizes = sorted(len(members) for members in rooms.values())
    if len(rooms) != MEMBERS // GROUP_SIZE or sizes != [GROUP_SIZE] * len(rooms):
        sys.exit(f"expected {MEMBERS // GROUP_SIZE} rooms of {GROUP_SIZE}, got sizes {sizes}")
    cookies = {}
    for user in User.objects.filter(pk__in=[uid for members in rooms.values() for uid in members]):
        client = Client()
        client.force_login(user)
        cookies[user.pk] = client.cookies["sessionid"].value
    return rooms, cookies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


class Ledger:
    """What every client sent, was acknowledged and received; the figures come from here."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.phase = "quiet"  # the fault under way, if any: closes are counted per phase
        self.phase_since = self.t0
        self.phase_seconds: Counter = Counter()  # phase -> time spent in it
        self.timeline: list[tuple[float, str]] = []
        self.composed = 0
        self.first_sent: dict[str, float] = {}  # client id -> first write on an open socket
        self.acked: dict[str, tuple[int, int]] = {}  # client id -> (room id, message id)
        self.stored_twice = 0  # one client id acknowledged with two different ids
        self.resends = 0
        self.refused: Counter = Counter()  # error code -> messages given up (as "Non envoyé")
        self.errors: Counter = Counter()  # error code -> error frames
        self.closes: Counter = Counter()  # (phase, what) -> count
        self.reconnections: Counter = Counter()  # phase -> successful connections after a client's first
        self.server_close_lifetimes: list[float] = []  # outside the faults: how long a closed socket had lived
        self.latencies_all: list[float] = []
        self.latencies_live: list[float] = []

    def now(self) -> float:
        return time.monotonic() - self.t0

    def enter(self, phase: str) -> None:
        now = time.monotonic()
        self.phase_seconds[self.phase] += now - self.phase_since
        self.phase, self.phase_since = phase, now

    def mark(self, text: str) -> None:
        self.timeline.append((self.now(), text))
        print(f"  t={self.now():7.1f} s  {text}", flush=True)

    def ack(self, client_id: str, room_id: int, seq: int) -> None:
        known = self.acked.get(client_id)
        if known is not None and known != (room_id, seq):
            self.stored_twice += 1
        self.acked[client_id] = (room_id, seq)


@dataclass
class Pending:
    frame: str
    sent_at: float = 0.0  # last write, monotonic; 0: not written yet


@dataclass
class Member:
    """One learner's browser tab on the room: the behaviour of static/js/rooms.js."""

    user_id: int
    room_id: int
    cookie: str
    home: int  # index of the server process it connects to first
    ledger: Ledger
    seen: set = field(default_factory=set)
    max_seen: int = 0
    doubled: int = 0
    out_of_order: int = 0
    pending: dict = field(default_factory=dict)
    socket: object = None
    ready: bool = False
    attempt: int = 0
    connections: int = 0
    cause: str = "quiet"  # the phase in which the last connection closed: its reconnection counts there
    sequence: int = 0
    resumed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, servers, stopping: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        failed_in_row = 0
        while not stopping.is_set():
            server = servers[(self.home + failed_in_row) % len(servers)]
            try:
                socket = await connect(
                    f"{server.ws}/ws/rooms/{self.room_id}/?after={self.max_seen}", origin=server.http,
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    open_timeout=10, close_timeout=5, ping_interval=None,  # a browser answers pings, sends none
                )
            except InvalidStatus as error:
                failed_in_row += 1
                self.ledger.closes[(self.ledger.phase, f"handshake refused, HTTP {error.response.status_code}")] += 1
            except Exception as error:  # noqa: BLE001 — refused, reset or timed out: count it, back off, retry
                failed_in_row += 1
                self.ledger.closes[(self.ledger.phase, f"handshake failed, {type(error).__name__}")] += 1
            else:
                failed_in_row = 0
                if self.connections:
                    self.ledger.reconnections[self.cause] += 1
                self.connections += 1
                await self.session(socket, stopping)
            if stopping.is_set():
                return
            base = min(30.0, 0.5 * 2**self.attempt)
            self.attempt += 1
            try:
                await asyncio.wait_for(stopping.wait(), base / 2 + random.random() * base / 2)
            except TimeoutError:
                pass

    async def session(self, socket, stopping: asyncio.Event) -> None:
        self.socket, opened = socket, time.monotonic()
        ticker = asyncio.create_task(self.tick())
        try:
            async for raw in socket:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    continue
                await self.handle(frame)
        except Exception:  # noqa: BLE001 — an abnormal close ends the session like a normal one
            pass
        finally:
            ticker.cancel()
            self.socket, self.ready = None, False
        if not stopping.is_set():
            self.cause = self.ledger.phase
            code = socket.close_code if socket.close_code is not None else 1006
            self.ledger.closes[(self.ledger.phase, f"closed {code}")] += 1
            if self.ledger.phase == "quiet":
                self.ledger.server_close_lifetimes.append(time.monotonic() - opened)

    async def tick(self) -> None:
        last_ping = time.monotonic()
        while True:
            await asyncio.sleep(FLUSH_EVERY)
            await self.flush()
            if self.ready and time.monotonic() - last_ping >= PING_EVERY:
                last_ping = time.monotonic()
                await self.write(json.dumps({"type": "ping"}))

    async def write(self, text: str) -> bool:
        socket = self.socket
        if socket is None or not self.ready:
            return False
        try:
            await socket.send(text)
        except Exception:  # noqa: BLE001 — closing under us: the session ends and we reconnect
            return False
        return True

    async def compose(self) -> None:
        self.sequence += 1
        client_id = f"s{self.user_id}-{self.sequence}"
        body = f"Message {self.sequence} de {self.user_id} : point sur le parcours patient du GHT."
        self.pending[client_id] = Pending(json.dumps({"type": "message.send", "client_id": client_id, "body": body}))
        self.ledger.composed += 1
        await self.flush()

    async def flush(self) -> None:
        now = time.monotonic()
        for client_id, entry in list(self.pending.items()):
            if entry.sent_at and now - entry.sent_at <= RESEND_AFTER:
                continue
            self.ledger.first_sent.setdefault(client_id, now)
            if not await self.write(entry.frame):
                return
            if entry.sent_at:
                self.ledger.resends += 1
            entry.sent_at = now

    async def handle(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "resumed":
            self.ready, self.attempt = True, 0
            self.resumed.set()
            await self.flush()
        elif kind == "ack":
            self.pending.pop(frame["client_id"], None)
            self.ledger.ack(frame["client_id"], self.room_id, frame["id"])
        elif kind == "message":
            self.note(frame["message"], live=True)
        elif kind == "resume":
            for message in frame["messages"]:
                self.note(message, live=False)
        elif kind == "error":
            code = frame.get("code", "?")
            self.ledger.errors[code] += 1
            entry = self.pending.get(frame.get("client_id"))
            if entry is not None:
                if code == "server_error":
                    entry.sent_at = time.monotonic()  # tried again by the timer, same client id
                else:
                    del self.pending[frame["client_id"]]  # rooms.js shows "Non envoyé"
                    self.ledger.refused[code] += 1

    def note(self, message: dict, *, live: bool) -> None:
        seq = message["id"]
        if seq in self.seen:
            self.doubled += 1
            return
        if seq < self.max_seen:
            self.out_of_order += 1
        self.seen.add(seq)
        self.max_seen = max(self.max_seen, seq)
        sent = self.ledger.first_sent.get(message.get("client_id"))
        if sent is not None:
            latency = time.monotonic() - sent
            self.ledger.latencies_all.append(latency)
            if live:
                self.ledger.latencies_live.append(latency)

    async def close(self) -> None:
        if self.socket is not None:
            try:
                await self.socket.close()
            except Exception:  # noqa: BLE001
                pass


async def sleep_until(ledger: Ledger, moment: float) -> None:
    delay = moment - ledger.now()
    if delay > 0:
        await asyncio.sleep(delay)


async def bursts(ledger: Ledger, members: list[Member], rng: random.Random, send_until: float) -> None:
    """Mostly idle: now and then 2-5 members send 1-3 messages each within BURST_SPREAD seconds."""
    moment = rng.uniform(2, BURST_GAP[0])
    while moment < send_until:
        await sleep_until(ledger, moment)
        senders = rng.sample(members, rng.randint(2, 5))
        plan = sorted(((rng.uniform(0, BURST_SPREAD), member) for member in senders for _ in range(rng.randint(1, 3))),
                      key=lambda item: item[0])
        for offset, member in plan:
            await sleep_until(ledger, moment + offset)
            await member.compose()
        moment += rng.uniform(*BURST_GAP)


async def faults(ledger: Ledger, duration: float, redis, servers, rss: dict) -> None:
    """Redis stopped and started again at 35 % of the run; the first server killed and restarted at 65 %."""
    await sleep_until(ledger, 0.35 * duration)
    ledger.enter("Redis restart")
    await asyncio.to_thread(redis.stop)
    ledger.mark("Redis stopped")
    await asyncio.sleep(min(10.0, 0.08 * duration))
    await asyncio.to_thread(redis.start)
    ledger.mark(f"Redis started again on port {redis.port}")
    await asyncio.sleep(FAULT_TAIL)
    ledger.enter("quiet")

    await sleep_until(ledger, 0.65 * duration)
    victim = servers[0]
    ledger.enter("server kill")
    rss["killed"] = (victim.process.pid, rss_kib(victim.process.pid))
    rss["logs"].append(victim.log_path)
    await asyncio.to_thread(victim.kill)
    ledger.mark(f"server 1 (pid {rss['killed'][0]}) killed with SIGKILL")
    await asyncio.sleep(1)
    await asyncio.to_thread(victim.start)
    ledger.mark(f"server 1 restarted on port {victim.port} (pid {victim.process.pid})")
    await asyncio.sleep(FAULT_TAIL)
    rss["restarted"] = (victim.process.pid, rss_kib(victim.process.pid))
    ledger.enter("quiet")


def missing(members: list[Member], ledger: Ledger) -> tuple[int, int]:
    """Deliveries (member, message) acknowledged but not received, and messages with any such."""
    by_room: dict[int, list[Member]] = {}
    for member in members:
        by_room.setdefault(member.room_id, []).append(member)
    deliveries, messages = 0, 0
    for room_id, seq in set(ledger.acked.values()):
        absent = sum(1 for member in by_room[room_id] if seq not in member.seen)
        deliveries += absent
        messages += bool(absent)
    return deliveries, messages


async def soak(rooms: dict[int, list[int]], cookies: dict[int, str], redis, servers) -> dict:
    duration = MINUTES * 60
    ledger = Ledger()
    members: list[Member] = []
    for room_id, user_ids in rooms.items():
        for user_id in user_ids:
            members.append(Member(user_id, room_id, cookies[user_id], home=len(members) % len(servers), ledger=ledger))
    stopping = asyncio.Event()
    print("timeline:", flush=True)
    clients = [asyncio.create_task(member.run(servers, stopping)) for member in members]
    deadline = time.monotonic() + 60
    while any(not member.resumed.is_set() for member in members) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)
    rss = {"start": [(s.process.pid, rss_kib(s.process.pid)) for s in servers], "logs": []}
    ledger.t0 = time.monotonic()
    for member in members:  # the soak starts now: connections before are the initial ones
        member.connections = min(member.connections, 1)
    ledger.phase_since = ledger.t0
    ledger.closes.clear()
    ledger.reconnections.clear()
    ledger.mark(f"{sum(m.resumed.is_set() for m in members)} of {len(members)} clients connected; soak starts")

    quiet_tail = min(20.0, 0.15 * duration)
    rng = random.Random(SEED)
    by_room: dict[int, list[Member]] = {}
    for member in members:
        by_room.setdefault(member.room_id, []).append(member)
    send_until = duration - quiet_tail - BURST_SPREAD
    drivers = [asyncio.create_task(bursts(ledger, room_members, random.Random(rng.random()), send_until))
               for room_members in by_room.values()]
    fault_task = asyncio.create_task(faults(ledger, duration, redis, servers, rss))
    await sleep_until(ledger, duration)
    await asyncio.gather(*drivers, fault_task)
    ledger.mark("run over; waiting for the last deliveries")
    hard_stop = time.monotonic() + GRACE
    while time.monotonic() < hard_stop and (missing(members, ledger)[0] or any(m.pending for m in members)):
        await asyncio.sleep(0.5)
    elapsed_hours = ledger.now() / 3600
    ledger.enter("quiet")  # closes the books of the last phase
    missing_before_resume = missing(members, ledger)[0]
    for member in members:  # one resume frame each: what a reconnection would still have brought
        member.resumed.clear()
        await member.write(json.dumps({"type": "resume", "after": member.max_seen}))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(m.ready and not m.resumed.is_set() for m in members):
        await asyncio.sleep(0.2)
    rss["end"] = [(s.process.pid, rss_kib(s.process.pid)) for s in servers]
    lost, lost_messages = missing(members, ledger)
    ledger.mark("stopping the clients")
    stopping.set()
    for member in members:
        await member.close()
    await asyncio.wait_for(asyncio.gather(*clients, return_exceptions=True), 30)
    rss["logs"].extend(server.log_path for server in servers)
    return {
        "ledger": ledger, "members": members, "rss": rss, "elapsed_hours": elapsed_hours,
        "lost": lost, "lost_messages": lost_messages, "recovered_by_resume": missing_before_resume - lost,
    }


def report(result: dict) -> None:
    ledger, members, rss = result["ledger"], result["members"], result["rss"]
    hours = result["elapsed_hours"]
    client_hours = len(members) * hours
    acked = len(ledger.acked)
    expected = sum(GROUP_SIZE for _ in ledger.acked)
    unacked = sum(len(m.pending) for m in members)
    print()
    print(f"messages: {ledger.composed} composed, {acked} sent and acknowledged, {unacked} never acknowledged, "
          f"{sum(ledger.refused.values())} refused{' ' + str(dict(ledger.refused)) if ledger.refused else ''}, "
          f"{ledger.resends} re-sent, "
          f"{ledger.stored_twice} stored twice")
    print(f"deliveries: {expected} expected, {result['lost']} lost ({result['lost_messages']} messages), "
          f"{sum(m.doubled for m in members)} doubled, {sum(m.out_of_order for m in members)} out of order; "
          f"{result['recovered_by_resume']} arrived only with the final resume frame")
    print(f"delivery latency, first write to receipt: p50 {pct(ledger.latencies_all, 50):.0f} ms, "
          f"p95 {pct(ledger.latencies_all, 95):.0f} ms over {len(ledger.latencies_all)} deliveries; "
          f"live frames only p50 {pct(ledger.latencies_live, 50):.0f} ms, p95 {pct(ledger.latencies_live, 95):.0f} ms "
          f"over {len(ledger.latencies_live)}")
    total = sum(ledger.reconnections.values())
    quiet = ledger.reconnections["quiet"]
    quiet_client_hours = max(len(members) * ledger.phase_seconds["quiet"] / 3600, 1e-9)
    print(f"reconnections: {total} in {client_hours:.2f} client-hours = {total / client_hours:.0f} per client-hour; "
          f"outside the fault windows {quiet} in {quiet_client_hours:.2f} client-hours = "
          f"{quiet / quiet_client_hours:.0f} per client-hour")
    for phase in ("quiet", "Redis restart", "server kill"):
        seen = {what: n for (p, what), n in sorted(ledger.closes.items()) if p == phase}
        print(f"  {phase:<14} {ledger.phase_seconds[phase]:5.0f} s, reconnections {ledger.reconnections[phase]:4d}; "
              "closes and failed handshakes: "
              + (", ".join(f"{what} x{n}" for what, n in seen.items()) or "none"))
    lifetimes = ledger.server_close_lifetimes
    if lifetimes:
        print(f"  a socket closed outside the faults had lived: median {statistics.median(lifetimes):.1f} s "
              f"(min {min(lifetimes):.1f}, max {max(lifetimes):.1f})")
    print(f"error frames: {dict(ledger.errors) or 'none'}")
    for i, (pid, kib) in enumerate(rss["start"]):
        end_pid, end_kib = rss["end"][i]
        line = f"RSS server {i + 1}: start {kib / 1024:.0f} MiB (pid {pid})"
        if i == 0 and "killed" in rss:
            line += (f", {rss['killed'][1] / 1024:.0f} MiB when killed; restarted pid {rss['restarted'][0]} "
                     f"{rss['restarted'][1] / 1024:.0f} MiB {FAULT_TAIL:.0f} s after restart")
        print(f"{line}, end {end_kib / 1024:.0f} MiB (pid {end_pid})")
    tracebacks, crashes = 0, Counter()
    for path in rss["logs"]:
        text = Path(path).read_text(errors="replace")
        tracebacks += text.count("Traceback")
        for line in text.splitlines():  # daphne's line for a connection ended by an exception (1011)
            if line.startswith("Exception inside application: "):
                crashes[line.removeprefix("Exception inside application: ")[:60]] += 1
    print(f"server logs: {tracebacks} tracebacks; connections ended by an exception: "
          + (", ".join(f"{what!r} x{n}" for what, n in crashes.most_common(4)) or "none"))
    print(f"  ({', '.join(rss['logs'])})")


def main() -> None:
    from bench.common import setup

    # On SIGTERM (e.g. `timeout`), unwind so that the `finally` blocks stop the servers and Redis.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (both server processes share it).")
    os.environ.pop("REDIS_URL", None)  # this process never touches a Redis; the servers get the private one
    setup(None)
    from django.db import connection

    from tests.servers import (
        RedisProcess,
        ServerProcess,
        database_url_for_server,
        server_database_sessions_end,
    )

    rooms, cookies = setup_data()
    duration = MINUTES * 60
    print(f"soak: {MINUTES:g} min, {sum(len(m) for m in rooms.values())} members in {len(rooms)} rooms, "
          "2 daphne processes (config.settings.bench), PostgreSQL, private Redis", flush=True)
    redis = RedisProcess().start()
    servers = []
    try:
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.bench",
            "DATABASE_URL": database_url_for_server(connection, Path(tempfile.gettempdir())),
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": redis.url,
            "CHANNEL_LAYER_PREFIX": f"soak{uuid.uuid4().hex[:8]}",
            "LOG_LEVEL": "WARNING",
        }
        servers = [ServerProcess(env=env).start(timeout=240), ServerProcess(env=env).start(timeout=240)]  # a loaded machine starts slowly
        result = asyncio.run(asyncio.wait_for(soak(rooms, cookies, redis, servers), duration + 300))
    finally:
        for server in servers:
            server.stop()
        redis.stop()
        server_database_sessions_end(connection)
    report(result)


if __name__ == "__main__":
    main()
