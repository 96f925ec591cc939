"""Module feedback: the survey editors attach to a module (cms.FeedbackForm), answered once by a
learner who finished the module; refused otherwise; shown to the owner only from five answers."""

import html

import pytest
from django.urls import reverse

from cms.models import FeedbackForm
from lms import outcomes, services
from lms.export import account_erase, user_data_export
from lms.models import ModuleFeedback
from lms.services import LearningError
from tests.factories import make_user
from tests.factories_lms import complete_case, make_course
from tests.queries import page_queries

pytestmark = pytest.mark.django_db

ANSWER = {"usefulness": "4", "relevance": "5", "change_text": "Réunir la CPTS chaque mois.", "comment": "Très concret."}


@pytest.fixture
def course():
    course = make_course()
    course.module.feedback_form = FeedbackForm.objects.create(
        name="Avis module 1", usefulness_question="Ce module vous a-t-il servi ?")
    course.module.save(update_fields=["feedback_form"])
    return course


def finished(course, user=None):
    user = user or make_user()
    services.enrolment_create(user=user, programme=course.programme)
    complete_case(user=user, course=course)
    services.page_mark_done(user=user, page=course.lesson)
    return user


def test_a_learner_who_finished_the_module_answers_once(course):
    learner = finished(course, make_user(profession="regulator"))
    feedback = services.module_feedback_submit(user=learner, module_id=course.module.pk, data=ANSWER)
    assert (feedback.usefulness, feedback.relevance, feedback.profession) == (4, 5, "regulator")
    assert feedback.change_text == "Réunir la CPTS chaque mois."
    with pytest.raises(LearningError):
        services.module_feedback_submit(user=learner, module_id=course.module.pk, data={**ANSWER, "usefulness": "1"})
    assert ModuleFeedback.objects.get().usefulness == 4


def test_a_learner_who_has_not_finished_the_module_or_is_not_enrolled_is_refused(course):
    learner = make_user()
    with pytest.raises(LearningError) as refused:
        services.module_feedback_submit(user=learner, module_id=course.module.pk, data=ANSWER)
    assert refused.value.code == LearningError.NOT_ALLOWED
    services.enrolment_create(user=learner, programme=course.programme)
    services.page_mark_done(user=learner, page=course.lesson)  # the case is not done yet
    with pytest.raises(LearningError) as refused:
        services.module_feedback_submit(user=learner, module_id=course.module.pk, data=ANSWER)
    assert refused.value.code == LearningError.NOT_ALLOWED and not ModuleFeedback.objects.exists()


def test_a_module_without_a_survey_answers_404():
    bare = make_course()
    learner = finished(bare)
    with pytest.raises(LearningError) as refused:
        services.module_feedback_submit(user=learner, module_id=bare.module.pk, data=ANSWER)
    assert refused.value.code == LearningError.NOT_FOUND


@pytest.mark.parametrize("bad", [{"usefulness": "6"}, {"usefulness": ""}, {"relevance": "zéro"}, {"comment": "x" * 2001}])
def test_bad_answers_are_refused_with_nothing_stored(course, bad):
    learner = finished(course)
    with pytest.raises(LearningError) as refused:
        services.module_feedback_submit(user=learner, module_id=course.module.pk, data={**ANSWER, **bad})
    assert refused.value.code == LearningError.INVALID and not ModuleFeedback.objects.exists()


def test_the_form_shows_the_editors_questions_posts_and_the_progress_page_links_it(client, course):
    learner = finished(course)
    client.force_login(learner)
    progress_url = reverse("lms:programme_progress", args=[course.programme.pk])
    url = reverse("lms:module_feedback", args=[course.module.pk])
    assert url in client.get(progress_url).content.decode()
    page = html.unescape(client.get(url).content.decode())
    assert "Ce module vous a-t-il servi ?" in page
    bad = client.post(url, {**ANSWER, "relevance": ""})
    assert bad.status_code == 400 and "Choisissez une note de 1 à 5" in html.unescape(bad.content.decode())
    assert client.post(url, ANSWER).status_code == 302
    assert ModuleFeedback.objects.filter(user=learner).count() == 1
    assert "Merci pour votre avis sur ce module." in html.unescape(client.get(progress_url).content.decode())


def test_the_form_refuses_anonymous_outsiders_and_unfinished_learners(client, course):
    url = reverse("lms:module_feedback", args=[course.module.pk])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user())
    assert client.get(url).status_code == 403
    assert client.post(url, ANSWER).status_code == 403
    learner = make_user()
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    assert client.get(url).status_code == 403 and not ModuleFeedback.objects.exists()


def test_the_progress_page_keeps_its_query_count_with_a_survey(client, course):
    learner = finished(course)
    client.force_login(learner)
    url = reverse("lms:programme_progress", args=[course.programme.pk])
    client.get(url)
    small = page_queries(client, url)
    services.module_feedback_submit(user=learner, module_id=course.module.pk, data=ANSWER)
    for _ in range(3):
        finished(course)
    assert page_queries(client, url) == small


def test_the_owner_sees_survey_results_only_from_five_answers(course):
    for index in range(4):
        services.module_feedback_submit(user=finished(course), module_id=course.module.pk,
                                        data={**ANSWER, "usefulness": str(index + 2)})
    assert outcomes.outcomes_report(programme=course.programme).surveys == []
    services.module_feedback_submit(user=finished(course), module_id=course.module.pk, data=ANSWER)
    [survey] = outcomes.outcomes_report(programme=course.programme).surveys
    assert survey["people"] == 5 and survey["usefulness"] == 3.6 and survey["relevance"] == 5.0
    assert "Réunir la CPTS chaque mois." in survey["texts"]


def test_the_written_answers_are_exported_and_erased_with_the_account(course):
    learner = finished(course)
    services.module_feedback_submit(user=learner, module_id=course.module.pk, data=ANSWER)
    assert user_data_export(user=learner)["module_feedback"][0]["change_text"] == "Réunir la CPTS chaque mois."
    account_erase(user=learner)
    feedback = ModuleFeedback.objects.get()
    assert feedback.change_text == "" and feedback.comment == "" and feedback.usefulness == 4
