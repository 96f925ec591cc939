"""Failed logins are throttled per address and per account-and-address: the attacker is slowed
down, the account's owner elsewhere is never locked out, and the message says how long to wait."""

import pytest
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def _login(client: Client, email: str, password: str, address: str):
    return client.post("/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=address)


def test_a_stranger_guessing_a_password_is_throttled_but_cannot_lock_the_owner_out(settings):
    user = make_user(email="directrice@ch-exemple.fr")
    attacker = Client()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        response = _login(attacker, user.email, "wrong-password", ATTACKER)
        assert "Trop d" not in response.content.decode()
    # The attacker is now throttled, even with the right password.
    response = _login(attacker, user.email, PASSWORD, ATTACKER)
    assert "_auth_user_id" not in attacker.session
    errors = " ".join(response.context["form"].non_field_errors())
    assert f"Réessayez dans {settings.LOGIN_LOCK_MINUTES} minutes" in errors
    # The owner, from their own address, signs in at once.
    owner = Client()
    response = _login(owner, user.email, PASSWORD, OWNER)
    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(user.pk)


def test_one_address_trying_many_accounts_is_throttled_by_address(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE = 3
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip,5/5m/key"}
    victims = [make_user() for _ in range(4)]
    attacker = Client()
    for victim in victims[:3]:
        _login(attacker, victim.email, "wrong-password", ATTACKER)
    response = _login(attacker, victims[3].email, PASSWORD, ATTACKER)
    assert "_auth_user_id" not in attacker.session
    assert "Réessayez dans" in " ".join(response.context["form"].non_field_errors())
    # Someone else's address is not affected.
    owner = Client()
    _login(owner, victims[3].email, PASSWORD, OWNER)
    assert owner.session["_auth_user_id"] == str(victims[3].pk)


def test_the_owner_locked_out_at_their_own_address_is_told_how_long_to_wait(settings):
    user = make_user()
    client = Client()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS):
        _login(client, user.email, "wrong-password", OWNER)
    response = _login(client, user.email, PASSWORD, OWNER)
    assert "_auth_user_id" not in client.session
    assert f"{settings.LOGIN_LOCK_MINUTES} minutes" in response.content.decode()
