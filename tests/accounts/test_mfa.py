"""Multi-factor sign-in (allauth.mfa): set-up, sign-in with a code or a recovery code, the roles
that must have a factor, the admin logins that must not skip it, and re-authentication."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache

from accounts.choices import Role
from accounts.models import SecurityEvent
from tests.factories import make_user
from tests.factories_accounts import totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def password_login(client, user):
    return client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def confirm_identity(client):
    """allauth asks for the password again before any change of factors (MFA_REAUTHENTICATION_REQUIRED)."""
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.context["form"].errors


def activate_totp(client, user) -> str:
    """Sign in with the password, set up the authenticator app through the pages; return its secret."""
    password_login(client, user)
    confirm_identity(client)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    client.post("/accounts/logout/")
    cache.clear()  # allauth remembers used codes for one period: as if the next 30 s had come
    return secret


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_activating_totp_through_the_pages_stores_a_factor_and_recovery_codes(client, django_capture_on_commit_callbacks):
    user = make_user()
    password_login(client, user)
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    confirm_identity(client)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code, inline: no data: URI for the policy to allow
    secret = page.context["form"].secret
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert not Authenticator.objects.filter(user=user).exists()
    with django_capture_on_commit_callbacks(execute=True):  # allauth announces it after commit
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {"totp", "recovery_codes"}
    assert SecurityEvent.objects.filter(kind="mfa_activated", actor=user).exists()
    codes = client.get(response["Location"])
    assert codes.status_code == 200 and len(codes.context["unused_codes"]) == 10


def test_sign_in_with_totp_asks_for_the_code_after_the_password(client):
    user = make_user()
    secret = activate_totp(client, user)
    response = password_login(client, user)
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_as(client) is None  # the password alone signs nobody in
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert signed_in_as(client) == str(user.pk)
    assert SecurityEvent.objects.filter(kind="login", actor=user).count() == 2  # set-up, then this one


def test_a_wrong_or_replayed_code_is_refused_and_recorded(client):
    user = make_user()
    secret = activate_totp(client, user)
    password_login(client, user)
    code = totp_code(secret)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert response.status_code == 200 and response.context["form"].errors
    assert signed_in_as(client) is None
    assert SecurityEvent.objects.filter(kind="mfa_failed", actor=user).count() == 1
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert signed_in_as(client) == str(user.pk)
    client.post("/accounts/logout/")
    password_login(client, user)
    replay = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert replay.status_code == 200 and signed_in_as(client) is None


def test_a_recovery_code_signs_in_once(client):
    user = make_user()
    activate_totp(client, user)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()[0]
    password_login(client, user)
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert signed_in_as(client) == str(user.pk)
    client.post("/accounts/logout/")
    password_login(client, user)
    again = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert again.status_code == 200 and signed_in_as(client) is None


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.EDITOR, Role.REVIEWER, Role.ADMIN])
def test_a_role_that_needs_a_factor_is_sent_to_set_up_and_can_do_nothing_else(client, settings, role):
    settings.PASSERELLES_MFA_REQUIRED = True
    user = make_user(roles=(role,))
    response = password_login(client, user)
    assert signed_in_as(client) == str(user.pk)
    for path in ["/", "/cohorts/", "/learn/", "/admin/", "/accounts/profile/", "/accounts/email/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/", path
    assert client.post("/cohorts/new/", {"name": "x"})["Location"] == "/accounts/2fa/totp/activate/"
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    confirm_identity(client)  # the password again, then the set-up page
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    client.post("/accounts/2fa/totp/activate/", {"code": totp_code(page.context["form"].secret)})
    assert client.get("/accounts/profile/").status_code == 200  # free once the factor exists


def test_learners_and_everyone_off_the_setting_sign_in_with_a_password(client, settings):
    settings.PASSERELLES_MFA_REQUIRED = True
    learner = make_user()
    password_login(client, learner)
    assert client.get("/accounts/profile/").status_code == 200
    client.post("/accounts/logout/")
    settings.PASSERELLES_MFA_REQUIRED = False  # make run's demo accounts
    editor = make_user(roles=(Role.EDITOR,))
    password_login(client, editor)
    assert client.get("/accounts/profile/").status_code == 200


def test_removing_the_last_factor_of_a_required_role_sends_back_to_set_up(client, settings):
    settings.PASSERELLES_MFA_REQUIRED = True
    user = make_user(roles=(Role.FACILITATOR,))
    secret = activate_totp(client, user)
    password_login(client, user)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.get("/accounts/profile/").status_code == 200
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post("/accounts/2fa/totp/deactivate/")
    assert not Authenticator.objects.filter(user=user, type="totp").exists()
    assert SecurityEvent.objects.filter(kind="mfa_deactivated", actor=user).exists()
    assert client.get("/accounts/profile/")["Location"] == "/accounts/2fa/totp/activate/"


def test_the_wagtail_admin_login_cannot_sign_in_with_a_password_alone(client):
    editor = make_user(roles=(Role.EDITOR,))
    activate_totp(client, editor)
    response = client.post("/admin/login/", {"username": editor.email, "password": PASSWORD})
    assert signed_in_as(client) is None
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")


def test_the_django_admin_login_cannot_sign_in_with_a_password_alone(client):
    admin = make_user(roles=(Role.ADMIN,), is_staff=True, is_superuser=True)
    activate_totp(client, admin)
    response = client.post("/django-admin/login/", {"username": admin.email, "password": PASSWORD})
    assert signed_in_as(client) is None
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_changing_email_or_factors_asks_to_confirm_identity_when_the_sign_in_is_not_recent(client):
    user = make_user()
    client.force_login(user)  # an old session: no recent authentication recorded in it
    response = client.post("/accounts/email/", {"action_add": "", "email": "nouvelle@example.org"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert not user.emailaddress_set.filter(email="nouvelle@example.org").exists()
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    assert client.get("/accounts/2fa/recovery-codes/generate/")["Location"].startswith("/accounts/reauthenticate/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    wrong = client.post(response["Location"], {"password": "not-my-password"})
    assert wrong.status_code == 200 and not user.emailaddress_set.filter(email="nouvelle@example.org").exists()
    client.post(response["Location"], {"password": PASSWORD})
    # Confirmed: the suspended request goes through.
    assert user.emailaddress_set.filter(email="nouvelle@example.org").exists()


def test_changing_the_password_asks_for_the_current_one(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        "/accounts/password/change/", {"oldpassword": "not-it", "password1": "Nouveau-mot-2-passe", "password2": "Nouveau-mot-2-passe"}
    )
    assert response.status_code == 200 and response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_mfa_pages_use_the_site_frame_and_no_inline_script_or_style(client):
    user = make_user()
    activate_totp(client, user)
    password_login(client, user)
    authenticate = client.get("/accounts/2fa/authenticate/")
    pages = [authenticate]
    client.force_login(user)
    pages.append(client.get("/accounts/reauthenticate/"))
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    for path in ["/accounts/2fa/", "/accounts/2fa/totp/deactivate/", "/accounts/2fa/recovery-codes/", "/accounts/2fa/recovery-codes/generate/"]:
        pages.append(client.get(path))
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        html = response.content.decode()
        assert 'class="site-header' in html or "site-header" in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), response.request["PATH_INFO"]
        assert not re.search(r"\sstyle=|\son[a-z]+=", html), response.request["PATH_INFO"]


def test_regenerating_recovery_codes_voids_the_old_ones_and_is_recorded(client, django_capture_on_commit_callbacks):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = make_user()
    activate_totp(client, user)
    old = RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()
    password_login(client, user)
    client.post("/accounts/2fa/authenticate/", {"code": old[0]})
    confirm_identity(client)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/recovery-codes/generate/")
    new = RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()
    assert not set(new) & set(old)
    assert SecurityEvent.objects.filter(kind="recovery_codes_generated", actor=user).exists()
