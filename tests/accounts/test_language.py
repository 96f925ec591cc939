"""French by default, a switcher on every page, and the user's own language applied."""

import re

import pytest
from django.conf import settings

from accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_interface_is_french_by_default(client):
    response = client.get("/accounts/login/")
    assert html_lang(response) == "fr"
    assert 'for="id_password">Mot de passe' in response.content.decode()


def test_french_default_even_when_the_browser_prefers_another_unsupported_language(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert html_lang(response) == "fr"


def test_switcher_is_a_plain_form_on_every_page(client):
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/no-such-page/"]:
        html = client.get(path).content.decode()
        assert '<form class="language-switcher inline-form" action="/i18n/setlang/" method="post">' in html, path
        assert '<button type="submit"' in html  # works without JavaScript


def test_switching_to_english_sets_the_cookie_and_translates_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[COOKIE].value == "en"
    page = client.get("/accounts/login/")
    assert html_lang(page) == "en"
    assert 'for="id_password">Password' in page.content.decode()


def test_switching_to_an_unknown_language_changes_nothing(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/accounts/login/"})
    assert html_lang(client.get("/accounts/login/")) == "fr"


def test_switcher_refuses_an_outside_next_url(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert "evil.example" not in response.get("Location", "")


def test_signed_in_switch_is_remembered_on_the_profile(client):
    user = make_user(language="fr")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_user_language_is_applied_at_login(client):
    client.cookies[COOKIE] = "fr"
    make_user(email="regulateur@ars.sante.fr", language="en")
    response = client.post("/accounts/login/", {"login": "regulateur@ars.sante.fr", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "en"
    assert html_lang(client.get("/accounts/profile/")) == "en"


def test_changing_the_profile_language_applies_it_at_once(client):
    user = make_user(language="fr")
    client.force_login(user)
    data = {
        "first_name": user.first_name, "last_name": user.last_name, "profession": user.profession,
        "level": user.level, "organisation": user.organisation, "language": "en",
    }
    response = client.post("/accounts/profile/", data)
    assert response.cookies[COOKIE].value == "en"
    assert User.objects.get(pk=user.pk).language == "en"
    assert html_lang(client.get("/accounts/profile/")) == "en"


def test_header_shows_the_users_name_and_profession(client):
    client.force_login(make_user(first_name="Sophie", last_name="Lefèvre", profession="director"))
    html = client.get("/accounts/profile/").content.decode()
    assert "Sophie Lefèvre" in html
    assert "Direction d&#x27;établissement" in html or "Direction d'établissement" in html


def test_a_browser_preferring_english_still_gets_french_until_the_person_switches(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert html_lang(response) == "fr"
