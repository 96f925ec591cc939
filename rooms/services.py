"""Writes of the rooms app: rooms themselves (created as cohorts, groups and communities are, see
`rooms/signals.py`) and messaging. Every messaging write is stored in a transaction, then broadcast
after commit through `rooms.events.room_event_send` — the only exit to the channel layer."""

import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import audit_record
from accounts.i18n import in_recipient_language
from accounts.mail import email_enqueue
from accounts.models import SecurityEvent, User
from cohorts.models import Cohort, CohortGroup, Community
from rooms.events import room_event_send
from rooms.markdown import render_message
from rooms.models import (
    MESSAGE_MAX_LENGTH,
    REACTION_EMOJIS,
    Mention,
    Message,
    MessageReport,
    MessageRevision,
    Notification,
    Reaction,
    ReadMarker,
    Room,
)
from rooms.presence import user_is_online
from rooms.selectors import (
    message_payload,
    notification_count_cache_key,
    room_access,
    room_members,
    room_message_get,
    room_moderators,
)

logger = logging.getLogger(__name__)

__all__ = [
    "room_create_for_cohort",
    "room_create_for_group",
    "room_create_for_community",
    "room_rename_for_cohort",
    "room_get_or_create_for_case",
    "RoomError",
    "message_post",
    "message_edit",
    "message_delete",
    "message_hide",
    "message_pin",
    "message_report",
    "reaction_toggle",
    "read_marker_set",
    "typing_allowed",
    "notification_mark_read",
    "notification_read",
]

CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class RoomError(Exception):
    """A refused room action: `code` for programs, `message` (French, translatable) for people."""

    def __init__(self, code: str, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


# --- Rooms -----------------------------------------------------------------------------------


def room_create_for_cohort(*, cohort: Cohort) -> Room:
    return Room.objects.create(kind=Room.Kind.COHORT, cohort=cohort, name=cohort.name[:200])


def room_create_for_group(*, group: CohortGroup) -> Room:
    return Room.objects.create(
        kind=Room.Kind.GROUP, cohort_id=group.cohort_id, group=group, name=f"{group.name} · {group.cohort.name}"[:200]
    )


def room_create_for_community(*, community: Community) -> Room:
    return Room.objects.create(kind=Room.Kind.COMMUNITY, community=community, name=community.name[:200])


def room_rename_for_cohort(*, cohort: Cohort) -> None:
    """The cohort's room keeps the cohort's name."""
    Room.objects.filter(kind=Room.Kind.COHORT, cohort=cohort).exclude(name=cohort.name).update(name=cohort.name[:200])


def room_get_or_create_for_case(*, cohort: Cohort, case_page) -> Room:
    """The cohort's room for one case, created on first use."""
    room = Room.objects.filter(kind=Room.Kind.CASE, cohort=cohort, case_page_id=case_page.pk).first()
    if room:
        return room
    try:
        with transaction.atomic():
            return Room.objects.create(
                kind=Room.Kind.CASE, cohort=cohort, case_page_id=case_page.pk,
                name=f"{case_page.title} · {cohort.name}"[:200],
            )
    except IntegrityError:  # created at the same moment by another request
        return Room.objects.get(kind=Room.Kind.CASE, cohort=cohort, case_page_id=case_page.pk)


# --- Helpers -------------------------------------------------------------------------------


def _clean_body(body: object) -> str:
    if not isinstance(body, str):
        raise RoomError("invalid", _("Le message doit être du texte."))
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise RoomError("empty", _("Le message est vide."))
    if len(body) > MESSAGE_MAX_LENGTH:
        raise RoomError(
            "too_long",
            _("Le message dépasse %(max)s caractères (%(length)s).") % {"max": MESSAGE_MAX_LENGTH, "length": len(body)},
        )
    return body


def _rate_limited(user_id: int, *, bucket: str = "send", limit: int | None = None) -> bool:
    """Fixed window per user and bucket, shared by every process through the cache; fails open
    if the cache is down."""
    limit = settings.ROOMS_RATE_LIMIT_MESSAGES if limit is None else limit
    window = settings.ROOMS_RATE_LIMIT_SECONDS
    key = f"rooms:rate:{bucket}:{user_id}:{int(time.time() // window)}"
    try:
        cache.add(key, 0, window * 2)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001
        logger.info("rate limit: cache unavailable", exc_info=True)
        return False
    if count == limit + 1 and bucket != "typing":  # once per window, not once per refused frame
        audit_record(SecurityEvent.Kind.RATE_LIMITED, actor=User(pk=user_id), target=("accounts.user", user_id), limit=f"rooms:{bucket}")
    return count > limit


def _check_action_rate(user_id: int) -> None:
    """Edits and reactions share one budget per user, as generous as sends but separate from them."""
    if _rate_limited(user_id, bucket="action", limit=settings.ROOMS_RATE_LIMIT_ACTIONS):
        raise RoomError("rate_limited", _("Trop d'actions à la suite : patientez quelques secondes avant de réessayer."))


def typing_allowed(*, user_id: int) -> bool:
    """Whether one more typing signal of this person may be broadcast (per user, all connections)."""
    return not _rate_limited(user_id, bucket="typing", limit=settings.ROOMS_RATE_LIMIT_TYPING)


def _mentioned_users(room: Room, body: str, author: User) -> list[User]:
    if "@" not in body:
        return []
    lowered = body.casefold()
    found = []
    for member in room_members(room).only("pk", "first_name", "last_name", "email"):
        name = member.display_name
        if member.pk != author.pk and f"@{name}".casefold() in lowered:
            found.append(member)
    return found


def _broadcast(room_id: int, event_type: str, message: Message, payload: dict | None) -> None:
    if payload is None:
        # An update: re-read after commit so the event carries the committed state and reactions.
        fresh = room_message_get(room=Room(pk=room_id), seq=message.seq)
        if fresh is None:
            return
        payload = message_payload(fresh)
    room_event_send(room_id=room_id, event={"type": event_type, "message": payload})


def _on_commit_broadcast(room_id: int, event_type: str, message: Message, payload: dict | None = None) -> None:
    # robust: a failed broadcast must not turn a stored message into an error for its sender.
    transaction.on_commit(lambda: _broadcast(room_id, event_type, message, payload), robust=True)


def _email_offline_mentions(notification_ids: list[int]) -> None:
    notifications = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "user", "room", "message__author"
    )
    for notification in notifications:
        if user_is_online(notification.user_id):
            continue
        author = notification.message.author.display_name if notification.message.author else ""
        url = settings.SITE_URL.rstrip("/") + reverse("rooms:room_detail", args=[notification.room_id])
        with in_recipient_language(user=notification.user):  # not the language of whoever wrote the mention
            subject = gettext("%(author)s vous a mentionné·e dans « %(room)s »") % {
                "author": author, "room": notification.room.name,
            }
            body = gettext("%(author)s vous a mentionné·e :\n\n%(text)s\n\nRépondre : %(url)s") % {
                "author": author, "text": notification.message.body[:1000], "url": url,
            }
        email_enqueue(to=notification.user.email, subject=subject, body=body)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


def _forget_notification_counts(user_ids) -> None:
    """After commit, drop the cached unread counts of these users (the header reads them)."""
    keys = [notification_count_cache_key(user_id) for user_id in user_ids]
    if not keys:
        return

    def forget():
        try:
            cache.delete_many(keys)
        except Exception:  # noqa: BLE001 — the figures then expire on their own
            logger.info("notification count: cache unavailable", exc_info=True)

    transaction.on_commit(forget, robust=True)


def _require_access(*, room: Room, user: User, write: bool = True) -> None:
    """Re-check, from the database, that `user` may still read (and write) in `room`.

    Every write goes through here, whoever calls it: an open socket keeps the user it connected
    with, so removal from a group, an erased account or a closed cohort must be seen at the next
    frame even if the event that closes the socket is late or lost.
    """
    access = room_access(user=user, room=room)
    if not access.can_read:
        raise RoomError("forbidden", _("Vous n'avez plus accès à ce salon."))
    if write and not access.can_write:
        raise RoomError("read_only", _("Ce salon est en lecture seule : la promotion est terminée."))


def _own_message(*, room: Room, seq: int, user: User, write: bool = True) -> Message:
    _require_access(room=room, user=user, write=write)
    message = room_message_get(room=room, seq=seq)
    if message is None:
        raise RoomError("not_found", _("Ce message n'existe pas."))
    if message.author_id != user.pk:
        raise RoomError("forbidden", _("Seul·e l'auteur·rice peut modifier ou supprimer ce message."))
    if message.deleted_at is not None:
        raise RoomError("deleted", _("Ce message a été supprimé."))
    return message


def _moderated_message(*, room: Room, seq: int, user: User) -> Message:
    if not room_access(user=user, room=room).can_moderate:
        raise RoomError("forbidden", _("Seul·es les animateur·rices du salon peuvent faire cela."))
    message = room_message_get(room=room, seq=seq)
    if message is None:
        raise RoomError("not_found", _("Ce message n'existe pas."))
    return message


# --- Messages ------------------------------------------------------------------------------


def message_post(
    *, room: Room, author: User, client_id: str, body: str, reply_to: int | None = None
) -> tuple[Message, bool]:
    """Store a message once per (room, author, client_id), then broadcast it after commit.

    Returns (message, created). A retry with a known client id returns the stored message and
    stores nothing. The caller has checked that `author` may write in `room`.
    """
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise RoomError("invalid_client_id", _("Identifiant de message client invalide."))
    existing = Message.objects.filter(room=room, author=author, client_id=client_id).first()
    if existing is not None:
        return existing, False
    body = _clean_body(body)
    if reply_to is not None and (not isinstance(reply_to, int) or isinstance(reply_to, bool)):
        raise RoomError("invalid", _("Le message auquel vous répondez est invalide."))
    if _rate_limited(author.pk):
        raise RoomError(
            "rate_limited",
            _("Vous envoyez trop de messages : patientez quelques secondes avant de réessayer."),
        )
    _require_access(room=room, user=author)
    # Who is mentioned and the HTML are worked out before the room is locked, so the lock (which
    # every writer of the room waits for) is held only for the writes themselves.
    mentioned = _mentioned_users(room, body, author)
    html = render_message(body, mention_names=[user.display_name for user in mentioned])
    try:
        return _message_store(
            room=room, author=author, client_id=client_id, body=body, html=html, mentioned=mentioned, reply_to=reply_to
        ), True
    except IntegrityError:
        # A concurrent retry of the same client id won the race: answer with its message.
        existing = Message.objects.filter(room=room, author=author, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False


def message_post_to_rooms(*, rooms: list[Room], author: User, client_id: str, body: str) -> list[Message]:
    """One message posted in several rooms at once (a facilitator calling every group of a live
    session): one action, counted once against the sender's rate limit; a retry with the same
    client id stores nothing new. The caller has checked that `author` may write in each room."""
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise RoomError("invalid_client_id", _("Identifiant de message client invalide."))
    body = _clean_body(body)
    if _rate_limited(author.pk):
        raise RoomError("rate_limited", _("Vous envoyez trop de messages : patientez quelques secondes avant de réessayer."))
    html = render_message(body, mention_names=[])
    posted = []
    for room in rooms:
        existing = Message.objects.filter(room=room, author=author, client_id=client_id).first()
        if existing is not None:
            posted.append(existing)
            continue
        _require_access(room=room, user=author)
        posted.append(_message_store(room=room, author=author, client_id=client_id, body=body, html=html, mentioned=[], reply_to=None))
    return posted


@transaction.atomic
def _message_store(
    *, room: Room, author: User, client_id: str, body: str, html: str, mentioned: list[User], reply_to: int | None
) -> Message:
    # The room row lock serialises writers of this room, so seqs are allocated in commit order.
    # A concurrent retry of the same client id is caught by the unique constraint (see message_post).
    locked = Room.objects.select_for_update().only("pk").get(pk=room.pk)
    parent = None
    if reply_to is not None:
        parent = Message.objects.filter(room=locked, seq=reply_to).select_related("author").first()
        if parent is None:
            raise RoomError("reply_not_found", _("Le message auquel vous répondez n'existe pas."))
    Room.objects.filter(pk=locked.pk).update(last_message_seq=F("last_message_seq") + 1)
    seq = Room.objects.filter(pk=locked.pk).values_list("last_message_seq", flat=True).get()
    room.last_message_seq = seq
    message = Message.objects.create(
        room=locked, seq=seq, author=author, client_id=client_id, reply_to=parent, body=body, html=html
    )
    if mentioned:
        Mention.objects.bulk_create([Mention(message=message, user=user) for user in mentioned])
        notifications = Notification.objects.bulk_create(
            [Notification(user=user, kind=Notification.Kind.MENTION, room=locked, message=message) for user in mentioned]
        )
        ids = [n.pk for n in notifications if n.pk]
        if not ids:
            ids = list(Notification.objects.filter(message=message).values_list("pk", flat=True))
        transaction.on_commit(lambda: _email_offline_mentions(ids), robust=True)
        _forget_notification_counts(user.pk for user in mentioned)
    # The author has read their own message: one upsert, not a read then a write.
    ReadMarker.objects.bulk_create(
        [ReadMarker(room=locked, user=author, last_read_seq=seq)],
        update_conflicts=True, unique_fields=["room", "user"], update_fields=["last_read_seq", "updated_at"],
    )
    _on_commit_broadcast(room.pk, "message", message, message_payload(message, new=True))
    return message


@transaction.atomic
def message_edit(*, room: Room, seq: int, user: User, body: str) -> Message:
    """Replace the text of one's own message, keeping the previous text as a revision."""
    _check_action_rate(user.pk)
    message = _own_message(room=room, seq=seq, user=user)
    body = _clean_body(body)
    if body == message.body:
        return message
    MessageRevision.objects.create(message=message, body=message.body, html=message.html)
    names = [mention.user.display_name for mention in message.mentions.select_related("user")]
    message.body = body
    message.html = render_message(body, mention_names=names)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "html", "edited_at"])
    _on_commit_broadcast(room.pk, "message.updated", message)
    return message


@transaction.atomic
def message_delete(*, room: Room, seq: int, user: User) -> Message:
    """Delete one's own message: the text goes, a tombstone keeps its place in the sequence.

    Allowed in a read-only room too: people may always take back their own words."""
    message = _own_message(room=room, seq=seq, user=user, write=False)
    MessageRevision.objects.create(message=message, body=message.body, html=message.html)
    message.deleted_at = timezone.now()
    message.body = ""
    message.html = ""
    message.save(update_fields=["deleted_at", "body", "html"])
    audit_record(SecurityEvent.Kind.MESSAGE_DELETED, actor=user, target=room, seq=message.seq)
    _on_commit_broadcast(room.pk, "message.updated", message)
    return message


@transaction.atomic
def message_hide(*, room: Room, seq: int, user: User, hidden: bool = True) -> Message:
    """Hide (or restore) a message: members see a placeholder, moderators still see the text."""
    message = _moderated_message(room=room, seq=seq, user=user)
    message.hidden_at = timezone.now() if hidden else None
    message.hidden_by = user if hidden else None
    message.save(update_fields=["hidden_at", "hidden_by"])
    audit_record(SecurityEvent.Kind.MESSAGE_HIDDEN if hidden else SecurityEvent.Kind.MESSAGE_RESTORED, actor=user, target=room, seq=message.seq)
    _on_commit_broadcast(room.pk, "message.updated", message)
    return message


@transaction.atomic
def message_pin(*, room: Room, seq: int, user: User, pinned: bool = True) -> Message:
    message = _moderated_message(room=room, seq=seq, user=user)
    if message.deleted_at is not None:
        raise RoomError("deleted", _("Ce message a été supprimé."))
    message.pinned_at = timezone.now() if pinned else None
    message.pinned_by = user if pinned else None
    message.save(update_fields=["pinned_at", "pinned_by"])
    audit_record(SecurityEvent.Kind.MESSAGE_PINNED if pinned else SecurityEvent.Kind.MESSAGE_UNPINNED, actor=user, target=room, seq=message.seq)
    _on_commit_broadcast(room.pk, "message.updated", message)
    return message


@transaction.atomic
def message_report(*, room: Room, seq: int, user: User, reason: str = "") -> MessageReport:
    """Signal a message to the room's moderators (once per member and message)."""
    if not isinstance(reason, str) or len(reason) > 500:
        raise RoomError("invalid", _("Le motif du signalement ne doit pas dépasser 500 caractères."))
    _require_access(room=room, user=user, write=False)
    message = room_message_get(room=room, seq=seq)
    if message is None:
        raise RoomError("not_found", _("Ce message n'existe pas."))
    report, created = MessageReport.objects.get_or_create(
        message=message, reporter=user, defaults={"reason": reason.strip()}
    )
    if created:
        moderator_ids = list(room_moderators(room).exclude(pk=user.pk).values_list("pk", flat=True))
        Notification.objects.bulk_create(
            [Notification(user_id=pk, kind=Notification.Kind.REPORT, room=room, message=message) for pk in moderator_ids],
            ignore_conflicts=True,
        )
        _forget_notification_counts(moderator_ids)
        audit_record(SecurityEvent.Kind.MESSAGE_REPORTED, actor=user, target=room, seq=message.seq)
    return report


@transaction.atomic
def reaction_toggle(*, room: Room, seq: int, user: User, emoji: str) -> Message:
    if emoji not in REACTION_EMOJIS:
        raise RoomError("invalid", _("Réaction inconnue."))
    _check_action_rate(user.pk)
    _require_access(room=room, user=user)
    message = room_message_get(room=room, seq=seq)
    if message is None or message.deleted_at is not None:
        raise RoomError("not_found", _("Ce message n'existe pas."))
    deleted, _count = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    if not deleted:
        Reaction.objects.create(message=message, user=user, emoji=emoji)
    _on_commit_broadcast(room.pk, "message.updated", message)
    return message


def read_marker_set(*, room: Room, user: User, seq: int) -> int:
    """Move the member's read marker forward (never back) to `seq`; returns the marker."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise RoomError("invalid", _("Numéro de message invalide."))
    seq = min(seq, Room.objects.filter(pk=room.pk).values_list("last_message_seq", flat=True).get())
    updated = ReadMarker.objects.filter(room=room, user=user, last_read_seq__lt=seq).update(
        last_read_seq=seq, updated_at=timezone.now()
    )
    if not updated:
        marker, _created = ReadMarker.objects.get_or_create(room=room, user=user, defaults={"last_read_seq": seq})
        return marker.last_read_seq
    return seq


def notification_mark_read(*, user: User, room: Room | None = None) -> int:
    """Mark the user's unread notifications (of one room, or all) as read; returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if room is not None:
        qs = qs.filter(room=room)
    count = qs.update(read_at=timezone.now())
    if count:
        _forget_notification_counts([user.pk])
    return count


def notification_read(*, user: User, notification_id: int) -> bool:
    """Mark one of the user's own notifications as read; False when they have none with that id."""
    qs = Notification.objects.filter(user=user, pk=notification_id)
    if qs.filter(read_at__isnull=True).update(read_at=timezone.now()):
        _forget_notification_counts([user.pk])
        return True
    return qs.exists()


@transaction.atomic
def member_erase(*, user: User, replacement: str) -> None:
    """Before the account becomes an anonymous tombstone (lms.export.account_erase, docs/privacy.md).

    The person's own messages, reactions and reports stay (the conversation and the room figures
    keep them, signed `replacement`), but the reasons they typed in their reports are emptied. In
    the messages of others that name them with @, the name becomes `@replacement`, in the current
    text and every earlier version. Their mentions, notifications and read markers are deleted.
    """
    name = user.display_name
    pattern = re.compile(re.escape(f"@{name}"), re.IGNORECASE) if name else None
    mentioning = Message.objects.filter(mentions__user=user).prefetch_related("mentions__user", "revisions")
    for message in mentioning if pattern else ():
        names = [mention.user.display_name for mention in message.mentions.all() if mention.user_id != user.pk]
        for text in [message, *message.revisions.all()]:
            text.body = pattern.sub(f"@{replacement}", text.body)
            text.html = render_message(text.body, mention_names=names) if text.body else ""
            text.save(update_fields=["body", "html"])
    Mention.objects.filter(user=user).delete()
    Notification.objects.filter(user=user).delete()
    ReadMarker.objects.filter(user=user).delete()
    MessageReport.objects.filter(reporter=user).update(reason="")
    _forget_notification_counts([user.pk])
