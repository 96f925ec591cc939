"""A case page links to the room where the reader's own cohort discusses it, and to no other."""

import pytest
from django.urls import reverse

from cohorts.services.cohorts import room_for_case
from tests.factories import make_user
from tests.factories_cms import discussion_prompt_block, episode_block, make_case, make_module, make_programme
from tests.factories_rooms import add_member, make_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    programme = make_programme()
    return make_case(module=make_module(programme=programme),
                     body=[episode_block("Épisode", [discussion_prompt_block()])])


def room_url(room) -> str:
    return reverse("cohorts:room_detail", args=[room.pk])


def test_a_cohort_member_gets_the_link_to_their_cohort_room_of_the_case(client, case):
    programme = case.get_parent().get_parent()
    mine, other = make_cohort(programme=programme), make_cohort(programme=programme)
    my_room, other_room = room_for_case(cohort=mine, case_page=case), room_for_case(cohort=other, case_page=case)
    client.force_login(add_member(mine))
    html = client.get(case.url).content.decode()
    assert f'href="{room_url(my_room)}"' in html  # the case page's button
    assert f'href="{room_url(my_room)}#prompt-' in html  # the discussion prompt's
    assert room_url(other_room) not in html


def test_no_link_for_a_reader_outside_the_cohorts_or_before_the_room_exists(client, case):
    programme = case.get_parent().get_parent()
    cohort = make_cohort(programme=programme)
    member = add_member(cohort)
    client.force_login(member)
    assert "/rooms/" not in client.get(case.url).content.decode()  # no case room yet
    room = room_for_case(cohort=cohort, case_page=case)
    client.force_login(make_user())
    assert room_url(room) not in client.get(case.url).content.decode()
