"""Cohort pages and the group listing read a number of rows that does not grow with the groups."""

import pytest
from django.urls import reverse

from cohorts.models import GroupMembership
from cohorts.selectors import cohort_groups_with_members
from cohorts.services import groups_form
from tests.factories_cohorts import make_cohort
from tests.queries import count_queries

pytestmark = pytest.mark.django_db

# Measured: 17 and 8, everything included (session, user, cohort, members, groups, room links…, and
# the live session going on, for the "Séances en direct" card).
COHORT_PAGE_BOUND = 17
GROUP_PAGE_BOUND = 8


def _cohort_with_groups(groups: int):
    cohort = make_cohort(learners=3 * groups)
    assert len(groups_form(cohort=cohort, size=3, seed=0)) == groups
    return cohort


@pytest.mark.parametrize("groups", [2, 6])
def test_the_group_listing_takes_two_queries_whatever_the_number_of_groups(django_assert_num_queries, groups):
    cohort = _cohort_with_groups(groups)
    learner = GroupMembership.objects.filter(cohort=cohort).first().user
    with django_assert_num_queries(2):
        listed = cohort_groups_with_members(cohort=cohort)
    assert [len(group.members) for group in listed] == [3] * groups
    with django_assert_num_queries(2):
        (own,) = cohort_groups_with_members(cohort=cohort, visible_to=learner)
    assert learner in own.members


def test_the_cohort_page_and_the_group_page_cost_the_same_with_two_or_six_groups(client):
    counts = {}
    for groups in (2, 6):
        cohort = _cohort_with_groups(groups)
        learner = GroupMembership.objects.filter(cohort=cohort).first().user
        cohort_page, group_page = (reverse(name, args=[cohort.pk]) for name in ("cohorts:cohort_detail", "cohorts:group_list"))
        client.force_login(cohort.created_by)
        count_queries(client, cohort_page)  # warm per-process caches (content types, site)
        counts[groups] = {"facilitator": count_queries(client, cohort_page), "groups": count_queries(client, group_page)}
        client.force_login(learner)  # sees their own group only
        counts[groups]["learner"] = count_queries(client, cohort_page)
    assert counts[2] == counts[6], counts
    assert counts[6]["facilitator"] <= COHORT_PAGE_BOUND and counts[6]["learner"] <= COHORT_PAGE_BOUND, counts
    assert counts[6]["groups"] <= GROUP_PAGE_BOUND, counts
