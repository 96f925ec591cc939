"""How the cohort chose: counts by profession, never names, hidden below 3 answers."""

import pytest
from django.test import RequestFactory

from accounts.choices import Profession
from cms.access import case_state
from cms.selectors import OptionSpec
from lms import services
from lms.context import case_page_lms_context
from lms.selectors import distribution_view
from tests.factories import make_user
from tests.factories_lms import make_course

OPTIONS = (OptionSpec(id="a", label="Réunir"), OptionSpec(id="b", label="Décider seul"))


def test_the_distribution_is_hidden_below_three_answers():
    view = distribution_view(raw={"director": {"a": 1}, "nurse": {"b": 1}}, options=OPTIONS)
    assert not view.visible and view.rows == [] and view.overall is None


def test_the_distribution_counts_by_profession_and_merges_small_professions():
    raw = {"director": {"a": 2, "b": 1}, "nurse": {"a": 1}, "regulator": {"b": 1}, "physician": {"a": 1}}
    view = distribution_view(raw=raw, options=OPTIONS)
    assert view.visible and view.total == 6
    rows = {row.profession: [(option_id, count) for option_id, _label, count, _pct in row.counts] for row in view.rows}
    # Directors (3 answers) get their own row; the three single answers are merged, never shown alone.
    assert rows == {"director": [("a", 2), ("b", 1)], "": [("a", 2), ("b", 1)]}
    assert [(o, c) for o, _l, c, _p in view.overall.counts] == [("a", 4), ("b", 2)]


def test_a_profession_alone_below_the_minimum_is_left_out_but_counted_in_the_total():
    view = distribution_view(raw={"director": {"a": 3}, "nurse": {"b": 1}}, options=OPTIONS)
    assert [row.profession for row in view.rows] == ["director"]
    assert view.overall.total == 4


@pytest.mark.django_db
def test_the_case_page_context_shows_the_distribution_only_after_answering():
    course = make_course()
    ids = course.ids
    learners = [make_user(profession=p) for p in (Profession.DIRECTOR, Profession.DIRECTOR, Profession.DIRECTOR, Profession.NURSE)]
    for learner in learners:
        services.enrolment_create(user=learner, programme=course.programme)
    for learner in learners[1:]:
        services.decision_answer_submit(user=learner, page=course.case, block_id=ids.decision1,
                                        option_id=ids.decision1_options[1], rationale="r")
    request = RequestFactory().get("/")
    request.user = learners[0]
    context = case_page_lms_context(request=request, page=course.case, state=case_state(user=learners[0], page=course.case))
    assert context["decisions"][ids.decision1]["distribution"] is None  # not before answering

    services.decision_answer_submit(user=learners[0], page=course.case, block_id=ids.decision1,
                                    option_id=ids.decision1_options[0], rationale="r")
    context = case_page_lms_context(request=request, page=course.case, state=case_state(user=learners[0], page=course.case))
    view = context["decisions"][ids.decision1]["distribution"]
    assert view.visible and view.total == 4
    assert [row.profession for row in view.rows] == ["director"]
    assert [count for _o, _l, count, _p in view.rows[0].counts] == [1, 2, 0]
