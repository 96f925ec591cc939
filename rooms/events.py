"""The one exit for real-time room events: nothing else in the product touches the channel layer
(`bench/consumers.py`, the benchmarks' bare floor, is outside it on purpose).

Services build a plain dict and call `room_event_send` after their transaction commits; the
consumer subscribes and unsubscribes through `room_subscribe` / `room_unsubscribe` and sends
live-only events (typing, presence) through `room_event_send_async`.

Every connection also listens on its person's group (`user_group`), so that a change of who
may read a room reaches the sockets concerned on every process: `access_changed` (after commit)
asks them to check their access again, and they close when it is gone (docs/realtime.md).

A failed broadcast (Redis down) is logged and swallowed: the message is already stored and
every client gets it when it resumes, so a broadcast is an optimisation, never the record.
https://channels.readthedocs.io/en/stable/topics/channel_layers.html
"""

import asyncio
import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from rooms.asgiref_adapter import server_event_loop

logger = logging.getLogger(__name__)

__all__ = [
    "room_group",
    "user_group",
    "room_event_send",
    "room_event_send_async",
    "room_subscribe",
    "room_unsubscribe",
    "access_changed",
    "live_group",
    "live_event_send",
    "live_event_send_async",
    "live_subscribe",
    "live_unsubscribe",
]


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    """Every open room socket of one person, whatever the room and the process."""
    return f"user.{user_id}"


def _envelope(event: dict) -> dict:
    # The JSON frame is serialised once here rather than once per recipient in each consumer.
    return {"type": "room.event", "event": event, "text": json.dumps(event, ensure_ascii=False)}


async def room_event_send_async(*, room_id: int, event: dict) -> bool:
    """Broadcast `event` to every connection of the room; False (and a log line) when the layer fails."""
    layer = get_channel_layer()
    try:
        await layer.group_send(room_group(room_id), _envelope(event))
    except Exception:  # noqa: BLE001 — any layer failure (Redis down, full) must not lose the stored message
        logger.warning("room %s: broadcast of %s failed", room_id, event.get("type"), exc_info=True)
        return False
    return True


def room_event_send(*, room_id: int, event: dict) -> bool:
    """Synchronous form of `room_event_send_async`, for services (called from `on_commit`).

    Called from a consumer's database thread, the broadcast is handed to the server's event loop
    without waiting for it: that thread is shared by every connection of the process, and must
    not stand idle while Redis answers. Order is kept by the consumers (see `RoomConsumer._deliver`).
    Called from plain synchronous code (a view, a command), it waits for the broadcast.
    """
    loop = server_event_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(room_event_send_async(room_id=room_id, event=event), loop)
        return True
    return async_to_sync(room_event_send_async)(room_id=room_id, event=event)


async def room_subscribe(*, room_id: int, user_id: int, channel_name: str) -> None:
    """Add a connection to the room's group and its person's; raises when the layer is unavailable."""
    layer = get_channel_layer()
    await layer.group_add(room_group(room_id), channel_name)
    await layer.group_add(user_group(user_id), channel_name)


async def room_unsubscribe(*, room_id: int, user_id: int, channel_name: str) -> None:
    layer = get_channel_layer()
    for group in (room_group(room_id), user_group(user_id)):
        try:
            await layer.group_discard(group, channel_name)
        except Exception:  # noqa: BLE001 — group_expiry will drop it
            logger.info("room %s: could not leave the group %s", room_id, group, exc_info=True)


ACCESS_CHECK = {"type": "access.check"}


async def _access_check_send(groups: list[str]) -> None:
    layer = get_channel_layer()
    for group in groups:
        try:
            await layer.group_send(group, ACCESS_CHECK)
        except Exception:  # noqa: BLE001 — the next write of each socket re-checks anyway
            logger.warning("access check to %s failed", group, exc_info=True)


def access_changed(*, user_ids=(), room_ids=()) -> None:
    """Once the current transaction commits, ask the open sockets of these people and rooms to
    check their access again (they close if it is gone). Call it for any change of who may read
    a room; `rooms/signals.py` calls it for every membership, cohort and account change."""
    groups = [user_group(pk) for pk in sorted(set(user_ids))] + [room_group(pk) for pk in sorted(set(room_ids))]
    if not groups:
        return

    def send():
        loop = server_event_loop()
        if loop is not None:
            asyncio.run_coroutine_threadsafe(_access_check_send(groups), loop)
        else:
            async_to_sync(_access_check_send)(groups)

    transaction.on_commit(send, robust=True)


# --- Live case sessions (cohorts' live runs; docs/realtime.md, "Live case sessions") ----------
# cohorts stores a run's step, numbers it, and after the commit calls its `live_run_event` hook,
# which lands here: the same one exit, another group per run.


def live_group(run_id: int) -> str:
    return f"live.{run_id}"


def live_staff_group(run_id: int) -> str:
    """The run's facilitators' sockets only."""
    return f"live.{run_id}.staff"


# Frames only the facilitators' panel reads (a poll's count of answers, who is present): sent to
# them alone. Sixty learners answering a poll at once made 60 x 61 tally frames when every socket
# got them; learners' pages ignore both (static/js/live.js).
STAFF_ONLY_FRAMES = {"live.tally", "live.presence"}


def _live_envelope(frame: dict) -> dict:
    return {"type": "live.frame", "frame": frame, "text": json.dumps(frame, ensure_ascii=False)}


async def live_event_send_async(*, run_id: int, frame: dict) -> bool:
    """Broadcast a frame to every socket of the run; False (and a log line) when the layer fails:
    the step is stored, and clients get it when they resume."""
    group = live_staff_group(run_id) if frame.get("type") in STAFF_ONLY_FRAMES else live_group(run_id)
    try:
        await get_channel_layer().group_send(group, _live_envelope(frame))
    except Exception:  # noqa: BLE001 — the stored step is the record
        logger.warning("live run %s: broadcast of %s failed", run_id, frame.get("kind") or frame.get("type"), exc_info=True)
        return False
    return True


def live_event_send(*, run_id: int, frame: dict) -> bool:
    """Synchronous form, for services after commit (see `room_event_send`)."""
    loop = server_event_loop()
    if loop is not None:
        asyncio.run_coroutine_threadsafe(live_event_send_async(run_id=run_id, frame=frame), loop)
        return True
    return async_to_sync(live_event_send_async)(run_id=run_id, frame=frame)


async def live_subscribe(*, run_id: int, user_id: int, channel_name: str, staff: bool = False) -> None:
    """Add a connection to the run's group and its person's (access checks), and a facilitator's to
    the run's staff group (`STAFF_ONLY_FRAMES`); raises when the layer is down."""
    layer = get_channel_layer()
    await layer.group_add(live_group(run_id), channel_name)
    await layer.group_add(user_group(user_id), channel_name)
    if staff:
        await layer.group_add(live_staff_group(run_id), channel_name)


async def live_unsubscribe(*, run_id: int, user_id: int, channel_name: str) -> None:
    layer = get_channel_layer()
    for group in (live_group(run_id), live_staff_group(run_id), user_group(user_id)):
        try:
            await layer.group_discard(group, channel_name)
        except Exception:  # noqa: BLE001 — group_expiry will drop it
            logger.info("live run %s: could not leave the group %s", run_id, group, exc_info=True)
