"""seed_demo creates the demo accounts, and a second run changes nothing in any model."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import call_command

from accounts.choices import Profession, Role
from accounts.demo import DEMO_PASSWORD, DEMO_USERS
from accounts.models import User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_seed_demo_twice_gives_the_same_counts_in_every_model():
    call_command("seed_demo", stdout=io.StringIO())
    first = _counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert _counts() == first
    assert first["accounts.User"] >= len(DEMO_USERS)


def test_demo_accounts_cover_every_role_and_profession_and_can_log_in(client):
    call_command("seed_demo", stdout=io.StringIO())
    users = User.objects.filter(email__in=[row[0] for row in DEMO_USERS]).prefetch_related("groups")
    assert {user.profession for user in users} == set(Profession.values)
    assert {group.name for user in users for group in user.groups.all()} == set(Role.values)
    assert EmailAddress.objects.filter(user__in=users, verified=True, primary=True).count() == len(DEMO_USERS)
    response = client.post("/accounts/login/", {"login": "directrice@passerelles.test", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_seed_demo_does_not_reset_a_changed_demo_password():
    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.get(email="cadre@passerelles.test")
    user.set_password("changed-by-the-person-2026")
    user.save()
    call_command("seed_demo", stdout=io.StringIO())
    user.refresh_from_db()
    assert user.check_password("changed-by-the-person-2026")
