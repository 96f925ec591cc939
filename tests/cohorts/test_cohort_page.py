"""The cohort page (`/cohorts/<id>/`) reads the same number of rows whatever the size of the
cohort: learners, announcements, dates, live sessions, requests to join (groups: see the group
listing's own test)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import CohortMembership, GroupMembership
from cohorts.services import announcement_send, groups_form, live_session_create, schedule_save
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort, make_programme
from tests.queries import page_queries

pytestmark = pytest.mark.django_db

# Measured: 17 for a facilitator, 18 for a learner, cold or warm (session, user, cohort and role,
# members, groups and their rooms, the cohort's room, facilitators, composition, announcements,
# dates, sessions, requests to join).
COHORT_PAGE_BOUND = 18


def _grow(cohort, *, n: int) -> None:
    """`n` more of everything the page lists, in the same two groups."""
    facilitator = cohort.created_by
    for _ in range(n):
        add_learner(cohort)
        CohortMembership.objects.create(cohort=cohort, user=make_user(), status=CohortMembership.Status.PENDING)
    learners = cohort.memberships.filter(role="learner").count()
    groups_form(cohort=cohort, size=-(-learners // 2), seed=0)  # two groups of at most half
    soon = timezone.now() + timedelta(days=1)
    modules = list(cohort.programme.get_children().specific())
    schedule_save(cohort=cohort, items=[{"page": page, "opens_at": soon} for page in modules[:n]])
    for i in range(n):
        announcement_send(cohort=cohort, author=facilitator, subject=f"Annonce {i}", body="Bonjour")
        live_session_create(cohort=cohort, title=f"Séance {i}", starts_at=soon, ends_at=soon + timedelta(hours=1),
                            place="Rennes")


def test_the_cohort_page_costs_the_same_for_a_small_or_a_large_cohort(client):
    cohort = make_cohort(programme=make_programme(modules=6), learners=2)
    _grow(cohort, n=1)
    facilitator = cohort.created_by
    learner = GroupMembership.objects.filter(cohort=cohort).first().user
    url = reverse("cohorts:cohort_detail", args=[cohort.pk])
    client.force_login(facilitator)
    client.get(url)  # warm per-process caches (content types, site)
    small = {"facilitator": page_queries(client, url)}
    client.force_login(learner)
    client.get(url)
    small["learner"] = page_queries(client, url)

    _grow(cohort, n=5)
    assert cohort.groups.count() == 2
    client.force_login(facilitator)
    client.get(url)
    large = {"facilitator": page_queries(client, url)}
    page = client.get(url).content.decode()
    assert "Annonce 4" in page and page.count("<strong>Séance ") == 5  # the next five sessions
    client.force_login(learner)
    client.get(url)
    large["learner"] = page_queries(client, url)
    assert large == small, (small, large)
    for queries in small.values():
        assert queries.cold <= COHORT_PAGE_BOUND and queries.warm <= COHORT_PAGE_BOUND, small
