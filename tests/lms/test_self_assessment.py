"""Competency self-assessment: the scale editors write on the Competency snippet, the three moments
(before, end, three months later) and when each opens, the learner's own profile (SVG chart), the
reminder e-mail three months after, and who is refused."""

import html
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import Locale

from cms.models import Competency
from lms import selectors, services
from lms.models import Enrolment, SelfAssessment
from lms.services import LearningError
from tests.factories import make_user
from tests.factories_lms import complete_case, make_course
from tests.queries import page_queries

pytestmark = pytest.mark.django_db

SLUGS = ["cooperation", "conflict-management"]


@pytest.fixture
def course():
    course = make_course()
    french = Competency.objects.filter(locale__language_code="fr", slug__in=SLUGS)
    french.filter(slug="cooperation").update(
        anchor_1="Je connais mal le travail des autres métiers.",
        anchor_4="J'anime des coopérations entre établissements.",
    )
    Competency.objects.filter(locale__language_code="en", slug="cooperation").update(
        anchor_1="I know little of how other professions work."
    )
    course.programme.competencies.set(list(french))
    course.programme.save()
    return course


def levels(cooperation=2, conflict=1) -> dict:
    return {"cooperation": str(cooperation), "conflict-management": str(conflict)}


def enrol(course, user=None):
    user = user or make_user(profession="nurse")
    services.enrolment_create(user=user, programme=course.programme)
    return user


def finish(course, user, *, days_ago=0):
    complete_case(user=user, course=course)
    services.page_mark_done(user=user, page=course.lesson)
    if days_ago:
        Enrolment.objects.filter(user=user).update(completed_at=timezone.now() - timedelta(days=days_ago))


def test_the_framework_is_the_programmes_competencies_with_their_anchors_in_the_readers_language(course):
    framework = selectors.self_assessment_framework(programme=course.programme)
    assert [c.slug for c in framework] == ["cooperation", "conflict-management"]  # ordered by name: Coopération, Gestion…
    cooperation = framework[0]
    assert cooperation.anchors[0] == (1, "Je connais mal le travail des autres métiers.")
    assert cooperation.anchors[1][0] == 2 and "aide" in cooperation.anchors[1][1]  # no text: the level's name
    with translation.override("en"):
        english = selectors.self_assessment_framework(programme=course.programme)
    assert english[0].locale == Locale.objects.get(language_code="en")
    assert "I know little of how other professions work." in dict(english[0].anchors).values() or \
        "I know little of how other professions work." in dict(english[1].anchors).values()


def test_before_is_answered_once_and_keeps_the_profession_at_the_time(course):
    learner = enrol(course)
    assessment = services.self_assessment_submit(user=learner, programme=course.programme, moment="before", levels=levels())
    assert assessment.levels == {"cooperation": 2, "conflict-management": 1} and assessment.profession == "nurse"
    with pytest.raises(LearningError):
        services.self_assessment_submit(user=learner, programme=course.programme, moment="before", levels=levels(4, 4))
    assert SelfAssessment.objects.get().levels == {"cooperation": 2, "conflict-management": 1}


def test_a_learner_not_enrolled_is_refused_and_nothing_is_stored(course):
    with pytest.raises(LearningError) as refused:
        services.self_assessment_submit(user=make_user(), programme=course.programme, moment="before", levels=levels())
    assert refused.value.code == LearningError.NOT_ALLOWED and not SelfAssessment.objects.exists()


def test_end_opens_on_completion_and_before_closes(course):
    learner = enrol(course)
    with pytest.raises(LearningError) as refused:
        services.self_assessment_submit(user=learner, programme=course.programme, moment="end", levels=levels())
    assert refused.value.code == LearningError.NOT_ALLOWED
    finish(course, learner)
    services.self_assessment_submit(user=learner, programme=course.programme, moment="end", levels=levels(3, 3))
    with pytest.raises(LearningError):
        services.self_assessment_submit(user=learner, programme=course.programme, moment="before", levels=levels())
    assert list(SelfAssessment.objects.values_list("moment", flat=True)) == ["end"]


def test_three_months_later_opens_ninety_days_after_completion(course):
    learner = enrol(course)
    finish(course, learner, days_ago=89)
    with pytest.raises(LearningError):
        services.self_assessment_submit(user=learner, programme=course.programme, moment="later", levels=levels())
    Enrolment.objects.filter(user=learner).update(completed_at=timezone.now() - timedelta(days=90, minutes=1))
    services.self_assessment_submit(user=learner, programme=course.programme, moment="later", levels=levels(4, 3))
    assert SelfAssessment.objects.get(moment="later").levels["cooperation"] == 4


@pytest.mark.parametrize("bad", [
    {"cooperation": "5", "conflict-management": "1"},
    {"cooperation": "0", "conflict-management": "1"},
    {"cooperation": "2"},
    {"cooperation": "deux", "conflict-management": "1"},
    {"cooperation": "2", "conflict-management": "1", "team-coaching": "3"},
])
def test_a_level_missing_out_of_the_scale_or_unknown_is_refused_with_nothing_stored(course, bad):
    learner = enrol(course)
    with pytest.raises(LearningError) as refused:
        services.self_assessment_submit(user=learner, programme=course.programme, moment="before", levels=bad)
    assert refused.value.code == LearningError.INVALID and refused.value.message
    assert not SelfAssessment.objects.exists()


# --- Pages ------------------------------------------------------------------------------------


def test_the_form_posts_and_the_profile_shows_the_learners_own_chart_and_table(client, course):
    learner = enrol(course)
    client.force_login(learner)
    form_url = reverse("lms:self_assessment_form", args=[course.programme.pk, "before"])
    page = html.unescape(client.get(form_url).content.decode())
    assert "Je connais mal le travail des autres métiers." in page and 'name="level-cooperation"' in page
    response = client.post(form_url, {"level-cooperation": "1", "level-conflict-management": "2"})
    assert response.status_code == 302
    finish(course, learner)
    client.post(reverse("lms:self_assessment_form", args=[course.programme.pk, "end"]),
                {"level-cooperation": "3", "level-conflict-management": "4"})
    page = html.unescape(client.get(reverse("lms:self_assessment", args=[course.programme.pk])).content.decode())
    assert "chart--hbar" in page and "Avant le programme" in page and "À la fin du programme" in page
    assert "Coopération — Avant le programme : 1" in page and "Coopération — À la fin du programme : 3" in page


def test_a_bad_post_answers_400_with_the_reason_and_keeps_the_choices(client, course):
    learner = enrol(course)
    client.force_login(learner)
    response = client.post(reverse("lms:self_assessment_form", args=[course.programme.pk, "before"]),
                           {"level-cooperation": "3"})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Choisissez un niveau de 1 à 4 pour « Gestion des conflits »" in page
    assert 'value="3" required checked' in page
    assert not SelfAssessment.objects.exists()


def test_nobody_sees_another_learners_answers(client, course):
    first = enrol(course)
    services.self_assessment_submit(user=first, programme=course.programme, moment="before", levels=levels(4, 4))
    url = reverse("lms:self_assessment", args=[course.programme.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(make_user())  # not enrolled
    assert client.get(url).status_code == 403
    client.force_login(make_user(is_staff=True, is_superuser=True))  # an admin has no profile of their own here
    assert client.get(url).status_code == 403
    second = enrol(course)
    client.force_login(second)
    page = client.get(url).content.decode()
    assert "chart--hbar" not in page and "À la fin du programme : 4" not in page and "Avant le programme : 4" not in page


def test_a_moment_not_open_or_already_answered_is_refused_on_the_form(client, course):
    learner = enrol(course)
    client.force_login(learner)
    base = course.programme.pk
    assert client.get(reverse("lms:self_assessment_form", args=[base, "later"])).status_code == 403
    assert client.get(reverse("lms:self_assessment_form", args=[base, "someday"])).status_code == 404
    client.post(reverse("lms:self_assessment_form", args=[base, "before"]), {"level-cooperation": "1", "level-conflict-management": "1"})
    assert client.get(reverse("lms:self_assessment_form", args=[base, "before"])).status_code == 400
    response = client.post(reverse("lms:self_assessment_form", args=[base, "before"]),
                           {"level-cooperation": "4", "level-conflict-management": "4"})
    assert response.status_code == 400 and SelfAssessment.objects.get().levels["cooperation"] == 1


def test_the_profile_keeps_a_fixed_query_count(client, course):
    learner = enrol(course)
    client.force_login(learner)
    url = reverse("lms:self_assessment", args=[course.programme.pk])
    services.self_assessment_submit(user=learner, programme=course.programme, moment="before", levels=levels())
    client.get(url)
    small = page_queries(client, url)
    for _ in range(6):
        other = enrol(course)
        services.self_assessment_submit(user=other, programme=course.programme, moment="before", levels=levels(3, 2))
    finish(course, learner)
    services.self_assessment_submit(user=learner, programme=course.programme, moment="end", levels=levels(3, 3))
    large = page_queries(client, url)
    assert large == small
    # session, user, programme, enrolment, framework, assessments (+ the content cache's when cold)
    assert small.warm <= 8, small


# --- The reminder three months later -----------------------------------------------------------


def test_the_reminder_goes_once_ninety_days_after_completion_with_the_link_to_the_form(
    course, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://passerelles.example.fr"
    due, recent, answered = enrol(course), enrol(course), enrol(course)
    finish(course, due, days_ago=91)
    finish(course, recent, days_ago=30)
    finish(course, answered, days_ago=120)
    services.self_assessment_submit(user=answered, programme=course.programme, moment="later", levels=levels())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.self_assessment_reminders_send() == 1
    assert [m.to[0] for m in mail.outbox] == [due.email]
    link = "https://passerelles.example.fr" + reverse("lms:self_assessment_form", args=[course.programme.pk, "later"])
    assert link in mail.outbox[0].body and course.programme.title in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        call_command("self_assessment_reminders")
    assert len(mail.outbox) == 1


def test_a_programme_without_competencies_sends_no_reminder(django_capture_on_commit_callbacks):
    bare = make_course()
    learner = enrol(bare)
    finish(bare, learner, days_ago=100)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.self_assessment_reminders_send() == 0
    assert not mail.outbox
