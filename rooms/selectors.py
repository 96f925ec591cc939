"""Reads of the rooms app: who may read, write and moderate a room, history, unread counts, insights.

The one access rule is `room_access` here (`user_can_access_room`, `user_can_moderate_room`,
`room_members` and `room_moderators` follow it): cohort and case rooms, the cohort's active
members; group rooms, the group's members and the cohort's facilitators; community rooms, its
members; moderators, the cohort's facilitators or the community's moderators; nothing new is
written in the rooms of a closed cohort. Superusers read and moderate every room.
"""

import datetime
import html as html_lib
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _

from accounts.choices import Profession
from accounts.formats import percent
from accounts.models import SecurityEvent, User
from cohorts.models import Cohort, CohortMembership, CommunityMembership, GroupMembership
from cohorts.selectors import active_memberships, scale_maximum
from config.sanitize import plain_text
from lms.export import is_erased
from rooms.models import Mention, Message, MessageReport, MessageRevision, Notification, Reaction, ReadMarker, Room

logger = logging.getLogger(__name__)

__all__ = [
    "user_can_access_room",
    "room_moderators",
    "room_access",
    "RoomAccess",
    "NO_ACCESS",
    "user_can_moderate_room",
    "room_members",
    "room_list_for_user",
    "room_links_for",
    "message_counts_by_author",
    "room_messages_after",
    "room_messages_before",
    "room_message_get",
    "message_payload",
    "visible_payload",
    "MessageVersion",
    "message_history_visible",
    "message_versions",
    "notification_unread_count",
    "notification_unread_count_cached",
    "notification_count_cache_key",
    "notification_list_for_user",
    "message_excerpt",
    "room_insights",
    "cohort_room_insights",
    "RoomInsights",
    "insights_table",
]

_ACTIVE = CohortMembership.Status.ACTIVE
_FACILITATOR = CohortMembership.Role.FACILITATOR


@dataclass(frozen=True)
class RoomAccess:
    can_read: bool
    can_moderate: bool
    # False in the rooms of a closed cohort: they stay readable, nothing new is written there.
    can_write: bool = True


NO_ACCESS = RoomAccess(False, False, False)
_READ_ONLY_COHORT_STATUSES = (Cohort.Status.CLOSED,)


def room_access(*, user: User, room: Room) -> RoomAccess:
    """What `user` may do in `room`, in one query, from the database's current state.

    The account's `is_active` and the cohort's status are read with the membership rather than
    taken from the objects passed in: an open socket keeps the user object it connected with,
    and must see a deactivated or erased account, or a closed cohort, at its next write.
    """
    if not user.is_authenticated:
        return NO_ACCESS
    if user.is_superuser:
        status = room.cohort.status if room.cohort_id else None
        active = User.objects.filter(pk=user.pk, is_active=True, is_superuser=True).exists()
        writable = status not in _READ_ONLY_COHORT_STATUSES
        return RoomAccess(active, active, active and writable)
    if room.kind == Room.Kind.COMMUNITY:
        role = (
            CommunityMembership.objects.filter(community_id=room.community_id, user_id=user.pk, user__is_active=True)
            .values_list("role", flat=True)
            .first()
        )
        return RoomAccess(role is not None, role == CommunityMembership.Role.MODERATOR, role is not None)
    memberships = CohortMembership.objects.filter(
        cohort_id=room.cohort_id, user_id=user.pk, status=_ACTIVE, user__is_active=True
    )
    if room.kind == Room.Kind.GROUP:
        memberships = memberships.annotate(
            in_group=Exists(GroupMembership.objects.filter(group_id=room.group_id, user_id=user.pk))
        )
        row = memberships.values_list("role", "cohort__status", "in_group").first()
    else:
        row = memberships.values_list("role", "cohort__status").first()
    if row is None:
        return NO_ACCESS
    is_facilitator = row[0] == _FACILITATOR
    can_read = is_facilitator or room.kind != Room.Kind.GROUP or row[2]
    return RoomAccess(can_read, can_read and is_facilitator, can_read and row[1] not in _READ_ONLY_COHORT_STATUSES)


def user_can_access_room(*, user: User, room: Room) -> bool:
    return room_access(user=user, room=room).can_read


def user_can_moderate_room(*, user: User, room: Room) -> bool:
    return room_access(user=user, room=room).can_moderate


def room_members(room: Room) -> QuerySet[User]:
    """Everyone who may read the room (superusers aside)."""
    if room.kind == Room.Kind.COMMUNITY:
        return User.objects.filter(community_memberships__community_id=room.community_id, is_active=True)
    active = CohortMembership.objects.filter(cohort_id=room.cohort_id, status=_ACTIVE)
    if room.kind == Room.Kind.GROUP:
        in_group = GroupMembership.objects.filter(group_id=room.group_id).values("user_id")
        facilitators = active.filter(role=_FACILITATOR).values("user_id")
        return User.objects.filter(
            (Q(pk__in=in_group) & Q(pk__in=active.values("user_id"))) | Q(pk__in=facilitators), is_active=True
        )
    return User.objects.filter(pk__in=active.values("user_id"), is_active=True)


def room_moderators(room: Room) -> QuerySet[User]:
    if room.kind == Room.Kind.COMMUNITY:
        return User.objects.filter(
            community_memberships__community_id=room.community_id,
            community_memberships__role=CommunityMembership.Role.MODERATOR,
            is_active=True,
        )
    return User.objects.filter(
        cohort_memberships__cohort_id=room.cohort_id,
        cohort_memberships__role=_FACILITATOR,
        cohort_memberships__status=_ACTIVE,
        is_active=True,
    )


def room_list_for_user(*, user: User, limit: int | None = None) -> list[Room]:
    """The rooms `user` may read, by kind and name, each with `unread` (messages by others after
    their read marker): one query.

    Written in SQL: the dashboard asks it on every view, and the ORM took 2.4 ms of CPU to build
    this query (four alternatives, two correlated subqueries) for 0.2 ms of running it."""
    if not user.is_authenticated:
        return []
    # The user's active memberships are read once per request (shared with the other panels).
    memberships = active_memberships(user=user)
    cohort_ids = [int(row[0]) for row in memberships]
    facilitated = [int(row[0]) for row in memberships if row[1] == _FACILITATOR]
    table = {model: model._meta.db_table for model in (Room, Message, ReadMarker, GroupMembership, CommunityMembership)}

    def among(ids: list[int]) -> str:
        return ", ".join(["%s"] * len(ids))

    visible, params = [], []
    if cohort_ids:
        visible.append(f"(r.kind IN (%s, %s) AND r.cohort_id IN ({among(cohort_ids)}))")
        params += [Room.Kind.COHORT, Room.Kind.CASE, *cohort_ids]
        visible.append(f"(r.kind = %s AND r.group_id IN (SELECT g.group_id FROM {table[GroupMembership]} g "
                       f"WHERE g.user_id = %s AND g.cohort_id IN ({among(cohort_ids)})))")
        params += [Room.Kind.GROUP, user.pk, *cohort_ids]
    if facilitated:
        visible.append(f"(r.kind = %s AND r.cohort_id IN ({among(facilitated)}))")
        params += [Room.Kind.GROUP, *facilitated]
    visible.append(f"(r.kind = %s AND r.community_id IN (SELECT c.community_id FROM {table[CommunityMembership]} c "
                   "WHERE c.user_id = %s))")
    params += [Room.Kind.COMMUNITY, user.pk]
    last_read = (f"COALESCE((SELECT k.last_read_seq FROM {table[ReadMarker]} k WHERE k.room_id = r.id AND k.user_id = %s), 0)")
    unread = (f"(SELECT COUNT(*) FROM {table[Message]} m WHERE m.room_id = r.id AND m.deleted_at IS NULL "
              "AND m.hidden_at IS NULL AND (m.author_id IS NULL OR m.author_id <> %s) "
              f"AND m.seq > {last_read})")
    sql = (f"SELECT r.id, r.kind, r.name, r.cohort_id, r.group_id, r.case_page_id, r.community_id, r.last_message_seq, "
           f"{unread} AS unread FROM {table[Room]} r WHERE {' OR '.join(visible)} ORDER BY r.kind, r.name")
    params = [user.pk, user.pk, *params]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(int(limit))
    return list(Room.objects.raw(sql, params))


def room_links_for(*, cohort=None, groups=(), community=None) -> dict:
    """The room pages of a cohort, of its groups and of a community, in one query:
    {"cohort": url, "groups": {group id: url}, "community": url} (the `room_links` hook of cohorts),
    with "cohort_insights", the analysis of the cohort's rooms, for its facilitators' pages."""
    links = {"cohort": "", "groups": {}, "community": ""}
    if cohort is None and not groups and community is None:
        return links
    wanted = Q(pk__in=[])
    if cohort is not None:
        wanted |= Q(kind=Room.Kind.COHORT, cohort_id=cohort.pk)
    if groups:
        wanted |= Q(kind=Room.Kind.GROUP, group_id__in=[group.pk for group in groups])
    if community is not None:
        wanted |= Q(kind=Room.Kind.COMMUNITY, community_id=community.pk)
    if cohort is not None:
        links["cohort_insights"] = reverse("rooms:cohort_rooms_insights", args=[cohort.pk])  # facilitators only
    for pk, kind, group_id in Room.objects.filter(wanted).values_list("pk", "kind", "group_id"):
        url = reverse("rooms:room_detail", args=[pk])
        if kind == Room.Kind.GROUP:
            links["groups"][group_id] = url
        else:
            links[kind] = url
    return links


def message_counts_by_author(*, cohort_id: int) -> dict[int, int]:
    """Messages written by each person in the cohort's rooms (cohort, groups, cases): one query."""
    rows = (
        Message.objects.filter(room__cohort_id=cohort_id, author__isnull=False, deleted_at__isnull=True)
        .values_list("author_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


def _message_queryset(room: Room) -> QuerySet[Message]:
    return (
        Message.objects.filter(room=room)
        .select_related("author", "reply_to__author")
        .prefetch_related(Prefetch("reactions", queryset=Reaction.objects.order_by("pk")))
    )


def room_messages_after(*, room: Room, after: int, before: int | None = None, limit: int = 200) -> list[Message]:
    """Messages with seq > after (and < before, when given), oldest first: what a resuming client
    missed, or the gap a live client is waiting for."""
    qs = _message_queryset(room).filter(seq__gt=after)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return list(qs.order_by("seq")[:limit])


def room_messages_before(*, room: Room, before: int | None = None, limit: int = 50) -> list[Message]:
    """One page of history ending just before `before` (the latest page when None), oldest first."""
    qs = _message_queryset(room)
    if before is not None:
        qs = qs.filter(seq__lt=before)
    page = list(qs.order_by("-seq")[:limit])
    page.reverse()
    return page


def room_message_get(*, room: Room, seq: int, reactions: bool = True) -> Message | None:
    """One message of the room by its seq; `reactions=False` when they will not be shown (a query less)."""
    qs = _message_queryset(room) if reactions else Message.objects.filter(room=room).select_related("author")
    return qs.filter(seq=seq).first()


def _author_payload(user: User | None) -> dict:
    if user is None or is_erased(user):
        return {"id": None, "name": str(_("Ancien·ne participant·e")), "profession": "", "profession_label": ""}
    return {
        "id": user.pk,
        "name": user.display_name,
        "profession": user.profession,
        "profession_label": str(user.get_profession_display()) if user.profession else "",
    }


def message_payload(message: Message, *, new: bool = False) -> dict:
    """The full JSON form of a message, as broadcast; `visible_payload` trims it per viewer.

    `new`: a message just created has no reactions, which saves a query.
    """
    reactions: dict[str, list[int]] = defaultdict(list)
    for reaction in [] if new else message.reactions.all():
        reactions[reaction.emoji].append(reaction.user_id)
    reply = message.reply_to
    deleted = message.deleted_at is not None
    return {
        "id": message.seq,
        "author": _author_payload(message.author),
        "client_id": message.client_id,
        "body": "" if deleted else message.body,
        "html": "" if deleted else str(message.html),
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": deleted,
        "hidden": message.hidden_at is not None,
        "pinned": message.pinned_at is not None,
        "reply_to": (
            {"id": reply.seq, "author": _author_payload(reply.author)["name"]} if reply is not None else None
        ),
        "reactions": [{"emoji": emoji, "users": users} for emoji, users in reactions.items()],
    }


def visible_payload(payload: dict, *, can_moderate: bool) -> dict:
    """A hidden message keeps its place for members but only moderators see its text."""
    if payload.get("hidden") and not can_moderate:
        return {**payload, "html": "", "body": ""}
    return payload


@dataclass(frozen=True)
class MessageVersion:
    """One text a message has had: when it was written, and when it was replaced (None: current)."""

    html: str
    written_at: datetime.datetime
    replaced_at: datetime.datetime | None


def message_history_visible(*, access: RoomAccess, message: Message) -> bool:
    """Members who read the room see the edit history of what they can read; the history of a
    hidden message, or of one its author deleted, is for moderators only."""
    if not access.can_read:
        return False
    if message.hidden_at is not None or message.deleted_at is not None:
        return access.can_moderate
    return True


def message_versions(*, message: Message) -> list[MessageVersion]:
    """Every text of `message`, oldest first, in one query: the earlier versions kept by edits
    (and by a delete), then the current text unless the message was deleted."""
    revisions = list(MessageRevision.objects.filter(message=message).order_by("replaced_at", "pk"))
    versions = []
    written_at = message.created_at
    for revision in revisions:
        versions.append(MessageVersion(html=revision.safe_html, written_at=written_at, replaced_at=revision.replaced_at))
        written_at = revision.replaced_at
    if message.deleted_at is None:
        versions.append(MessageVersion(html=message.safe_html, written_at=written_at, replaced_at=None))
    return versions


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# The header shows the count on every page: it is kept in the cache (Redis in production, shared
# by every process), and the services forget it after commit whenever it changes. The expiry
# bounds how long a figure read during a concurrent write can stay stale.
NOTIFICATION_COUNT_TTL = 300


def notification_count_cache_key(user_id: int) -> str:
    return f"rooms:notifications-unread:{user_id}"


def notification_unread_count_cached(*, user: User) -> int:
    """The header's unread count: no query when the cache has it, else one indexed COUNT."""
    key = notification_count_cache_key(user.pk)
    try:
        count = cache.get(key)
    except Exception:  # noqa: BLE001 — the cache is an optimisation: without it, count in the database
        logger.info("notification count: cache unavailable", exc_info=True)
        return notification_unread_count(user=user)
    if count is None:
        count = notification_unread_count(user=user)
        try:
            cache.set(key, count, NOTIFICATION_COUNT_TTL)
        except Exception:  # noqa: BLE001
            logger.info("notification count: cache unavailable", exc_info=True)
    return count


_BLOCK_END = re.compile(r"<(?:br|/p|/li|/blockquote)\b[^>]*>")


def message_excerpt(message: Message, *, length: int = 240) -> str:
    """The message as plain text on one line (for previews), cut at `length` characters."""
    text = html_lib.unescape(plain_text(_BLOCK_END.sub(" ", message.html)))
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def notification_list_for_user(*, user: User, limit: int = 20) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user)
        .select_related("room", "message__author")
        .order_by("-created_at")[:limit]
    )


# --- Insights for facilitators ---------------------------------------------------------------


@dataclass
class RoomInsights:
    """Is the talk interprofessional? Counts by profession and who answers whom."""

    by_profession: dict[str, int] = field(default_factory=dict)
    replies: int = 0
    cross_replies: int = 0
    # matrix[replier profession][profession replied to] = count
    matrix: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_profession.values())

    @property
    def cross_share(self) -> float | None:
        return (self.cross_replies / self.replies) if self.replies else None


def _insights(messages: QuerySet[Message]) -> RoomInsights:
    live = messages.filter(deleted_at__isnull=True)
    by_profession = Counter(
        {
            (row["author__profession"] or "unknown"): row["n"]
            for row in live.order_by().values("author__profession").annotate(n=Count("pk"))
        }
    )
    insights = RoomInsights(by_profession=dict(by_profession))
    pairs = (
        live.filter(reply_to__isnull=False, reply_to__author__isnull=False, author__isnull=False)
        .exclude(reply_to__author=F("author"))
        .order_by()
        .values("author__profession", "reply_to__author__profession")
        .annotate(n=Count("pk"))
    )
    matrix: dict[str, dict[str, int]] = defaultdict(dict)
    for row in pairs:
        source, target = row["author__profession"] or "unknown", row["reply_to__author__profession"] or "unknown"
        matrix[source][target] = matrix[source].get(target, 0) + row["n"]
        insights.replies += row["n"]
        if source != target:
            insights.cross_replies += row["n"]
    insights.matrix = dict(matrix)
    return insights


INSIGHTS_BAR_WIDTH = 160


def insights_table(insights: RoomInsights) -> dict:
    """What the insights page prints: messages by profession with their share of all messages and a
    bar on a scale every row shares (its end a round share just above the largest one, stated on the
    page), so equal bars mean equal shares; who answers whom; the share of replies across professions."""
    labels = {code: str(label) for code, label in Profession.choices}
    labels["unknown"] = str(_("Non renseigné"))
    professions = [code for code in labels if code in insights.by_profession or code in insights.matrix
                   or any(code in row for row in insights.matrix.values())]
    total = insights.total
    shares = {code: 100 * insights.by_profession.get(code, 0) / total if total else 0 for code in professions}
    scale = scale_maximum(max(shares.values(), default=0)) if total else 100
    rows = [
        {"label": labels[code], "code": code, "count": insights.by_profession.get(code, 0),
         "share": round(shares[code]), "width": round(INSIGHTS_BAR_WIDTH * shares[code] / scale)}
        for code in professions
    ]
    matrix = [
        {"label": labels[source], "cells": [insights.matrix.get(source, {}).get(target, 0) for target in professions]}
        for source in professions
    ]
    return {
        "rows": rows,
        "bar_width": INSIGHTS_BAR_WIDTH,
        "bar_scale": min(scale, 100),
        "columns": [labels[code] for code in professions],
        "matrix": matrix,
        "cross_share": None if insights.cross_share is None else round(100 * insights.cross_share),
    }


def room_insights(*, room: Room) -> RoomInsights:
    """Insights of one room, in two queries."""
    return _insights(Message.objects.filter(room=room))


def cohort_room_insights(*, cohort_id: int) -> RoomInsights:
    """Insights over every room of a cohort (cohort, group and case rooms), in two queries."""
    return _insights(Message.objects.filter(room__cohort_id=cohort_id))


def programme_interaction(*, programme_id: int, user_ids: set[int] | None = None) -> list[dict]:
    """Cross-profession talk in the rooms of a programme's cohorts (cohort, group and case rooms;
    `user_ids`: one cohort's learners), for the programme owner's report (`outcomes_interaction`
    hook): messages, and the share of replies addressed to another profession. Each row carries the
    number of people it is computed over; lms never shows a row over fewer than five. Three queries."""
    messages = Message.objects.filter(room__cohort__programme_id=programme_id)
    if user_ids is not None:
        messages = messages.filter(author_id__in=user_ids)
    insights = _insights(messages)
    people = messages.filter(deleted_at__isnull=True, author__isnull=False).values("author_id").distinct().count()
    rows = [{"label": gettext("Messages dans les salons des promotions"), "value": str(insights.total), "people": people}]
    if insights.replies:
        rows.append({
            "label": gettext("Réponses adressées à une personne d'un autre métier"),
            "value": gettext("%(cross)s sur %(replies)s (%(share)s)") % {
                "cross": insights.cross_replies, "replies": insights.replies,
                "share": percent(round(100 * insights.cross_share)),
            },
            "people": people,
        })
    return rows


# --- Moderation history --------------------------------------------------------------------


@dataclass
class ModerationEntry:
    event: SecurityEvent
    room: Room | None
    seq: int | None


def cohort_moderation_history(*, cohort: Cohort, limit: int = 200) -> list[ModerationEntry]:
    """The latest moderation events (hide, restore, pin, delete, report) in the rooms of a cohort
    and of its groups, newest first; three queries whatever the number of events."""
    rooms = {room.pk: room for room in Room.objects.filter(Q(cohort=cohort) | Q(group__cohort=cohort))}
    events = (
        SecurityEvent.objects.filter(
            kind__in=SecurityEvent.MODERATION_KINDS, target_type="rooms.room", target_id__in=[str(pk) for pk in rooms]
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [
        ModerationEntry(event=event, room=rooms.get(int(event.target_id)), seq=event.details.get("seq"))
        for event in events
    ]


def member_data_export(*, user: User) -> dict:
    """What rooms holds about a person, for their data export (docs/privacy.md): the messages they
    wrote (with earlier versions), their reactions, the messages naming them, their reports, their
    notifications and how far they read each room. Seven queries."""
    messages = Message.objects.filter(author=user).select_related("room").prefetch_related("revisions").order_by("pk")
    return {
        "messages": [
            {
                "room": m.room.name, "seq": m.seq, "body": m.body, "created_at": m.created_at,
                "edited_at": m.edited_at, "deleted_at": m.deleted_at, "hidden_at": m.hidden_at,
                "earlier_versions": [{"body": r.body, "replaced_at": r.replaced_at} for r in m.revisions.all()],
            }
            for m in messages
        ],
        "reactions": list(Reaction.objects.filter(user=user).order_by("pk").values(
            "message__room__name", "message__seq", "emoji", "created_at")),
        "mentions": list(Mention.objects.filter(user=user).order_by("pk").values(
            "message__room__name", "message__seq", "message__created_at")),
        "reports": list(MessageReport.objects.filter(reporter=user).order_by("pk").values(
            "message__room__name", "message__seq", "reason", "created_at", "resolved_at")),
        "notifications": list(Notification.objects.filter(user=user).order_by("pk").values(
            "kind", "room__name", "message__seq", "created_at", "read_at", "emailed_at")),
        "read_markers": list(ReadMarker.objects.filter(user=user).order_by("pk").values(
            "room__name", "last_read_seq", "updated_at")),
    }
