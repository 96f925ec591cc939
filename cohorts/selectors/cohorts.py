"""Reads of the cohort features: who may see what, members, composition, schedule, dashboard.

`user_can_access_room` and `room_moderators` are the contract the rooms code builds on.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.choices import Level, Profession
from cohorts.models import (
    Announcement,
    Cohort,
    CohortGroup,
    CohortMembership,
    Community,
    CommunityMembership,
    GroupMembership,
    Invitation,
    LiveSession,
    Room,
    ScheduleItem,
)

__all__ = [
    "user_can_access_room",
    "room_moderators",
    "rooms_for_user",
    "cohort_is_facilitator",
    "cohort_is_member",
    "cohort_list_for_user",
    "cohort_facilitators",
    "cohort_learners",
    "cohort_learner_ids",
    "cohort_composition",
    "diversity_index",
    "CohortComposition",
    "cohorts_for_programme_page",
    "cohort_groups_with_members",
    "user_group",
    "invitation_by_token",
    "invitation_list",
    "announcement_list_for_user",
    "schedule_for_user",
    "live_sessions_for_user",
    "community_list_for_user",
    "community_is_member",
    "community_directory",
    "member_card",
]

User = get_user_model()
ACTIVE = CohortMembership.Status.ACTIVE
FACILITATOR = CohortMembership.Role.FACILITATOR
LEARNER = CohortMembership.Role.LEARNER


# --- Rooms: the contract for the rooms code -----------------------------------------------


def user_can_access_room(*, user, room: Room) -> bool:
    """True when `user` may read and write in `room`.

    cohort and case rooms: active members of the cohort (learners and facilitators);
    group rooms: the group's members and the cohort's facilitators;
    community rooms: members of the community. Anonymous users never.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if room.kind in (Room.Kind.COHORT, Room.Kind.CASE):
        return CohortMembership.objects.filter(cohort_id=room.cohort_id, user=user, status=ACTIVE).exists()
    if room.kind == Room.Kind.GROUP:
        return (
            GroupMembership.objects.filter(group_id=room.group_id, user=user).exists()
            or cohort_is_facilitator(user=user, cohort_id=room.cohort_id)
        )
    if room.kind == Room.Kind.COMMUNITY:
        return CommunityMembership.objects.filter(community_id=room.community_id, user=user).exists()
    return False


def room_moderators(room: Room) -> QuerySet:
    """Who moderates `room`: the facilitators of its cohort, or the community's moderators."""
    if room.kind == Room.Kind.COMMUNITY:
        return User.objects.filter(
            community_memberships__community_id=room.community_id,
            community_memberships__role=CommunityMembership.Role.MODERATOR,
        )
    return User.objects.filter(
        cohort_memberships__cohort_id=room.cohort_id,
        cohort_memberships__role=FACILITATOR,
        cohort_memberships__status=ACTIVE,
    )


def rooms_for_user(*, user) -> QuerySet:
    """Every room `user` may enter, in one query (the same rules as `user_can_access_room`)."""
    if not user.is_authenticated:
        return Room.objects.none()
    cohort_ids = CohortMembership.objects.filter(user=user, status=ACTIVE).values("cohort_id")
    facilitated = CohortMembership.objects.filter(user=user, status=ACTIVE, role=FACILITATOR).values("cohort_id")
    group_ids = GroupMembership.objects.filter(user=user).values("group_id")
    community_ids = CommunityMembership.objects.filter(user=user).values("community_id")
    return Room.objects.filter(
        Q(kind__in=[Room.Kind.COHORT, Room.Kind.CASE], cohort_id__in=cohort_ids)
        | Q(kind=Room.Kind.GROUP, group_id__in=group_ids)
        | Q(kind=Room.Kind.GROUP, cohort_id__in=facilitated)
        | Q(kind=Room.Kind.COMMUNITY, community_id__in=community_ids)
    )


# --- Cohorts and their people ------------------------------------------------------------


def cohort_is_facilitator(*, user, cohort_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return CohortMembership.objects.filter(cohort_id=cohort_id, user=user, role=FACILITATOR, status=ACTIVE).exists()


def cohort_is_member(*, user, cohort_id: int) -> bool:
    """An active learner or facilitator of the cohort."""
    if not user.is_authenticated:
        return False
    return CohortMembership.objects.filter(cohort_id=cohort_id, user=user, status=ACTIVE).exists()


def cohort_list_for_user(*, user) -> QuerySet:
    """The cohorts a user facilitates or learns in, each annotated with its role for the user."""
    memberships = CohortMembership.objects.filter(cohort=OuterRef("pk"), user=user, status=ACTIVE)
    return (
        Cohort.objects.filter(memberships__user=user, memberships__status=ACTIVE)
        .annotate(
            user_facilitates=Exists(memberships.filter(role=FACILITATOR)),
        )
        .select_related("programme")
        .distinct()
    )


def cohort_facilitators(*, cohort: Cohort) -> QuerySet:
    return User.objects.filter(
        cohort_memberships__cohort=cohort, cohort_memberships__role=FACILITATOR, cohort_memberships__status=ACTIVE
    ).order_by("last_name", "first_name")


def cohort_learners(*, cohort: Cohort) -> QuerySet:
    return User.objects.filter(
        cohort_memberships__cohort=cohort, cohort_memberships__role=LEARNER, cohort_memberships__status=ACTIVE
    ).order_by("last_name", "first_name", "pk")


def cohort_learner_ids(*, cohort: Cohort) -> list[int]:
    return list(
        CohortMembership.objects.filter(cohort=cohort, role=LEARNER, status=ACTIVE).values_list("user_id", flat=True)
    )


def cohorts_for_programme_page(*, user, page) -> list[tuple[Cohort, str]]:
    """The user's active cohorts whose programme contains `page` (or is it), with the user's role."""
    if not user.is_authenticated:
        return []
    rows = (
        CohortMembership.objects.filter(user=user, status=ACTIVE)
        .exclude(cohort__status=Cohort.Status.DRAFT)
        .values_list("cohort_id", "role", "cohort__programme__path")
    )
    return [(cohort_id, role) for cohort_id, role, path in rows if page.path.startswith(path)]


# --- Composition ---------------------------------------------------------------------------


def diversity_index(counts: dict[str, int] | Counter, *, categories: int = len(Profession.choices)) -> float:
    """Normalised Shannon entropy of a mix: 0 when everyone shares one profession, 1 when the
    `categories` professions are equally represented."""
    total = sum(counts.values())
    if total == 0 or categories < 2:
        return 0.0
    entropy = -sum((n / total) * math.log(n / total) for n in counts.values() if n)
    return round(entropy / math.log(categories), 4)


@dataclass
class CompositionRow:
    code: str
    label: str
    count: int
    percent: int


@dataclass
class CohortComposition:
    total: int
    professions: list[CompositionRow]
    levels: list[CompositionRow]
    diversity: float
    missing_professions: list[str] = field(default_factory=list)
    dominant_profession: str = ""

    @property
    def warnings(self) -> list[str]:
        from django.utils.translation import gettext as _

        messages = []
        if self.missing_professions:
            messages.append(
                _("Métiers visés par le programme absents de la promotion : %(list)s.")
                % {"list": ", ".join(self.missing_professions)}
            )
        if self.dominant_profession:
            messages.append(
                _("Plus de la moitié de la promotion exerce le même métier (%(label)s) : la promotion risque de perdre son caractère interprofessionnel.")
                % {"label": self.dominant_profession}
            )
        return messages


def _rows(counter: Counter, choices, total: int) -> list[CompositionRow]:
    return [
        CompositionRow(code=code, label=str(label), count=counter.get(code, 0),
                       percent=round(100 * counter.get(code, 0) / total) if total else 0)
        for code, label in choices
    ]


def composition_from_people(people: list[tuple[str, str]], *, audience_codes: list[str]) -> CohortComposition:
    """Composition of a list of (profession, level) pairs against the programme's audience."""
    total = len(people)
    by_profession = Counter(p for p, _ in people if p)
    by_level = Counter(level for _, level in people if level)
    labels = dict(Profession.choices)
    missing = [str(labels[code]) for code in audience_codes if code in labels and not by_profession.get(code)]
    dominant = ""
    if total:
        code, count = max(by_profession.items(), key=lambda item: item[1], default=("", 0))
        if count * 2 > total:
            dominant = str(labels.get(code, code))
    return CohortComposition(
        total=total,
        professions=_rows(by_profession, Profession.choices, total),
        levels=_rows(by_level, Level.choices, total),
        diversity=diversity_index(by_profession),
        missing_professions=missing,
        dominant_profession=dominant,
    )


def cohort_composition(*, cohort: Cohort) -> CohortComposition:
    """The cohort's mix by profession and level, its diversity index and warnings (two queries)."""
    people = list(
        CohortMembership.objects.filter(cohort=cohort, role=LEARNER, status=ACTIVE).values_list(
            "user__profession", "user__level"
        )
    )
    audience = list(cohort.programme.audience_professions.values_list("code", flat=True).distinct())
    return composition_from_people(people, audience_codes=audience)


# --- Groups ---------------------------------------------------------------------------------


def cohort_groups_with_members(*, cohort: Cohort, visible_to=None) -> list[CohortGroup]:
    """The cohort's groups with `group.members` (users, ordered) and `group.room` set; 3 queries."""
    groups = list(CohortGroup.objects.filter(cohort=cohort).order_by("position", "name"))
    if visible_to is not None:
        groups = [g for g in groups if g.pk in set(
            GroupMembership.objects.filter(cohort=cohort, user=visible_to).values_list("group_id", flat=True)
        )]
    by_group: dict[int, list] = {g.pk: [] for g in groups}
    for gm in GroupMembership.objects.filter(group__in=groups).select_related("user").order_by(
        "user__last_name", "user__first_name"
    ):
        by_group[gm.group_id].append(gm.user)
    rooms = {r.group_id: r for r in Room.objects.filter(kind=Room.Kind.GROUP, group__in=groups)}
    for group in groups:
        group.members = by_group[group.pk]
        group.room = rooms.get(group.pk)
    return groups


def user_group(*, cohort: Cohort, user) -> CohortGroup | None:
    gm = GroupMembership.objects.filter(cohort=cohort, user=user).select_related("group").first()
    return gm.group if gm else None


def member_card(user, *, viewer=None) -> dict:
    """What a member list shows of `user`, as their privacy settings allow."""
    return {
        "user": user,
        "name": user.display_name,
        "profession": user.profession,
        "profession_label": user.get_profession_display() if user.profession else "",
        "organisation": user.organisation if user.share_organisation else "",
        "level": user.get_level_display() if user.share_level and user.level else "",
        "region": user.region if user.share_region else "",
        "interests": user.interests if user.share_interests else "",
    }


# --- Invitations ---------------------------------------------------------------------------


def invitation_by_token(*, token: str) -> Invitation | None:
    from cohorts.models import hash_token

    return Invitation.objects.select_related("cohort", "cohort__programme").filter(token_hash=hash_token(token)).first()


def invitation_list(*, cohort: Cohort) -> QuerySet:
    return Invitation.objects.filter(cohort=cohort).order_by("status", "email")


# --- Announcements, schedule ---------------------------------------------------------------


def announcement_list_for_user(*, cohort: Cohort, user, limit: int = 10) -> list[Announcement]:
    """What the user was told: announcements to the whole cohort and to the user's group
    (facilitators see all of them)."""
    qs = Announcement.objects.filter(cohort=cohort).select_related("group", "author")
    if not cohort_is_facilitator(user=user, cohort_id=cohort.pk):
        group_ids = GroupMembership.objects.filter(cohort=cohort, user=user).values("group_id")
        qs = qs.filter(Q(group__isnull=True) | Q(group_id__in=group_ids))
    return list(qs[:limit])


def _user_cohort_ids(user) -> QuerySet:
    return CohortMembership.objects.filter(user=user, status=ACTIVE).exclude(
        cohort__status=Cohort.Status.DRAFT
    ).values("cohort_id")


def schedule_for_user(*, user, since: datetime | None = None, limit: int | None = None) -> list[ScheduleItem]:
    """The user's dated schedule items (openings and due dates), oldest first."""
    qs = (
        ScheduleItem.objects.filter(cohort_id__in=_user_cohort_ids(user))
        .filter(Q(opens_at__isnull=False) | Q(due_at__isnull=False) | Q(debrief_opens_at__isnull=False))
        .select_related("cohort", "page")
        .order_by("due_at", "opens_at", "pk")
    )
    if since is not None:
        qs = qs.filter(Q(due_at__gte=since) | Q(due_at__isnull=True, opens_at__gte=since))
    return list(qs[:limit] if limit else qs)


def live_sessions_for_user(*, user, since: datetime | None = None, limit: int | None = None) -> list[LiveSession]:
    qs = LiveSession.objects.filter(cohort_id__in=_user_cohort_ids(user)).select_related("cohort").order_by("starts_at")
    if since is not None:
        qs = qs.filter(ends_at__gte=since)
    return list(qs[:limit] if limit else qs)


# --- Communities -------------------------------------------------------------------------


def community_is_member(*, user, community_id: int) -> bool:
    return user.is_authenticated and CommunityMembership.objects.filter(community_id=community_id, user=user).exists()


def community_list_for_user(*, user) -> list[Community]:
    """Every community, with `is_member`, `member_count` and `invited` for the directory."""
    from django.db.models import Count

    from cohorts.models import CommunityInvitation

    mine = CommunityMembership.objects.filter(community=OuterRef("pk"), user=user)
    invited = CommunityInvitation.objects.filter(
        community=OuterRef("pk"), user=user, status=CommunityInvitation.Status.PENDING
    )
    return list(
        Community.objects.annotate(
            is_member=Exists(mine), invited=Exists(invited), member_count=Count("memberships", distinct=True)
        ).order_by("name")
    )


def community_directory(*, community: Community) -> list[dict]:
    """Members who opted in to the directory, with the fields they chose to show."""
    users = User.objects.filter(community_memberships__community=community, in_directory=True).order_by(
        "last_name", "first_name"
    )
    return [member_card(u) for u in users]


def _now() -> datetime:
    return timezone.now()
