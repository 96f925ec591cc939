"""Login, rate limits, logout by POST, password change and reset."""

import re

import pytest
from django.core import mail

from accounts.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_verified_user_logs_in_with_email_in_any_case(client):
    user = make_user(email="cadre.sante@ch-vitre.fr")
    response = client.post("/accounts/login/", {"login": "Cadre.Sante@CH-Vitre.fr", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_is_refused_with_a_message(client):
    make_user(email="cadre.sante@ch-vitre.fr")
    response = client.post("/accounts/login/", {"login": "cadre.sante@ch-vitre.fr", "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_rate_limited_even_with_the_right_password(client):
    make_user(email="cadre.sante@ch-vitre.fr")
    for _ in range(5):
        client.post("/accounts/login/", {"login": "cadre.sante@ch-vitre.fr", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"login": "cadre.sante@ch-vitre.fr", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    errors = " ".join(response.context["form"].non_field_errors())
    assert errors  # "Trop de tentatives de connexion…"
    # Another account from the same address is not blocked by the per-account limit.
    other = make_user(email="medecin@chu-exemple.fr")
    response = client.post("/accounts/login/", {"login": other.email, "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(other.pk)


def test_logout_by_get_only_asks_for_confirmation(client):
    user = make_user()
    client.force_login(user)
    response = client.get("/accounts/logout/")
    assert response.status_code == 200
    assert client.session["_auth_user_id"] == str(user.pk)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_every_page_header_logs_out_with_a_post_form(client):
    client.force_login(make_user())
    html = client.get("/accounts/profile/").content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/"', html)


def test_password_change_requires_the_old_password_and_a_strong_new_one(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "not-my-password", "password1": "Nouveau-mot-de-passe-2026", "password2": "Nouveau-mot-de-passe-2026"},
    )
    assert response.status_code == 200 and response.context["form"].errors.get("oldpassword")
    response = client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": "123456789", "password2": "123456789"}
    )
    assert response.status_code == 200 and response.context["form"].errors.get("password1")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "Nouveau-mot-de-passe-2026", "password2": "Nouveau-mot-de-passe-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Nouveau-mot-de-passe-2026")


def test_password_reset_sends_a_link_that_sets_a_new_password(client, django_capture_on_commit_callbacks):
    user = make_user(email="pharmacien@ch-fougeres.fr")
    with django_capture_on_commit_callbacks(execute=True):  # the mail is queued after commit
        response = client.post("/accounts/password/reset/", {"email": "Pharmacien@CH-Fougeres.fr"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    response = client.post(form_url, {"password1": "Reinitialise-2026-ok", "password2": "Reinitialise-2026-ok"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Reinitialise-2026-ok")


def test_password_reset_link_used_twice_is_refused(client, django_capture_on_commit_callbacks):
    make_user(email="pharmacien@ch-fougeres.fr")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "pharmacien@ch-fougeres.fr"})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": "Reinitialise-2026-ok", "password2": "Reinitialise-2026-ok"})
    response = client.get(link, follow=True)
    assert response.context["token_fail"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/confirm-email/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/confirm-email/not-a-key/",
    ],
)
def test_anonymous_allauth_pages_use_the_site_frame(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="skip-link"' in html and "site-header" in html and 'id="language-select"' in html
    assert "<script>" not in html and " style=" not in html


@pytest.mark.parametrize("path", ["/accounts/logout/", "/accounts/password/change/", "/accounts/email/", "/accounts/profile/"])
def test_signed_in_account_pages_use_the_site_frame(client, path):
    client.force_login(make_user())
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="skip-link"' in html and "site-header" in html and 'id="language-select"' in html
    assert "<script>" not in html and "<script " not in html.replace('<script src="/static/js/site.js" defer>', "")


def test_account_pages_need_a_signed_in_user(client):
    for path in ["/accounts/profile/", "/accounts/password/change/", "/accounts/email/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("roles", "start"),
    [
        ((Role.LEARNER,), "/dashboard/"),
        ((Role.FACILITATOR,), "/cohorts/"),
        ((Role.LEARNER, Role.FACILITATOR), "/cohorts/"),
        ((Role.EDITOR,), "/admin/"),
        ((Role.REVIEWER,), "/admin/"),
    ],
)
def test_login_lands_on_the_persons_own_starting_page(client, roles, start):
    user = make_user(roles=roles)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == start


def test_login_follows_a_safe_next_and_ignores_an_outside_one(client):
    user = make_user()
    response = client.post("/accounts/login/?next=/catalogue/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/catalogue/"
    client.post("/accounts/logout/")
    response = client.post(
        "/accounts/login/?next=https://evil.example/steal", {"login": user.email, "password": PASSWORD}
    )
    assert response["Location"] == "/dashboard/"
