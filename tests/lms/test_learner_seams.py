"""Where the learner's pages meet (issue 12, defects 2, 3 and 6): each module's own count, whose
choices the figures are, and the answer to a form shown in the block that sent it."""

import re
from html import unescape

import pytest
from django.urls import reverse

from accounts.choices import Profession
from lms import services
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import make_course, make_lesson, make_module, make_programme

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


# --- 2. Module progress ------------------------------------------------------------------------


def test_each_module_shows_its_own_count_on_the_progress_page(client):
    programme = make_programme()
    first, second = make_module(programme=programme, title="Module un"), make_module(programme=programme, title="Module deux")
    make_lesson(module=first, title="Leçon A")
    make_lesson(module=first, title="Leçon B")
    done = make_lesson(module=second, title="Leçon C")
    learner = make_user()
    services.enrolment_self_enrol(user=learner, programme=programme)
    services.page_mark_done(user=learner, page=done)
    client.force_login(learner)

    html = _text(client.get(reverse("lms:programme_progress", args=[programme.pk])))
    summary, *modules = html.split('class="card lms-module"')
    assert "1 activité terminée sur 3" in summary
    assert len(modules) == 2
    assert "0 activité terminée sur 2" in modules[0] and "sur 3" not in modules[0]
    assert "1 activité terminée sur 1" in modules[1] and "sur 3" not in modules[1]


# --- 3. Whose choices the figures are ----------------------------------------------------------


def _answer(course, learner, option=0):
    services.decision_answer_submit(
        user=learner, page=course.case, block_id=course.ids.decision1,
        option_id=course.ids.decision1_options[option], rationale="Parce que.",
    )


def test_a_learner_outside_any_cohort_is_told_the_figures_are_over_the_programme(client):
    course = make_course()
    learners = [make_user(profession=Profession.NURSE) for _ in range(3)]
    for learner in learners:
        services.enrolment_self_enrol(user=learner, programme=course.programme)
        _answer(course, learner)
    client.force_login(learners[0])
    html = _text(client.get(course.case.url))
    assert "Comment votre promotion a choisi" not in html
    assert "Comment les participant·es du programme ont choisi" in html
    assert "toutes les personnes inscrites au programme" in html


def test_a_cohort_learner_still_reads_how_their_cohort_chose(client):
    course = make_course()
    cohort = make_cohort(programme=course.programme)
    learners = [add_learner(cohort, profession=Profession.NURSE) for _ in range(3)]
    outsider = make_user(profession=Profession.NURSE)  # enrolled alone: not counted with the cohort
    services.enrolment_self_enrol(user=outsider, programme=course.programme)
    _answer(course, outsider, option=1)
    for learner in learners:
        _answer(course, learner)
    client.force_login(learners[0])
    html = _text(client.get(course.case.url))
    assert "Comment votre promotion a choisi" in html and "apprenant·es de votre promotion" in html
    assert "Comment les participant·es du programme ont choisi" not in html
    figures = html[html.index('class="lms-distribution"'):]
    figures = figures[:figures.index("</section>")]
    assert "(3)" in figures and "(4)" not in figures  # the cohort's three, not the outsider


# --- 6. The confirmation where the page lands --------------------------------------------------


def _block(html: str, block_id: str) -> str:
    start = html.index(f'id="block-{block_id}"')
    return html[start:html.index("</section>", start)]


def _top(html: str) -> str:
    return html[:html.index('id="main"')]


@pytest.fixture
def learner_on_a_course(client):
    course = make_course()
    learner = make_user()
    services.enrolment_self_enrol(user=learner, programme=course.programme)
    client.force_login(learner)
    return course


def test_a_decision_is_confirmed_in_its_block_and_announced(client, learner_on_a_course):
    course = learner_on_a_course
    ids = course.ids
    response = client.post(
        reverse("lms:decision_submit", args=[course.case.pk, ids.decision1]),
        {"option_id": ids.decision1_options[0], "rationale": "Parce que."}, follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(f"#block-{ids.decision1}")
    html = _text(response)
    block = _block(html, ids.decision1)
    assert 'role="status"' in block and "Votre réponse est validée" in block
    assert "Votre réponse est validée" not in _top(html)
    # Shown once: the next page shows it no more.
    assert "Votre réponse est validée" not in _text(client.get(course.case.url))


def test_a_reflection_and_a_quiz_are_confirmed_in_their_block(client, learner_on_a_course):
    course = learner_on_a_course
    ids = course.ids
    response = client.post(
        reverse("lms:reflection_submit", args=[course.case.pk, ids.reflection]), {"text": "Ma réflexion."}, follow=True,
    )
    html = _text(response)
    assert "Votre réflexion est envoyée (version 1)" in _block(html, ids.reflection)
    assert "Votre réflexion est envoyée" not in _top(html)

    # The quiz is in episode 2, open once decision 1 is answered.
    services.decision_answer_submit(user=_user(client), page=course.case, block_id=ids.decision1,
                                    option_id=ids.decision1_options[0], rationale="r")
    first, last = ids.quiz_questions
    client.post(reverse("lms:quiz_answer", args=[course.case.pk, first]), {"option_ids": ids.quiz_correct[first]})
    response = client.post(
        reverse("lms:quiz_answer", args=[course.case.pk, last]), {"option_ids": ids.quiz_correct[last]}, follow=True,
    )
    html = _text(response)
    assert "Quiz réussi : 100" in _block(html, last) and 'role="status"' in _block(html, last)
    assert "Quiz réussi" not in _top(html)


def test_a_message_of_another_page_still_shows_at_the_top(client, learner_on_a_course):
    course = learner_on_a_course
    response = client.post(reverse("lms:leave", args=[course.programme.pk]), follow=True)
    assert "Vous avez quitté le programme" in _top(_text(response))


def _user(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=client.session["_auth_user_id"])
