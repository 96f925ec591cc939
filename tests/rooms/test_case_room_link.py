"""A case page leads to the room where the reader's own cohort discusses it, and to no other."""

import pytest
from django.urls import reverse

from rooms.models import Room
from tests.factories import make_user
from tests.factories_cms import (
    discussion_prompt_block,
    episode_block,
    make_case,
    make_lesson,
    make_module,
    make_programme,
)
from tests.rooms.factories import add_member, make_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    programme = make_programme()
    return make_case(module=make_module(programme=programme),
                     body=[episode_block("Épisode", [discussion_prompt_block()])])


def programme_of(page):
    return page.get_parent().get_parent()


def test_a_cohort_member_is_led_to_their_cohort_room_of_the_case_created_on_first_visit(client, case):
    mine, other = make_cohort(programme=programme_of(case)), make_cohort(programme=programme_of(case))
    client.force_login(add_member(mine))
    link = reverse("rooms:case_room", args=[mine.pk, case.pk])
    html = client.get(case.url).content.decode()
    assert f'href="{link}"' in html  # the case page's button
    assert f'href="{link}#prompt-' in html  # the discussion prompt's
    assert reverse("rooms:case_room", args=[other.pk, case.pk]) not in html
    assert not Room.objects.filter(kind=Room.Kind.CASE).exists()  # showing the link creates nothing

    response = client.get(link)
    room = Room.objects.get(kind=Room.Kind.CASE, cohort=mine, case_page_id=case.pk)
    assert response.status_code == 302 and response["Location"] == reverse("rooms:room_detail", args=[room.pk])
    client.get(link)
    assert Room.objects.filter(kind=Room.Kind.CASE).count() == 1  # the same room the second time
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("who", ["other_cohort", "outsider", "draft_cohort"])
def test_the_case_room_of_a_cohort_is_refused_to_anyone_outside_it(client, case, who):
    cohort = make_cohort(programme=programme_of(case))
    if who == "other_cohort":
        user = add_member(make_cohort(programme=programme_of(case)))
    elif who == "draft_cohort":
        cohort.status = cohort.Status.DRAFT
        cohort.save()
        user = add_member(cohort)
    else:
        user = make_user()
    client.force_login(user)
    link = reverse("rooms:case_room", args=[cohort.pk, case.pk])
    assert client.get(link).status_code == 404
    assert link not in client.get(case.url).content.decode()
    assert not Room.objects.filter(kind=Room.Kind.CASE).exists()


def test_no_case_room_for_a_lesson_an_unknown_page_or_an_anonymous_reader(client, case):
    cohort = make_cohort(programme=programme_of(case))
    lesson = make_lesson(module=case.get_parent())
    client.force_login(add_member(cohort))
    assert client.get(reverse("rooms:case_room", args=[cohort.pk, lesson.pk])).status_code == 404
    assert client.get(reverse("rooms:case_room", args=[cohort.pk, 999999])).status_code == 404
    assert "/room/" not in client.get(lesson.url).content.decode()
    client.logout()
    response = client.get(reverse("rooms:case_room", args=[cohort.pk, case.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Room.objects.filter(kind=Room.Kind.CASE).exists()
