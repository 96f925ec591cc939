"""What rooms adds to the cohorts app through the hooks cohorts defines, and the rooms that follow
cohorts' rows (rooms/signals.py): cohorts itself knows nothing of rooms."""

import pytest
from django.urls import reverse

from cohorts.models import CohortGroup, GroupMembership
from cohorts.selectors import cohort_dashboard, cohort_participation, room_links
from cohorts.services import cohort_update, community_create, groups_form
from rooms.models import Room
from tests.factories_cohorts import make_cohort
from tests.rooms.factories import post

pytestmark = pytest.mark.django_db


def _url(room: Room) -> str:
    return reverse("rooms:room_detail", args=[room.pk])


def test_renaming_a_cohort_renames_its_room_and_leaves_the_group_rooms_alone():
    cohort = make_cohort(learners=4)
    groups_form(cohort=cohort, size=2, seed=0)
    group_names = set(Room.objects.filter(kind=Room.Kind.GROUP).values_list("name", flat=True))
    cohort_update(cohort=cohort, data={"name": "Promotion renommée"})
    assert Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort).name == "Promotion renommée"
    assert set(Room.objects.filter(kind=Room.Kind.GROUP).values_list("name", flat=True)) == group_names


def test_a_group_made_outside_groups_form_gets_its_room_and_loses_it_with_the_group():
    cohort = make_cohort()
    group = CohortGroup.objects.create(cohort=cohort, name="Groupe ajouté")
    room = Room.objects.get(kind=Room.Kind.GROUP, group=group)
    assert room.name == f"Groupe ajouté · {cohort.name}"
    group.delete()
    assert not Room.objects.filter(pk=room.pk).exists()


def test_room_links_name_the_room_of_the_cohort_of_each_group_and_of_the_community():
    cohort = make_cohort(learners=4)
    groups = groups_form(cohort=cohort, size=2, seed=0)
    community = community_create(name="Urgences", slug="urgences", theme="Parcours")
    links = room_links(cohort=cohort, groups=groups, community=community)
    assert links["cohort"] == _url(Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort))
    assert links["groups"] == {g.pk: _url(Room.objects.get(kind=Room.Kind.GROUP, group=g)) for g in groups}
    assert links["community"] == _url(Room.objects.get(kind=Room.Kind.COMMUNITY, community=community))
    assert room_links() == {"cohort": "", "groups": {}, "community": ""}


def test_a_learner_sees_the_cohort_room_and_their_group_room_only(client):
    cohort = make_cohort(learners=4)
    mine, other = groups_form(cohort=cohort, size=2, seed=0)
    learner = GroupMembership.objects.filter(group=mine).first().user
    client.force_login(learner)
    page = client.get(reverse("cohorts:cohort_detail", args=[cohort.pk])).content.decode()
    assert _url(Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)) in page
    assert _url(Room.objects.get(kind=Room.Kind.GROUP, group=mine)) in page
    assert _url(Room.objects.get(kind=Room.Kind.GROUP, group=other)) not in page


def test_the_facilitator_sees_every_group_room_on_the_group_list(client):
    cohort = make_cohort(learners=6)
    groups = groups_form(cohort=cohort, size=2, seed=0)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    page = client.get(reverse("cohorts:group_list", args=[cohort.pk])).content.decode()
    assert all(_url(Room.objects.get(kind=Room.Kind.GROUP, group=g)) in page for g in groups)


def test_the_community_page_links_to_the_community_room(client):
    cohort = make_cohort()
    moderator = cohort.created_by
    community = community_create(name="Urgences", slug="urgences", theme="Parcours", moderators=[moderator])
    client.force_login(moderator)
    page = client.get(reverse("cohorts:community_detail", args=[community.slug])).content.decode()
    assert _url(Room.objects.get(kind=Room.Kind.COMMUNITY, community=community)) in page


def test_the_dashboard_counts_each_persons_messages_in_every_room_of_the_cohort():
    cohort = make_cohort(learners=4)
    first, _second = groups_form(cohort=cohort, size=2, seed=0)
    writer = GroupMembership.objects.filter(group=first).first().user
    silent = GroupMembership.objects.filter(group=_second).first().user
    post(Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort), writer, "Bonjour à la promotion")
    post(Room.objects.get(kind=Room.Kind.GROUP, group=first), writer, "Bonjour au groupe")
    elsewhere = make_cohort()
    post(Room.objects.get(kind=Room.Kind.COHORT, cohort=elsewhere), elsewhere.created_by, "Ailleurs")
    assert cohort_participation(cohort=cohort) == {writer.pk: 2}
    rows = {row.user.pk: row.messages for row in cohort_dashboard(cohort=cohort)["rows"]}
    assert rows[writer.pk] == 2 and rows[silent.pk] == 0
