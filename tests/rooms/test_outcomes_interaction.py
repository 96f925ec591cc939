"""Cross-profession talk in a programme's cohort rooms, as the programme owner's report shows it
(rooms' `outcomes_interaction` hook, read by lms.outcomes): never over fewer than five people."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.choices import Profession, Role
from lms import outcomes
from rooms.models import Room
from rooms.selectors import programme_interaction
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import make_course
from tests.rooms.factories import post

pytestmark = pytest.mark.django_db

PROFESSIONS = [Profession.DIRECTOR, Profession.PHYSICIAN, Profession.NURSE, Profession.REGULATOR, Profession.NURSE]


def talking_cohort(programme, *, people: int):
    """A cohort of `people` learners who each post once in the cohort room; each answers the one
    before, so every reply but those between two nurses crosses professions."""
    cohort = make_cohort(programme=programme)
    room = Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)
    previous = None
    for profession in PROFESSIONS[:people]:
        learner = add_learner(cohort, profession=profession)
        previous = post(room, learner, "Qui prévient le médecin traitant ?", reply_to=previous.seq if previous else None)
    return cohort


def test_messages_and_cross_profession_replies_are_counted_per_programme_and_cohort():
    course = make_course()
    cohort = talking_cohort(course.programme, people=5)
    talking_cohort(make_course().programme, people=5)  # another programme's talk is not counted
    rows = programme_interaction(programme_id=course.programme.pk)
    assert [row["people"] for row in rows] == [5, 5]
    assert rows[0]["value"] == "5"
    assert rows[1]["value"].startswith("4 sur 4")  # director→physician→nurse→regulator→nurse: all cross
    learners = set(cohort.memberships.filter(role="learner").values_list("user_id", flat=True))
    assert programme_interaction(programme_id=course.programme.pk, user_ids=set(list(learners)[:2]))[0]["people"] == 2


def test_the_report_shows_the_talk_of_five_people_and_withholds_that_of_four(client):
    course = make_course()
    owner = make_user(roles=(Role.EDITOR,))
    group, _new = Group.objects.get_or_create(name="Responsables de programme")
    group.permissions.add(Permission.objects.get(codename="view_outcomes"), Permission.objects.get(codename="access_admin"))
    owner.groups.add(group)
    client.force_login(owner)

    talking_cohort(course.programme, people=4)
    assert outcomes.outcomes_report(programme=course.programme).interaction == []
    page = client.get("/admin/outcomes/", {"programme": course.programme.pk}).content.decode()
    assert "Messages dans les salons des promotions" not in page

    talking_cohort(course.programme, people=5)
    report = outcomes.outcomes_report(programme=course.programme)
    assert [row["people"] for row in report.interaction] == [9, 9]
    page = client.get("/admin/outcomes/", {"programme": course.programme.pk}).content.decode()
    assert "Messages dans les salons des promotions" in page
