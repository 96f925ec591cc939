"""How the cohort chose: counts by profession, never names, hidden below 3 answers."""

import pytest
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from accounts.choices import Profession
from cms.access import case_state
from cms.selectors import OptionSpec
from lms import services
from lms.context import case_page_context
from lms.selectors import DISTRIBUTION_MINIMUM, distribution_view
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


def test_a_small_profession_cannot_be_worked_out_from_the_total():
    # With a directors' row (3 × a) next to "everyone" (3 × a, 1 × b), the lone nurse's b would show.
    view = distribution_view(raw={"director": {"a": 3}, "nurse": {"b": 1}}, options=OPTIONS)
    assert view.visible and view.rows == []
    assert view.overall.total == 4
    assert view.small == [("nurse", str(Profession.NURSE.label))]


def test_the_smallest_profession_shown_is_merged_with_a_remainder_below_the_minimum():
    raw = {"director": {"a": 2, "b": 1}, "physician": {"a": 1, "b": 3}, "nurse": {"b": 1}}
    view = distribution_view(raw=raw, options=OPTIONS)
    rows = {row.profession: [count for _o, _l, count, _p in row.counts] for row in view.rows}
    # The nurse alone cannot be shown; nurse + directors (4 answers) can, and then nothing is hidden.
    assert rows == {"physician": [1, 3], "": [2, 2]}
    assert [profession for profession, _label in view.small] == ["nurse"]


@given(st.dictionaries(
    st.sampled_from(Profession.values),
    st.fixed_dictionaries({}, optional={"a": st.integers(1, 6), "b": st.integers(1, 6)}),
))
def test_what_is_hidden_is_never_fewer_than_the_minimum(raw):
    """Whatever the answers, every figure shown counts at least 3 answers, and so does what "everyone"
    holds beyond the rows shown: no subtraction can single out one or two people."""
    view = distribution_view(raw=raw, options=OPTIONS)
    total = sum(sum(counts.values()) for counts in raw.values())
    if total < DISTRIBUTION_MINIMUM:
        assert not view.visible and view.rows == [] and view.overall is None
        return
    assert all(row.total >= DISTRIBUTION_MINIMUM for row in view.rows)
    hidden = view.overall.total - sum(row.total for row in view.rows)
    assert hidden == 0 or hidden >= DISTRIBUTION_MINIMUM
    for index in range(len(OPTIONS)):
        per_option = view.overall.counts[index][2] - sum(row.counts[index][2] for row in view.rows)
        assert per_option >= 0
    small = {profession for profession, counts in raw.items() if 0 < sum(counts.values()) < DISTRIBUTION_MINIMUM}
    assert {profession for profession, _label in view.small} == small
    assert not small & {row.profession for row in view.rows}


@pytest.mark.django_db
def test_the_case_page_context_shows_the_distribution_only_after_answering():
    course = make_course()
    ids = course.ids
    learners = [make_user(profession=p) for p in [Profession.DIRECTOR] * 3 + [Profession.NURSE] * 3]
    for learner in learners:
        services.enrolment_create(user=learner, programme=course.programme)
    for learner in learners[1:]:
        services.decision_answer_submit(user=learner, page=course.case, block_id=ids.decision1,
                                        option_id=ids.decision1_options[1], rationale="r")
    request = RequestFactory().get("/")
    request.user = learners[0]
    context = case_page_context(request=request, page=course.case, state=case_state(user=learners[0], page=course.case))
    assert ids.decision1 not in context["records"]  # no figures before answering

    services.decision_answer_submit(user=learners[0], page=course.case, block_id=ids.decision1,
                                    option_id=ids.decision1_options[0], rationale="r")
    context = case_page_context(request=request, page=course.case, state=case_state(user=learners[0], page=course.case))
    view = context["records"][ids.decision1]["distribution"]
    assert view.visible and view.total == 6
    assert [row.profession for row in view.rows] == ["director", "nurse"]
    assert [count for _o, _l, count, _p in view.rows[0].counts] == [1, 2, 0]
    assert [count for _o, _l, count, _p in view.rows[1].counts] == [0, 3, 0]
