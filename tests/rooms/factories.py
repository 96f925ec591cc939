"""Builders for rooms tests: a programme page, a cohort with members, rooms, messages."""

import datetime
import itertools
import uuid

from wagtail.models import Page

from accounts.choices import Profession
from cohorts.models import Cohort, CohortGroup, CohortMembership, Community, CommunityMembership, GroupMembership
from rooms.models import Room
from tests.factories import make_user

_counter = itertools.count(1)


def make_programme():
    from cms.models import ProgrammePage

    n = next(_counter)
    root = Page.get_first_root_node()
    if root is None:  # transactional tests flush the tree that Wagtail's migrations created
        from wagtail.models import Locale

        Locale.objects.get_or_create(language_code="fr")
        root = Page.add_root(instance=Page(title="Racine", slug="root"))
    programme = ProgrammePage(
        title=f"Programme {n}", slug=f"programme-rooms-{n}-{uuid.uuid4().hex[:6]}",
        summary="Coopérer à l'échelle d'un GHT.", objectives="<p>Coopérer.</p>",
    )
    root.add_child(instance=programme)
    return programme


def make_cohort(*, programme=None, name: str | None = None) -> Cohort:
    return Cohort.objects.create(
        programme=programme or make_programme(),
        name=name or f"Promotion {next(_counter)}",
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2027, 6, 30),
        status=Cohort.Status.RUNNING,
    )


def add_member(cohort: Cohort, user=None, *, role: str = CohortMembership.Role.LEARNER,
               status: str = CohortMembership.Status.ACTIVE, **user_fields):
    user = user or make_user(**user_fields)
    CohortMembership.objects.create(cohort=cohort, user=user, role=role, status=status)
    return user


def make_cohort_room(*, cohort: Cohort | None = None) -> Room:
    """The cohort's room (the rooms app opens it when the cohort is created)."""
    cohort = cohort or make_cohort()
    return Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)


def make_group_room(*, cohort: Cohort, name: str = "Groupe A") -> tuple[CohortGroup, Room]:
    group = CohortGroup.objects.create(cohort=cohort, name=name)
    return group, Room.objects.get(kind=Room.Kind.GROUP, group=group)


def add_to_group(group: CohortGroup, user) -> None:
    GroupMembership.objects.create(group=group, cohort=group.cohort, user=user)


def make_community_room(*, name: str = "Parcours patients") -> tuple[Community, Room]:
    community = Community.objects.create(name=name, slug=f"c-{uuid.uuid4().hex[:8]}", theme="Parcours de soins")
    return community, Room.objects.get(kind=Room.Kind.COMMUNITY, community=community)


def add_to_community(community: Community, user, *, role=CommunityMembership.Role.MEMBER) -> None:
    CommunityMembership.objects.create(community=community, user=user, role=role)


def make_room_with_members(*, learners: int = 2):
    """A cohort room with one facilitator (nurse) and learners of different professions."""
    cohort = make_cohort()
    room = make_cohort_room(cohort=cohort)
    facilitator = add_member(cohort, role=CohortMembership.Role.FACILITATOR, profession=Profession.NURSE)
    professions = itertools.cycle([Profession.DIRECTOR, Profession.PHYSICIAN, Profession.REGULATOR, Profession.NURSE])
    members = [add_member(cohort, profession=next(professions)) for _ in range(learners)]
    return room, facilitator, members


def post(room, author, body: str = "Bonjour à toutes et tous", *, client_id: str | None = None, reply_to=None):
    from rooms.services import message_post

    message, _created = message_post(
        room=room, author=author, client_id=client_id or uuid.uuid4().hex, body=body, reply_to=reply_to
    )
    return message
