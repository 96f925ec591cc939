"""Decision points, reflections, quizzes and worksheets through their URLs."""

import html
import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.choices import Profession
from lms import services
from lms.models import DecisionAnswer, QuizAttempt, Reflection, ReflectionVersion, Worksheet
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import make_course

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def course():
    return make_course()


@pytest.fixture
def learner(course):
    user = make_user(profession=Profession.DIRECTOR)
    services.enrolment_create(user=user, programme=course.programme)
    return user


def decision_url(course, block_id=None):
    return reverse("lms:decision_submit", args=[course.case.pk, block_id or course.ids.decision1])


def test_a_decision_is_stored_then_locked(client, course, learner):
    client.force_login(learner)
    url = decision_url(course)
    ok = client.post(url, {"option_id": course.ids.decision1_options[0], "rationale": "Réunir les chefs de pôle."})
    assert ok.status_code == 302
    answer = DecisionAnswer.objects.get(user=learner)
    assert answer.option_id == course.ids.decision1_options[0] and answer.profession == "director"

    changed = client.post(url, {"option_id": course.ids.decision1_options[1], "rationale": "Autre idée."})
    assert changed.status_code == 400
    assert "déjà validée" in text(changed)
    answer.refresh_from_db()
    assert answer.option_id == course.ids.decision1_options[0]


def test_a_retried_decision_stores_one_answer(client, course, learner):
    client.force_login(learner)
    data = {"option_id": course.ids.decision1_options[0], "rationale": "Même texte."}
    first = client.post(decision_url(course), data, HTTP_ACCEPT="application/json")
    again = client.post(decision_url(course), data, HTTP_ACCEPT="application/json")
    assert first.status_code == 201 and again.status_code == 200
    assert DecisionAnswer.objects.filter(user=learner).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_store_one_answer(course, learner):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("in-memory SQLite shares one connection between threads")
    results, barrier = [], threading.Barrier(2)

    def submit(option_index):
        from django.db import connections

        barrier.wait()
        try:
            services.decision_answer_submit(
                user=learner, page=course.case, block_id=course.ids.decision1,
                option_id=course.ids.decision1_options[option_index], rationale="r",
            )
            results.append("stored")
        except services.LearningError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert DecisionAnswer.objects.filter(user=learner).count() == 1
    assert sorted(results) == ["refused", "stored"]


def test_a_tampered_option_id_gives_400_and_stores_nothing(client, course, learner):
    client.force_login(learner)
    response = client.post(decision_url(course), {"option_id": course.ids.decision2_options[0], "rationale": "x"})
    assert response.status_code == 400
    assert "option n'existe pas" in text(response)
    assert not DecisionAnswer.objects.exists()


def test_a_missing_rationale_is_refused_with_a_message(client, course, learner):
    client.force_login(learner)
    response = client.post(decision_url(course), {"option_id": course.ids.decision1_options[0], "rationale": "  "})
    assert response.status_code == 400
    assert "justification est obligatoire" in text(response)
    assert not DecisionAnswer.objects.exists()


def test_a_learner_not_enrolled_is_refused_with_403_and_nothing_stored(client, course):
    outsider = make_user()
    client.force_login(outsider)
    response = client.post(decision_url(course), {"option_id": course.ids.decision1_options[0], "rationale": "x"})
    assert response.status_code == 403
    assert "pas inscrit" in text(response)
    assert not DecisionAnswer.objects.exists()


def test_a_learner_who_left_the_programme_can_no_longer_answer(client, course, learner):
    services.enrolment_leave(user=learner, programme=course.programme)
    client.force_login(learner)
    response = client.post(decision_url(course), {"option_id": course.ids.decision1_options[0], "rationale": "x"})
    assert response.status_code == 403
    assert not DecisionAnswer.objects.exists()


def test_anonymous_writes_are_refused(client, course):
    response = client.post(decision_url(course), {"option_id": course.ids.decision1_options[0], "rationale": "x"})
    assert response.status_code == 403
    assert not DecisionAnswer.objects.exists()


def test_a_decision_in_an_episode_not_yet_open_is_refused(client, course, learner):
    client.force_login(learner)
    url = decision_url(course, course.ids.decision2)
    refused = client.post(url, {"option_id": course.ids.decision2_options[0], "rationale": "trop tôt"})
    assert refused.status_code == 403
    assert "pas encore ouvert" in text(refused)
    assert not DecisionAnswer.objects.exists()
    client.post(decision_url(course), {"option_id": course.ids.decision1_options[0], "rationale": "d'abord"})
    opened = client.post(url, {"option_id": course.ids.decision2_options[0], "rationale": "ensuite"})
    assert opened.status_code == 302
    assert DecisionAnswer.objects.filter(block_id=course.ids.decision2).count() == 1


def test_an_unknown_block_id_is_404(client, course, learner):
    client.force_login(learner)
    response = client.post(decision_url(course, "not-a-block"), {"option_id": "x", "rationale": "x"})
    assert response.status_code == 404


XSS = [
    '<script>alert("x")</script>',
    '<img src=x onerror="alert(1)">',
    '<p onclick="steal()">clic</p>',
    '<a href="javascript:alert(1)">lien</a>',
    '<style>body{display:none}</style>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<p style="position:fixed">stylé</p>',
]


def test_reflections_are_sanitised_keeping_the_allowed_formatting(client, course, learner):
    client.force_login(learner)
    html = (
        "<p>Un <strong>paragraphe</strong> <em>nuancé</em></p><ul><li>point</li></ul><ol><li>un</li></ol>"
        '<blockquote>citation</blockquote><p><a href="https://www.has-sante.fr">HAS</a></p>' + "".join(XSS)
    )
    response = client.post(reverse("lms:reflection_submit", args=[course.case.pk, course.ids.reflection]), {"text": html})
    assert response.status_code == 302
    body = ReflectionVersion.objects.get().body_html
    for kept in ["<strong>paragraphe</strong>", "<em>nuancé</em>", "<ul><li>point</li></ul>", "<ol><li>un</li></ol>",
                 "<blockquote>citation</blockquote>", 'href="https://www.has-sante.fr"']:
        assert kept in body
    for removed in ["script", "alert", "onerror", "onclick", "javascript:", "style", "display:none", "svg", "onload", "<img"]:
        assert removed not in body
    assert "clic" in body and "stylé" in body


def test_a_reflection_draft_is_saved_sanitised_and_shown_again(client, course, learner):
    client.force_login(learner)
    url = reverse("lms:reflection_draft", args=[course.case.pk, course.ids.reflection])
    response = client.post(url, {"text": "<p>Début de réponse</p><script>x()</script>"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["ok"]
    reflection = Reflection.objects.get(user=learner)
    assert reflection.draft_html == "<p>Début de réponse</p>"
    assert reflection.submitted_at is None and not ReflectionVersion.objects.exists()


def test_submitted_versions_are_all_kept_and_a_retry_adds_none(client, course, learner):
    client.force_login(learner)
    url = reverse("lms:reflection_submit", args=[course.case.pk, course.ids.reflection])
    client.post(url, {"text": "<p>Première version</p>"})
    client.post(url, {"text": "<p>Première version</p>"})
    client.post(url, {"text": "<p>Deuxième version</p>"})
    versions = list(ReflectionVersion.objects.order_by("number").values_list("number", "body_html"))
    assert versions == [(1, "<p>Première version</p>"), (2, "<p>Deuxième version</p>")]


def test_an_empty_reflection_is_refused(client, course, learner):
    client.force_login(learner)
    url = reverse("lms:reflection_submit", args=[course.case.pk, course.ids.reflection])
    response = client.post(url, {"text": "<script>only()</script>"})
    assert response.status_code == 400
    assert not ReflectionVersion.objects.exists()


def quiz_url(course, question_id):
    return reverse("lms:quiz_answer", args=[course.case.pk, question_id])


def test_quiz_attempts_score_pass_and_respect_the_attempt_limit(client, course, learner):
    client.force_login(learner)
    services.decision_answer_submit(user=learner, page=course.case, block_id=course.ids.decision1,
                                    option_id=course.ids.decision1_options[0], rationale="r")
    for _attempt in (1, 2, 3):
        for question, wrong in course.ids.quiz_wrong.items():
            assert client.post(quiz_url(course, question), {"option_ids": wrong}).status_code == 302
    assert list(QuizAttempt.objects.order_by("number").values_list("score", "passed")) == [(0, False)] * 3
    q1 = course.ids.quiz_questions[0]
    refused = client.post(quiz_url(course, q1), {"option_ids": course.ids.quiz_wrong[q1]})
    assert refused.status_code == 400 and "3 tentatives" in text(refused)
    assert QuizAttempt.objects.count() == 3


def test_a_quiz_answer_tampered_or_missing_stores_nothing(client, course, learner):
    client.force_login(learner)
    services.decision_answer_submit(user=learner, page=course.case, block_id=course.ids.decision1,
                                    option_id=course.ids.decision1_options[0], rationale="r")
    q1, q2 = course.ids.quiz_questions
    tampered = client.post(quiz_url(course, q1), {"option_ids": "forged-id"})
    missing = client.post(quiz_url(course, q2), {})
    unknown = client.post(quiz_url(course, "not-a-question"), {"option_ids": course.ids.quiz_correct[q1]})
    assert tampered.status_code == 400 and missing.status_code == 400 and unknown.status_code == 404
    assert not QuizAttempt.objects.exists()


def test_a_retried_quiz_answer_is_stored_once_and_the_attempt_passes(client, course, learner):
    client.force_login(learner)
    services.decision_answer_submit(user=learner, page=course.case, block_id=course.ids.decision1,
                                    option_id=course.ids.decision1_options[0], rationale="r")
    q1, q2 = course.ids.quiz_questions
    client.post(quiz_url(course, q1), {"option_ids": course.ids.quiz_correct[q1]}, HTTP_ACCEPT="application/json")
    first = client.post(quiz_url(course, q2), {"option_ids": course.ids.quiz_correct[q2]}, HTTP_ACCEPT="application/json")
    again = client.post(quiz_url(course, q2), {"option_ids": course.ids.quiz_correct[q2]}, HTTP_ACCEPT="application/json")
    assert first.status_code == 201
    assert first.json() == {"ok": True, "complete": True, "score": 100, "passed": True}
    assert again.status_code == 200
    assert QuizAttempt.objects.count() == 1


def test_a_worksheet_is_saved_and_updated_in_place(client, course, learner):
    client.force_login(learner)
    url = reverse("lms:worksheet_save", args=[course.case.pk, course.ids.worksheet])
    client.post(url, {"problem": "Attente aux urgences", "why1": "Lits d'aval saturés"})
    client.post(url, {"problem": "Attente aux urgences > 6 h", "why1": "Lits d'aval saturés"})
    sheet = Worksheet.objects.get()
    assert sheet.data["problem"] == "Attente aux urgences > 6 h" and sheet.template_kind == "five_whys"
    bad = client.post(url, {"unknown": "x"})
    assert bad.status_code == 400
    assert Worksheet.objects.get().data["problem"] == "Attente aux urgences > 6 h"


def test_comments_are_made_by_a_cohort_facilitator_and_read_by_the_learner(client, course, learner):
    # The real rule of cohorts (`can_read_learner_work`): a facilitator of one of the learner's cohorts.
    cohort = make_cohort(programme=course.programme)
    add_learner(cohort, user=learner)
    facilitator = cohort.memberships.get(role="facilitator").user
    other_facilitator = make_cohort(programme=course.programme).memberships.get(role="facilitator").user
    other_learner = make_user()
    services.reflection_submit(user=learner, page=course.case, block_id=course.ids.reflection, html="<p>Mon texte</p>")
    reflection = Reflection.objects.get()
    url = reverse("lms:reflection_comment", args=[reflection.pk])
    for intruder in (other_learner, other_facilitator):
        client.force_login(intruder)
        assert client.post(url, {"body": "<p>intrus</p>"}).status_code == 404
        assert client.get(reverse("lms:reflection_detail", args=[reflection.pk])).status_code == 404
    client.force_login(facilitator)
    assert client.get(reverse("lms:reflection_detail", args=[reflection.pk])).status_code == 200
    assert client.post(url, {"body": "<p>Belle analyse <script>x</script></p>"}).status_code == 302
    assert reflection.comments.get().body_html == "<p>Belle analyse </p>"
    client.force_login(learner)
    page = client.get(reverse("lms:reflection_detail", args=[reflection.pk]))
    assert "Belle analyse" in text(page)