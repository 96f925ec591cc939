"""Writes of live case sessions (docs/cohorts.md, "Live case sessions").

Every step a facilitator takes goes through one function here, which checks who acts (the run's
cohort's active facilitators drive it; `PermissionDenied` otherwise), locks the run's row, stores the
new state, numbers the step (`LiveRunEvent`, 1, 2, 3… per run) and registers its broadcast for after
the commit. The broadcast is the rooms app's (`rooms/events.py`), reached through the Wagtail hook
`live_run_event` because cohorts never imports rooms. Bad input raises `ValidationError` before
anything is written.

Answers to a live poll are the learner's ordinary decision answers (`lms.services.decision_answer_submit`):
one record whether the learner answers live or alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail import hooks

from cms.models import CaseStudyPage
from cms.selectors import case_outline
from cohorts import live_selectors
from cohorts.live_selectors import FACILITATOR, LEARNER, live_run_role
from cohorts.models import (
    Cohort,
    CohortGroup,
    LiveAttendance,
    LiveBreakout,
    LivePoll,
    LivePollAnswer,
    LiveRun,
    LiveRunEvent,
    LiveSession,
)
from cohorts.services import cohort_check
from lms.models import DecisionAnswer
from lms.selectors import decision_distributions_for_page
from lms.services import LearningError, decision_answer_submit

# fn(run_id, frame): broadcast a frame to the run's sockets after commit (rooms registers it).
LIVE_EVENT_HOOK = "live_run_event"
# fn(run=, author=, text=, client_id=): post the facilitator's message in the group rooms of the run.
BREAKOUT_MESSAGE_HOOK = "live_breakout_message"

POLL_MINUTES = (1, 30)
BREAKOUT_MINUTES = (1, 90)
MAX_MESSAGE = 500
MAX_PINS = 3
Kind = LiveRunEvent.Kind


def _broadcast(run_id: int, frame) -> None:
    """Send `frame` (a dict, or a function building it, called after the commit) to the run's sockets."""
    def send():
        payload = frame() if callable(frame) else frame
        for fn in hooks.get_hooks(LIVE_EVENT_HOOK):
            fn(run_id, payload)

    transaction.on_commit(send, robust=True)


def _check_driver(run_or_cohort, actor) -> None:
    cohort_id = run_or_cohort.pk if isinstance(run_or_cohort, Cohort) else run_or_cohort.cohort_id
    probe = run_or_cohort if isinstance(run_or_cohort, LiveRun) else LiveRun(cohort_id=cohort_id)
    if live_run_role(run=probe, user=actor) != FACILITATOR:
        raise PermissionDenied(_("Seul·es les animateur·rices de la promotion conduisent une séance en direct."))


def _locked(run: LiveRun, actor) -> LiveRun:
    """The run's row, locked until the transaction ends, once the actor is known to drive it and the run goes on."""
    _check_driver(run, actor)
    locked = LiveRun.objects.select_for_update().select_related("cohort__programme", "page").get(pk=run.pk)
    if locked.ended_at is not None:
        raise ValidationError(_("Cette séance en direct est terminée."), code="ended")
    return locked


def _step(run: LiveRun, kind: str, data: dict | None = None, *, fields=()) -> LiveRunEvent:
    """Number the step, store it with the run's new state, broadcast it after commit."""
    run.last_seq += 1
    run.save(update_fields=["last_seq", *fields])
    event = LiveRunEvent.objects.create(run=run, seq=run.last_seq, kind=kind, data=data or {})
    _broadcast(run.pk, live_selectors.event_frame(event))
    return event


def _outline(run: LiveRun):
    return case_outline(run.page.specific)


def _minutes(value, bounds: tuple[int, int]) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = 0
    if not bounds[0] <= minutes <= bounds[1]:
        raise ValidationError(
            _("Indiquez une durée entre %(low)d et %(high)d minutes.") % {"low": bounds[0], "high": bounds[1]},
            code="minutes",
        )
    return minutes


# --- Starting and ending ----------------------------------------------------------------------


@transaction.atomic
def live_run_start(
    *, cohort: Cohort, page, actor, group: CohortGroup | None = None, live_session: LiveSession | None = None
) -> LiveRun:
    """Start a live run of one case of the cohort's programme, for the cohort or one of its groups.
    The episodes open to all from the start count as revealed."""
    _check_driver(cohort, actor)
    cohort_check(cohort, "live")
    page = page.specific if page is not None else None
    if not isinstance(page, CaseStudyPage) or not page.live or not page.path.startswith(cohort.programme.path):
        raise ValidationError(_("Choisissez une étude de cas publiée du programme de la promotion."), code="page")
    if group is not None and group.cohort_id != cohort.pk:
        raise ValidationError(_("Ce groupe n'est pas de cette promotion."), code="group")
    if live_session is not None and live_session.cohort_id != cohort.pk:
        raise ValidationError(_("Cette séance n'est pas au calendrier de cette promotion."), code="session")
    Cohort.objects.select_for_update().filter(pk=cohort.pk).first()  # two facilitators starting at once: one wins
    if LiveRun.objects.filter(cohort=cohort, ended_at__isnull=True).exists():
        raise ValidationError(_("Une séance en direct de cette promotion est déjà en cours : terminez-la d'abord."), code="going_on")
    revealed = []
    for episode in case_outline(page).episodes:
        if episode.gate != "open":
            break
        revealed.append(episode.id)
    run = LiveRun.objects.create(
        cohort=cohort, group=group, page=page, live_session=live_session, started_by=actor,
        revealed_episode_ids=revealed,
    )
    _step(run, Kind.START, {"title": page.title, "group": group.name if group else ""})
    return run


@transaction.atomic
def live_run_end(*, run: LiveRun, actor) -> LiveRun:
    """End the run: close the poll and the breakout still going on, keep the summary."""
    run = _locked(run, actor)
    now = timezone.now()
    for poll in run.polls.filter(closed_at__isnull=True):
        _poll_close(run, poll, now)
    run.breakouts.filter(ended_at__isnull=True).update(ended_at=now)
    run.ended_at = now
    _step(run, Kind.END, {}, fields=["ended_at"])
    run.summary = live_selectors.live_run_summary(run=run)
    run.save(update_fields=["summary"])
    return run


# --- Reveal and debrief -----------------------------------------------------------------------


@transaction.atomic
def live_reveal_next(*, run: LiveRun, actor) -> LiveRunEvent:
    """Open the next episode for every participant at once: the first, in the case's order, not open
    to all of them yet (`live_selectors.live_next_episode`, what the panel offers). Episodes before it
    that the learners' own answers already opened for all are revealed with it, so a latecomer who
    has not answered is not kept behind them (episodes open in order)."""
    run = _locked(run, actor)
    outline = _outline(run)
    openings = live_selectors.live_episode_openings(run=run, outline=outline)
    episode = live_selectors.live_next_episode(outline=outline, openings=openings)
    if episode is None:
        raise ValidationError(_("Tous les épisodes du cas sont déjà révélés ou ouverts à tou·tes."), code="all_revealed")
    opened = []
    for spec in outline.episodes:
        if spec.id not in run.revealed_episode_ids:
            opened.append(spec.id)
        if spec.id == episode.id:
            break
    run.revealed_episode_ids = [*run.revealed_episode_ids, *opened]
    return _step(run, Kind.REVEAL, {"episode_id": episode.id, "title": episode.title}, fields=["revealed_episode_ids"])


@transaction.atomic
def live_debrief_open(*, run: LiveRun, actor) -> LiveRunEvent:
    """Open the case's debrief for every participant at once."""
    run = _locked(run, actor)
    if not _outline(run).has_debrief:
        raise ValidationError(_("Ce cas n'a pas de débriefing."), code="no_debrief")
    if run.debrief_opened_at is not None:
        raise ValidationError(_("Le débriefing est déjà ouvert."), code="already_open")
    run.debrief_opened_at = timezone.now()
    return _step(run, Kind.DEBRIEF, {}, fields=["debrief_opened_at"])


@transaction.atomic
def live_pin(*, run: LiveRun, actor, answer_id, pinned: bool = True) -> LiveRunEvent:
    """Pin (or unpin) a learner's rationale for the debrief: at most three, each of a different profession."""
    run = _locked(run, actor)
    try:
        answer_id = int(answer_id)
    except (TypeError, ValueError):
        raise ValidationError(_("Choisissez une justification."), code="answer") from None
    if not pinned:
        if answer_id not in run.pinned_answer_ids:
            raise ValidationError(_("Cette justification n'est pas épinglée."), code="not_pinned")
        run.pinned_answer_ids = [pk for pk in run.pinned_answer_ids if pk != answer_id]
        return _step(run, Kind.UNPIN, {"answer": answer_id}, fields=["pinned_answer_ids"])
    if run.debrief_opened_at is None:
        raise ValidationError(_("Ouvrez le débriefing avant d'épingler des justifications."), code="debrief_closed")
    answer = DecisionAnswer.objects.filter(
        pk=answer_id, page_id=run.page_id, user_id__in=live_selectors.live_run_learner_ids(run=run)
    ).exclude(rationale="").first()
    if answer is None:
        raise ValidationError(_("Cette justification n'est pas celle d'un·e participant·e à ce cas."), code="answer")
    if answer.pk in run.pinned_answer_ids:
        raise ValidationError(_("Cette justification est déjà épinglée."), code="already_pinned")
    if len(run.pinned_answer_ids) >= MAX_PINS:
        raise ValidationError(_("Trois justifications au plus : retirez-en une d'abord."), code="too_many")
    pinned_professions = set(
        DecisionAnswer.objects.filter(pk__in=run.pinned_answer_ids).values_list("profession", flat=True)
    )
    if answer.profession in pinned_professions:
        raise ValidationError(_("Une justification de ce métier est déjà épinglée : choisissez un autre métier."), code="same_profession")
    run.pinned_answer_ids = [*run.pinned_answer_ids, answer.pk]
    return _step(run, Kind.PIN, {"answer": answer.pk}, fields=["pinned_answer_ids"])


# --- Polls ------------------------------------------------------------------------------------


@transaction.atomic
def live_poll_open(*, run: LiveRun, actor, block_id: str, minutes) -> LivePoll:
    """Open a decision point of the case as a poll for `minutes`; its episode must be revealed."""
    run = _locked(run, actor)
    minutes = _minutes(minutes, POLL_MINUTES)
    spec = _outline(run).decision_point(block_id or "")
    if spec is None:
        raise ValidationError(_("Ce point de décision n'existe pas dans ce cas."), code="block")
    if spec.episode_id is not None and not live_selectors.live_episode_openings(
        run=run, outline=_outline(run)
    ).open_to_all(spec.episode_id):
        raise ValidationError(_("Révélez d'abord l'épisode de ce point de décision."), code="not_revealed")
    if run.polls.filter(closed_at__isnull=True).exists():
        raise ValidationError(_("Un vote est déjà ouvert : closez-le d'abord."), code="poll_open")
    if run.polls.filter(block_id=spec.id).exists():
        raise ValidationError(_("Ce point de décision a déjà été mis au vote pendant cette séance."), code="polled")
    poll = LivePoll.objects.create(run=run, block_id=spec.id, ends_at=timezone.now() + timedelta(minutes=minutes))
    _step(run, Kind.POLL_OPEN, {"poll": poll.pk, "block_id": spec.id, "question": spec.question,
                                "ends_at": poll.ends_at.isoformat()})
    return poll


def _poll_close(run: LiveRun, poll: LivePoll, now) -> None:
    raw = decision_distributions_for_page(
        page=run.page, programme=run.cohort.programme, user_ids=live_selectors.live_run_learner_ids(run=run)
    ).get(poll.block_id, {})
    poll.closed_at = now
    poll.result = {profession: dict(counts) for profession, counts in raw.items()}
    poll.save(update_fields=["closed_at", "result"])


@transaction.atomic
def live_poll_close(*, run: LiveRun, actor) -> LivePoll:
    """Close the poll: its result (by profession, small groups merged) is shown to everyone."""
    run = _locked(run, actor)
    poll = run.polls.filter(closed_at__isnull=True).first()
    if poll is None:
        raise ValidationError(_("Aucun vote n'est ouvert."), code="no_poll")
    _poll_close(run, poll, timezone.now())
    _step(run, Kind.POLL_CLOSE, {"poll": poll.pk, "block_id": poll.block_id})
    return poll


def live_poll_answer(*, run: LiveRun, user, option_id: str, rationale: str = "", named: bool = False) -> LivePollAnswer:
    """A learner's answer to the poll open now: their decision answer (stored once, by lms), marked as
    given in this poll. An answer the learner had already given alone counts as it is. The facilitator's
    panel is told a new answer came (a count, never who chose what)."""
    if live_run_role(run=run, user=user) != LEARNER:
        raise PermissionDenied(_("Ce vote est réservé aux participant·es de la séance."))
    with transaction.atomic():
        poll = run.polls.filter(closed_at__isnull=True).first()
        if run.ended_at is not None or poll is None or poll.ends_at <= timezone.now():
            raise ValidationError(_("Le vote est clos."), code="poll_closed")
        answer = DecisionAnswer.objects.filter(user=user, page_id=run.page_id, block_id=poll.block_id).first()
        if answer is None:
            try:
                answer, _created = decision_answer_submit(
                    user=user, page=run.page.specific, block_id=poll.block_id, option_id=option_id or "",
                    rationale=(rationale or "").strip().replace("\n", " "),
                )
            except LearningError as error:
                raise ValidationError(error.message, code=error.code) from None
        try:
            with transaction.atomic():
                record = LivePollAnswer.objects.create(poll=poll, answer=answer, user=user, named=bool(named))
        except IntegrityError:  # a retry of the same answer
            record = LivePollAnswer.objects.get(poll=poll, user=user)
        # Counted after the commit: two answers committing together would each count only what their
        # own transaction saw, and the last tally would fall one short.
        _broadcast(run.pk, lambda: {"type": "live.tally", "run": run.pk, "poll": poll.pk, "answered": poll.answers.count()})
    return record


# --- Breakouts --------------------------------------------------------------------------------


@transaction.atomic
def live_breakout_start(*, run: LiveRun, actor, minutes) -> LiveBreakout:
    """Send each group to its group room for `minutes`, with the case's current discussion prompt."""
    run = _locked(run, actor)
    minutes = _minutes(minutes, BREAKOUT_MINUTES)
    if run.group_id is None and not run.cohort.groups.exists():
        raise ValidationError(_("La promotion n'a pas encore de groupes : formez-les d'abord."), code="no_groups")
    if run.breakouts.filter(ended_at__isnull=True).exists():
        raise ValidationError(_("Les groupes sont déjà en salle."), code="breakout")
    prompt = live_selectors._current_prompt(run=run, outline=_outline(run))
    breakout = LiveBreakout.objects.create(
        run=run, ends_at=timezone.now() + timedelta(minutes=minutes), prompt_id=prompt.id if prompt else ""
    )
    _step(run, Kind.BREAKOUT_START, {"breakout": breakout.pk, "minutes": minutes, "ends_at": breakout.ends_at.isoformat()})
    return breakout


@transaction.atomic
def live_breakout_message(*, run: LiveRun, actor, text: str) -> LiveRunEvent:
    """A message from the facilitator to every group room of the run (shown on every screen too)."""
    run = _locked(run, actor)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError(_("Écrivez le message à envoyer aux groupes."), code="empty")
    if len(text) > MAX_MESSAGE:
        raise ValidationError(_("Le message est trop long (%(max)d caractères au plus).") % {"max": MAX_MESSAGE}, code="too_long")
    if not run.breakouts.filter(ended_at__isnull=True).exists():
        raise ValidationError(_("Les groupes ne sont pas en salle."), code="no_breakout")
    event = _step(run, Kind.BREAKOUT_MESSAGE, {"text": text})
    for fn in hooks.get_hooks(BREAKOUT_MESSAGE_HOOK):
        fn(run=run, author=actor, text=text, client_id=f"live-{run.pk}-{event.seq}")
    return event


@transaction.atomic
def live_breakout_end(*, run: LiveRun, actor) -> LiveRunEvent:
    """Call the groups back."""
    run = _locked(run, actor)
    breakout = run.breakouts.filter(ended_at__isnull=True).first()
    if breakout is None:
        raise ValidationError(_("Les groupes ne sont pas en salle."), code="no_breakout")
    breakout.ended_at = timezone.now()
    breakout.save(update_fields=["ended_at"])
    return _step(run, Kind.BREAKOUT_END, {"breakout": breakout.pk})


# --- Attendance and presence ------------------------------------------------------------------


def live_attendance_join(*, run: LiveRun, user) -> bool:
    """A participant's page connected to the run: record their attendance (learners only, once per
    run) and count the connection for the panel's presence. False when they may not follow the run."""
    role = live_run_role(run=run, user=user)
    if role is None:
        return False
    if role == LEARNER:
        now = timezone.now()
        attendance, created = LiveAttendance.objects.get_or_create(
            run=run, user=user, defaults={"profession": user.profession or "", "connections": 1, "last_seen_at": now}
        )
        if not created:
            LiveAttendance.objects.filter(pk=attendance.pk).update(connections=_increment(1), last_seen_at=now)
    return True


def live_attendance_seen(*, run_id: int, user_id: int) -> None:
    """A connected participant's heartbeat."""
    LiveAttendance.objects.filter(run_id=run_id, user_id=user_id).update(last_seen_at=timezone.now())


def live_attendance_leave(*, run_id: int, user_id: int) -> None:
    LiveAttendance.objects.filter(run_id=run_id, user_id=user_id, connections__gt=0).update(connections=_increment(-1))


def _increment(n: int):
    return F("connections") + n
