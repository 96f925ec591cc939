"""A learner who follows an open programme outside any cohort can finish it alone, and a date
never opens the end of a case before an earlier episode (issue 12, defects 1 and 16)."""

from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from cms.access import case_state
from lms import services
from lms.models import Certificate
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import (
    _id,
    decision_block,
    episode_block,
    make_case,
    make_lesson,
    make_module,
    make_programme,
    reflection_block,
)

pytestmark = pytest.mark.django_db

EPISODE_3_TEXT = "Un an après, que mesurer ?"
DEBRIEF_TEXT = "Ce que le cas enseigne."


class Case:
    """Episode 1 (open, decision 1), 2 (after the decisions, decision 2), 3 (at the facilitator's
    date, a reflection), then the debrief: the shape of the demo's first case."""

    def __init__(self, *, open_enrolment=True):
        self.programme = make_programme(open_enrolment=open_enrolment)
        module = make_module(programme=self.programme)
        self.d1, self.d2 = decision_block(), decision_block(question="Et ensuite ?")
        self.reflection = reflection_block()
        self.ep1 = episode_block(title="Épisode un", content=[self.d1])
        self.ep2 = episode_block(title="Épisode deux", gate="after_decisions", content=[self.d2])
        self.ep3 = episode_block(
            title="Épisode trois", gate="scheduled",
            content=[{"type": "text", "id": _id(), "value": f"<p>{EPISODE_3_TEXT}</p>"}, self.reflection],
        )
        debrief = {"type": "debrief", "id": _id(), "value": {"body": f"<p>{DEBRIEF_TEXT}</p>"}}
        self.page = make_case(module=module, body=[self.ep1, self.ep2, self.ep3, debrief])
        self.lesson = make_lesson(module=module)

    def answer(self, user, block):
        option = block["value"]["options"][0]["id"]
        services.decision_answer_submit(user=user, page=self.page, block_id=block["id"], option_id=option, rationale="Parce que.")


def test_a_self_enrolled_learner_finishes_a_case_alone_and_gets_the_certificate(client):
    case = Case()
    learner = make_user()
    services.enrolment_self_enrol(user=learner, programme=case.programme)
    client.force_login(learner)

    html = unescape(client.get(case.page.url).content.decode())
    assert EPISODE_3_TEXT not in html and DEBRIEF_TEXT not in html
    assert "animateur·rice de votre promotion" not in html  # no facilitator is promised
    assert "quand vous avez répondu aux points de décision" in html
    with pytest.raises(services.LearningError):
        services.reflection_submit(user=learner, page=case.page, block_id=case.reflection["id"], html="Trop tôt.")

    case.answer(learner, case.d1)
    state = case_state(user=learner, page=case.page)
    assert state.self_paced and not state.episode_is_open(case.ep3["id"]) and not state.debrief_open

    case.answer(learner, case.d2)  # the last decision point: episode 3 and the debrief open
    state = case_state(user=learner, page=case.page)
    assert state.episode_is_open(case.ep3["id"]) and state.debrief_open
    html = unescape(client.get(case.page.url).content.decode())
    assert EPISODE_3_TEXT in html and DEBRIEF_TEXT in html

    services.reflection_submit(user=learner, page=case.page, block_id=case.reflection["id"], html="Ma réflexion.")
    services.page_mark_done(user=learner, page=case.lesson)
    assert Certificate.objects.filter(user=learner, programme=case.programme).exists()


def test_the_programme_pages_say_that_an_open_programme_is_followed_at_ones_own_pace(client):
    case = Case()
    learner = make_user()
    services.enrolment_self_enrol(user=learner, programme=case.programme)
    client.force_login(learner)
    pace = "les épisodes s'ouvrent au fil de vos réponses"
    assert pace in unescape(client.get(case.programme.url).content.decode())
    assert pace in unescape(client.get(f"/learn/programmes/{case.programme.pk}/").content.decode())
    closed = Case(open_enrolment=False)
    assert pace not in unescape(client.get(closed.programme.url).content.decode())


def test_a_cohort_learner_still_waits_for_the_facilitator():
    case = Case()
    cohort = make_cohort(programme=case.programme)
    learner = add_learner(cohort)
    case.answer(learner, case.d1)
    case.answer(learner, case.d2)
    state = case_state(user=learner, page=case.page)
    assert not state.self_paced
    assert not state.episode_is_open(case.ep3["id"]) and not state.debrief_open
    with pytest.raises(services.LearningError):
        services.reflection_submit(user=learner, page=case.page, block_id=case.reflection["id"], html="Trop tôt.")


def test_a_programme_kept_for_cohorts_does_not_open_on_progress():
    case = Case(open_enrolment=False)
    learner = make_user()
    services.enrolment_create(user=learner, programme=case.programme)  # e.g. a cohort since left
    case.answer(learner, case.d1)
    case.answer(learner, case.d2)
    state = case_state(user=learner, page=case.page)
    assert not state.self_paced and not state.episode_is_open(case.ep3["id"]) and not state.debrief_open


def test_a_visitor_who_is_not_enrolled_gets_nothing_opened():
    case = Case()
    state = case_state(user=make_user(), page=case.page)
    assert not state.self_paced and not state.episode_is_open(case.ep3["id"]) and not state.debrief_open


# --- Defect 16: episodes open in order --------------------------------------------------------


def test_a_release_date_does_not_open_an_episode_while_an_earlier_one_is_closed(client):
    case = Case()
    cohort = make_cohort(programme=case.programme)
    learner = add_learner(cohort)
    from cohorts.models import ScheduleItem

    ScheduleItem.objects.create(
        cohort=cohort, page=case.page, episode_id=case.ep3["id"], label="Épisode trois",
        opens_at=timezone.now() - timedelta(days=1),
    )
    state = case_state(user=learner, page=case.page)
    assert state.gate_holds(next(e for e in state.outline.episodes if e.id == case.ep3["id"]))
    assert not state.episode_is_open(case.ep2["id"])  # locked behind decision 1
    assert not state.episode_is_open(case.ep3["id"])  # so its date does not open episode 3
    assert state.episode_waits_for_previous(case.ep3["id"])
    with pytest.raises(services.LearningError):
        services.reflection_submit(user=learner, page=case.page, block_id=case.reflection["id"], html="Trop tôt.")
    client.force_login(learner)
    html = unescape(client.get(case.page.url).content.decode())
    assert EPISODE_3_TEXT not in html and "s'ouvre après l'épisode qui le précède" in html

    case.answer(learner, case.d1)  # episode 2 opens, and with it the dated episode 3
    state = case_state(user=learner, page=case.page)
    assert state.episode_is_open(case.ep2["id"]) and state.episode_is_open(case.ep3["id"])
    services.reflection_submit(user=learner, page=case.page, block_id=case.reflection["id"], html="À temps.")
