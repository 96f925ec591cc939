"""The access matrix as data (docs/security.md, "Access matrix"): the tables of the doc are the
expected outcome of every URL pattern and every socket action for every kind of person.

1. The URL patterns are read from the URL configuration (config.urls), less a short, stated list of
   library internals; each must have a row, and each row must name a pattern that exists.
2. Every cell is requested with real people and objects (tests/access_world.py) and must answer
   what the table says. Each cell runs in a savepoint rolled back afterwards, so one cell's
   writes (a cohort closed, an invitation revoked) never change the next one's answer.
3. The table itself keeps the rule: outsiders (the other cohort's learner and facilitator) are
   never told that an object exists — 404 wherever they are refused, never 403.
"""

import os
import re
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from rooms.consumers import RoomConsumer
from rooms.models import REACTION_EMOJIS
from rooms.services import message_post
from tests.access_world import POST_DATA, ROLES, URLS, build_world
from tests.rooms.rooms_ws import connect, drain, receive, send

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"

# Library internals left out of the HTTP table, each standing as one row: the Wagtail admin (`admin/`,
# which checks its own permission per view), the Django admin (`django-admin/`, superusers only),
# allauth's account views (`accounts/…` other than the project's own), and Wagtail's private-page
# password forms (`_util/`, `documents/authenticate_with_password/`).
EXCLUDED_PREFIXES = ("admin/", "django-admin/", "_util/", "documents/authenticate_with_password/")
EXCLUDED_MODULES = ("allauth.",)
CATCH_ALL = r"^((?:[\w\-]+/)*)$"  # Wagtail's page serving: one row, tried on a case page of cohort A's programme
OBJECTS = {"public", "token", "self", "own", "cohort", "community", "staff"}
OUTCOMES = {"200", "204", "302", "login", "400", "403", "404", "405"}


def url_patterns() -> list[str]:
    """Every route of the URL configuration, spelt as the resolver does, with its view's module."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append((prefix + str(pattern.pattern), getattr(pattern.callback, "__module__", "")))

    walk(get_resolver().url_patterns)
    return found


def routes_needing_a_row() -> set[str]:
    roots = {prefix for prefix in EXCLUDED_PREFIXES if prefix.count("/") == 1}  # admin/, django-admin/, _util/
    needed = set()
    for route, module in url_patterns():
        if route in roots:
            needed.add(route)
        elif route.startswith(EXCLUDED_PREFIXES) or module.startswith(EXCLUDED_MODULES):
            continue
        else:
            needed.add(route)
    return needed - {"_util/"}


def _table(section: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Access matrix")
    end = text.find("\n## ", start + 1)
    matrix = text[start:end if end != -1 else None]
    part = matrix[matrix.index(f"### {section}"):]
    following = part.find("\n### ", 1)
    part = part[:following if following != -1 else None]
    rows = []
    for line in part.splitlines():
        if not line.startswith("|") or set(line) <= set("|- :"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows.append(cells)
    header, *body = rows
    return [dict(zip(header, cells)) for cells in body]


def http_rows() -> list[dict]:
    rows = _table("HTTP")
    for row in rows:
        row["route"] = row["URL pattern"].strip("`")
    return rows


def socket_rows() -> list[dict]:
    return _table("Socket")


def test_every_url_pattern_has_a_row_and_every_row_a_pattern():
    rows = {row["route"] for row in http_rows()}
    existing = {route for route, _module in url_patterns()}
    missing = sorted(routes_needing_a_row() - rows)
    assert not missing, "URL patterns with no row in docs/security.md:\n" + "\n".join(missing)
    unknown = sorted(rows - existing)
    assert not unknown, "rows of docs/security.md naming no URL pattern:\n" + "\n".join(unknown)
    assert CATCH_ALL in rows


def test_the_walk_finds_app_library_and_catch_all_patterns():
    """The pattern list can fail: it holds the apps' routes and the libraries' ones it leaves out."""
    routes = dict(url_patterns())
    assert "cohorts/<int:pk>/dashboard/" in routes and CATCH_ALL in routes
    assert "accounts/login/" in routes and routes["accounts/login/"].startswith("allauth.")
    assert "accounts/login/" not in routes_needing_a_row() and "admin/" in routes_needing_a_row()
    assert len(routes_needing_a_row()) > 60


def test_the_table_is_well_formed_and_outsiders_are_never_told_an_object_exists():
    for row in http_rows():
        assert row["method"] in {"GET", "POST"}, row
        assert row["route"] in URLS, f"no object for {row['route']} in tests/access_world.py"
        for role in ROLES:
            assert row[role] in OUTCOMES, (row["route"], role, row[role])
        assert row["object"] in OBJECTS, row
        if row["object"] in {"cohort", "own", "community"}:
            for outsider in ("other learner", "other facilitator"):
                assert row[outsider] not in {"403", "400"}, f"{row['route']}: {outsider} must get 404, not {row[outsider]}"
            assert row["anonymous"] == "login", f"{row['route']}: anonymous people are sent to the login page"
    for row in socket_rows():
        for outsider in ("other learner", "other facilitator"):
            assert row[outsider] in {"4403", "-"}, (row["action"], outsider)


def _outcome(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if "/login/" in location:
            return "login"
        return "302"
    return str(response.status_code)


@pytest.fixture
def world(db):
    return build_world()


def observe_row(world, row) -> dict[str, str]:
    url = URLS[row["route"]](world)
    data = POST_DATA.get(row["route"], lambda w: {})(world)
    seen = {}
    for role in ROLES:
        with transaction.atomic():
            client = Client()
            user = world.users[role]
            if user is not None:
                client.force_login(user)
            response = client.post(url, data) if row["method"] == "POST" else client.get(url)
            seen[role] = _outcome(response)
            transaction.set_rollback(True)
        cache.clear()
    return seen


def test_every_cell_answers_as_the_table_says(world):
    mismatches, observed = [], []
    for row in http_rows():
        seen = observe_row(world, row)
        observed.append(f"| `{row['route']}` | {row['method']} | " + " | ".join(seen[r] for r in ROLES) + " |")
        for role in ROLES:
            if seen[role] != row[role]:
                mismatches.append(f"{row['method']} {row['route']} as {role}: table says {row[role]}, got {seen[role]}")
    if os.environ.get("ACCESS_MATRIX_PRINT"):
        print("\n".join(observed))
    assert not mismatches, "\n".join(mismatches)


# --- Socket actions (rooms consumer, /ws/rooms/<id>/, on cohort A's room) ---------------------------

SOCKET_FRAMES = {
    "message.send": lambda seq: {"type": "message.send", "client_id": f"matrix-{seq}", "body": "Bonjour"},
    "message.edit": lambda seq: {"type": "message.edit", "id": seq, "body": "Corrigé"},
    "message.delete": lambda seq: {"type": "message.delete", "id": seq},
    "message.hide": lambda seq: {"type": "message.hide", "id": seq},
    "message.restore": lambda seq: {"type": "message.restore", "id": seq},
    "message.pin": lambda seq: {"type": "message.pin", "id": seq},
    "message.unpin": lambda seq: {"type": "message.unpin", "id": seq},
    "message.report": lambda seq: {"type": "message.report", "id": seq, "reason": "Hors sujet"},
    "reaction.toggle": lambda seq: {"type": "reaction.toggle", "id": seq, "emoji": REACTION_EMOJIS[0]},
    "read": lambda seq: {"type": "read", "id": seq},
    "typing": lambda seq: {"type": "typing"},
    "history": lambda seq: {"type": "history", "before": seq + 1},
    "resume": lambda seq: {"type": "resume", "after": 0},
    "ping": lambda seq: {"type": "ping"},
}


def test_every_socket_action_has_a_row():
    rows = {row["action"] for row in socket_rows()}
    assert rows == {"connect", *SOCKET_FRAMES}, rows ^ {"connect", *SOCKET_FRAMES}
    assert set(SOCKET_FRAMES) - {"ping"} <= set(RoomConsumer.HANDLERS), "a frame type the consumer does not know"
    assert set(RoomConsumer.HANDLERS) <= set(SOCKET_FRAMES), "a consumer action with no row"


async def _answer(communicator) -> str:
    """"ok", or "error:<code>" when the server refused the frame just sent (a ping closes the exchange)."""
    await send(communicator, {"type": "ping"})
    errors = []
    while True:
        frame = await receive(communicator, timeout=5)
        if frame["type"] == "error":
            errors.append(frame["code"])
        elif frame["type"] == "pong":
            return f"error:{errors[0]}" if errors else "ok"


@pytest.mark.django_db(transaction=True)
async def test_every_socket_cell_answers_as_the_table_says():
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    world = await database_sync_to_async(build_world)()
    rows = {row["action"]: row for row in socket_rows()}
    learner = world.users["learner"]
    mismatches, observed = [], {action: {} for action in rows}

    def targets():  # one fresh message of the learner per cell, written before any socket opens
        seqs = {}
        for role in ROLES:
            for action in SOCKET_FRAMES:
                cache.clear()  # the learner's sending rate is not what is tested here
                client_id = f"{role}-{action}".replace(" ", "-")
                message, _new = message_post(room=world.room, author=learner, client_id=client_id, body="Cible")
                seqs[role, action] = message.seq
        return seqs

    target = await database_sync_to_async(targets)()
    # A room that does not exist closes with the outsiders' code: the code says nothing of existence.
    _communicator, connected, code = await connect(world.room.pk + 10_000, world.users["other learner"])
    assert not connected and code == 4403
    for role in ROLES:
        communicator, connected, code = await connect(world.room.pk, world.users[role])
        observed["connect"][role] = "open" if connected else str(code)
        for action, build in SOCKET_FRAMES.items():
            if not connected:
                observed[action][role] = "-"
                continue
            await database_sync_to_async(cache.clear)()  # no rate limit carried from one cell to the next
            await drain(communicator, timeout=0.05)
            await send(communicator, build(target[role, action]))
            observed[action][role] = await _answer(communicator)
        if connected:
            await communicator.disconnect()
    for action, row in rows.items():
        for role in ROLES:
            if observed[action][role] != row[role]:
                mismatches.append(f"{action} as {role}: table says {row[role]}, got {observed[action][role]}")
    if os.environ.get("ACCESS_MATRIX_PRINT"):
        print("\n".join(f"| {a} | " + " | ".join(observed[a][r] for r in ROLES) + " |" for a in observed))
    channel_layers.backends.clear()
    assert not mismatches, "\n".join(mismatches)
