"""What cohorts adds to other apps through Wagtail hooks (see docs/architecture.md)."""

from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks

from cohorts.models import (
    Announcement,
    Cohort,
    CalendarFeed,
    CohortMembership,
    CommunityInvitation,
    CommunityMembership,
    GroupMembership,
    Invitation,
    LiveAttendance,
    LivePollAnswer,
    ScheduleItem,
)
from cohorts.live_selectors import live_attendance_statements, live_banner, live_hours, live_runs_for_case_state
from cohorts.selectors import (
    active_memberships,
    cohort_is_facilitator,
    cohorts_for_programme_page,
    invitation_by_token,
    live_sessions_for_user,
    reflection_navigation,
    schedule_for_user,
    user_cohort_ids,
)
from cohorts.services import PENDING_INVITATION_SESSION_KEY


@hooks.register("case_state")
def cohort_case_state(state) -> None:
    """Facilitators of a cohort running the programme see everything; a learner's episodes open
    and debrief open at their cohort's dates, or when a facilitator reveals them in a live session
    (`state.live_run` is the session going on, for the page's banner). Three queries, whatever the
    size of the case."""
    user, page = state.user, state.source_page  # a translation follows its original's dates
    if not getattr(user, "is_authenticated", False):
        return
    memberships = cohorts_for_programme_page(user=user, page=page)
    if not memberships:
        return
    facilitates = any(role == CohortMembership.Role.FACILITATOR for _, role in memberships)
    cohort_ids = [cohort_id for cohort_id, _ in memberships]
    runs = live_runs_for_case_state(user=user, cohort_ids=cohort_ids, page_id=page.pk, facilitator=facilitates)
    state.live_run = next((run for run in runs if run.ended_at is None), None)
    if facilitates:
        state.is_facilitator = True
        return
    for run in runs:  # what a live session revealed stays open once it is over
        state.revealed_episode_ids.update(run.revealed_episode_ids)
        if run.debrief_opened_at:
            state.debrief_open = True
    now = timezone.now()
    for episode_id, opens_at, debrief_opens_at in ScheduleItem.objects.filter(
        cohort_id__in=cohort_ids, page_id=page.pk
    ).values_list("episode_id", "opens_at", "debrief_opens_at"):
        if episode_id and opens_at:
            known = state.episode_opens_at.get(episode_id)
            state.episode_opens_at[episode_id] = min(known, opens_at) if known else opens_at
        if not episode_id and debrief_opens_at and debrief_opens_at <= now:
            state.debrief_open = True


@hooks.register("case_page_context")
def live_session_banner(request, page, state, context) -> None:
    """`live`: the live session of the reader's cohort going on for this case — the banner
    "Séance en direct", the poll open now, the breakout's countdown, the pinned rationales — and the
    addresses its script and forms use (`regions_url`: the light refresh of this page's live parts). Nothing (and no query) when no session is going on."""
    run = getattr(state, "live_run", None)
    if run is None or getattr(request, "is_preview", False):
        return
    live = live_banner(run=run, user=request.user, outline=state.outline)
    live["drives"] = state.is_facilitator and _drives(run, request.user)
    live["socket_url"] = f"/ws/live/{run.pk}/"
    live["answer_url"] = reverse("cohorts:live_answer", args=[run.cohort_id, run.pk])
    live["panel_url"] = reverse("cohorts:live_panel", args=[run.cohort_id, run.pk])
    live["regions_url"] = f'{reverse("cohorts:live_regions", args=[run.cohort_id, run.pk])}?page={page.pk}'
    context["live"] = live


def _drives(run, user) -> bool:
    return user.is_superuser or cohort_is_facilitator(user=user, cohort_id=run.cohort_id)


@hooks.register("dpc_live_hours")
def dpc_live_hours(user, programme_page) -> Decimal:
    """Hours of the live sessions of `programme_page` that `user` attended (ended sessions only, each
    for its whole length), for lms's DPC hours where the programme counts them. One query."""
    if not getattr(user, "is_authenticated", False):
        return Decimal("0.00")
    return live_hours(user=user, programme_id=programme_page.pk)


@hooks.register("peer_user_ids")
def cohort_peer_user_ids(user, programme):
    """The learners of the user's cohorts of `programme`, as a query to use inside another (no query
    of its own once the page view has read the user's memberships); None when the user is in none."""
    if not user.is_authenticated:
        return None
    cohort_ids = [row[0] for row in active_memberships(user=user) if row[3] == programme.pk]
    if not cohort_ids:
        return None
    return CohortMembership.objects.filter(
        cohort_id__in=cohort_ids, role=CohortMembership.Role.LEARNER, status=CohortMembership.Status.ACTIVE
    ).values_list("user_id", flat=True)


@hooks.register("certificate_cohort_name")
def cohort_name_for_certificate(user, programme) -> str:
    """The cohort in which `user` followed `programme`, printed on their certificate."""
    return (
        CohortMembership.objects.filter(
            user=user, role=CohortMembership.Role.LEARNER, cohort__programme_id=programme.pk
        )
        .order_by("-cohort__starts_on")
        .values_list("cohort__name", flat=True)
        .first()
        or ""
    )


@hooks.register("can_read_learner_work")
def cohort_can_read_learner_work(viewer, learner) -> bool:
    """A facilitator reads the work of the learners of the cohorts they facilitate."""
    if not viewer.is_authenticated or viewer.pk == learner.pk:
        return False
    facilitated = CohortMembership.objects.filter(
        user=viewer, role=CohortMembership.Role.FACILITATOR, status=CohortMembership.Status.ACTIVE
    ).values("cohort_id")
    return CohortMembership.objects.filter(
        cohort_id__in=facilitated, user=learner, status=CohortMembership.Status.ACTIVE
    ).exists()


@hooks.register("reflection_navigation")
def cohort_reflection_navigation(viewer, reflection, params) -> dict | None:
    """Previous / next through the cohort's waiting reflections, for its facilitators, when the
    reflection page was reached from that list (`?cohort=<id>`) and the writer learns in it."""
    cohort_id = params.get("cohort", "")
    if not viewer.is_authenticated or not cohort_id.isdigit():
        return None
    cohort = Cohort.objects.select_related("programme").filter(pk=int(cohort_id)).first()
    if cohort is None or not cohort_is_facilitator(user=viewer, cohort_id=cohort.pk):
        return None
    if not CohortMembership.objects.filter(
        cohort=cohort, user_id=reflection.user_id, role=CohortMembership.Role.LEARNER,
        status=CohortMembership.Status.ACTIVE,
    ).exists():
        return None
    return reflection_navigation(cohort=cohort, reflection=reflection)


@hooks.register("dashboard_panels")
def cohort_dashboard_panels(request) -> list[dict]:
    """Upcoming deadlines and live sessions of the learner's cohorts, with the iCal feed link."""
    user = request.user
    cohort_ids = user_cohort_ids(user=user)
    if not cohort_ids:  # one query for people outside any cohort
        return []
    now = timezone.now()
    items = schedule_for_user(user=user, since=now, limit=8, cohort_ids=cohort_ids)
    sessions = live_sessions_for_user(user=user, since=now, limit=4, cohort_ids=cohort_ids)
    if not items and not sessions:
        return []
    return [
        {
            "template": "cohorts/panels/schedule.html",
            "context": {"schedule_items": items, "live_sessions": sessions, "now": now},
            "order": 20,
        }
    ]


@hooks.register("user_data_export")
def cohort_user_data_export(user) -> dict:
    """What cohorts holds about a person (docs/privacy.md): their memberships of cohorts, groups and
    communities, the invitations addressed to them, and the announcements they wrote."""
    return {
        "cohorts": list(
            CohortMembership.objects.filter(user=user).values("cohort__name", "role", "status", "joined_at")
        ),
        "groups": list(GroupMembership.objects.filter(user=user).values("cohort__name", "group__name")),
        "communities": list(CommunityMembership.objects.filter(user=user).values("community__name", "role", "joined_at")),
        "invitations": list(_invitations_of(user).values(
            "cohort__name", "email", "name", "profession", "level", "organisation", "status", "created_at", "accepted_at",
        )),
        "community_invitations": list(
            CommunityInvitation.objects.filter(user=user).values("community__name", "status", "created_at")
        ),
        "announcements": list(Announcement.objects.filter(author=user).values(
            "cohort__name", "group__name", "subject", "body", "recipient_count", "created_at",
        )),
        "live_sessions_attended": list(LiveAttendance.objects.filter(user=user).values(
            "run__cohort__name", "run__page__title", "run__started_at", "run__ended_at", "profession", "first_seen_at",
        )),
        "live_poll_answers": list(LivePollAnswer.objects.filter(user=user).values(
            "poll__run__page__title", "poll__block_id", "named", "created_at",
        )),
    }


@hooks.register("user_erase")
def cohort_user_erase(user) -> None:
    """Before the account becomes an anonymous tombstone (lms.export.account_erase): delete the
    invitations addressed to the person (with the name and details the facilitator typed), their
    community memberships and invitations, and their calendar feed. Cohort and group memberships
    stay, so that the cohort's figures do not change; they, and the announcements the person
    wrote, now name "Ancien·ne participant·e"."""
    _invitations_of(user).delete()
    CommunityInvitation.objects.filter(user=user).delete()
    CommunityMembership.objects.filter(user=user).delete()
    CalendarFeed.objects.filter(user=user).delete()


def _invitations_of(user):
    return Invitation.objects.filter(Q(email__iexact=user.email) | Q(accepted_by=user))


@hooks.register("signup_initial")
def invitation_signup_initial(request) -> dict:
    """The signup form of someone who followed an invitation link starts from what the facilitator
    typed: the name (first word as first name), profession, level and organisation."""
    token = request.session.get(PENDING_INVITATION_SESSION_KEY)
    invitation = invitation_by_token(token=token) if token else None
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        return {}
    first_name, _space, last_name = invitation.name.strip().partition(" ")
    return {
        "first_name": first_name, "last_name": last_name.strip(), "profession": invitation.profession,
        "level": invitation.level, "organisation": invitation.organisation,
    }


@hooks.register("outcomes_cohorts")
def programme_cohorts_for_outcomes(programme) -> list[dict]:
    """The programme's cohorts and their active learners, for the owner's per-cohort report (lms.outcomes).
    One query."""
    cohorts: dict[int, dict] = {}
    rows = CohortMembership.objects.filter(
        cohort__programme_id=programme.pk, role=CohortMembership.Role.LEARNER, status=CohortMembership.Status.ACTIVE,
    ).values_list("cohort_id", "cohort__name", "user_id").order_by("cohort__name", "cohort_id")
    for cohort_id, name, user_id in rows:
        cohorts.setdefault(cohort_id, {"id": cohort_id, "name": name, "user_ids": set()})["user_ids"].add(user_id)
    return list(cohorts.values())


@hooks.register("xapi_statements")
def live_attendance_xapi(programme, user_ids) -> list[dict]:
    """Attendance at the programme's live case sessions, in lms's xAPI export (verb `attended`)."""
    return live_attendance_statements(programme=programme, user_ids=user_ids)
