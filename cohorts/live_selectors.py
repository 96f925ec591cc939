"""Reads of live case sessions (docs/cohorts.md, "Live case sessions"): who takes part in a run,
what a participant's case page shows of it, the facilitator's control panel, and the summary kept
when the run ends. Writes are in `cohorts.live_services`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from wagtail import hooks

from accounts.choices import Profession
from cms.access import CaseState
from cms.selectors import case_outline, part_live_key, part_region_id
from cohorts.models import (
    CohortMembership,
    GroupMembership,
    LiveAttendance,
    LiveBreakout,
    LivePoll,
    LivePollAnswer,
    LiveRun,
    LiveRunEvent,
    ScheduleItem,
)
from cohorts.selectors import room_links
from lms import xapi
from lms.models import DecisionAnswer
from lms.selectors import decision_distributions_for_page, distribution_view

ACTIVE = CohortMembership.Status.ACTIVE
FACILITATOR = CohortMembership.Role.FACILITATOR
LEARNER = CohortMembership.Role.LEARNER
# A participant counts as present while one of their pages holds a socket to the run and has
# been heard from recently (the client pings every 25 s); a killed process leaves nobody "present" for long.
PRESENCE_WINDOW = timedelta(seconds=75)
# Breakout activity is read from the rooms app: `fn(run, breakout) -> {"messages": n, "cross_profession_replies": n}`.
BREAKOUT_ACTIVITY_HOOK = "live_breakout_activity"


def live_run_role(*, run: LiveRun, user) -> str | None:
    """"facilitator" or "learner" when `user` takes part in the run, else None: the cohort's active
    facilitators (and superusers) drive it; its active learners follow it (only the group's, for a
    group run). One or two queries."""
    if not getattr(user, "is_authenticated", False):
        return None
    role = (
        CohortMembership.objects.filter(cohort_id=run.cohort_id, user=user, status=ACTIVE)
        .values_list("role", flat=True)
        .first()
    )
    if role == FACILITATOR or user.is_superuser:
        return FACILITATOR
    if role != LEARNER:
        return None
    if run.group_id and not GroupMembership.objects.filter(group_id=run.group_id, user=user).exists():
        return None
    return LEARNER


def live_run_learner_ids(*, run: LiveRun) -> list[int]:
    """The learners who follow the run: the cohort's active learners, or its group's."""
    learners = CohortMembership.objects.filter(cohort_id=run.cohort_id, role=LEARNER, status=ACTIVE)
    if run.group_id:
        learners = learners.filter(user__group_memberships__group_id=run.group_id)
    return list(learners.values_list("user_id", flat=True))


def live_run_going_on(*, cohort_id: int) -> LiveRun | None:
    return LiveRun.objects.filter(cohort_id=cohort_id, ended_at__isnull=True).select_related("group").first()


def live_run_for_member(*, cohort_id: int, user, facilitates: bool) -> LiveRun | None:
    """The cohort's run going on, if it reaches `user`, an active member of the cohort (the caller
    checked): any run for its facilitators, else a run of the whole cohort or of the learner's own
    group. One query (two for a group's run)."""
    run = LiveRun.objects.filter(cohort_id=cohort_id, ended_at__isnull=True).select_related("page", "group").first()
    if run is None or facilitates or run.group_id is None:
        return run
    return run if GroupMembership.objects.filter(group_id=run.group_id, user=user).exists() else None


def live_runs_for_case_state(*, user, cohort_ids: list[int], page_id: int, facilitator: bool = False) -> list[LiveRun]:
    """The runs of `page` in the user's cohorts that reach them (the whole cohort's, or their group's;
    every run for a facilitator), going on or over: what they revealed stays open. One query, on the
    run's own table only: every learner's view of the case asks it, so nothing is joined."""
    runs = LiveRun.objects.filter(cohort_id__in=cohort_ids, page_id=page_id)
    if not facilitator:
        runs = runs.filter(Q(group__isnull=True) | Q(group_id__in=GroupMembership.objects.filter(user=user).values("group_id")))
    return list(runs.order_by("-started_at"))


def live_events_after(*, run_id: int, after: int, limit: int = 200) -> list[dict]:
    """The run's events after number `after`, oldest first, as the frames the socket sends."""
    return [
        event_frame(event)
        for event in LiveRunEvent.objects.filter(run_id=run_id, seq__gt=after).order_by("seq")[:limit]
    ]


def event_frame(event: LiveRunEvent) -> dict:
    """A stored event as a socket frame (docs/realtime.md, "Live case sessions")."""
    return {
        "type": "live.event", "run": event.run_id, "seq": event.seq, "kind": event.kind,
        "at": event.created_at.isoformat(), "data": event.data,
    }


def _timeline_label(event: LiveRunEvent) -> str:
    label = str(LiveRunEvent.Kind(event.kind).label)
    detail = event.data.get("title") or event.data.get("question") or event.data.get("text") or ""
    if event.kind == LiveRunEvent.Kind.BREAKOUT_START:
        detail = gettext("%(minutes)s min") % {"minutes": event.data.get("minutes")}
    return f"{label} : {detail}" if detail else label


# --- What a participant sees ------------------------------------------------------------------


@dataclass
class PinnedRationale:
    text: str
    profession: str
    profession_label: str
    name: str  # "" when the learner chose to stay anonymous
    answer_id: int


def pinned_rationales(*, run: LiveRun) -> list[PinnedRationale]:
    """The pinned rationales, in pin order, named only when the learner said so when answering live."""
    if not run.pinned_answer_ids:
        return []
    answers = {a.pk: a for a in DecisionAnswer.objects.filter(pk__in=run.pinned_answer_ids).select_related("user")}
    named = set(
        LivePollAnswer.objects.filter(poll__run=run, answer_id__in=run.pinned_answer_ids, named=True).values_list(
            "answer_id", flat=True
        )
    )
    labels = dict(Profession.choices)
    pins = []
    for pk in run.pinned_answer_ids:
        answer = answers.get(pk)
        if answer is None:  # the learner's account was erased
            continue
        profession = answer.profession or Profession.OTHER
        pins.append(PinnedRationale(
            text=answer.rationale, profession=profession, profession_label=str(labels.get(profession, "")),
            name=answer.user.display_name if pk in named else "", answer_id=pk,
        ))
    return pins


def _poll_view(*, run: LiveRun, poll: LivePoll, outline, learner_ids=None):
    spec = outline.decision_point(poll.block_id)
    if spec is None:  # the decision point was removed from the page since
        return None
    if poll.result is not None:
        raw = poll.result
    else:
        ids = live_run_learner_ids(run=run) if learner_ids is None else learner_ids
        raw = decision_distributions_for_page(page=run.page, programme=run.cohort.programme, user_ids=ids).get(poll.block_id, {})
    answered = sum(sum(counts.values()) for counts in raw.values())
    return {
        "poll": poll, "spec": spec, "answered": answered,
        "distribution": distribution_view(raw=raw, options=spec.options),
        "time_left": max(0, int((poll.ends_at - timezone.now()).total_seconds())) if poll.closed_at is None else 0,
    }


def _current_prompt(*, run: LiveRun, outline, prompt_id: str = ""):
    """The discussion prompt the groups work on: the breakout's, else the last one revealed."""
    prompts = outline.discussion_prompts
    if prompt_id:
        return next((p for p in prompts if p.id == prompt_id), None)
    opened = set(run.revealed_episode_ids)
    shown = [p for p in prompts if p.episode_id is None or p.episode_id in opened]
    return shown[-1] if shown else None


def live_breakout_going_on(*, run: LiveRun) -> LiveBreakout | None:
    return run.breakouts.filter(ended_at__isnull=True).first()


def live_banner(*, run: LiveRun, user, outline=None) -> dict:
    """What a participant's case page (or group room) shows of a run: the poll open now and whether
    they answered it, the last result, the breakout with its countdown and prompt, the pins."""
    outline = outline or case_outline(run.page.specific)
    polls = list(run.polls.order_by("-opened_at")[:2])
    current = next((p for p in polls if p.closed_at is None), None)
    closed = next((p for p in polls if p.closed_at is not None), None)
    banner = {"run": run, "seq": run.last_seq, "current_poll": None, "last_result": None, "breakout": None, "pins": []}
    if current is not None:
        spec = outline.decision_point(current.block_id)
        answer = DecisionAnswer.objects.filter(user=user, page_id=run.page_id, block_id=current.block_id).first()
        banner["current_poll"] = {
            "poll": current, "spec": spec, "answer": answer,
            "option_label": next((o.label for o in spec.options if answer and o.id == answer.option_id), "") if spec else "",
            "expired": current.ends_at <= timezone.now(),
        }
    if closed is not None and current is None:
        banner["last_result"] = _poll_view(run=run, poll=closed, outline=outline)
    breakout = live_breakout_going_on(run=run)
    if breakout is not None:
        banner["breakout"] = {"breakout": breakout, "prompt": _current_prompt(run=run, outline=outline, prompt_id=breakout.prompt_id)}
        message = (
            run.events.filter(kind=LiveRunEvent.Kind.BREAKOUT_MESSAGE, created_at__gte=breakout.started_at)
            .order_by("-seq").values_list("data", flat=True).first()
        )
        banner["breakout_message"] = (message or {}).get("text", "")
        group = GroupMembership.objects.filter(cohort_id=run.cohort_id, user=user).select_related("group").first()
        if group is not None:
            banner["group_room_url"] = room_links(groups=[group.group])["groups"].get(group.group_id, "")
    if run.debrief_opened_at:
        banner["pins"] = pinned_rationales(run=run)
    banner["key"] = f"{run.last_seq}-{bool(banner['current_poll'] and banner['current_poll']['answer'])}"
    return banner


def case_regions(*, parts, state, records, have: dict[str, str]) -> list[dict]:
    """The case page's parts that live.js refreshes (episodes, debrief), each with its element id, its
    key (`cms.selectors.part_live_key`) and whether the reader's page already shows it (`same`)."""
    regions = []
    for part in parts:
        if part.kind not in ("episode", "debrief"):
            continue
        region_id, key = part_region_id(part), part_live_key(part=part, state=state, records=records)
        regions.append({"part": part, "id": region_id, "key": key, "same": have.get(region_id) == key})
    return regions


# --- Which episodes are open to the participants ---------------------------------------------


@dataclass
class EpisodeOpenings:
    """What each episode of a run's case is for its learners: `revealed` by the facilitator, or
    `open_for` n of the `learners` already through the case's own gates (their own answers to the
    decision points before it, or the cohort's date for it), per `cms.access.CaseState` — the rule
    every case page goes through."""

    revealed: set[str]
    open_for: dict[str, int]
    learners: int

    def open_to_all(self, episode_id: str) -> bool:
        """Revealed, or already open for every learner of the run (at least one)."""
        return episode_id in self.revealed or (self.learners > 0 and self.open_for.get(episode_id, 0) == self.learners)


def live_episode_openings(*, run: LiveRun, outline, learner_ids: list[int] | None = None) -> EpisodeOpenings:
    """Episode by episode, how many of the run's learners have it open already (two queries, three
    without `learner_ids`): each learner's state is built as their case page builds it, with the
    run's reveals, their answers on the page and the cohort's dates for its episodes."""
    learner_ids = live_run_learner_ids(run=run) if learner_ids is None else learner_ids
    revealed = set(run.revealed_episode_ids)
    answers: dict[int, set[str]] = {user_id: set() for user_id in learner_ids}
    for user_id, block_id in DecisionAnswer.objects.filter(page_id=run.page_id, user_id__in=learner_ids).values_list(
        "user_id", "block_id"
    ):
        answers[user_id].add(block_id)
    opens_at = dict(
        ScheduleItem.objects.filter(cohort_id=run.cohort_id, page_id=run.page_id, opens_at__isnull=False)
        .exclude(episode_id="").values_list("episode_id", "opens_at")
    )
    open_for: Counter = Counter()
    for answered in answers.values():
        state = CaseState(user=None, page=run.page, outline=outline, episode_opens_at=opens_at,
                          answered_decision_ids=answered, revealed_episode_ids=revealed)
        for episode in outline.episodes:
            if state.episode_is_open(episode.id):
                open_for[episode.id] += 1
    return EpisodeOpenings(revealed=revealed, open_for=dict(open_for), learners=len(learner_ids))


def live_next_episode(*, outline, openings: EpisodeOpenings):
    """The episode "Révéler l'épisode suivant" opens: the first one, in the case's order, that is
    not open to every learner yet (an episode their own answers already opened for all is skipped)."""
    return next((e for e in outline.episodes if not openings.open_to_all(e.id)), None)


# --- The facilitator's control panel ----------------------------------------------------------


@dataclass
class PanelStep:
    kind: str  # "episode" | "decision" | "debrief"
    title: str
    state: str  # "open" | "opened" | "next" | "closed" | "poll" | "polled" | "not_yet"
    state_label: str
    block_id: str = ""
    poll: dict | None = None


@dataclass
class Presence:
    total_learners: int
    present: list[dict] = field(default_factory=list)
    by_profession: list[tuple[str, int, int]] = field(default_factory=list)  # (label, present, expected)
    by_group: list[tuple[str, int, int]] = field(default_factory=list)


def live_presence(*, run: LiveRun) -> Presence:
    """Who is connected now, by profession and by group, against who is expected. Two queries."""
    learners = list(
        CohortMembership.objects.filter(cohort_id=run.cohort_id, role=LEARNER, status=ACTIVE)
        .filter(Q(user__group_memberships__group_id=run.group_id) if run.group_id else Q())
        .values_list("user_id", "user__first_name", "user__last_name", "user__profession")
    )
    groups = dict(
        GroupMembership.objects.filter(cohort_id=run.cohort_id).values_list("user_id", "group__name")
    )
    since = timezone.now() - PRESENCE_WINDOW
    online = set(
        LiveAttendance.objects.filter(run=run, connections__gt=0, last_seen_at__gte=since).values_list("user_id", flat=True)
    )
    labels = dict(Profession.choices)
    presence = Presence(total_learners=len(learners))
    expected_p, present_p, expected_g, present_g = Counter(), Counter(), Counter(), Counter()
    for user_id, first, last, profession in learners:
        profession = profession or Profession.OTHER
        group = groups.get(user_id, gettext("Sans groupe"))
        expected_p[profession] += 1
        expected_g[group] += 1
        if user_id in online:
            present_p[profession] += 1
            present_g[group] += 1
            presence.present.append({
                "name": f"{first} {last}".strip(), "profession": profession,
                "profession_label": str(labels.get(profession, "")), "group": group,
            })
    presence.present.sort(key=lambda p: (p["group"], p["name"]))
    presence.by_profession = [
        (str(labels[p]), present_p[p], expected_p[p]) for p in Profession.values if expected_p[p]
    ]
    presence.by_group = [(name, present_g[name], expected_g[name]) for name in sorted(expected_g)]
    return presence


def live_panel(*, run: LiveRun) -> dict:
    """Everything the control panel shows: the case's steps in order with their state, the poll
    filling, the breakout, presence, candidate rationales to pin, and the timeline."""
    outline = case_outline(run.page.specific)
    polls = {p.block_id: p for p in run.polls.all()}
    learner_ids = live_run_learner_ids(run=run)
    openings = live_episode_openings(run=run, outline=outline, learner_ids=learner_ids)
    next_episode = live_next_episode(outline=outline, openings=openings)
    steps: list[PanelStep] = []
    episodes_by_id = {e.id: e for e in outline.episodes}
    for episode in outline.episodes:
        state, label = _episode_state(episode=episode, openings=openings, next_episode=next_episode)
        steps.append(PanelStep(kind="episode", title=episode.title, state=state, state_label=label, block_id=episode.id))
        for decision in (d for d in outline.decision_points if d.episode_id == episode.id):
            steps.append(_decision_step(run=run, decision=decision, polls=polls, openings=openings, outline=outline, learner_ids=learner_ids))
    for decision in (d for d in outline.decision_points if d.episode_id not in episodes_by_id):
        steps.append(_decision_step(run=run, decision=decision, polls=polls, openings=openings, outline=outline, learner_ids=learner_ids))
    if outline.has_debrief:
        opened = run.debrief_opened_at is not None
        steps.append(PanelStep(
            kind="debrief", title=gettext("Débriefing"), state="open" if opened else "closed",
            state_label=gettext("ouvert") if opened else gettext("fermé"),
        ))
    current_poll = next((p for p in polls.values() if p.closed_at is None), None)
    breakout = live_breakout_going_on(run=run)
    return {
        "run": run, "steps": steps, "outline": outline,
        "next_episode": next((s for s in steps if s.state == "next"), None),
        "current_poll": _poll_view(run=run, poll=current_poll, outline=outline, learner_ids=learner_ids) if current_poll else None,
        "breakout": {"breakout": breakout, "prompt": _current_prompt(run=run, outline=outline, prompt_id=breakout.prompt_id)} if breakout else None,
        "presence": live_presence(run=run),
        "pins": pinned_rationales(run=run),
        "pin_candidates": _pin_candidates(run=run, learner_ids=learner_ids) if run.debrief_opened_at else [],
        "timeline": [(e.created_at, _timeline_label(e)) for e in run.events.order_by("seq")],
        "has_groups": run.group_id is not None or run.cohort.groups.exists(),
        "prompt": _current_prompt(run=run, outline=outline),
    }


def _episode_state(*, episode, openings: EpisodeOpenings, next_episode) -> tuple[str, str]:
    """An episode's state on the panel: revealed; already open to every learner through the case's
    gates (their answers, the cohort's date); the next one to reveal (saying for how many it is
    already open); or closed."""
    if episode.id in openings.revealed:
        return "open", gettext("révélé")
    if openings.open_to_all(episode.id):
        if episode.gate == "after_decisions":
            return "opened", gettext("déjà ouvert à tou·tes par leurs réponses")
        return "opened", gettext("déjà ouvert à tou·tes à la date prévue")
    if next_episode is not None and episode.id == next_episode.id:
        n = openings.open_for.get(episode.id, 0)
        if n:
            return "next", gettext("prochain à révéler (déjà ouvert pour %(n)d sur %(total)d)") % {"n": n, "total": openings.learners}
        return "next", gettext("prochain à révéler")
    return "closed", gettext("fermé")


def _decision_step(*, run, decision, polls, openings: EpisodeOpenings, outline, learner_ids) -> PanelStep:
    poll = polls.get(decision.id)
    if poll is not None and poll.closed_at is None:
        state, label = "poll", gettext("vote en cours")
    elif poll is not None:
        state, label = "polled", gettext("vote clos")
    elif decision.episode_id is None or openings.open_to_all(decision.episode_id):
        state, label = "open", gettext("à mettre au vote")
    else:
        state, label = "not_yet", gettext("épisode pas encore révélé")
    view = _poll_view(run=run, poll=poll, outline=outline, learner_ids=learner_ids) if poll is not None else None
    return PanelStep(kind="decision", title=decision.question, state=state, state_label=label, block_id=decision.id, poll=view)


def _pin_candidates(*, run: LiveRun, learner_ids: list[int], limit: int = 30) -> list[PinnedRationale]:
    """Rationales of the run's learners on the case's decision points, newest first, not pinned yet."""
    labels = dict(Profession.choices)
    named = set(LivePollAnswer.objects.filter(poll__run=run, named=True).values_list("answer_id", flat=True))
    answers = (
        DecisionAnswer.objects.filter(page_id=run.page_id, user_id__in=learner_ids)
        .exclude(rationale="").exclude(pk__in=run.pinned_answer_ids)
        .select_related("user").order_by("-submitted_at")[:limit]
    )
    return [
        PinnedRationale(
            text=a.rationale, profession=a.profession or Profession.OTHER,
            profession_label=str(labels.get(a.profession or Profession.OTHER, "")),
            name=a.user.display_name if a.pk in named else "", answer_id=a.pk,
        )
        for a in answers
    ]


# --- The summary kept when a run ends ---------------------------------------------------------


def live_run_summary(*, run: LiveRun) -> dict:
    """What is kept of a run (JSON): attendance by profession, the reveals with their times, each
    poll's result by profession (fewer than 3 answers merged, `lms.selectors.distribution_view`),
    breakout activity from the rooms app."""
    outline = case_outline(run.page.specific)
    labels = dict(Profession.choices)
    attendance = Counter(
        (profession or Profession.OTHER) for profession in run.attendances.values_list("profession", flat=True)
    )
    events = list(run.events.order_by("seq"))
    polls = []
    for poll in run.polls.order_by("opened_at"):
        view = _poll_view(run=run, poll=poll, outline=outline)
        if view is None:
            continue
        distribution = view["distribution"]
        polls.append({
            "question": view["spec"].question, "answered": view["answered"],
            "opened_at": poll.opened_at.isoformat(), "visible": distribution.visible,
            "rows": [
                {"label": row.label, "total": row.total, "counts": [[label, n, pct] for _id, label, n, pct in row.counts]}
                for row in ([distribution.overall] if distribution.overall else []) + distribution.rows
            ],
        })
    breakouts = []
    for breakout in run.breakouts.order_by("started_at"):
        activity = {"messages": 0, "cross_profession_replies": 0}
        for fn in hooks.get_hooks(BREAKOUT_ACTIVITY_HOOK):
            for key, value in fn(run, breakout).items():
                activity[key] = activity.get(key, 0) + value
        ended = breakout.ended_at or run.ended_at or timezone.now()
        breakouts.append({
            "started_at": breakout.started_at.isoformat(),
            "minutes": round((ended - breakout.started_at).total_seconds() / 60, 1), **activity,
        })
    return {
        "case": run.page.title, "cohort": run.cohort.name, "group": run.group.name if run.group_id else "",
        "started_at": run.started_at.isoformat(), "ended_at": (run.ended_at or timezone.now()).isoformat(),
        "attendance": [[str(labels[p]), attendance[p]] for p in Profession.values if attendance[p]],
        "attendance_total": sum(attendance.values()),
        "reveals": [[e.created_at.isoformat(), e.data.get("title", "")] for e in events if e.kind == LiveRunEvent.Kind.REVEAL],
        "debrief_opened_at": run.debrief_opened_at.isoformat() if run.debrief_opened_at else "",
        "polls": polls, "breakouts": breakouts,
        "timeline": [[e.created_at.isoformat(), _timeline_label(e)] for e in events],
    }


def live_runs_for_cohort(*, cohort_id: int) -> list[LiveRun]:
    return list(LiveRun.objects.filter(cohort_id=cohort_id).select_related("page", "group").order_by("-started_at"))


def live_hours(*, user, programme_id: int) -> Decimal:
    """Hours of the ended live runs of `programme_id`'s cohorts that `user` attended: each run
    counts for its whole length (rounded to the hundredth of an hour). One query."""
    total = timedelta()
    for started, ended in LiveAttendance.objects.filter(
        user=user, run__cohort__programme_id=programme_id, run__ended_at__isnull=False
    ).values_list("run__started_at", "run__ended_at"):
        total += ended - started
    return (Decimal(int(total.total_seconds())) / Decimal(3600)).quantize(Decimal("0.01"))


def live_attendance_statements(*, programme, user_ids: set[int] | None = None) -> list[dict]:
    """One xAPI statement per attendance at an ended live run of `programme`'s cohorts (of `user_ids`
    when given), verb `attended`, object the run (a meeting under the case page's activity id), with
    its length. One query."""
    attendances = LiveAttendance.objects.filter(run__cohort__programme_id=programme.pk, run__ended_at__isnull=False)
    if user_ids is not None:
        attendances = attendances.filter(user_id__in=user_ids)
    rows = list(attendances.values_list(
        "pk", "user_id", "user__email", "run_id", "run__page_id", "run__page__title", "run__started_at", "run__ended_at",
    ))
    titles = {page_id: title for _pk, _u, _e, _r, page_id, title, _s, _e2 in rows}
    titles[programme.pk] = programme.title
    statements = []
    for pk, user_id, email, run_id, page_id, _title, started_at, ended_at in rows:
        seconds = max(int((ended_at - started_at).total_seconds()), 0)
        statements.append(xapi.statement(
            f"live-attendance:{pk}", user_id=user_id, email=email, verb="attended",
            obj=xapi.activity(page_id, titles, "meeting", f"live/{run_id}"), timestamp=ended_at,
            programme_id=programme.pk, titles=titles,
            result={"completion": True, "duration": f"PT{seconds // 3600}H{seconds % 3600 // 60}M{seconds % 60}S"},
        ))
    return statements


def live_summary_display(summary: dict) -> dict:
    """The kept summary with its times as datetimes again, for the summary page."""
    def at(value: str):
        return datetime.fromisoformat(value) if value else None

    return {
        **summary,
        "reveals": [(at(when), title) for when, title in summary.get("reveals", [])],
        "timeline": [(at(when), label) for when, label in summary.get("timeline", [])],
    }
