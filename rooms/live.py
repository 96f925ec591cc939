"""The live-session WebSocket (`/ws/live/<run id>/`): a participant's page following a facilitator's
live run of a case (cohorts' `LiveRun`). Protocol: docs/realtime.md, "Live case sessions".

The run's steps are stored and numbered by cohorts (`cohorts.live_services`), then broadcast through
`rooms.events.live_event_send`. As in a room, every connection keeps the highest step number it has
sent (`delivered`): a step at or below it is a duplicate and dropped; a step beyond the next one means
something was missed (a broadcast lost, two processes crossing) and the gap is filled from the
database at once. A client connects with `?after=<the number its page was rendered with>`, so a
latecomer or a reconnecting page gets every step it missed, once, in order, then live ones.
"""

import asyncio

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _

from cohorts import live_services
from cohorts.live_selectors import FACILITATOR, LEARNER, live_events_after, live_run_role
from cohorts.models import LiveRun
from rooms import events
from rooms.consumers import CLOSE_FORBIDDEN, CLOSE_READ_ONLY, CLOSE_REVOKED, GuardedConsumer

END = "end"


class LiveRunConsumer(GuardedConsumer):
    """One participant's page following one live run. Signing in, refusals and frame checks are the
    room socket's (`rooms.consumers.GuardedConsumer`)."""

    async def connect(self):
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        self.log_name = f"live run {self.run_id}"
        admitted = await self.admit(check=self._admission, subscribe=lambda: events.live_subscribe(
            run_id=self.run_id, user_id=self.user.pk, channel_name=self.channel_name, staff=self.role == FACILITATOR))
        if not admitted:
            return
        await database_sync_to_async(live_services.live_attendance_join, thread_sensitive=False)(run=self.run, user=self.user)
        async with self.lock:
            await self._catch_up_locked()
        await events.live_event_send_async(run_id=self.run_id, frame={"type": "live.presence", "run": self.run_id})

    async def _admission(self) -> int | None:
        """A participant of the run (else 4403: another cohort, another group, no such run), while it
        goes on (else 4409). The number of the last step sent is read before subscribing."""
        found = await self._load()
        if found is None or found[1] is None:
            return CLOSE_FORBIDDEN
        self.run, self.role = found
        if self.run.ended_at is not None:
            return CLOSE_READ_ONLY
        after = self._after_from_query()
        self.delivered = self.run.last_seq if after is None else min(after, self.run.last_seq)
        self.lock = asyncio.Lock()
        return None

    async def disconnect(self, code):
        if not getattr(self, "subscribed", False):
            return
        self.subscribed = False
        await events.live_unsubscribe(run_id=self.run_id, user_id=self.user.pk, channel_name=self.channel_name)
        if self.role == LEARNER:
            await database_sync_to_async(live_services.live_attendance_leave, thread_sensitive=False)(
                run_id=self.run_id, user_id=self.user.pk
            )
            await events.live_event_send_async(run_id=self.run_id, frame={"type": "live.presence", "run": self.run_id})

    @database_sync_to_async
    def _load(self):
        run = LiveRun.objects.filter(pk=self.run_id).first()
        if run is None:
            return None
        return run, live_run_role(run=run, user=self.user)

    async def _access_recheck(self) -> bool:
        found = await self._load()
        if found is None or found[1] is None:
            await self.close(code=CLOSE_REVOKED)
            return False
        self.role = found[1]
        return True

    # --- Frames from the client -----------------------------------------------------------

    async def run_handler(self, handler, frame):
        try:
            await handler(self, frame)
        except PermissionDenied as error:
            await self._error("forbidden", str(error) or _("Action non autorisée."), client_id=frame.get("client_id"))
        except ValidationError as error:
            await self._error(error.code or "invalid", " ".join(error.messages), client_id=frame.get("client_id"))

    async def on_ping(self, frame):
        if not await self._access_recheck():
            return
        await database_sync_to_async(live_services.live_attendance_seen, thread_sensitive=False)(
            run_id=self.run_id, user_id=self.user.pk
        )
        await self._send_json({"type": "pong"})

    async def on_resume(self, frame):
        after = frame.get("after")
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise ValidationError(_("« after » doit être un entier positif ou nul."), code="invalid")
        if not await self._access_recheck():
            return
        async with self.lock:
            self.delivered = after
            await self._catch_up_locked()

    async def on_poll_answer(self, frame):
        """The learner's answer to the poll open now: `option_id`, `rationale` (optional, one line), `named`."""
        fields = {key: frame.get(key) for key in ("option_id", "rationale")}
        if not all(value is None or isinstance(value, str) for value in fields.values()):
            raise ValidationError(_("Réponse illisible."), code="invalid")
        def answer():
            run = LiveRun.objects.select_related("page", "cohort__programme").get(pk=self.run_id)
            return live_services.live_poll_answer(
                run=run, user=self.user, option_id=fields["option_id"] or "", rationale=fields["rationale"] or "",
                named=frame.get("named") is True,
            )

        # On PostgreSQL in the pool of database threads, as room messages are (rooms/consumers.py):
        # sixty answers at once do not queue behind one another in the process's one shared thread.
        record = await database_sync_to_async(answer, thread_sensitive=connection.vendor == "sqlite")()
        await self._send_json({
            "type": "poll.answered", "poll": record.poll_id, "client_id": frame.get("client_id") if isinstance(frame.get("client_id"), str) else None,
        })

    HANDLERS = {"ping": on_ping, "resume": on_resume, "poll.answer": on_poll_answer}

    # --- Events from the run's group ------------------------------------------------------

    async def access_check(self, event):
        """Who may follow the run changed (rooms.events.access_changed): stay only while still allowed."""
        await self._access_recheck()

    async def live_frame(self, envelope):
        frame = envelope["frame"]
        if frame["type"] != "live.event":  # counts and presence: live only, never numbered
            await self.send(text_data=envelope["text"])
            return
        async with self.lock:
            seq = frame["seq"]
            if seq <= self.delivered:
                return  # already sent: never twice
            if seq == self.delivered + 1:
                self.delivered = seq
                await self.send(text_data=envelope["text"])
            else:  # one or more steps missed: they are stored, fetch them in order
                await self._catch_up_locked(resumed=False)
            ended = frame["kind"] == END
        if ended:
            await self.close(code=CLOSE_READ_ONLY)

    async def _catch_up_locked(self, *, resumed: bool = True):
        frames = await database_sync_to_async(live_events_after, thread_sensitive=False)(run_id=self.run_id, after=self.delivered)
        for frame in frames:
            self.delivered = frame["seq"]
            await self._send_json(frame)
        if resumed:
            await self._send_json({"type": "live.resumed", "run": self.run_id, "last_seq": self.delivered})
