"""Open room sockets follow every change of who may read the room, and every write re-checks.

Through the full ASGI application and the channel layer of the settings (in memory, or Redis in
CI's second stage); the multi-process form is in test_rooms_multiprocess.py.
"""

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from cohorts import services as cohort_services
from cohorts.models import Cohort, CohortMembership, GroupMembership
from lms.export import account_erase
from rooms.consumers import CLOSE_READ_ONLY, CLOSE_REVOKED
from rooms.models import Message, Room
from tests.rooms.factories import add_member, add_to_group, make_cohort, make_group_room, make_room_with_members
from tests.rooms.rooms_ws import connect, drain, joined, receive_until, send

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def closed_with(communicator, timeout: float = 2.0) -> tuple[int | None, float]:
    """Wait for the server to close the socket; returns (code, seconds taken)."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        output = await communicator.receive_output(timeout=deadline - time.monotonic())
        if output["type"] == "websocket.close":
            return output.get("code"), time.monotonic() - started
    return None, time.monotonic() - started


def _group_setup():
    cohort = make_cohort()
    group_a, room_a = make_group_room(cohort=cohort, name="Groupe A")
    group_b, _room_b = make_group_room(cohort=cohort, name="Groupe B")
    alice = add_member(cohort)
    bob = add_member(cohort)
    add_to_group(group_a, alice)
    add_to_group(group_a, bob)
    return cohort, group_a, group_b, room_a, alice, bob


async def test_learner_moved_out_of_a_group_is_disconnected_from_its_room_within_a_second():
    cohort, group_a, group_b, room_a, alice, bob = await db(_group_setup)()
    a, _ = await joined(room_a.pk, alice)
    b, _ = await joined(room_a.pk, bob)
    await db(cohort_services.group_member_move)(cohort=cohort, user_id=alice.pk, group=group_b)
    code, took = await closed_with(a)
    assert code == CLOSE_REVOKED and took < 1.0
    # Bob, still in the group, keeps his socket and hears nothing of Alice any more.
    await send(b, {"type": "ping"})
    assert (await receive_until(b, "pong"))["type"] == "pong"
    await b.disconnect()


async def test_a_moved_learner_cannot_post_even_if_the_close_event_never_arrives():
    cohort, group_a, group_b, room_a, alice, _bob = await db(_group_setup)()
    a, _ = await joined(room_a.pk, alice)
    # The membership changes without any event (as if the broadcast were lost).
    await db(GroupMembership.objects.filter(user=alice).update)(group=group_b)
    await send(a, {"type": "message.send", "client_id": "late-1", "body": "Encore là ?"})
    error = await receive_until(a, "error")
    assert error["code"] == "forbidden" and error["client_id"] == "late-1"
    assert not await db(Message.objects.filter(room=room_a).exists)()
    await a.disconnect()


async def test_re_forming_groups_closes_the_sockets_of_the_old_group_rooms():
    cohort, _group_a, _group_b, room_a, alice, _bob = await db(_group_setup)()
    a, _ = await joined(room_a.pk, alice)
    await db(cohort_services.groups_form)(cohort=cohort, size=2)
    code, took = await closed_with(a)
    assert code == CLOSE_REVOKED and took < 1.0
    assert not await db(Room.objects.filter(pk=room_a.pk).exists)()


async def test_closing_the_cohort_makes_its_rooms_read_only_and_closes_their_sockets():
    room, facilitator, (alice, _bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)
    f, _ = await joined(room.pk, facilitator)
    # The factory's cohort has no creator, which full_clean() refuses; cohort_close reads the stored row.
    await db(Cohort.objects.filter(pk=room.cohort_id).update)(created_by=facilitator)
    cohort = await db(Cohort.objects.get)(pk=room.cohort_id)
    await db(cohort_services.cohort_close)(cohort=cohort)
    assert (await closed_with(a))[0] == CLOSE_READ_ONLY
    assert (await closed_with(f))[0] == CLOSE_READ_ONLY
    # A new connection is refused with the same code, and the service refuses a write.
    _communicator, connected, code = await connect(room.pk, alice)
    assert not connected and code == CLOSE_READ_ONLY
    from rooms.services import RoomError, message_post

    with pytest.raises(RoomError) as refused:
        await db(message_post)(room=room, author=alice, client_id="after-close", body="Encore un mot")
    assert refused.value.code == "read_only"


async def test_removed_cohort_member_is_disconnected():
    room, _facilitator, (alice, bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    await db(CohortMembership.objects.filter(cohort_id=room.cohort_id, user=alice).delete)()
    assert (await closed_with(a))[0] == CLOSE_REVOKED
    await send(b, {"type": "ping"})
    assert (await receive_until(b, "pong"))["type"] == "pong"
    await b.disconnect()


async def test_facilitator_who_stops_facilitating_loses_the_room():
    room, facilitator, (alice, _bob) = await db(make_room_with_members)()
    f, _ = await joined(room.pk, facilitator)
    cohort = await db(Cohort.objects.get)(pk=room.cohort_id)
    await db(cohort_services.cohort_facilitators_set)(cohort=cohort, facilitators=[alice])
    assert (await closed_with(f))[0] == CLOSE_REVOKED


async def test_deactivated_account_is_disconnected_from_every_room():
    room, _facilitator, (alice, _bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)

    def deactivate():
        alice.is_active = False
        alice.save(update_fields=["is_active"])

    await db(deactivate)()
    assert (await closed_with(a))[0] == CLOSE_REVOKED


async def test_erased_account_is_disconnected_and_its_messages_read_former_participant_live_and_in_history():
    room, _facilitator, (alice, bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    await send(a, {"type": "message.send", "client_id": "before-erase", "body": "Mon dernier mot"})
    await receive_until(a, "ack")
    await receive_until(b, "message")
    stale_user = await db(type(alice).objects.get)(pk=alice.pk)  # as the socket authenticated it
    names = (alice.first_name, alice.last_name)
    await db(account_erase)(user=alice)
    code, took = await closed_with(a)
    assert code == CLOSE_REVOKED and took < 1.0
    # Even with the user object of before the erasure, nothing can be posted in her name.
    from rooms.services import RoomError, message_post

    with pytest.raises(RoomError):
        await db(message_post)(room=room, author=stale_user, client_id="after-erase", body="Toujours là")
    await send(b, {"type": "history", "before": 10})
    history = await receive_until(b, "history")
    author = history["messages"][0]["author"]
    assert author["name"] == "Ancien·ne participant·e" and author["profession"] == ""
    assert not any(name in str(history) for name in names)
    await b.disconnect()


async def test_access_changes_elsewhere_do_not_disturb_other_members():
    room, _facilitator, (alice, bob) = await db(make_room_with_members)()
    other_room, _f2, (carol, _dave) = await db(make_room_with_members)()
    b, _ = await joined(room.pk, bob)
    await db(CohortMembership.objects.filter(cohort_id=other_room.cohort_id, user=carol).delete)()
    await send(b, {"type": "ping"})
    assert (await receive_until(b, "pong"))["type"] == "pong"
    await asyncio.sleep(0.3)  # any access event has been handled by now: the socket is still open
    await send(b, {"type": "ping"})
    assert (await receive_until(b, "pong"))["type"] == "pong"
    await b.disconnect()


# --- The protocol, hardened --------------------------------------------------------------------


async def test_resume_frame_with_a_huge_after_is_clamped_to_the_last_message():
    room, _facilitator, (alice, bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    await send(b, {"type": "resume", "after": 10**12})
    assert (await receive_until(b, "resumed"))["last_id"] == 0
    await send(a, {"type": "message.send", "client_id": "x-1", "body": "Toujours entendu·e ?"})
    live = await receive_until(b, "message")
    assert live["message"]["id"] == 1
    await a.disconnect()
    await b.disconnect()


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,  # nesting far past the recursion limit
        '{"type": "message.send", "client_id": ' + "[" * 5000 + "]" * 5000 + ', "body": "x"}',
        '{"type": "message.send", "client_id": {"a": 1}, "body": "x"}',
        '{"type": "message.send", "client_id": "ok-1", "body": ["x"]}',
        '{"type": "message.send", "client_id": "ok-2", "body": "x", "reply_to": "1"}',
        '{"type": "reaction.toggle", "id": 1, "emoji": ["👍"]}',
        '{"type": "reaction.toggle", "id": 1, "emoji": {"a": 1}}',
        '{"type": "message.edit", "id": "1", "body": "x"}',
        '{"type": "message.report", "id": 1, "reason": 42}',
        '{"type": "history", "before": 1e400}',
        '{"type": "resume", "after": "9"}',
        '{"type": "read", "id": null}',
        '{"type": ["message.send"]}',
        '"just a string"',
        "null",
        "\ud800",
    ],
)
async def test_malformed_frames_get_an_error_frame_and_the_connection_stays_open(text):
    room, _facilitator, (alice, _bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)
    await a.send_to(text_data=text)
    frame = await receive_until(a, "error")
    assert frame["code"] in {"malformed", "invalid", "invalid_client_id", "not_found", "unknown_type", "frame_too_large"}
    await send(a, {"type": "ping"})
    assert (await receive_until(a, "pong"))["type"] == "pong"
    await a.disconnect()


async def test_oversized_frame_closes_with_a_valid_application_code():
    room, _facilitator, (alice, _bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)
    await a.send_to(text_data="x" * (300 * 1024))
    code, _took = await closed_with(a)
    assert code is not None and (code == 1000 or 3000 <= code <= 4999)


async def test_an_unknown_websocket_path_is_refused_before_accept():
    room, _facilitator, (alice, _bob) = await db(make_room_with_members)()
    for path in ("abc", "12x", ""):
        communicator, connected, code = await connect(path, alice)  # type: ignore[arg-type]
        assert not connected and code == 4404, path


async def test_edits_and_reactions_are_rate_limited(settings):
    settings.ROOMS_RATE_LIMIT_ACTIONS = 5
    settings.ROOMS_RATE_LIMIT_SECONDS = 3600  # one window for the whole test (fixed windows roll over)
    room, _facilitator, (alice, _bob) = await db(make_room_with_members)()
    a, _ = await joined(room.pk, alice)
    await send(a, {"type": "message.send", "client_id": "rl-1", "body": "À corriger"})
    await receive_until(a, "ack")
    for n in range(8):
        await send(a, {"type": "message.edit", "id": 1, "body": f"Version {n}"})
    frames = await drain(a, timeout=0.5)
    errors = [f for f in frames if f["type"] == "error"]
    assert errors and all(e["code"] == "rate_limited" for e in errors)
    stored = await db(lambda: Message.objects.get(room=room, seq=1).revisions.count())()
    assert stored == 5
    await send(a, {"type": "reaction.toggle", "id": 1, "emoji": "👍"})
    assert (await receive_until(a, "error"))["code"] == "rate_limited"
    await a.disconnect()


async def test_typing_is_rate_limited_per_person_across_connections(settings):
    settings.ROOMS_RATE_LIMIT_TYPING = 2
    settings.ROOMS_RATE_LIMIT_SECONDS = 3600
    room, _facilitator, (alice, bob) = await db(make_room_with_members)()
    b, _ = await joined(room.pk, bob)
    sockets = [(await joined(room.pk, alice))[0] for _ in range(4)]
    await drain(b)
    for socket in sockets:
        await send(socket, {"type": "typing"})
    frames = await drain(b, timeout=0.5)
    assert len([f for f in frames if f["type"] == "typing"]) == 2
    for socket in [*sockets, b]:
        await socket.disconnect()
