"""The case page rendered by cms, completed by lms's hooks: forms post to lms, records come back."""

import pytest
from django.urls import reverse

from accounts.choices import Profession
from lms import services
from lms.models import DecisionAnswer, QuizAttempt
from tests.factories import make_user
from tests.factories_lms import make_course
from tests.queries import page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return make_course()


def enrolled(course, **fields):
    user = make_user(**fields)
    services.enrolment_create(user=user, programme=course.programme)
    return user


def test_an_enrolled_learner_gets_forms_posting_to_lms_and_then_sees_the_commentary(client, course):
    learner = enrolled(course)
    client.force_login(learner)
    html = client.get(course.case.url).content.decode()
    action = reverse("lms:decision_submit", args=[course.case.pk, course.ids.decision1])
    assert f'action="{action}"' in html
    assert "Commentaire d&#x27;expert : associer" not in html and "Commentaire d'expert : associer" not in html

    response = client.post(action, {"option_id": course.ids.decision1_options[1], "rationale": "Fédérer les pôles."})
    assert response.status_code == 302 and response.url.endswith(f"#block-{course.ids.decision1}")
    html = client.get(course.case.url).content.decode()
    assert "associer les équipes" in html
    assert f'action="{action}"' not in html
    assert "Fédérer les pôles." in html
    assert DecisionAnswer.objects.get().option_id == course.ids.decision1_options[1]


def test_a_visitor_who_is_not_enrolled_gets_no_answer_form(client, course):
    client.force_login(make_user())
    html = client.get(course.case.url).content.decode()
    assert "/learn/pages/" not in html


def test_the_quiz_block_posts_one_question_at_a_time_and_scores_the_attempt(client, course):
    learner = enrolled(course)
    client.force_login(learner)
    services.decision_answer_submit(user=learner, page=course.case, block_id=course.ids.decision1,
                                    option_id=course.ids.decision1_options[0], rationale="r")
    q1, q2 = course.ids.quiz_questions
    client.post(reverse("lms:quiz_answer", args=[course.case.pk, q1]), {"option_ids": course.ids.quiz_correct[q1]})
    attempt = QuizAttempt.objects.get()
    assert not attempt.is_complete
    client.post(reverse("lms:quiz_answer", args=[course.case.pk, q1]), {"option_ids": course.ids.quiz_correct[q1]})
    client.post(reverse("lms:quiz_answer", args=[course.case.pk, q2]), {"option_ids": course.ids.quiz_wrong[q2]})
    attempt.refresh_from_db()
    assert attempt.is_complete and attempt.score == 50 and not attempt.passed
    # A failed attempt with attempts left: the forms come back for a new attempt.
    html = client.get(course.case.url).content.decode()
    assert reverse("lms:quiz_answer", args=[course.case.pk, q1]) in html
    client.post(reverse("lms:quiz_answer", args=[course.case.pk, q1]), {"option_ids": course.ids.quiz_correct[q1]})
    client.post(reverse("lms:quiz_answer", args=[course.case.pk, q2]), {"option_ids": course.ids.quiz_correct[q2]})
    assert list(QuizAttempt.objects.order_by("number").values_list("number", "score", "passed")) == [(1, 50, False), (2, 100, True)]


def test_a_reflection_from_the_cms_form_is_stored_as_paragraphs(client, course):
    learner = enrolled(course)
    client.force_login(learner)
    url = reverse("lms:reflection_submit", args=[course.case.pk, course.ids.reflection])
    client.post(url, {"text": "Premier paragraphe.\n\nSecond <b>paragraphe</b>."})
    html = client.get(course.case.url).content.decode()
    assert "Premier paragraphe." in html


def _populate(course, *, learners: int):
    users = [enrolled(course, profession=[p for p in Profession.values][i % 5]) for i in range(learners)]
    for user in users:
        services.decision_answer_submit(user=user, page=course.case, block_id=course.ids.decision1,
                                        option_id=course.ids.decision1_options[0], rationale="r")
        services.reflection_submit(user=user, page=course.case, block_id=course.ids.reflection, html="<p>t</p>")
    return users


def test_the_case_page_with_answers_keeps_a_fixed_query_count(client, course):
    users = _populate(course, learners=2)
    client.force_login(users[0])
    client.get(course.case.url)
    small = page_queries(client, course.case.url)
    _populate(course, learners=12)
    large = page_queries(client, course.case.url)
    assert large == small
    # Issue 14: ≤ 10 queries with everything (session and user included) once the content is cached,
    # ≤ 20 for the first view after an editor publishes. This case holds every kind of activity
    # (decisions, reflection, worksheet, quiz): the learner's records on it and the completed pages
    # of the programme are one query (`lms.selectors.page_records_for_learner`).
    assert small.warm <= 8 and small.cold <= 20, small
