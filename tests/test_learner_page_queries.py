"""Issue 14: every learner page costs ≤ 10 queries once cms's content cache is filled and ≤ 20 on the
first view after an editor publishes (cold), the same with little or much data around it.

The case page, dashboard, catalogue, programme and module pages have their own tests next to their
app (tests/lms/test_case_page.py, tests/lms/test_certificates_and_data.py, tests/cms/test_catalogue.py);
these are the pages that had none with a cold bound: home, lesson, room page.
"""

import pytest

from lms import services
from rooms.models import Message
from tests.factories import make_user
from tests.factories_lms import complete_case, make_course
from tests.queries import PageQueries, page_queries
from tests.rooms.factories import make_room_with_members

pytestmark = pytest.mark.django_db

WARM, COLD = 10, 20


def within(queries: PageQueries) -> bool:
    return queries.warm <= WARM and queries.cold <= COLD


def _more_learners(course, n: int) -> None:
    for _ in range(n):
        user = make_user()
        services.enrolment_create(user=user, programme=course.programme)
        complete_case(user=user, course=course)


def test_the_home_page_costs_the_same_few_queries_with_1_or_4_programmes(client):
    learner = make_user()
    course = make_course()
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    client.get("/")
    few = page_queries(client, "/")
    for _ in range(3):
        make_course()
    _more_learners(course, 5)
    many = page_queries(client, "/")
    assert many == few
    assert within(few), few


def test_the_lesson_page_costs_the_same_few_queries_with_few_or_many_learners(client):
    course = make_course()
    learner = make_user()
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    client.get(course.lesson.url)
    few = page_queries(client, course.lesson.url)
    _more_learners(course, 6)
    services.page_mark_done(user=learner, page=course.lesson)
    many = page_queries(client, course.lesson.url)
    assert many == few
    assert within(few), few


def test_the_room_page_costs_the_same_few_queries_with_3_or_60_messages(client):
    room, _facilitator, (alice, bob) = make_room_with_members()
    client.force_login(bob)
    url = f"/rooms/{room.pk}/"
    counts = {}
    for total in (3, 60):
        for seq in range(room.last_message_seq + 1, total + 1):
            Message.objects.create(room=room, seq=seq, author=alice if seq % 2 else bob, client_id=f"q{seq}",
                                   body="x", html="x")
        room.last_message_seq = total
        room.save()
        client.get(url)
        counts[total] = page_queries(client, url)
    assert counts[3] == counts[60]
    assert within(counts[3]), counts[3]
