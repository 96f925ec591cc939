"""Live case sessions, through the services: who drives, what each step stores, what participants
then see through the ordinary access rules (cms.access.case_state), and what is kept at the end."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from wagtail import hooks

from cms.access import case_state
from cohorts import live_services as live
from cohorts.live_selectors import live_banner, live_panel, live_run_role
from cohorts.models import LiveAttendance, LivePollAnswer, LiveRun, LiveRunEvent
from lms.models import DecisionAnswer
from tests.factories_cohorts import LiveWorld

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def world():
    return LiveWorld(per_profession=2, groups=2)


def _state(world, user):
    return case_state(user=user, page=world.case)


def test_only_the_cohorts_facilitators_start_a_run_and_nothing_is_stored_on_refusal(world):
    for refused in (world.learners[0], world.other_facilitator, world.other_learner):
        with pytest.raises(PermissionDenied):
            live.live_run_start(cohort=world.cohort, page=world.case, actor=refused)
    assert not LiveRun.objects.exists()
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    assert run.revealed_episode_ids == [world.ep1["id"]]  # the episode open to all from the start
    assert list(run.events.values_list("seq", "kind")) == [(1, "start")]


def test_a_second_run_of_the_same_cohort_is_refused_while_one_goes_on(world):
    live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    with pytest.raises(ValidationError, match="déjà en cours"):
        live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)


def test_a_page_outside_the_programme_or_a_group_of_another_cohort_is_refused(world):
    other = LiveWorld(professions=("nurse",), groups=1)
    with pytest.raises(ValidationError):
        live.live_run_start(cohort=world.cohort, page=other.case, actor=world.facilitator)
    with pytest.raises(ValidationError):
        live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator, group=other.groups[0])
    assert not LiveRun.objects.filter(cohort=world.cohort).exists()


def test_reveal_opens_the_next_episode_for_every_participant_through_the_ordinary_rules(world):
    learner = world.learners[0]
    assert not _state(world, learner).episode_is_open(world.ep2["id"])
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    with pytest.raises(PermissionDenied):
        live.live_reveal_next(run=run, actor=learner)
    with pytest.raises(PermissionDenied):
        live.live_reveal_next(run=run, actor=world.other_facilitator)
    event = live.live_reveal_next(run=run, actor=world.facilitator)
    assert (event.seq, event.kind, event.data["title"]) == (2, "reveal", "La crise des urgences")
    for person in world.learners:
        assert _state(world, person).episode_is_open(world.ep2["id"])
    assert not _state(world, world.other_learner).episode_is_open(world.ep2["id"])  # another cohort
    # An episode gated on decisions opens too when revealed, whether or not the learner answered.
    live.live_reveal_next(run=run, actor=world.facilitator)
    assert _state(world, learner).episode_is_open(world.ep3["id"])
    with pytest.raises(ValidationError, match="déjà révélés"):
        live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_run_end(run=run, actor=world.facilitator)
    assert _state(world, learner).episode_is_open(world.ep3["id"])  # what was revealed stays open


def test_a_group_run_reaches_only_that_groups_learners(world):
    group = world.groups[0]
    inside = group.memberships.first().user
    outside = world.groups[1].memberships.first().user
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator, group=group)
    live.live_reveal_next(run=run, actor=world.facilitator)
    assert live_run_role(run=run, user=inside) == "learner"
    assert live_run_role(run=run, user=outside) is None
    assert _state(world, inside).episode_is_open(world.ep2["id"])
    assert not _state(world, outside).episode_is_open(world.ep2["id"])


def test_a_poll_answer_is_the_learners_one_decision_answer(world):
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    with pytest.raises(ValidationError, match="Révélez"):
        live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    live.live_reveal_next(run=run, actor=world.facilitator)
    with pytest.raises(PermissionDenied):
        live.live_poll_open(run=run, actor=world.learners[0], block_id=world.d1["id"], minutes=3)
    with pytest.raises(ValidationError, match="minutes"):
        live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=0)
    poll = live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    learner = world.learners[0]
    record = live.live_poll_answer(run=run, user=learner, option_id=world.option(world.d1, 1), rationale="La direction commune\nporte déjà les achats.", named=True)
    answer = DecisionAnswer.objects.get(user=learner, block_id=world.d1["id"])
    assert record.answer == answer and record.named
    assert answer.rationale == "La direction commune porte déjà les achats."  # one line
    # A retry stores nothing new; the learner's case page shows the same answer.
    live.live_poll_answer(run=run, user=learner, option_id=world.option(world.d1, 1), rationale="La direction commune porte déjà les achats.")
    assert DecisionAnswer.objects.filter(user=learner).count() == 1 and LivePollAnswer.objects.count() == 1
    assert world.d1["id"] in _state(world, learner).answered_decision_ids
    with pytest.raises(PermissionDenied):
        live.live_poll_answer(run=run, user=world.other_learner, option_id=world.option(world.d1, 0))
    with pytest.raises(PermissionDenied):
        live.live_poll_answer(run=run, user=world.facilitator, option_id=world.option(world.d1, 0))
    with pytest.raises(ValidationError):
        live.live_poll_answer(run=run, user=world.learners[1], option_id="no-such-option")
    assert not DecisionAnswer.objects.filter(user__in=[world.other_learner, world.facilitator, world.learners[1]]).exists()
    assert poll.answers.count() == 1


def test_an_answer_given_alone_before_the_poll_counts_as_it_is(world):
    from lms.services import decision_answer_submit

    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    learner = world.learners[0]
    decision_answer_submit(user=learner, page=world.case, block_id=world.d1["id"], option_id=world.option(world.d1, 2), rationale="")
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    record = live.live_poll_answer(run=run, user=learner, option_id=world.option(world.d1, 0))
    assert record.answer.option_id == world.option(world.d1, 2)
    assert DecisionAnswer.objects.filter(user=learner).count() == 1


def test_closing_a_poll_keeps_its_result_by_profession_with_small_professions_merged(world):
    extra = LiveWorld(professions=(), groups=0)  # unrelated data must not count
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    for learner in world.learners:  # 2 directors, 2 physicians, 2 nurses
        live.live_poll_answer(run=run, user=learner, option_id=world.option(world.d1, 0))
    with pytest.raises(PermissionDenied):
        live.live_poll_close(run=run, actor=world.learners[0])
    live.live_poll_close(run=run, actor=world.facilitator)
    with pytest.raises(ValidationError, match="Aucun vote"):
        live.live_poll_close(run=run, actor=world.facilitator)
    poll = run.polls.get()
    assert poll.closed_at is not None and sum(sum(c.values()) for c in poll.result.values()) == 6
    banner = live_banner(run=LiveRun.objects.get(pk=run.pk), user=world.learners[0])
    distribution = banner["last_result"]["distribution"]
    assert distribution.visible and distribution.total == 6
    # Every profession has 2 answers (< 3): none is shown on its own, all are merged together.
    assert {row.profession for row in distribution.rows} <= {""}
    assert extra.cohort.pk != world.cohort.pk


def test_a_closed_or_expired_poll_refuses_answers(world):
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    poll = live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=1)
    poll.ends_at = poll.opened_at
    poll.save()
    with pytest.raises(ValidationError, match="clos"):
        live.live_poll_answer(run=run, user=world.learners[0], option_id=world.option(world.d1, 0))
    assert not DecisionAnswer.objects.exists()


def test_breakout_sends_groups_to_their_rooms_with_the_prompt_and_posts_the_message_in_each(world):
    from rooms.models import Message, Room

    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    with pytest.raises(PermissionDenied):
        live.live_breakout_start(run=run, actor=world.learners[0], minutes=5)
    with pytest.raises(ValidationError, match="ne sont pas en salle"):
        live.live_breakout_message(run=run, actor=world.facilitator, text="Encore cinq minutes")
    breakout = live.live_breakout_start(run=run, actor=world.facilitator, minutes=5)
    assert breakout.prompt_id == world.prompt2["id"]  # the last prompt revealed
    banner = live_banner(run=run, user=world.learners[0])
    assert banner["breakout"]["prompt"].text == "Quels indicateurs suivre ensemble dès le premier mois ?"
    assert banner["group_room_url"].startswith("/rooms/")
    with pytest.raises(PermissionDenied):
        live.live_breakout_message(run=run, actor=world.learners[0], text="Je prends la main")
    live.live_breakout_message(run=run, actor=world.facilitator, text="Encore cinq minutes, puis synthèse")
    rooms = Room.objects.filter(kind=Room.Kind.GROUP, cohort=world.cohort)
    assert rooms.count() == 2
    for room in rooms:
        assert Message.objects.filter(room=room, author=world.facilitator, body="Encore cinq minutes, puis synthèse").count() == 1
    assert live_banner(run=run, user=world.learners[0])["breakout_message"] == "Encore cinq minutes, puis synthèse"
    live.live_breakout_end(run=run, actor=world.facilitator)
    assert live_banner(run=run, user=world.learners[0])["breakout"] is None


def test_debrief_opens_for_everyone_and_pins_take_three_rationales_of_different_professions(world):
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    for i, learner in enumerate(world.learners):
        live.live_poll_answer(run=run, user=learner, option_id=world.option(world.d1, 0), rationale=f"Raison {i}", named=i == 0)
    answers = {a.user_id: a for a in DecisionAnswer.objects.all()}
    director1, director2, physician, _p2, nurse, _n2 = (answers[u.pk] for u in world.learners)
    with pytest.raises(ValidationError, match="débriefing"):
        live.live_pin(run=run, actor=world.facilitator, answer_id=director1.pk)
    assert not _state(world, world.learners[0]).debrief_open
    with pytest.raises(PermissionDenied):
        live.live_debrief_open(run=run, actor=world.learners[0])
    live.live_debrief_open(run=run, actor=world.facilitator)
    assert _state(world, world.learners[0]).debrief_open
    assert not _state(world, world.other_learner).debrief_open
    live.live_pin(run=run, actor=world.facilitator, answer_id=director1.pk)
    with pytest.raises(ValidationError, match="ce métier"):
        live.live_pin(run=run, actor=world.facilitator, answer_id=director2.pk)
    live.live_pin(run=run, actor=world.facilitator, answer_id=physician.pk)
    live.live_pin(run=run, actor=world.facilitator, answer_id=nurse.pk)
    with pytest.raises(PermissionDenied):
        live.live_pin(run=run, actor=world.other_facilitator, answer_id=nurse.pk, pinned=False)
    pins = live_banner(run=LiveRun.objects.get(pk=run.pk), user=world.learners[3])["pins"]
    assert [p.text for p in pins] == ["Raison 0", "Raison 2", "Raison 4"]
    assert pins[0].name == world.learners[0].display_name  # named when answering
    assert pins[1].name == "" and pins[2].name == ""  # anonymous by default
    run.refresh_from_db()
    live.live_pin(run=run, actor=world.facilitator, answer_id=physician.pk, pinned=False)
    assert LiveRun.objects.get(pk=run.pk).pinned_answer_ids == [director1.pk, nurse.pk]


def test_ending_keeps_the_summary_and_refuses_any_further_step(world):
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    for learner in world.learners[:4]:
        live.live_attendance_join(run=run, user=learner)
    assert not live.live_attendance_join(run=run, user=world.other_learner)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    for learner in world.learners:
        live.live_poll_answer(run=run, user=learner, option_id=world.option(world.d1, 1))
    live.live_breakout_start(run=run, actor=world.facilitator, minutes=10)
    with pytest.raises(PermissionDenied):
        live.live_run_end(run=run, actor=world.learners[0])
    run = live.live_run_end(run=run, actor=world.facilitator)
    summary = run.summary
    assert summary["attendance_total"] == 4
    assert dict(summary["attendance"]) == {"Direction d'établissement": 2, "Médecin": 2}
    assert [title for _at, title in summary["reveals"]] == ["La crise des urgences"]
    assert summary["polls"][0]["answered"] == 6 and summary["polls"][0]["visible"]
    assert len(summary["breakouts"]) == 1 and summary["breakouts"][0]["messages"] == 0
    assert run.polls.get().closed_at is not None and run.breakouts.get().ended_at is not None
    assert list(run.events.values_list("kind", flat=True))[-1] == LiveRunEvent.Kind.END
    with pytest.raises(ValidationError, match="terminée"):
        live.live_reveal_next(run=run, actor=world.facilitator)


def test_events_are_numbered_one_by_one_per_run(world):
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_debrief_open(run=run, actor=world.facilitator)
    live.live_run_end(run=run, actor=world.facilitator)
    assert list(LiveRunEvent.objects.filter(run=run).values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert LiveRun.objects.get(pk=run.pk).last_seq == 4


def test_the_dpc_live_hours_hook_counts_ended_runs_the_learner_attended(world):
    from datetime import timedelta

    (fn,) = [f for f in hooks.get_hooks("dpc_live_hours")]
    learner, absent = world.learners[0], world.learners[1]
    assert fn(learner, world.programme) == Decimal("0.00")
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_attendance_join(run=run, user=learner)
    assert fn(learner, world.programme) == Decimal("0.00")  # not over yet
    run = live.live_run_end(run=run, actor=world.facilitator)
    LiveRun.objects.filter(pk=run.pk).update(started_at=run.ended_at - timedelta(minutes=90))
    assert fn(learner, world.programme) == Decimal("1.50")
    assert fn(absent, world.programme) == Decimal("0.00")
    other = LiveWorld(professions=("nurse",), groups=0)
    assert fn(learner, other.programme) == Decimal("0.00")


def test_the_panel_lists_steps_in_order_with_their_state_and_presence(world):
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_attendance_join(run=run, user=world.learners[0])
    live.live_attendance_join(run=run, user=world.learners[2])
    panel = live_panel(run=run)
    assert [(s.kind, s.state) for s in panel["steps"]] == [
        ("episode", "open"), ("episode", "next"), ("decision", "not_yet"), ("episode", "closed"),
        ("decision", "not_yet"), ("debrief", "closed"),
    ]
    presence = panel["presence"]
    assert len(presence.present) == 2 and presence.total_learners == 6
    assert ("Médecin", 1, 2) in presence.by_profession
    live.live_attendance_leave(run_id=run.pk, user_id=world.learners[0].pk)
    assert len(live_panel(run=run)["presence"].present) == 1
    assert LiveAttendance.objects.filter(run=run).count() == 2  # attendance is kept


def test_an_episode_the_learners_own_answers_opened_is_not_offered_as_the_next_to_reveal(world):
    """Episode 3 opens after decision 1 (gate "after_decisions"): once every learner answered it, it
    is open to all without a reveal, and the panel says so instead of "prochain à révéler"."""
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)  # episode 2
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    *first, last = world.learners
    for person in first:
        live.live_poll_answer(run=run, user=person, option_id=world.option(world.d1, 0))
    assert _state(world, first[0]).episode_is_open(world.ep3["id"])  # their answer opened it for them
    assert not _state(world, last).episode_is_open(world.ep3["id"])
    run.refresh_from_db()
    ep3 = live_panel(run=run)["steps"][3]
    assert (ep3.title, ep3.state, ep3.state_label) == ("Six mois plus tard", "next", "prochain à révéler (déjà ouvert pour 5 sur 6)")
    live.live_poll_answer(run=run, user=last, option_id=world.option(world.d1, 1))
    panel = live_panel(run=run)
    assert [(s.kind, s.state) for s in panel["steps"]] == [
        ("episode", "open"), ("episode", "open"), ("decision", "poll"), ("episode", "opened"),
        ("decision", "open"), ("debrief", "closed"),
    ]
    assert panel["steps"][3].state_label == "déjà ouvert à tou·tes par leurs réponses"
    assert panel["next_episode"] is None
    # "Reveal the next episode" does what the panel offers: there is none left to open.
    with pytest.raises(ValidationError) as refused:
        live.live_reveal_next(run=LiveRun.objects.get(pk=run.pk), actor=world.facilitator)
    assert refused.value.code == "all_revealed"
    # Its decision point can be put to the vote, like a revealed episode's.
    live.live_poll_close(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d2["id"], minutes=3)


def test_revealing_past_an_episode_some_answers_opened_reveals_both(world):
    """A revealed episode stays behind an unrevealed one for a learner who has not answered (episodes
    open in order): revealing the next one reveals the ones before it too."""
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    run.refresh_from_db()
    assert run.revealed_episode_ids == [world.ep1["id"], world.ep2["id"], world.ep3["id"]]
    for person in world.learners:
        assert _state(world, person).episode_is_open(world.ep3["id"])


def test_a_persons_data_export_lists_the_live_sessions_they_attended_and_their_live_answers(world):
    from cohorts.wagtail_hooks import cohort_user_data_export

    learner = world.learners[0]
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_attendance_join(run=run, user=learner)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    live.live_poll_answer(run=run, user=learner, option_id=world.option(world.d1, 0), named=True)
    data = cohort_user_data_export(learner)
    assert [row["run__page__title"] for row in data["live_sessions_attended"]] == [world.case.title]
    assert [(row["poll__block_id"], row["named"]) for row in data["live_poll_answers"]] == [(world.d1["id"], True)]
    assert cohort_user_data_export(world.learners[1])["live_sessions_attended"] == []


def test_attended_live_hours_reach_the_dpc_attestation_only_where_the_programme_counts_them(world):
    """The chain through the real apps: cohorts' attendance, its `dpc_live_hours` hook, lms's call
    site and the programme's flag (the attestation prints `lms.selectors.dpc_live_hours`)."""
    from datetime import timedelta

    from lms.selectors import dpc_live_hours

    learner = world.learners[0]
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_attendance_join(run=run, user=learner)
    run = live.live_run_end(run=run, actor=world.facilitator)
    LiveRun.objects.filter(pk=run.pk).update(started_at=run.ended_at - timedelta(minutes=90))

    programme = world.programme
    programme.dpc_live_sessions_count = False
    assert dpc_live_hours(user=learner, programme=programme) == Decimal("0")
    programme.dpc_live_sessions_count = True
    assert dpc_live_hours(user=learner, programme=programme) == Decimal("1.5")
    assert dpc_live_hours(user=world.learners[1], programme=programme) == Decimal("0")


def test_attendance_at_an_ended_live_run_is_an_xapi_attended_statement_in_the_programme_export(world):
    from datetime import timedelta

    from lms import xapi
    from tests.lms.test_xapi import validate_statement

    learner = world.learners[0]
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_attendance_join(run=run, user=learner)
    live.live_attendance_join(run=run, user=world.learners[1])

    def attended(**kwargs):
        return [s for s in xapi.programme_statements(programme=world.programme, **kwargs) if s["verb"]["id"].endswith("/attended")]

    assert attended() == []  # not over yet
    run = live.live_run_end(run=run, actor=world.facilitator)
    LiveRun.objects.filter(pk=run.pk).update(started_at=run.ended_at - timedelta(minutes=90, seconds=5))
    statements = attended()
    assert len(statements) == 2
    for statement in statements:
        validate_statement(statement)
        assert statement["result"]["duration"] == "PT1H30M5S"
        assert statement["object"]["id"].endswith(f"/pages/{world.case.pk}/live/{run.pk}")
        assert "mbox" not in statement["actor"]
    assert [s["actor"]["account"]["name"] for s in attended(user_ids={learner.pk})] == [str(learner.pk)]


def test_a_poll_tally_counts_the_answers_committed_when_it_is_sent(world, django_capture_on_commit_callbacks):
    """Two answers committing together must not both announce the count their own transaction saw
    (the last tally would then fall one short of everyone): the count is read after the commit."""
    from cohorts.live_services import LIVE_EVENT_HOOK

    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    sent = []
    with hooks.register_temporarily(LIVE_EVENT_HOOK, lambda run_id, frame: sent.append(frame)):
        with django_capture_on_commit_callbacks(execute=False) as first:
            live.live_poll_answer(run=run, user=world.learners[0], option_id=world.option(world.d1, 0))
        live.live_poll_answer(run=run, user=world.learners[1], option_id=world.option(world.d1, 1))  # commits meanwhile
        for callback in first:
            callback()
    assert [f["answered"] for f in sent if f["type"] == "live.tally"][-1] == 2
