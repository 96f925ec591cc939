"""Roles are groups created by a migration; who reaches which admin."""

import pytest
from django.contrib.auth.models import Group

from accounts.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_five_roles_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.ADMIN])
def test_editors_reviewers_and_admins_reach_the_wagtail_admin(client, role):
    client.force_login(make_user(roles=(role,)))
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("role", [Role.LEARNER, Role.FACILITATOR])
def test_learners_and_facilitators_are_refused_the_wagtail_admin(client, role):
    client.force_login(make_user(roles=(role,)))
    response = client.get("/admin/")
    assert response.status_code in {302, 403}
    # Wagtail sends them to the sign-in page, which is allauth's (WAGTAILADMIN_LOGIN_URL: docs/security.md).
    assert "/accounts/login/" in response.get("Location", "/accounts/login/")


def test_anonymous_visitor_is_sent_to_log_in_for_the_wagtail_admin(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_admin_role_manages_users_and_roles_in_wagtail(client):
    client.force_login(make_user(roles=(Role.ADMIN,)))
    assert client.get("/admin/users/").status_code == 200
    assert client.get("/admin/groups/").status_code == 200
    assert client.get("/admin/sites/").status_code == 200


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER])
def test_editors_and_reviewers_do_not_manage_users(client, role):
    client.force_login(make_user(roles=(role,)))
    assert client.get("/admin/users/").status_code in {302, 403}
    assert client.get("/admin/groups/").status_code in {302, 403}


def test_only_superusers_reach_the_django_admin(client):
    client.force_login(make_user(roles=(), is_superuser=True, is_staff=True))
    assert client.get("/django-admin/").status_code == 200


@pytest.mark.parametrize(
    "fields, roles",
    [
        ({"is_staff": True}, ()),
        ({"is_staff": True}, (Role.ADMIN,)),
        ({}, (Role.EDITOR,)),
        ({}, (Role.LEARNER,)),
    ],
)
def test_staff_and_role_holders_who_are_not_superusers_are_refused_the_django_admin(client, fields, roles):
    client.force_login(make_user(roles=roles, **fields))
    response = client.get("/django-admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/django-admin/login/")
    assert client.get("/django-admin/accounts/user/").status_code == 302


def test_has_role_reads_group_membership():
    user = make_user(roles=(Role.FACILITATOR,))
    assert user.has_role(Role.FACILITATOR) and user.is_facilitator
    assert not user.has_role(Role.EDITOR)


@pytest.mark.parametrize(
    "roles, superuser, shown",
    [((Role.EDITOR,), False, True), ((Role.REVIEWER,), False, True), ((Role.ADMIN,), False, True),
     ((), True, True), ((Role.LEARNER,), False, False), ((Role.FACILITATOR,), False, False)],
)
def test_header_offers_the_content_admin_only_to_those_who_may_open_it(client, roles, superuser, shown):
    client.force_login(make_user(roles=roles, is_superuser=superuser))
    html = client.get("/accounts/profile/").content.decode()
    assert ('href="/admin/"' in html) is shown
