"""Signup, e-mail verification, first login, and the signups that must create nothing."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from tests.factories import make_user
from tests.factories_accounts import SIGNUP_PASSWORD, confirmation_path, signup_data

pytestmark = pytest.mark.django_db


def _counts():
    return User.objects.count(), EmailAddress.objects.count()


def test_signup_page_asks_for_every_profile_field(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ["email", "first_name", "last_name", "profession", "level", "organisation", "language", "password1"]:
        assert f'name="{name}"' in html
    assert "Créer un compte" in html


def test_signup_then_verification_then_login_then_profile(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the verification mail is queued after commit
        response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"

    user = User.objects.get(email="nouvelle.directrice@chu-exemple.fr")
    assert (user.first_name, user.last_name, user.profession, user.level, user.organisation) == (
        "Camille", "Perrin", "director", "establishment", "CHU de Nantes",
    )
    address = EmailAddress.objects.get(user=user)
    assert address.verified is False and address.primary is True
    assert "_auth_user_id" not in client.session  # mandatory verification: not signed in yet

    # Before confirming, a login attempt is sent back to the verification step.
    response = client.post("/accounts/login/", {"login": user.email, "password": SIGNUP_PASSWORD})
    assert "_auth_user_id" not in client.session

    assert len(mail.outbox) >= 1
    path = confirmation_path(mail.outbox[-1].body)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified is True

    response = client.post("/accounts/login/", {"login": user.email, "password": SIGNUP_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    response = client.get("/accounts/profile/")
    assert response.status_code == 200
    assert "CHU de Nantes" in response.content.decode()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"email": "pas-une-adresse"}, "email"),
        ({"email": None}, "email"),
        ({"first_name": None}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"last_name": None}, "last_name"),
        ({"profession": None}, "profession"),
        ({"profession": "astronaut"}, "profession"),
        ({"level": None}, "level"),
        ({"level": "galaxy"}, "level"),
        ({"organisation": None}, "organisation"),
        ({"language": "de"}, "language"),
        ({"password1": "12345678", "password2": "12345678"}, "password1"),
        ({"password1": "motdepasse", "password2": "motdepasse"}, "password1"),
        ({"password2": "Autre-mot-de-passe-2026"}, "password2"),
    ],
)
def test_wrong_or_missing_field_shows_an_error_and_creates_nothing(client, overrides, field):
    before = _counts()
    response = client.post("/accounts/signup/", signup_data(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    assert _counts() == before
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["deja.inscrite@ars.sante.fr", "Deja.Inscrite@ARS.sante.fr", "DEJA.INSCRITE@ars.sante.fr"])
def test_duplicate_email_in_any_case_is_refused_and_creates_nothing(client, email):
    make_user(email="deja.inscrite@ars.sante.fr")
    before = _counts()
    response = client.post("/accounts/signup/", signup_data(email=email))
    assert response.status_code == 200
    assert response.context["form"].errors.get("email")
    assert _counts() == before


def test_signup_stores_the_email_in_lower_case(client):
    client.post("/accounts/signup/", signup_data(email="Camille.Perrin@CHU-Exemple.fr"))
    assert User.objects.filter(email="camille.perrin@chu-exemple.fr").exists()


def test_signup_in_english_stores_the_interface_language(client):
    client.post("/accounts/signup/", signup_data(language="en"))
    assert User.objects.get().language == "en"
