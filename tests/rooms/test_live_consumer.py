"""The live-session WebSocket (/ws/live/<run id>/), through the full ASGI application: who may
connect, steps delivered once and in order, a latecomer or a reconnecting page resuming from the
number its page was rendered with, poll answers over the socket, and the end of the run."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from cohorts import live_services as live
from cohorts.models import LiveAttendance, LiveRun, LiveRunEvent
from config.asgi import application
from lms.models import DecisionAnswer
from rooms.consumers import CLOSE_FORBIDDEN, CLOSE_READ_ONLY, CLOSE_REVOKED, CLOSE_UNAUTHENTICATED
from tests.factories_cohorts import LiveWorld
from tests.rooms.rooms_ws import drain, receive, receive_until, send, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def _connect(run_id: int, user=None, *, after: int | None = None):
    headers = [(b"origin", b"http://testserver")]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await session_cookie(user)}".encode()))
    path = f"/ws/live/{run_id}/" + (f"?after={after}" if after is not None else "")
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _joined(run_id: int, user, **kwargs):
    communicator, connected, code = await _connect(run_id, user, **kwargs)
    assert connected, code
    opening = []
    while True:
        frame = await receive(communicator)
        opening.append(frame)
        if frame["type"] == "live.resumed":
            return communicator, opening


def _steps(frames) -> list[int]:
    return [f["seq"] for f in frames if f["type"] == "live.event"]


@db
def _world_and_run():
    world = LiveWorld(per_profession=1, groups=1)
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    return world, run


async def test_outsiders_and_anonymous_visitors_are_refused_before_accept():
    world, run = await _world_and_run()
    for user, code in ((None, CLOSE_UNAUTHENTICATED), (world.other_learner, CLOSE_FORBIDDEN), (world.other_facilitator, CLOSE_FORBIDDEN)):
        _c, connected, got = await _connect(run.pk, user)
        assert (connected, got) == (False, code)
    _c, connected, got = await _connect(run.pk + 1000, world.learners[0])
    assert (connected, got) == (False, CLOSE_FORBIDDEN)
    assert not await db(LiveAttendance.objects.exists)()


async def test_a_reveal_reaches_every_participant_once_and_attendance_is_recorded():
    world, run = await _world_and_run()
    sockets = [(await _joined(run.pk, user, after=1))[0] for user in world.learners]
    fac, _ = await _joined(run.pk, world.facilitator, after=1)
    await db(live.live_reveal_next)(run=run, actor=world.facilitator)
    for communicator in [*sockets, fac]:
        frames = await drain(communicator, timeout=0.5)
        events = [f for f in frames if f["type"] == "live.event"]
        assert [(e["seq"], e["kind"], e["data"]["title"]) for e in events] == [(2, "reveal", "La crise des urgences")]
        await communicator.disconnect()
    assert await db(LiveAttendance.objects.count)() == 3  # the learners, not the facilitator


async def test_a_latecomer_gets_every_step_after_the_number_its_page_was_rendered_with():
    world, run = await _world_and_run()
    await db(live.live_reveal_next)(run=run, actor=world.facilitator)
    await db(live.live_debrief_open)(run=run, actor=world.facilitator)
    late, opening = await _joined(run.pk, world.learners[0], after=1)
    assert _steps(opening) == [2, 3] and opening[-1] == {"type": "live.resumed", "run": run.pk, "last_seq": 3}
    # Without ?after, the page is current: nothing is replayed.
    now, opening = await _joined(run.pk, world.learners[1])
    assert _steps(opening) == [] and opening[-1]["last_seq"] == 3
    await late.disconnect()
    await now.disconnect()


async def test_a_missed_broadcast_is_filled_from_the_database_and_a_duplicate_is_dropped():
    world, run = await _world_and_run()
    learner, _ = await _joined(run.pk, world.learners[0], after=1)

    @db
    def store_without_broadcast():
        locked = LiveRun.objects.get(pk=run.pk)
        locked.last_seq = 2
        locked.save()
        LiveRunEvent.objects.create(run=locked, seq=2, kind="reveal", data={"title": "perdu"})

    await store_without_broadcast()
    await db(live.live_debrief_open)(run=run, actor=world.facilitator)  # step 3 arrives first
    frames = await drain(learner, timeout=0.8)
    assert _steps(frames) == [2, 3]
    # The same step broadcast again (two processes, a retry) is not sent twice.
    from rooms import events
    from cohorts.live_selectors import event_frame

    event = await db(LiveRunEvent.objects.get)(run=run, seq=3)
    await events.live_event_send_async(run_id=run.pk, frame=event_frame(event))
    assert _steps(await drain(learner, timeout=0.5)) == []
    await learner.disconnect()


async def test_a_resume_frame_replays_after_the_given_number():
    world, run = await _world_and_run()
    await db(live.live_reveal_next)(run=run, actor=world.facilitator)
    learner, _ = await _joined(run.pk, world.learners[0])
    await send(learner, {"type": "resume", "after": 0})
    # Presence frames (its own arrival, broadcast through the layer) may come at any point on Redis.
    frames = [f for f in await drain(learner, timeout=0.5) if f["type"] != "live.presence"]
    assert _steps(frames) == [1, 2] and frames[-1]["type"] == "live.resumed"
    await send(learner, {"type": "resume", "after": "x"})
    assert (await receive_until(learner, "error"))["code"] == "invalid"
    await learner.disconnect()


async def test_a_poll_answer_over_the_socket_is_stored_once_and_the_panel_is_told_the_count():
    world, run = await _world_and_run()
    await db(live.live_reveal_next)(run=run, actor=world.facilitator)
    await db(live.live_poll_open)(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    fac, _ = await _joined(run.pk, world.facilitator)
    learner, _ = await _joined(run.pk, world.learners[0])
    await drain(fac, timeout=0.3)
    frame = {"type": "poll.answer", "client_id": "a1", "option_id": world.option(world.d1, 2), "rationale": "L'ARS arbitre", "named": True}
    await send(learner, frame)
    learner_frames = await drain(learner, timeout=0.5)
    answered = [f for f in learner_frames if f["type"] == "poll.answered"]
    assert answered and answered[0]["client_id"] == "a1"
    tallies = [f for f in await drain(fac, timeout=0.5) if f["type"] == "live.tally"]
    assert tallies == [{"type": "live.tally", "run": run.pk, "poll": answered[0]["poll"], "answered": 1}]
    # The count and the presence are the panel's: learners' sockets are not sent them.
    assert not {f["type"] for f in learner_frames} & {"live.tally", "live.presence"}
    await send(learner, frame)  # a retry
    await drain(learner, timeout=0.3)
    assert await db(DecisionAnswer.objects.filter(user=world.learners[0]).count)() == 1
    # The facilitator cannot vote; a malformed answer gets an error frame and stores nothing.
    await send(fac, {"type": "poll.answer", "option_id": world.option(world.d1, 0)})
    assert [f["code"] for f in await drain(fac, timeout=0.5) if f["type"] == "error"] == ["forbidden"]
    other, _ = await _joined(run.pk, world.learners[1])
    await send(other, {"type": "poll.answer", "option_id": ["x"]})
    assert [f["code"] for f in await drain(other, timeout=0.5) if f["type"] == "error"] == ["invalid"]
    await send(other, {"type": "poll.answer", "option_id": "nope"})
    assert [f["type"] for f in await drain(other, timeout=0.5) if f["type"] != "live.presence"] == ["error"]
    assert await db(DecisionAnswer.objects.filter(user=world.learners[1]).count)() == 0
    for communicator in (fac, learner, other):
        await communicator.disconnect()


async def test_the_end_is_delivered_then_the_socket_closes_and_an_ended_run_refuses_connections():
    world, run = await _world_and_run()
    learner, _ = await _joined(run.pk, world.learners[0])
    await db(live.live_run_end)(run=run, actor=world.facilitator)
    frame = await receive(learner)
    while frame["type"] != "live.event":
        frame = await receive(learner)
    assert frame["kind"] == "end"
    assert (await learner.receive_output(timeout=2))["code"] == CLOSE_READ_ONLY
    _c, connected, code = await _connect(run.pk, world.learners[0])
    assert (connected, code) == (False, CLOSE_READ_ONLY)


async def test_a_learner_removed_from_the_cohort_is_disconnected():
    world, run = await _world_and_run()
    learner, _ = await _joined(run.pk, world.learners[0])
    from cohorts.models import CohortMembership

    await db(CohortMembership.objects.filter(cohort=world.cohort, user=world.learners[0]).delete)()
    output = await learner.receive_output(timeout=3)
    while output["type"] != "websocket.close":
        output = await learner.receive_output(timeout=3)
    assert output["code"] == CLOSE_REVOKED
