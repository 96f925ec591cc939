"""In a real browser: sign up, confirm the e-mail, land signed in, switch language with the switcher."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.factories_accounts import SIGNUP_PASSWORD, confirmation_path

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


@pytest.fixture
def page(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's sync API runs a loop in this thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        yield context.new_page()
        browser.close()


def test_signup_confirm_login_and_switch_language_in_a_browser(live_server, page):
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "fr"

    # An incomplete form comes back with errors and creates nothing.
    page.fill("#id_email", "cadre.pole@chu-exemple.fr")
    page.click("main form button[type=submit]")
    assert page.locator(".errorlist").count() >= 3
    assert User.objects.count() == 0

    page.fill("#id_first_name", "Nadia")
    page.fill("#id_last_name", "Benali")
    page.select_option("#id_profession", "nurse")
    page.select_option("#id_level", "team")
    page.fill("#id_organisation", "CHU de Nantes")
    page.fill("#id_password1", SIGNUP_PASSWORD)
    page.fill("#id_password2", SIGNUP_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    assert User.objects.filter(email="cadre.pole@chu-exemple.fr", profession="nurse").exists()

    page.goto(live_server.url + confirmation_path(mail.outbox[-1].body))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#id_login", "cadre.pole@chu-exemple.fr")
    page.fill("#id_password", SIGNUP_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/accounts/profile/")
    assert "Nadia Benali" in page.locator(".site-header").inner_text()

    # With JavaScript the switcher submits on change; the choice is kept on the profile.
    assert page.locator(".language-switcher button").is_hidden()
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert User.objects.get(email="cadre.pole@chu-exemple.fr").language == "en"
