"""The room contract the rooms code builds on: who may enter which room, who moderates."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cohorts.services import community_create, community_join, groups_form
from rooms.models import Room
from rooms.selectors import room_list_for_user, room_moderators, user_can_access_room
from rooms.services import room_get_or_create_for_case
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_case, make_cohort, make_facilitator, make_module

pytestmark = pytest.mark.django_db


def test_creating_a_cohort_opens_its_room_and_makes_the_creator_facilitator():
    facilitator = make_facilitator()
    cohort = make_cohort(facilitator=facilitator)
    room = Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)
    assert room.name == cohort.name
    assert list(room_moderators(room)) == [facilitator]


def test_cohort_room_is_open_to_members_only():
    cohort = make_cohort(learners=2)
    other = make_cohort(learners=1)
    room = Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)
    learner = cohort.memberships.filter(role="learner").first().user
    outsider = other.memberships.filter(role="learner").first().user
    other_facilitator = other.memberships.get(role="facilitator").user
    assert user_can_access_room(user=learner, room=room)
    assert not user_can_access_room(user=outsider, room=room)
    assert not user_can_access_room(user=other_facilitator, room=room)
    assert not user_can_access_room(user=AnonymousUser(), room=room)


def test_group_rooms_are_open_to_the_group_and_the_facilitators_only():
    cohort = make_cohort(learners=6)
    groups = groups_form(cohort=cohort, size=3, seed=1)
    first, second = groups
    room_one = Room.objects.get(kind=Room.Kind.GROUP, group=first)
    member_one = first.memberships.first().user
    member_two = second.memberships.first().user
    facilitator = cohort.memberships.get(role="facilitator").user
    assert user_can_access_room(user=member_one, room=room_one)
    assert user_can_access_room(user=facilitator, room=room_one)
    assert not user_can_access_room(user=member_two, room=room_one)
    assert Room.objects.filter(kind=Room.Kind.GROUP, cohort=cohort).count() == 2
    assert list(room_moderators(room_one)) == [facilitator]


def test_case_room_is_created_once_per_cohort_and_case():
    cohort = make_cohort(learners=1)
    case = make_case(module=make_module(programme=cohort.programme))
    room = room_get_or_create_for_case(cohort=cohort, case_page=case)
    assert room_get_or_create_for_case(cohort=cohort, case_page=case).pk == room.pk
    assert room.kind == Room.Kind.CASE
    learner = cohort.memberships.filter(role="learner").first().user
    assert user_can_access_room(user=learner, room=room)
    assert not user_can_access_room(user=make_user(), room=room)


def test_community_room_is_open_to_members_and_moderated_by_moderators():
    moderator = make_user()
    community = community_create(name="Parcours diabète", slug="diabete", theme="Parcours", moderators=[moderator])
    room = Room.objects.get(kind=Room.Kind.COMMUNITY, community=community)
    member, stranger = make_user(), make_user()
    community_join(community=community, user=member)
    assert user_can_access_room(user=member, room=room)
    assert not user_can_access_room(user=stranger, room=room)
    assert list(room_moderators(room)) == [moderator]


def test_room_list_for_user_lists_exactly_the_rooms_the_user_may_enter():
    cohort = make_cohort(learners=4)
    groups_form(cohort=cohort, size=2, seed=0)
    make_cohort(learners=2)
    learner = cohort.memberships.filter(role="learner").first().user
    facilitator = cohort.memberships.get(role="facilitator").user
    for user in (learner, facilitator):
        expected = {room.pk for room in Room.objects.all() if user_can_access_room(user=user, room=room)}
        assert {room.pk for room in room_list_for_user(user=user)} == expected
    assert len({room.pk for room in room_list_for_user(user=facilitator)}) == 3  # cohort room + two groups


def test_a_learner_added_twice_has_one_membership():
    cohort = make_cohort()
    user = add_learner(cohort)
    add_learner(cohort, user=user)
    assert cohort.memberships.filter(user=user).count() == 1


def test_cohorts_and_communities_saved_in_the_admin_get_their_room():
    from datetime import date

    from django.contrib.admin.sites import site

    from cohorts.models import Cohort, Community
    from tests.factories_cohorts import make_programme

    cohort = Cohort(programme=make_programme(), name="Promotion saisie à la main", starts_on=date(2027, 1, 5),
                    ends_on=date(2027, 5, 5))
    site._registry[Cohort].save_model(None, cohort, None, False)
    community = Community(name="Santé mentale des jeunes", slug="sante-mentale", theme="Parcours")
    site._registry[Community].save_model(None, community, None, False)
    site._registry[Community].save_model(None, community, None, True)
    assert Room.objects.filter(kind=Room.Kind.COHORT, cohort=cohort).count() == 1
    assert Room.objects.filter(kind=Room.Kind.COMMUNITY, community=community).count() == 1
