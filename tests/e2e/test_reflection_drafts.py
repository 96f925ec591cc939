"""A reflection being written survives: autosaved to the server, and restored from the device after a closed tab."""

import pytest
from django.conf import settings

from lms import services
from lms.models import Reflection
from tests.e2e.browser import axe_check
from tests.factories import make_user
from tests.factories_lms import make_course

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_reflection_draft_is_autosaved_and_restored_after_a_closed_tab(live_server, client, browser):
    course = make_course()
    learner = make_user()
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    context = browser.new_context()
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])
    url = live_server.url + course.case.url
    page = context.new_page()
    page.goto(url)
    axe_check(page, label="case page with a reflection")
    textarea = page.locator(f"#block-{course.ids.reflection} textarea[name=text]")
    textarea.fill("Premier jet : réunir les chefs de pôle.")
    page.get_by_text("Brouillon enregistré à").wait_for(timeout=15000)
    assert "Premier jet" in Reflection.objects.get(user=learner).draft_html

    # The network drops, more text is typed, the tab closes: the device keeps the text.
    context.set_offline(True)
    textarea.fill("Premier jet : réunir les chefs de pôle. Puis associer la CPTS.")
    page.get_by_text("Hors connexion").wait_for(timeout=15000)
    assert "associer la CPTS" not in Reflection.objects.get(user=learner).draft_html
    page.close()
    context.set_offline(False)
    again = context.new_page()
    again.goto(url)
    restored = again.locator(f"#block-{course.ids.reflection} textarea[name=text]")
    assert restored.input_value() == "Premier jet : réunir les chefs de pôle. Puis associer la CPTS."
    again.get_by_text("retrouvé sur cet appareil").wait_for(timeout=5000)
    assert "associer la CPTS" not in Reflection.objects.get(user=learner).draft_html
    # …and sends it to the server at the next autosave.
    again.get_by_text("Brouillon enregistré à").wait_for(timeout=15000)
    assert "associer la CPTS" in Reflection.objects.get(user=learner).draft_html
    context.close()


def test_the_draft_messages_follow_the_learners_language(live_server, client, browser):
    """lms.js takes its words from the page: an English-speaking learner reads them in English."""
    course = make_course()
    learner = make_user(language="en")
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    context = browser.new_context()
    context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url},
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": learner.language, "url": live_server.url},
    ])
    page = context.new_page()
    page.goto(live_server.url + course.case.url)
    textarea = page.locator(f"#block-{course.ids.reflection} textarea[name=text]")
    textarea.fill("First draft: bring the heads of department together.")
    status = page.locator(f"#block-{course.ids.reflection} .lms-reflection__status")
    page.get_by_text("Draft saved at").wait_for(timeout=15000)
    assert "Brouillon" not in status.text_content()
    context.set_offline(True)
    textarea.fill("First draft, then the CPTS.")
    page.get_by_text("Offline: the draft is kept on this device.").wait_for(timeout=15000)
    context.close()
