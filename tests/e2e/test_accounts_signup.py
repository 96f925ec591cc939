"""In a real browser: sign up, confirm the e-mail, land signed in, switch language with the switcher."""

import re

import pytest
from django.core import mail

from accounts.models import User
from tests.e2e.browser import axe_check
from tests.factories_accounts import SIGNUP_PASSWORD, confirmation_path

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signup_confirm_login_and_switch_language_in_a_browser(live_server, new_page):
    page = new_page(live_server.url, width=390)
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "fr"
    axe_check(page, label="sign-up")

    # An incomplete form comes back with errors and creates nothing.
    page.fill("#id_email", "cadre.pole@chu-exemple.fr")
    page.click("main form button[type=submit]")
    assert page.locator(".errorlist").count() >= 3
    axe_check(page, label="sign-up with errors")
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
    axe_check(page, label="e-mail sent")
    assert User.objects.filter(email="cadre.pole@chu-exemple.fr", profession="nurse").exists()

    page.goto(live_server.url + confirmation_path(mail.outbox[-1].body))
    axe_check(page, label="confirm e-mail")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    axe_check(page, label="login")
    page.fill("#id_login", "cadre.pole@chu-exemple.fr")
    page.fill("#id_password", SIGNUP_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{live_server.url}/accounts/profile/")
    assert "Nadia Benali" in page.locator(".site-header").inner_text()
    axe_check(page, label="profile")

    # With JavaScript the switcher submits on change; the choice is kept on the profile.
    assert page.locator(".language-switcher button").is_hidden()
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert User.objects.get(email="cadre.pole@chu-exemple.fr").language == "en"
