"""Who is connected to which room, shared by every server process through the Django cache.

Presence is live-only and soft: each connection refreshes its entry on a heartbeat, entries
expire on their own (a killed process leaves nothing behind for long), and a lost update
between two processes is corrected by the next heartbeat. Never used for access decisions.
"""

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

PRESENCE_TTL = 75  # seconds; the client's heartbeat is every 25 s


def _room_key(room_id: int) -> str:
    return f"rooms:presence:room:{room_id}"


def _user_key(user_id: int) -> str:
    return f"rooms:presence:user:{user_id}"


def _live(entries: dict, now: float) -> dict:
    return {key: value for key, value in entries.items() if value[-1] > now}


def presence_touch(*, room_id: int, user_id: int, name: str, channel_name: str) -> None:
    """Record (or refresh) one connection of `user_id` in `room_id`."""
    now = time.time()
    try:
        room = _live(cache.get(_room_key(room_id)) or {}, now)
        room[channel_name] = (user_id, name, now + PRESENCE_TTL)
        cache.set(_room_key(room_id), room, PRESENCE_TTL)
        user = _live(cache.get(_user_key(user_id)) or {}, now)
        user[channel_name] = (now + PRESENCE_TTL,)
        cache.set(_user_key(user_id), user, PRESENCE_TTL)
    except Exception:  # noqa: BLE001 — presence must never break a room
        logger.info("presence: cache unavailable", exc_info=True)


def presence_leave(*, room_id: int, user_id: int, channel_name: str) -> None:
    now = time.time()
    try:
        room = _live(cache.get(_room_key(room_id)) or {}, now)
        room.pop(channel_name, None)
        cache.set(_room_key(room_id), room, PRESENCE_TTL)
        user = _live(cache.get(_user_key(user_id)) or {}, now)
        user.pop(channel_name, None)
        cache.set(_user_key(user_id), user, PRESENCE_TTL)
    except Exception:  # noqa: BLE001
        logger.info("presence: cache unavailable", exc_info=True)


def presence_in_room(room_id: int) -> list[dict]:
    """The people connected to the room now, once each, sorted by name."""
    try:
        entries = _live(cache.get(_room_key(room_id)) or {}, time.time())
    except Exception:  # noqa: BLE001
        return []
    people = {user_id: name for user_id, name, _ in entries.values()}
    return [{"id": user_id, "name": name} for user_id, name in sorted(people.items(), key=lambda item: item[1])]


def user_is_online(user_id: int) -> bool:
    """True while any connection of the user, in any room and any process, is fresh."""
    try:
        return bool(_live(cache.get(_user_key(user_id)) or {}, time.time()))
    except Exception:  # noqa: BLE001 — unknown counts as offline: better one e-mail too many than none
        return False
