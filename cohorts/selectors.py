"""Reads of the cohorts app: who may see what, members, composition, schedule, dashboard."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from wagtail import hooks

from accounts.choices import Level, Profession
from accounts.formats import percent
from cms.blocks import EpisodeGate
from cms.models import CaseStudyPage, ModulePage
from cms.selectors import case_outline
from cohorts.models import (
    Announcement,
    CalendarFeed,
    Cohort,
    CohortGroup,
    CohortMembership,
    Community,
    CommunityInvitation,
    CommunityMembership,
    GroupMembership,
    Invitation,
    LiveSession,
    ScheduleItem,
    hash_token,
)
from lms.models import DecisionAnswer, Reflection, ReflectionComment
from lms.selectors import (
    DISTRIBUTION_MINIMUM,
    decision_distributions_for_page,
    distribution_view,
    activity_progress_for_users,
)

__all__ = [
    "cohort_communities",
    "cohort_close_summary",
    "debrief_release_summary",
    "cohort_is_facilitator",
    "cohort_role",
    "cohort_list_for_user",
    "cohort_list_open_to_requests",
    "cohort_ids_requested_by",
    "cohort_pending_requests",
    "cohort_case",
    "cohort_facilitators",
    "cohort_learners",
    "cohort_composition",
    "diversity_index",
    "CohortComposition",
    "active_memberships",
    "cohorts_for_programme_page",
    "cohort_groups_with_members",
    "invitation_by_token",
    "invitation_has_account",
    "invitation_list",
    "announcement_list_for_user",
    "SchedulePart",
    "schedule_parts",
    "schedule_for_cohort",
    "schedule_for_user",
    "user_cohort_ids",
    "live_sessions_for_cohort",
    "calendar_feed_by_token",
    "live_sessions_for_user",
    "community_list_for_user",
    "community_membership_for_user",
    "community_member_count",
    "community_directory",
    "room_links",
    "cohort_participation",
    "member_card",
    "cohort_dashboard",
    "cohort_progress_rows",
    "reflections_waiting",
    "reflection_url",
    "reflection_navigation",
    "scale_maximum",
    "composition_from_people",
]

User = get_user_model()
ACTIVE = CohortMembership.Status.ACTIVE
FACILITATOR = CohortMembership.Role.FACILITATOR
LEARNER = CohortMembership.Role.LEARNER


# --- Cohorts and their people ------------------------------------------------------------


def cohort_is_facilitator(*, user, cohort_id: int) -> bool:
    if not user.is_authenticated:
        return False
    return CohortMembership.objects.filter(cohort_id=cohort_id, user=user, role=FACILITATOR, status=ACTIVE).exists()


def cohort_role(*, cohort: Cohort, user) -> str | None:
    """The user's role in the cohort (learner or facilitator) if they are an active member, else None."""
    return (
        CohortMembership.objects.filter(cohort=cohort, user=user, status=ACTIVE).values_list("role", flat=True).first()
    )


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


def cohort_list_open_to_requests(*, user, limit: int = 20) -> list[Cohort]:
    """Cohorts open for enrolment on request that the user is not (yet) in, soonest first."""
    return list(
        Cohort.objects.filter(status=Cohort.Status.OPEN, join_policy=Cohort.JoinPolicy.APPROVAL)
        .exclude(memberships__user=user)
        .select_related("programme")
        .order_by("starts_on")[:limit]
    )


def cohort_ids_requested_by(*, user) -> set[int]:
    """The cohorts the user asked to join and that have not answered yet."""
    return set(
        CohortMembership.objects.filter(user=user, status=CohortMembership.Status.PENDING).values_list(
            "cohort_id", flat=True
        )
    )


def cohort_pending_requests(*, cohort: Cohort) -> list[CohortMembership]:
    """Requests to join the cohort waiting for a facilitator, with their people."""
    return list(
        CohortMembership.objects.filter(cohort=cohort, status=CohortMembership.Status.PENDING).select_related("user")
    )


def cohort_case(*, cohort: Cohort, page_id: int) -> CaseStudyPage | None:
    """A case page of the cohort's programme, or None when `page_id` names anything else."""
    return CaseStudyPage.objects.descendant_of(cohort.programme).filter(pk=page_id).first()


def cohort_facilitators(*, cohort: Cohort) -> QuerySet:
    return User.objects.filter(
        cohort_memberships__cohort=cohort, cohort_memberships__role=FACILITATOR, cohort_memberships__status=ACTIVE
    ).order_by("last_name", "first_name")


def cohort_learners(*, cohort: Cohort) -> QuerySet:
    return User.objects.filter(
        cohort_memberships__cohort=cohort, cohort_memberships__role=LEARNER, cohort_memberships__status=ACTIVE
    ).order_by("last_name", "first_name", "pk")


def active_memberships(*, user) -> list[tuple[int, str, str, int, str]]:
    """The user's active memberships as (cohort id, role, cohort status, programme id, programme path).

    One query, kept on the user object: the hooks that one page view calls (episode dates, cohort
    peers) share it. A request's user is fetched anew by every request, so it is never stale for long.
    """
    if not user.is_authenticated:
        return []
    rows = getattr(user, "_cohorts_active_memberships", None)
    if rows is None:
        rows = list(
            CohortMembership.objects.filter(user=user, status=ACTIVE).values_list(
                "cohort_id", "role", "cohort__status", "cohort__programme_id", "cohort__programme__path"
            )
        )
        user._cohorts_active_memberships = rows
    return rows


def cohorts_for_programme_page(*, user, page) -> list[tuple[int, str]]:
    """The user's active cohorts (not drafts) whose programme contains `page` (or is it), with the user's role."""
    return [
        (cohort_id, role)
        for cohort_id, role, status, _programme_id, path in active_memberships(user=user)
        if status != Cohort.Status.DRAFT and page.path.startswith(path)
    ]


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
        messages = []
        if self.missing_professions:
            messages.append(
                gettext("Métiers visés par le programme absents de la promotion : %(list)s.")
                % {"list": ", ".join(self.missing_professions)}
            )
        if self.dominant_profession:
            messages.append(
                gettext("Plus de la moitié de la promotion exerce le même métier (%(label)s) : la promotion risque de perdre son caractère interprofessionnel.")
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
    """The cohort's groups (only those of `visible_to` when given) with `group.members` (users,
    ordered by name) set: two queries, whatever the number of groups."""
    groups = CohortGroup.objects.filter(cohort=cohort)
    if visible_to is not None:
        groups = groups.filter(memberships__user=visible_to)
    groups = list(groups.order_by("position", "name"))
    by_group: dict[int, list] = {g.pk: [] for g in groups}
    for gm in GroupMembership.objects.filter(group__in=[g.pk for g in groups]).select_related("user").order_by(
        "user__last_name", "user__first_name", "user_id"
    ):
        by_group[gm.group_id].append(gm.user)
    for group in groups:
        group.members = by_group[group.pk]
    return groups


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
    return Invitation.objects.select_related("cohort", "cohort__programme").filter(token_hash=hash_token(token)).first()


def invitation_has_account(*, invitation: Invitation) -> bool:
    """Whether the invited address already has an account (log in) or not (sign up)."""
    return User.objects.filter(email__iexact=invitation.email).exists()


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


@dataclass(frozen=True)
class SchedulePart:
    """A line of a cohort's schedule page: a module, a case page (with its debrief), or a case's
    episode that opens at the date the facilitator sets."""

    key: str  # m<page id>, c<page id> or e<page id>_<episode id>: how the schedule form names the line
    kind: str  # "module", "case" or "episode"
    page: object
    episode_id: str
    label: str
    item: ScheduleItem | None  # the dates stored for it, if any


def schedule_parts(*, cohort: Cohort) -> list[SchedulePart]:
    """Every part of the cohort's programme that can carry dates, in the programme's order, with its
    stored dates: three queries, whatever the number of modules and cases."""
    programme = cohort.programme
    items = {(i.page_id, i.episode_id): i for i in ScheduleItem.objects.filter(cohort=cohort)}
    cases_by_module: dict[str, list] = {}
    for case in CaseStudyPage.objects.live().descendant_of(programme).order_by("path"):
        cases_by_module.setdefault(case.path[: len(case.path) - case.steplen], []).append(case)
    parts = []
    for module in ModulePage.objects.child_of(programme).live().order_by("path"):
        parts.append(SchedulePart(f"m{module.pk}", "module", module, "", module.title, items.get((module.pk, ""))))
        for case in cases_by_module.get(module.path, []):
            parts.append(SchedulePart(f"c{case.pk}", "case", case, "", case.title, items.get((case.pk, ""))))
            for episode in case_outline(case).episodes:
                if episode.gate == EpisodeGate.SCHEDULED:
                    parts.append(SchedulePart(
                        f"e{case.pk}_{episode.id}", "episode", case, episode.id, f"{case.title} — {episode.title}",
                        items.get((case.pk, episode.id)),
                    ))
    return parts


def schedule_for_cohort(*, cohort: Cohort) -> list[ScheduleItem]:
    """The cohort's schedule, by date (undated last)."""
    return list(
        ScheduleItem.objects.filter(cohort=cohort).select_related("page")
        .order_by(Coalesce("opens_at", "due_at", "debrief_opens_at").asc(nulls_last=True), "pk")
    )


def live_sessions_for_cohort(*, cohort: Cohort, since: datetime | None = None, limit: int | None = None) -> list[LiveSession]:
    """The cohort's live sessions, soonest first; from `since` on (not yet over) when given."""
    qs = LiveSession.objects.filter(cohort=cohort).order_by("starts_at")
    if since is not None:
        qs = qs.filter(ends_at__gte=since)
    return list(qs[:limit] if limit else qs)


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    return CalendarFeed.objects.select_related("user").filter(token=token).first()


def user_cohort_ids(*, user) -> list[int]:
    """The non-draft cohorts the user is an active member of (from `active_memberships`)."""
    return [
        cohort_id for cohort_id, _role, status, _programme_id, _path in active_memberships(user=user)
        if status != Cohort.Status.DRAFT
    ]


def _user_cohort_ids(user) -> QuerySet:
    return CohortMembership.objects.filter(user=user, status=ACTIVE).exclude(
        cohort__status=Cohort.Status.DRAFT
    ).values("cohort_id")


def schedule_for_user(
    *, user, since: datetime | None = None, limit: int | None = None, cohort_ids: list[int] | None = None
) -> list[ScheduleItem]:
    """The user's dated schedule items (openings and due dates), oldest first."""
    qs = (
        ScheduleItem.objects.filter(cohort_id__in=_user_cohort_ids(user) if cohort_ids is None else cohort_ids)
        .filter(Q(opens_at__isnull=False) | Q(due_at__isnull=False) | Q(debrief_opens_at__isnull=False))
        .select_related("cohort", "page")
        .annotate(when=Coalesce("due_at", "opens_at", "debrief_opens_at"))
        .order_by("when", "pk")
    )
    if since is not None:
        qs = qs.filter(Q(due_at__gte=since) | Q(due_at__isnull=True, opens_at__gte=since))
    return list(qs[:limit] if limit else qs)


def live_sessions_for_user(
    *, user, since: datetime | None = None, limit: int | None = None, cohort_ids: list[int] | None = None
) -> list[LiveSession]:
    qs = LiveSession.objects.filter(
        cohort_id__in=_user_cohort_ids(user) if cohort_ids is None else cohort_ids
    ).select_related("cohort").order_by("starts_at")
    if since is not None:
        qs = qs.filter(ends_at__gte=since)
    return list(qs[:limit] if limit else qs)


# --- Communities -------------------------------------------------------------------------


def _region_key(region: str) -> str:
    """How regions are compared: case, accents and spacing aside (« Île-de-France » = « ile de france »)."""
    text = unicodedata.normalize("NFKD", region or "").encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def cohort_communities(*, cohort: Cohort) -> list[Community]:
    """The communities offered to a cohort's members when it closes: those linked to its programme
    whose region is the cohort's, or national ones (no region). A cohort without a region is
    offered only national ones; when none matches, none is offered."""
    region = _region_key(cohort.region)
    return [
        community for community in Community.objects.filter(programmes=cohort.programme_id).order_by("name")
        if not community.region.strip() or (region and _region_key(community.region) == region)
    ]


def cohort_close_summary(*, cohort: Cohort) -> dict:
    """What closing the cohort does, for its confirmation page."""
    return {
        "learners": CohortMembership.objects.filter(
            cohort=cohort, role=CohortMembership.Role.LEARNER, status=CohortMembership.Status.ACTIVE
        ).count(),
        "pending_invitations": Invitation.objects.filter(cohort=cohort, status=Invitation.Status.PENDING).count(),
        "pending_requests": CohortMembership.objects.filter(cohort=cohort, status=CohortMembership.Status.PENDING).count(),
        "communities": cohort_communities(cohort=cohort),
    }


def debrief_release_summary(*, cohort: Cohort, case) -> dict:
    """What opening a case's debrief does, for its confirmation page: who will read it, and how many
    learners have not yet answered every decision of the case."""
    learner_ids = list(CohortMembership.objects.filter(
        cohort=cohort, role=CohortMembership.Role.LEARNER, status=CohortMembership.Status.ACTIVE
    ).values_list("user_id", flat=True))
    block_ids = [spec.id for spec in case_outline(case).decision_points]
    unanswered = 0
    if block_ids and learner_ids:
        answered = (DecisionAnswer.objects.filter(user_id__in=learner_ids, page_id=case.pk, block_id__in=block_ids)
                    .values("user_id").annotate(n=Count("block_id", distinct=True)).filter(n__gte=len(block_ids)).count())
        unanswered = len(learner_ids) - answered
    return {"learners": len(learner_ids), "unanswered": unanswered, "decisions": len(block_ids)}


def community_list_for_user(*, user) -> list[Community]:
    """Every community, with `is_member`, `member_count` and `invited` for the directory."""
    mine = CommunityMembership.objects.filter(community=OuterRef("pk"), user=user)
    invited = CommunityInvitation.objects.filter(
        community=OuterRef("pk"), user=user, status=CommunityInvitation.Status.PENDING
    )
    return list(
        Community.objects.annotate(
            is_member=Exists(mine), invited=Exists(invited), member_count=Count("memberships", distinct=True)
        ).order_by("name")
    )


def community_membership_for_user(*, community: Community, user) -> CommunityMembership | None:
    return CommunityMembership.objects.filter(community=community, user=user).first()


def community_member_count(*, community: Community) -> int:
    return community.memberships.count()


def community_directory(*, community: Community) -> list[dict]:
    """Members who opted in to the directory, with the fields they chose to show."""
    users = User.objects.filter(community_memberships__community=community, in_directory=True).order_by(
        "last_name", "first_name"
    )
    return [member_card(u) for u in users]


# --- What the rooms app adds ------------------------------------------------------------------
# cohorts never imports rooms (docs/architecture.md): it defines these hooks and the rooms app
# registers its functions in rooms/wagtail_hooks.py. Without rooms, pages show no room links.

ROOM_LINKS_HOOK = "room_links"
PARTICIPATION_HOOK = "cohort_participation"


def room_links(*, cohort: Cohort | None = None, groups=(), community: Community | None = None) -> dict:
    """The pages where the cohort, each of `groups` and the community talk:
    {"cohort": url, "groups": {group id: url}, "community": url}, "" where there is none.

    Each `room_links` hook is called as `fn(cohort=, groups=, community=)` and returns the same
    shape, or part of it."""
    links = {"cohort": "", "groups": {}, "community": ""}
    for fn in hooks.get_hooks(ROOM_LINKS_HOOK):
        found = fn(cohort=cohort, groups=groups, community=community)
        links["groups"].update(found.get("groups") or {})
        links.update({key: url for key, url in found.items() if key != "groups" and url})
    return links


def cohort_participation(*, cohort: Cohort) -> dict[int, int]:
    """How much each person has written in the cohort's spaces, {user id: count}: the sum of the
    `cohort_participation` hooks, each called as `fn(cohort) -> {user id: count}`."""
    totals: Counter = Counter()
    for fn in hooks.get_hooks(PARTICIPATION_HOOK):
        totals.update(fn(cohort))
    return dict(totals)


# --- Facilitator dashboard -------------------------------------------------------------------
# lms provides progress, decision distributions and reflections (read-only here).


def _lms_distributions(*, page, programme, block_ids: list[str], user_ids: list[int]) -> dict[str, dict[str, dict[str, int]]]:
    """{block id: {profession: {option id: count}}} for the decision points of one page (one query)."""
    return decision_distributions_for_page(page=page, programme=programme, user_ids=user_ids) or {}


def reflections_waiting(*, cohort: Cohort) -> QuerySet:
    """Sent reflections, on pages of the cohort's programme, of the cohort's active learners, with no
    facilitator comment since their last sending: oldest first (lms's models, read-only). A query to
    count, slice or paginate; each row has `user` and `page`."""
    commented = ReflectionComment.objects.filter(reflection=OuterRef("pk"), created_at__gte=OuterRef("submitted_at"))
    learner_ids = CohortMembership.objects.filter(cohort=cohort, role=LEARNER, status=ACTIVE).values("user_id")
    return (
        Reflection.objects.filter(
            user_id__in=learner_ids, submitted_at__isnull=False, page__path__startswith=cohort.programme.path,
        )
        .annotate(commented=Exists(commented))
        .filter(commented=False)
        .select_related("user", "page")
        .order_by("submitted_at", "pk")
    )


def reflection_url(*, cohort: Cohort, reflection) -> str:
    """The reflection's page, reached from the cohort's list of waiting reflections: it links to the
    previous and next ones (`reflection_navigation`)."""
    return reverse("lms:reflection_detail", args=[reflection.pk]) + f"?cohort={cohort.pk}"


def reflection_navigation(*, cohort: Cohort, reflection) -> dict:
    """Where the reflection stands among the cohort's waiting reflections (oldest first), and the
    ones before and after it; a reflection just commented (no longer waiting) keeps its place, so
    "next" goes on from there. Three queries."""
    waiting = reflections_waiting(cohort=cohort)
    key = (reflection.submitted_at, reflection.pk)
    before = Q(submitted_at__lt=key[0]) | Q(submitted_at=key[0], pk__lt=key[1])
    after = Q(submitted_at__gt=key[0]) | Q(submitted_at=key[0], pk__gt=key[1])
    previous = waiting.filter(before).order_by("-submitted_at", "-pk").first() if key[0] else None
    following = waiting.filter(after).first() if key[0] else None
    counts = waiting.aggregate(
        total=Count("pk"), before=Count("pk", filter=before), this=Count("pk", filter=Q(pk=reflection.pk))
    ) if key[0] else {"total": waiting.count(), "before": 0, "this": 0}
    return {
        "cohort": cohort,
        "list_url": reverse("cohorts:reflections_waiting", args=[cohort.pk]),
        "previous": previous, "previous_url": reflection_url(cohort=cohort, reflection=previous) if previous else "",
        "next": following, "next_url": reflection_url(cohort=cohort, reflection=following) if following else "",
        "count": counts["total"],
        "position": counts["before"] + 1 if counts["this"] else 0,  # 0: this one is not waiting (any more)
    }


class ProgressCell:
    """One learner × module cell: the share of the module's activities the learner has done
    (`lms.selectors.activity_progress_for_users`: decision points answered, reflections sent,
    quizzes passed, pages with nothing to answer marked done), and whether a due date has passed
    with the module unfinished. Everything the template prints is computed once here, since a
    60 × 12 matrix renders 720 of them."""

    __slots__ = ("module_id", "fraction", "late", "percent", "state", "figure", "label", "done", "total")

    def __init__(self, module_id: int, fraction: float, late: bool, late_label: str = "", done: int = 0, total: int = 0):
        self.module_id, self.fraction, self.late, self.done, self.total = module_id, fraction, late, done, total
        self.percent = _share(done, total)
        if not total:
            self.state, self.figure = "empty", "—"
        elif fraction >= 1:
            self.state, self.figure = "done", "✓"
        elif fraction > 0:
            self.state, self.figure = "started", percent(self.percent)
        else:
            self.state, self.figure = "todo", "·"
        if total:
            self.label = gettext("%(percent)s des activités (%(done)s sur %(total)s)") % {
                "percent": percent(self.percent), "done": done, "total": total,
            }
        else:
            self.label = gettext("aucune activité")
        if late:
            self.label += f" — {late_label}"


def _share(done: int, total: int) -> int:
    """A share of activities in whole percent, never 100 before the end nor 0 after a start:
    199 of 200 reads 99 %, 1 of 200 reads 1 %."""
    if not total or not done:
        return 0
    return 100 if done >= total else min(99, max(1, round(100 * done / total)))


@dataclass
class LearnerRow:
    user: object
    group_name: str
    cells: list[ProgressCell]
    messages: int = 0
    done: int = 0  # activities done in the whole programme
    total: int = 0  # activities of the whole programme

    @property
    def overall(self) -> int:
        """The share of all the programme's activities done (not an average of modules of different sizes)."""
        return _share(self.done, self.total)

    @property
    def late_count(self) -> int:
        return sum(1 for c in self.cells if c.late)


@dataclass
class ChartBar:
    label: str
    code: str
    total: int
    segments: list[dict]  # option index, count, percent, x, width
    overall: bool = False


@dataclass
class DecisionChart:
    """How the cohort chose at one decision point, under the learners' rule (lms.selectors.distribution_view):
    nothing below the minimum of answers, small professions named but merged, never counted."""

    question: str
    options: list[str]
    bars: list[ChartBar]
    answers: int
    minimum: int  # lms.selectors.DISTRIBUTION_MINIMUM, printed in "moins de 3"
    visible: bool = True
    small: list[str] = field(default_factory=list)  # labels of the professions shown as "fewer than 3"


CHART_WIDTH = 320
DASHBOARD_REFLECTIONS = 10  # waiting reflections listed on the dashboard; the rest on their own page


def scale_maximum(value: float) -> float:
    """The end of a bar chart's scale: the smallest of 1, 2 or 5 times a power of ten that is at
    least `value` (0.3 → 0.5, 1.2 → 2, 7 → 10), so the scale reads as a round figure; 1 when
    there is nothing to draw."""
    if value <= 0:
        return 1
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        candidate = round(step * 10 ** exponent, 6)
        if candidate >= value:
            return candidate
    return 10 ** (exponent + 1)


def _rate_label(value: float) -> str:
    """A rate with two decimals at most, as many as needed ("0,33", "1,5", "2", "0,05"), in the
    reader's language."""
    rate = round(value, 2)
    return number_format(int(rate) if rate == int(rate) else rate)


def _participation_by_profession(rows: list) -> tuple[list[dict], str]:
    """Messages per person, by profession, and the scale their bars share: professions of different
    sizes compare on a rate, and every bar is drawn on the same scale (its end a round figure just
    above the highest rate), so equal bars mean equal rates."""
    by_profession: dict[str, dict] = {}
    labels = dict(Profession.choices)
    for row in rows:
        code = row.user.profession or "other"
        entry = by_profession.setdefault(code, {"code": code, "label": labels.get(code, code), "people": 0, "messages": 0})
        entry["people"] += 1
        entry["messages"] += row.messages
    for entry in by_profession.values():
        entry["per_person"] = entry["messages"] / entry["people"]
        entry["per_person_label"] = _rate_label(entry["per_person"])
    scale = scale_maximum(max([e["per_person"] for e in by_profession.values()] or [0]))
    for entry in by_profession.values():
        entry["width"] = round(CHART_WIDTH * entry["per_person"] / scale)
    return [by_profession[code] for code, _label in Profession.choices if code in by_profession], _rate_label(scale)


def _chart_bar(row, *, overall: bool = False) -> ChartBar:
    """A stacked bar from an lms DistributionRow (counts of one profession, or of several merged)."""
    x, segments = 0, []
    for index, (_option_id, label, count, percent) in enumerate(row.counts):
        width = round(CHART_WIDTH * count / row.total) if row.total else 0
        segments.append({"index": index, "label": label, "count": count, "percent": percent, "x": x, "width": width})
        x += width
    return ChartBar(label=row.label, code=row.profession, total=row.total, segments=segments, overall=overall)


def _decision_charts(*, case, programme, user_ids: list[int]) -> list[DecisionChart]:
    charts = []
    specs = case_outline(case).decision_points
    distributions = _lms_distributions(
        page=case, programme=programme, block_ids=[spec.id for spec in specs], user_ids=user_ids
    ) if specs else {}
    for spec in specs:
        view = distribution_view(raw=distributions.get(spec.id) or {}, options=spec.options)
        bars = [_chart_bar(row) for row in view.rows]
        if view.visible:
            bars.append(_chart_bar(view.overall, overall=True))
        charts.append(DecisionChart(
            question=spec.question, options=[o.label for o in spec.options], bars=bars, answers=view.total,
            visible=view.visible, small=[label for _code, label in view.small], minimum=DISTRIBUTION_MINIMUM,
        ))
    return charts


def cohort_dashboard(*, cohort: Cohort, case_id: int | None = None, now: datetime | None = None) -> dict:
    """Everything the facilitator dashboard shows, in a number of queries that does not grow
    with learners or modules: progress matrix (late cells against the schedule), decision
    charts of one case, reflections waiting, participation in rooms by learner and profession."""
    now = now or timezone.now()
    programme = cohort.programme
    learners = [
        m.user for m in CohortMembership.objects.filter(cohort=cohort, role=LEARNER, status=ACTIVE)
        .select_related("user").order_by("user__last_name", "user__first_name", "user_id")
    ]
    user_ids = [u.pk for u in learners]
    groups = dict(GroupMembership.objects.filter(cohort=cohort).values_list("user_id", "group__name"))
    modules = list(ModulePage.objects.child_of(programme).live().order_by("path").only("id", "title", "path"))
    due = {
        page_id: due_at
        for page_id, due_at in ScheduleItem.objects.filter(cohort=cohort, episode_id="", due_at__isnull=False)
        .values_list("page_id", "due_at")
    }
    progress = activity_progress_for_users(programme=programme, user_ids=user_ids)
    participation = cohort_participation(cohort=cohort)
    late_label = gettext("en retard (échéance passée)")
    rows = []
    for user in learners:
        module_progress = progress[user.pk]["modules"]
        cells = []
        for module in modules:
            measure = module_progress.get(module.pk, {"fraction": 0.0, "done": 0, "total": 0})
            deadline = due.get(module.pk)
            late = bool(deadline and deadline < now and measure["total"] and measure["fraction"] < 1)
            cells.append(ProgressCell(module.pk, measure["fraction"], late, late_label, measure["done"], measure["total"]))
        rows.append(LearnerRow(user=user, group_name=groups.get(user.pk, ""), cells=cells,
                               messages=participation.get(user.pk, 0),
                               done=progress[user.pk]["done"], total=progress[user.pk]["total"]))

    participation_rows, participation_scale = _participation_by_profession(rows)
    waiting = reflections_waiting(cohort=cohort)

    cases = list(CaseStudyPage.objects.live().descendant_of(programme).order_by("path").only("id", "title", "path", "body"))
    case = next((c for c in cases if c.pk == case_id), cases[0] if cases else None)
    charts = _decision_charts(case=case, programme=programme, user_ids=user_ids) if case else []
    debriefs = set(
        ScheduleItem.objects.filter(cohort=cohort, episode_id="", debrief_opens_at__lte=now).values_list("page_id", flat=True)
    )
    return {
        "modules": modules,
        "rows": rows,
        "late_learners": sum(1 for r in rows if r.late_count),
        "participation": participation_rows,
        "participation_scale": participation_scale,
        "chart_width": CHART_WIDTH,
        "cases": cases,
        "case": case,
        "charts": charts,
        "debrief_open_ids": debriefs,
        "reflections_waiting": [
            {"user": r.user, "page": r.page, "submitted_at": r.submitted_at, "url": reflection_url(cohort=cohort, reflection=r)}
            for r in waiting[:DASHBOARD_REFLECTIONS]
        ],
        "reflections_waiting_count": waiting.count(),
    }


def cohort_progress_rows(*, cohort: Cohort) -> tuple[list, list[list[str]]]:
    """The progress matrix as CSV rows: header, then one row per learner, in the active language.

    Each module column holds the cell's figure of the matrix (share of the module's activities
    done, 0–100), the total the matrix's total; professions and levels are written as their labels,
    with their codes in two columns of their own, which the invitation import reads back."""
    data = cohort_dashboard(cohort=cohort)
    header = [
        gettext("nom"), gettext("e-mail"), gettext("métier"), gettext("niveau"), gettext("organisation"),
        gettext("groupe"), *[f"{m.title} (%)" for m in data["modules"]], gettext("total (%)"),
        gettext("modules en retard"), gettext("métier (code)"), gettext("niveau (code)"),
    ]
    body = [
        [row.user.display_name, row.user.email,
         str(row.user.get_profession_display()) if row.user.profession else "",
         str(row.user.get_level_display()) if row.user.level else "",
         row.user.organisation, row.group_name, *[str(c.percent) for c in row.cells], str(row.overall),
         str(row.late_count), row.user.profession, row.user.level]
        for row in data["rows"]
    ]
    return header, body
