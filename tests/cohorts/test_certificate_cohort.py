"""A certificate names the cohort in which the learner followed the programme."""

import pytest

from cohorts.wagtail_hooks import cohort_name_for_certificate
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort

pytestmark = pytest.mark.django_db


def test_the_learners_cohort_is_named_and_nobody_else_gets_it():
    cohort = make_cohort(name="Promotion Bretagne 2027")
    learner = add_learner(cohort)
    outsider = make_user()
    assert cohort_name_for_certificate(learner, cohort.programme) == "Promotion Bretagne 2027"
    assert cohort_name_for_certificate(outsider, cohort.programme) == ""


def test_the_facilitator_of_a_cohort_is_not_named_as_its_learner():
    cohort = make_cohort()
    facilitator = cohort.memberships.get(role="facilitator").user
    assert cohort_name_for_certificate(facilitator, cohort.programme) == ""
