"""The demo cohort: on the demo programme, 16+ learners of every profession and level, in
groups, with a schedule, live sessions and a community; running it twice changes nothing."""

import io

import pytest

from accounts import demo as accounts_demo
from accounts.choices import Level, Profession
from cohorts import demo
from cohorts.models import Cohort, CohortGroup, CohortMembership, Community, GroupMembership, LiveSession, ScheduleItem
from rooms.models import Room
from tests.factories_cohorts import make_case, make_catalogue, make_module

pytestmark = pytest.mark.django_db


def _programme():
    from cms.models import ProgrammePage

    programme = make_catalogue().add_child(instance=ProgrammePage(
        title="Manager la coopération en santé", slug=demo.PROGRAMME_SLUG, summary="Résumé", objectives="<p>Objectifs</p>",
    ))
    for m in range(2):
        make_case(module=make_module(programme=programme, title=f"Module {m + 1}"), title=f"Cas {m + 1}")
    return programme


def _counts():
    return (Cohort.objects.count(), CohortMembership.objects.count(), CohortGroup.objects.count(),
            GroupMembership.objects.count(), ScheduleItem.objects.count(), LiveSession.objects.count(),
            Community.objects.count(), Room.objects.count())


def test_without_the_demo_programme_the_seed_says_so_and_creates_nothing():
    accounts_demo.seed(stdout=io.StringIO())
    out = io.StringIO()
    demo.seed(stdout=out)
    assert "absent" in out.getvalue()
    assert not Cohort.objects.exists()


def test_the_demo_cohort_is_mixed_grouped_scheduled_and_idempotent():
    accounts_demo.seed(stdout=io.StringIO())
    _programme()
    demo.seed(stdout=io.StringIO())
    cohort = Cohort.objects.get(name=demo.COHORT_NAME)
    assert cohort.status == Cohort.Status.RUNNING
    learners = CohortMembership.objects.filter(cohort=cohort, role="learner").select_related("user")
    assert learners.count() >= 16
    assert {m.user.profession for m in learners} == set(Profession.values)
    assert {m.user.level for m in learners} == set(Level.values)
    assert set(demo.DEMO_LEARNERS) <= {m.user.email for m in learners}
    assert cohort.memberships.get(role="facilitator").user.email == demo.FACILITATOR_EMAIL
    assert GroupMembership.objects.filter(cohort=cohort).count() == learners.count()
    assert Room.objects.filter(kind="group", cohort=cohort).count() == CohortGroup.objects.filter(cohort=cohort).count()
    assert ScheduleItem.objects.filter(cohort=cohort, page__slug__startswith="module").exists()
    assert LiveSession.objects.filter(cohort=cohort).count() == 2
    community = Community.objects.get(slug=demo.COMMUNITY_SLUG)
    assert Room.objects.filter(kind="community", community=community).exists()
    before = _counts()
    demo.seed(stdout=io.StringIO())
    assert _counts() == before
