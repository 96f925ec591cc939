"""Group formation: properties over random cohorts (hypothesis), determinism, and the service."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cohorts.grouping import Member, form_groups, group_count, profession_mix, round_robin

PROFESSIONS = ["director", "physician", "nurse", "regulator", "other"]
LEVELS = ["team", "establishment", "region", "nation", ""]
ORGS = ["CHU de Rennes", "CH de Vitré", "ARS Bretagne", "GHT Armor", ""]

member_lists = st.lists(
    st.tuples(st.sampled_from(PROFESSIONS), st.sampled_from(LEVELS), st.sampled_from(ORGS)), min_size=1, max_size=40
).map(lambda rows: [Member(id=i + 1, profession=p, level=lv, organisation=o) for i, (p, lv, o) in enumerate(rows)])


@settings(max_examples=60, deadline=None)
@given(members=member_lists, size=st.integers(min_value=2, max_value=8), seed=st.integers(min_value=0, max_value=10_000))
def test_every_member_is_in_exactly_one_group(members, size, seed):
    groups = form_groups(members, size=size, seed=seed)
    placed = [uid for group in groups for uid in group]
    assert sorted(placed) == sorted(m.id for m in members)
    assert len(groups) == group_count(len(members), size)


@settings(max_examples=60, deadline=None)
@given(members=member_lists, size=st.integers(min_value=2, max_value=8), seed=st.integers(min_value=0, max_value=10_000))
def test_group_sizes_differ_by_at_most_one_and_never_exceed_the_size(members, size, seed):
    sizes = [len(group) for group in form_groups(members, size=size, seed=seed)]
    assert max(sizes) - min(sizes) <= 1
    assert max(sizes) <= size


@settings(max_examples=60, deadline=None)
@given(members=member_lists, size=st.integers(min_value=2, max_value=8), seed=st.integers(min_value=0, max_value=10_000))
def test_the_mix_is_never_worse_than_a_round_robin_by_profession(members, size, seed):
    by_id = {m.id: m for m in members}
    groups = [[by_id[uid] for uid in group] for group in form_groups(members, size=size, seed=seed)]
    baseline = round_robin(members, group_count(len(members), size))
    assert profession_mix(groups) >= profession_mix(baseline)


@settings(max_examples=30, deadline=None)
@given(members=member_lists, size=st.integers(min_value=2, max_value=8), seed=st.integers(min_value=0, max_value=10_000))
def test_same_input_and_seed_give_the_same_groups(members, size, seed):
    assert form_groups(members, size=size, seed=seed) == form_groups(list(reversed(members)), size=size, seed=seed)


def test_colleagues_of_one_organisation_are_kept_apart_when_possible():
    # Four professions, four organisations: each group of four can take one of each.
    members = [
        Member(id=i + 1, profession=PROFESSIONS[i % 4], level="team", organisation=f"org{(i // 4)}") for i in range(16)
    ]
    groups = form_groups(members, size=4, seed=7)
    by_id = {m.id: m for m in members}
    for group in groups:
        organisations = Counter(by_id[uid].organisation for uid in group)
        assert max(organisations.values()) == 1
        assert len({by_id[uid].profession for uid in group}) == 4


def test_levels_are_mixed_once_professions_are():
    members = [Member(id=i + 1, profession="physician" if i < 4 else "nurse", level="team" if i % 2 else "region")
               for i in range(8)]
    by_id = {m.id: m for m in members}
    for group in form_groups(members, size=4, seed=3):
        assert {by_id[uid].level for uid in group} == {"team", "region"}
        assert {by_id[uid].profession for uid in group} == {"physician", "nurse"}


@pytest.mark.django_db
def test_forming_groups_in_a_cohort_creates_groups_rooms_and_is_repeatable():
    from cohorts.models import CohortGroup, GroupMembership
    from cohorts.services import groups_form
    from rooms.models import Room
    from tests.factories_cohorts import make_cohort

    cohort = make_cohort(learners=11)
    groups_form(cohort=cohort, size=4, seed=5)
    first = sorted(GroupMembership.objects.filter(cohort=cohort).values_list("group__name", "user_id"))
    groups_form(cohort=cohort, size=4, seed=5)
    again = sorted(GroupMembership.objects.filter(cohort=cohort).values_list("group__name", "user_id"))
    assert first == again
    assert CohortGroup.objects.filter(cohort=cohort).count() == 3
    assert Room.objects.filter(kind=Room.Kind.GROUP, cohort=cohort).count() == 3
    assert GroupMembership.objects.filter(cohort=cohort).count() == 11


@pytest.mark.django_db
def test_the_facilitator_moves_a_learner_by_hand(client):
    from django.urls import reverse

    from cohorts.models import GroupMembership
    from cohorts.services import groups_form
    from tests.factories_cohorts import make_cohort

    cohort = make_cohort(learners=6)
    one, two = groups_form(cohort=cohort, size=3, seed=0)
    mover = one.memberships.first().user_id
    client.force_login(cohort.memberships.get(role="facilitator").user)
    client.post(reverse("cohorts:group_move", args=[cohort.pk]), {"user": mover, "group": two.pk})
    assert GroupMembership.objects.get(cohort=cohort, user_id=mover).group_id == two.pk


@pytest.mark.django_db
def test_a_learner_cannot_move_people_between_groups(client):
    from django.urls import reverse

    from cohorts.models import GroupMembership
    from cohorts.services import groups_form
    from tests.factories_cohorts import make_cohort

    cohort = make_cohort(learners=6)
    one, two = groups_form(cohort=cohort, size=3, seed=0)
    learner = one.memberships.first().user
    client.force_login(learner)
    response = client.post(reverse("cohorts:group_move", args=[cohort.pk]), {"user": learner.pk, "group": two.pk})
    assert response.status_code == 403
    assert GroupMembership.objects.get(cohort=cohort, user=learner).group_id == one.pk
