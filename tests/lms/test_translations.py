"""A learner who reads a case in English answers the same case: records are kept under the
French original, whichever language the learner reads it in."""

import pytest
from django.conf import settings
from django.urls import reverse
from wagtail.models import Locale

from lms import selectors, services
from lms.models import DecisionAnswer, Reflection
from tests.factories import make_user
from tests.factories_lms import make_course

pytestmark = pytest.mark.django_db


def english(page):
    """The published English translation of `page`, its ancestors translated first."""
    locale, _ = Locale.objects.get_or_create(language_code="en")
    for ancestor in [*page.get_ancestors().filter(depth__gte=2).specific(), page.specific]:
        if ancestor.get_translation_or_none(locale) is None:
            copy = ancestor.copy_for_translation(locale, copy_parents=True).specific
            copy.title = f"EN {ancestor.title}"
            copy.save_revision().publish()
    return page.get_translation(locale).specific


@pytest.fixture
def course():
    return make_course()


def read_in(client, language: str) -> None:
    """What the language switcher and the login do: the language cookie."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language


@pytest.fixture
def english_learner(course, client):
    learner = make_user(language="en")
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    read_in(client, "en")
    return learner


def test_the_english_case_keeps_the_block_ids_of_the_french_one(course):
    from cms.selectors import case_outline

    en_case = english(course.case)
    assert [d.id for d in case_outline(en_case).decision_points] == [course.ids.decision1, course.ids.decision2]


def test_an_answer_given_in_english_is_kept_under_the_original_and_shown_in_both_languages(
    client, course, english_learner
):
    en_case = english(course.case)
    html = client.get(en_case.url).content.decode()
    assert "EN " in html  # the English page is served
    action = reverse("lms:decision_submit", args=[course.case.pk, course.ids.decision1])
    assert f'action="{action}"' in html  # enrolled through the French programme: the form is there

    response = client.post(action, {"option_id": course.ids.decision1_options[1], "rationale": "Because."})
    assert response.status_code == 302 and response["Location"].startswith(en_case.url)  # back to the English page
    answer = DecisionAnswer.objects.get(user=english_learner)
    assert answer.page_id == course.case.pk

    # Posting through the English page's own id gives the same record, not a second one.
    again = reverse("lms:decision_submit", args=[en_case.pk, course.ids.decision1])
    client.post(again, {"option_id": course.ids.decision1_options[0], "rationale": "Changed my mind."})
    assert DecisionAnswer.objects.filter(user=english_learner).count() == 1

    # The answer is locked on the English page, and on the French one.
    html = client.get(en_case.url).content.decode()
    assert f'action="{action}"' not in html and "Because." in html
    read_in(client, "fr")
    html = client.get(course.case.url).content.decode()
    assert "EN " not in html and "Because." in html


def test_a_reflection_written_in_english_counts_for_the_programme(client, course, english_learner):
    en_case = english(course.case)
    client.post(reverse("lms:reflection_submit", args=[en_case.pk, course.ids.reflection]), {"text": "<p>Mine.</p>"})
    reflection = Reflection.objects.get(user=english_learner)
    assert reflection.page_id == course.case.pk
    services.page_mark_done(user=english_learner, page=course.lesson)
    progress = selectors.programme_progress(programme=course.programme, user=english_learner)
    assert course.lesson.pk in progress["completed_page_ids"]


def test_the_english_programme_page_shows_the_enrolment_made_in_french(client, course, english_learner):
    en_case = english(course.case)
    en_programme = en_case.get_parent().get_parent().specific
    html = client.get(en_programme.url).content.decode()
    assert reverse("lms:enrol", args=[course.programme.pk]) not in html  # already enrolled: no enrol button
    assert reverse("lms:enrol", args=[en_programme.pk]) not in html


def test_a_learner_not_enrolled_is_refused_in_english_too(client, course):
    en_case = english(course.case)
    client.force_login(make_user(language="en"))
    read_in(client, "en")
    response = client.post(
        reverse("lms:decision_submit", args=[en_case.pk, course.ids.decision1]),
        {"option_id": course.ids.decision1_options[0], "rationale": "r"},
    )
    assert response.status_code == 403
    assert not DecisionAnswer.objects.exists()


def test_progress_reads_in_the_readers_language_and_never_points_to_the_page_being_read(client, course, english_learner):
    en_case = english(course.case)
    html = client.get(en_case.url).content.decode()
    en_programme = en_case.get_parent().get_parent()
    assert en_programme.title in html and en_case.get_parent().title in html  # "EN …" titles in the sidebar
    assert f"Next step: {course.case.title}</a>" not in html  # not sent to the page being read
    assert f"Next step: {en_case.title}</a>" not in html
    dashboard = client.get(reverse("lms:dashboard")).content.decode()
    assert en_programme.title in dashboard
    progress = client.get(reverse("lms:programme_progress", args=[course.programme.pk])).content.decode()
    assert f"<h1>{en_programme.title}</h1>" in progress
    read_in(client, "fr")
    assert f"<h1>{course.programme.title}</h1>" in client.get(
        reverse("lms:programme_progress", args=[course.programme.pk])
    ).content.decode()


def test_a_translation_with_its_own_slug_is_linked_at_its_own_address(client, course, english_learner):
    en_case = english(course.case)
    en_lesson = english(course.lesson)
    en_lesson.slug = "the-lesson-in-english"
    en_lesson.save_revision().publish()
    en_lesson.refresh_from_db()
    assert en_lesson.url != course.lesson.url
    html = client.get(reverse("lms:programme_progress", args=[course.programme.pk])).content.decode()
    assert f'href="{en_lesson.url}"' in html
    assert f'href="{course.lesson.url}"' not in html
    assert f'href="{en_case.url}"' in html


def _retitle_prompt(node, block_id: str, html: str) -> bool:
    """Replace, in a stream's raw data, the prompt of the reflection block `block_id`."""
    if isinstance(node, dict):
        if node.get("id") == block_id and node.get("type") == "reflection_prompt":
            node["value"]["prompt"] = html
            return True
        return any(_retitle_prompt(child, block_id, html) for child in node.values())
    if isinstance(node, list):
        return any(_retitle_prompt(child, block_id, html) for child in node)
    return False


def test_the_reflection_page_asks_the_question_in_the_readers_language(client, course, english_learner):
    en_case = english(course.case)
    raw = list(en_case.body.raw_data)
    assert _retitle_prompt(raw, course.ids.reflection, "<p>What would you have done in the nurse manager's place?</p>")
    en_case.body = raw
    en_case.save_revision().publish()
    services.reflection_submit(user=english_learner, page=course.case, block_id=course.ids.reflection, html="<p>Text</p>")
    url = reverse("lms:reflection_detail", args=[Reflection.objects.get(user=english_learner).pk])

    assert "What would you have done in the nurse manager" in client.get(url).content.decode()
    read_in(client, "fr")
    french = client.get(url).content.decode()
    assert "Qu'auriez-vous fait" in french or "Qu&#x27;auriez-vous fait" in french
    assert "What would you have done" not in french
