"""The room WebSocket: authenticate, authorise, parse frames, call a service, deliver in order.

Protocol: docs/realtime.md. Delivery guarantees live here, in `_deliver`: every connection
keeps the highest message id it has sent; a live message at or below it is a duplicate and
dropped; a live message beyond the next expected id means something was missed (a dropped
broadcast, a full channel, a reordering between processes) and the message waits a moment
(REORDER_WAIT) for the missing one, then the gap is filled from the database. So each client receives every stored message once, in order.
"""

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import connection
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_socket_bind
from accounts.i18n import in_recipient_language
from rooms import events, presence, services
from rooms.models import Room
from rooms.selectors import (
    NO_ACCESS,
    message_payload,
    room_access,
    room_messages_after,
    room_messages_before,
    visible_payload,
)
from rooms.services import RoomError

logger = logging.getLogger(__name__)

# Close codes (also in docs/realtime.md). Refusals happen before accept(), so a browser sees a
# failed handshake (HTTP 403); the code is what the ASGI server and the tests see. An application
# may only close with 1000 or 3000-4999 (RFC 6455 section 7.4.2): daphne turns any other code into
# an abrupt close, so protocol violations use 44xx codes too.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_READ_ONLY = 4409  # the room's cohort is closed: the history stays readable on the room page
CLOSE_REVOKED = 4410  # access lost while connected (removed, group re-formed, account deactivated or erased)
CLOSE_TOO_LARGE = 4413
CLOSE_UNAVAILABLE = 4503

MAX_FRAME = 16 * 1024  # characters: a 4,000-character message fits with room to spare
CLOSE_FRAME = 256 * 1024  # beyond this the connection is closed rather than answered
RESUME_PAGE = 200
HISTORY_PAGE = 50
TYPING_INTERVAL = 2.0
# Joins and leaves are broadcast while the room has at most this many people connected; beyond,
# each newcomer still gets the full list, but a thousand joins must not cost a million frames.
PRESENCE_BROADCAST_MAX = 100
REORDER_WAIT = 0.3  # seconds a live message waits for a missing earlier one before a database catch-up
REORDER_MAX = 100  # live messages held back at most; beyond, catch up from the database at once  # seconds between two typing broadcasts of one connection


def _int_or_none(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


class GuardedConsumer(AsyncWebsocketConsumer):
    """What every socket of the platform does before it accepts and with each frame it receives: the
    room socket below and the live-session socket (`rooms/live.py`) share these steps, so their
    refusals and their frame checks are the same (docs/realtime.md, close codes).

    `admit(check, subscribe)`: the person must be signed in (else 4401); `check()` (a coroutine of the
    consumer) answers the close code refusing them (4403, 4409…) or None; then the consumer's groups are
    joined (`subscribe()`; the channel layer down: 4503, the client retries) and the handshake accepted.
    `receive`: a frame must be text of at most MAX_FRAME characters (beyond CLOSE_FRAME the socket
    is closed), a JSON object with a string `type` naming one of the consumer's `HANDLERS`; the
    consumer's `run_handler` calls it and turns its refusals into error frames."""

    HANDLERS: dict = {}
    log_name = "socket"
    subscribed = False

    async def dispatch(self, message):
        """Channels' dispatch, without its thread hop before every handler.

        Since 4.2, Channels runs `close_old_connections` in a worker thread before each handler, for
        handlers that use the ORM directly. These sockets read and write only through
        `database_sync_to_async`, which does the same, before and after, in the thread each call runs
        in; the extra hop cost a thread round trip per delivered message (bench/chat.py, issue 14)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def admit(self, *, check, subscribe) -> bool:
        """True once accepted; False when the socket was closed with the refusal's code."""
        self.user = self.scope.get("user")
        self.subscribed = False
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        refusal = await check()
        if refusal is not None:
            await self.close(code=refusal)
            return False
        try:
            await subscribe()
        except Exception:  # noqa: BLE001 — channel layer down: refuse, the client retries with back-off
            logger.warning("%s: channel layer unavailable", self.log_name, exc_info=True)
            await self.close(code=CLOSE_UNAVAILABLE)
            return False
        self.subscribed = True
        await self.accept()
        return True

    def _after_from_query(self) -> int | None:
        """`?after=<n>`: the number of the last item the client's page holds (None when absent)."""
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("after")
        return int(values[0]) if values and values[0].isdigit() else None

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self._error("binary_not_supported", _("Les trames binaires ne sont pas acceptées."))
            return
        if len(text_data) > CLOSE_FRAME:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if len(text_data) > MAX_FRAME:
            await self._error("frame_too_large", _("Trame trop volumineuse."))
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
            await self._error("malformed", _("Trame JSON illisible."))
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self._error("malformed", _("Une trame est un objet JSON avec un champ « type »."))
            return
        handler = self.HANDLERS.get(frame["type"])
        if handler is None:
            await self._error("unknown_type", _("Type de trame inconnu."), frame_type=frame["type"][:40])
            return
        try:
            await self.run_handler(handler, frame)
        except Exception:  # noqa: BLE001 — one bad frame must not end the connection
            logger.exception("%s: frame %s failed", self.log_name, frame.get("type"))
            await self._error("server_error", _("Erreur du serveur : réessayez."), client_id=frame.get("client_id"))

    async def run_handler(self, handler, frame):
        await handler(self, frame)

    async def _error(self, code: str, detail, **extra):
        # Error texts are read by the person on the page: in their interface language.
        with in_recipient_language(user=self.scope.get("user")):
            frame = {"type": "error", "code": code, "detail": str(detail)}
        # Echo only well-formed identifiers: the client's values may be anything (nested, huge).
        if isinstance(extra.get("client_id"), str) and len(extra["client_id"]) <= 64:
            frame["client_id"] = extra["client_id"]
        if _int_or_none(extra.get("id")) is not None:
            frame["id"] = extra["id"]
        if isinstance(extra.get("frame_type"), str):
            frame["frame_type"] = extra["frame_type"]
        await self._send_json(frame)

    async def _send_json(self, frame: dict):
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))


class RoomConsumer(GuardedConsumer):
    """One member's connection to one room."""

    room: Room
    can_moderate: bool
    delivered: int

    # --- Connection -----------------------------------------------------------------------

    async def connect(self):
        self.room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        self.log_name = f"room {self.room_id}"
        admitted = await self.admit(check=self._admission, subscribe=lambda: events.room_subscribe(
            room_id=self.room_id, user_id=self.user.pk, channel_name=self.channel_name))
        if not admitted:
            return
        await self._catch_up(final=True)
        online = await self._presence_touch()
        await self._send_json({"type": "presence", "online": online})
        if len(online) <= PRESENCE_BROADCAST_MAX:
            await events.room_event_send_async(room_id=self.room_id, event={"type": "presence.join", "user": self._me()})

    async def disconnect(self, code):
        if not getattr(self, "subscribed", False):
            return
        self.subscribed = False
        if self.gap_timer is not None:
            self.gap_timer.cancel()
        await events.room_unsubscribe(room_id=self.room_id, user_id=self.user.pk, channel_name=self.channel_name)
        await database_sync_to_async(presence.presence_leave, thread_sensitive=False)(
            room_id=self.room_id, user_id=self.user.pk, channel_name=self.channel_name
        )
        online = await database_sync_to_async(presence.presence_in_room, thread_sensitive=False)(self.room_id)
        if len(online) < PRESENCE_BROADCAST_MAX and all(person["id"] != self.user.pk for person in online):
            await events.room_event_send_async(room_id=self.room_id, event={"type": "presence.leave", "user": self._me()})

    async def _admission(self) -> int | None:
        """The room must exist and be readable (else 4403) and writable (else 4409, cohort closed).
        Then the socket's state is set, before subscribing: anything committed in between is
        fetched by the catch-up after the handshake."""
        found = await self._load_room()
        if found is None or not found[1].can_read:
            return CLOSE_FORBIDDEN
        self.room, access = found
        if not access.can_write:
            return CLOSE_READ_ONLY
        self.can_moderate = access.can_moderate
        audit_socket_bind(self.scope)  # moderation and rate limits of this socket are recorded with its address
        after = self._after_from_query()
        self.delivered = self.room.last_message_seq if after is None else min(after, self.room.last_message_seq)
        self.last_typing = 0.0
        self.delivery_lock = asyncio.Lock()
        self.reorder: dict[int, tuple[dict, str | None]] = {}
        self.gap_timer = None
        self.gap_task = None
        return None

    @database_sync_to_async
    def _load_room(self):
        room = Room.objects.filter(pk=self.room_id).first()
        if room is None:
            return None
        return room, room_access(user=self.user, room=room)

    async def _access_recheck(self) -> bool:
        """Check again, from the database, that this person may still use the room; close the
        socket when not. True while the connection stays open."""
        found = await self._load_room()
        access = NO_ACCESS if found is None else found[1]
        if not access.can_read:
            await self.close(code=CLOSE_REVOKED)
            return False
        if not access.can_write:
            await self.close(code=CLOSE_READ_ONLY)
            return False
        self.can_moderate = access.can_moderate
        return True

    # --- Frames from the client -------------------------------------------------------------

    async def run_handler(self, handler, frame):
        try:
            await handler(self, frame)
        except RoomError as error:
            await self._error(error.code, error.message, client_id=frame.get("client_id"), id=frame.get("id"))

    async def on_send(self, frame):
        client_id = frame.get("client_id")
        # On PostgreSQL, in the pool of database threads rather than the process's one shared
        # thread: writers (to other rooms, and this message's preparation) do not queue behind
        # each other; the room's row lock still orders the writes of one room. SQLite takes one
        # writer at a time, so there the shared thread stays.
        parallel = connection.vendor != "sqlite"
        message, _created = await database_sync_to_async(services.message_post, thread_sensitive=not parallel)(
            room=self.room,
            author=self.user,
            client_id=client_id,
            body=frame.get("body"),
            reply_to=frame.get("reply_to"),
        )
        await self._send_json({"type": "ack", "client_id": client_id, "id": message.seq})

    async def on_edit(self, frame):
        await database_sync_to_async(services.message_edit)(
            room=self.room, seq=self._seq(frame), user=self.user, body=frame.get("body")
        )

    async def on_delete(self, frame):
        await database_sync_to_async(services.message_delete)(room=self.room, seq=self._seq(frame), user=self.user)

    async def on_hide(self, frame):
        hidden = frame["type"] == "message.hide"
        await database_sync_to_async(services.message_hide)(
            room=self.room, seq=self._seq(frame), user=self.user, hidden=hidden
        )

    async def on_pin(self, frame):
        pinned = frame["type"] == "message.pin"
        await database_sync_to_async(services.message_pin)(
            room=self.room, seq=self._seq(frame), user=self.user, pinned=pinned
        )

    async def on_report(self, frame):
        seq = self._seq(frame)
        await database_sync_to_async(services.message_report)(
            room=self.room, seq=seq, user=self.user, reason=frame.get("reason") or ""
        )
        await self._send_json({"type": "reported", "id": seq})

    async def on_react(self, frame):
        await database_sync_to_async(services.reaction_toggle)(
            room=self.room, seq=self._seq(frame), user=self.user, emoji=frame.get("emoji")
        )

    async def on_read(self, frame):
        marker = await database_sync_to_async(services.read_marker_set)(
            room=self.room, user=self.user, seq=self._seq(frame)
        )
        await self._send_json({"type": "read", "id": marker})

    async def on_typing(self, frame):
        now = time.monotonic()
        if now - self.last_typing < TYPING_INTERVAL:
            return
        self.last_typing = now
        # Per person too, whatever the number of their connections.
        if not await database_sync_to_async(services.typing_allowed, thread_sensitive=False)(user_id=self.user.pk):
            return
        await events.room_event_send_async(
            room_id=self.room_id, event={"type": "typing", "user": {"id": self.user.pk, "name": self.user.display_name}}
        )

    async def on_ping(self, frame):
        # Every ping (each 25 s) re-checks access: a safety net should an access event be lost.
        if not await self._access_recheck():
            return
        await self._presence_touch()
        await self._send_json({"type": "pong"})

    async def on_resume(self, frame):
        after = _int_or_none(frame.get("after"))
        if after is None or after < 0:
            raise RoomError("invalid", _("« after » doit être un entier positif ou nul."))
        if not await self._access_recheck():
            return
        # Never beyond the room's last message: a client that claims more would miss what comes next.
        last = await database_sync_to_async(self._last_seq, thread_sensitive=False)()
        async with self.delivery_lock:
            self.delivered = min(after, last)
            await self._catch_up_locked(final=True)

    def _last_seq(self) -> int:
        return Room.objects.filter(pk=self.room_id).values_list("last_message_seq", flat=True).first() or 0

    async def on_history(self, frame):
        before = _int_or_none(frame.get("before"))
        if before is None or before < 1:
            raise RoomError("invalid", _("« before » doit être un entier strictement positif."))
        if not await self._access_recheck():
            return
        page = await database_sync_to_async(room_messages_before, thread_sensitive=False)(room=self.room, before=before, limit=HISTORY_PAGE + 1)
        has_more = len(page) > HISTORY_PAGE
        page = page[-HISTORY_PAGE:]
        payloads = [self._visible(message_payload(m)) for m in page]  # reactions were prefetched
        await self._send_json({"type": "history", "messages": payloads, "has_more": has_more})

    HANDLERS = {
        "message.send": on_send,
        "message.edit": on_edit,
        "message.delete": on_delete,
        "message.hide": on_hide,
        "message.restore": on_hide,
        "message.pin": on_pin,
        "message.unpin": on_pin,
        "message.report": on_report,
        "reaction.toggle": on_react,
        "read": on_read,
        "typing": on_typing,
        "ping": on_ping,
        "resume": on_resume,
        "history": on_history,
    }

    # --- Events from the room group -------------------------------------------------------

    async def access_check(self, event):
        """Who may read a room changed (events.access_changed): stay only while still allowed."""
        await self._access_recheck()

    async def room_event(self, envelope):
        event = envelope["event"]
        kind = event["type"]
        if kind == "message":
            await self._deliver(event, envelope.get("text"))
        elif kind == "typing":
            if event["user"]["id"] != self.user.pk:
                await self.send(text_data=envelope["text"])
        elif kind == "message.updated" and event["message"].get("hidden") and not self.can_moderate:
            await self._send_json({**event, "message": self._visible(event["message"])})
        else:
            await self.send(text_data=envelope["text"])

    async def _deliver(self, event: dict, text: str | None):
        seq = event["message"]["id"]
        async with self.delivery_lock:
            if seq <= self.delivered or seq in self.reorder:
                return  # already sent (or waiting to be): never twice
            self.reorder[seq] = (event, text)
            await self._flush_in_order()
            if self.reorder and self.gap_timer is None:
                # Broadcasts from two processes can cross: give the missing one a moment to arrive
                # before asking the database for it.
                self.gap_timer = asyncio.get_running_loop().call_later(REORDER_WAIT, self._gap_expired)
            if len(self.reorder) > REORDER_MAX:
                await self._catch_up_locked(final=False)

    async def _flush_in_order(self):
        while self.delivered + 1 in self.reorder:
            event, text = self.reorder.pop(self.delivered + 1)
            self.delivered += 1
            if text is None or event["message"].get("hidden"):
                await self._send_json({**event, "message": self._visible(event["message"])})
            else:
                await self.send(text_data=text)
        if not self.reorder and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None

    def _gap_expired(self):
        self.gap_timer = None
        self.gap_task = asyncio.ensure_future(self._fill_gap())

    async def _fill_gap(self):
        async with self.delivery_lock:
            if self.reorder:
                await self._catch_up_locked(final=False)

    async def _catch_up(self, *, final: bool):
        async with self.delivery_lock:
            await self._catch_up_locked(final=final)

    async def _catch_up_locked(self, *, final: bool):
        """Send every stored message after `self.delivered`, in order, in pages. A live connection
        waiting for a gap reads the gap only, not again the messages it holds already."""
        if not final:
            while self.reorder:
                gap_end = min(self.reorder)
                page = await database_sync_to_async(self._page_after, thread_sensitive=False)(self.delivered, gap_end)
                if page:
                    self.delivered = page[-1]["id"]
                    await self._send_json({"type": "resume", "messages": page})
                if self.delivered + 1 < gap_end:
                    break  # not all of the gap is stored (yet): read everything after it below
                await self._flush_in_order()
            else:
                return
        while True:
            page = await database_sync_to_async(self._page_after, thread_sensitive=False)(self.delivered)
            if page:
                self.delivered = page[-1]["id"]
                await self._send_json({"type": "resume", "messages": page})
            if len(page) < RESUME_PAGE:
                break
        self.reorder = {seq: item for seq, item in self.reorder.items() if seq > self.delivered}
        await self._flush_in_order()
        if final:
            await self._send_json({"type": "resumed", "last_id": self.delivered})

    def _page_after(self, after: int, before: int | None = None) -> list[dict]:
        messages = room_messages_after(room=self.room, after=after, before=before, limit=RESUME_PAGE)
        return [self._visible(message_payload(m)) for m in messages]

    # --- Helpers ----------------------------------------------------------------------------

    def _visible(self, payload: dict) -> dict:
        return visible_payload(payload, can_moderate=self.can_moderate)

    @staticmethod
    def _seq(frame: dict) -> int:
        seq = _int_or_none(frame.get("id"))
        if seq is None or seq < 0:
            raise RoomError("invalid", _("« id » doit être un numéro de message."))
        return seq

    def _me(self) -> dict:
        return {"id": self.user.pk, "name": self.user.display_name}

    async def _presence_touch(self) -> list[dict]:
        """Refresh this connection's presence entry; returns who is in the room now."""

        def touch():
            presence.presence_touch(
                room_id=self.room_id, user_id=self.user.pk, name=self.user.display_name, channel_name=self.channel_name
            )
            return presence.presence_in_room(self.room_id)

        return await database_sync_to_async(touch, thread_sensitive=False)()
