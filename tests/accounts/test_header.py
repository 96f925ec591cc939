import pytest

from accounts.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("roles", "shown"), [((Role.EDITOR,), True), ((Role.REVIEWER,), True), ((Role.LEARNER,), False), ((Role.FACILITATOR,), False)])
def test_header_links_the_content_admin_only_for_those_who_may_enter_it(client, roles, shown):
    client.force_login(make_user(roles=roles))
    html = client.get("/accounts/profile/").content.decode()
    assert ('href="/admin/"' in html) is shown


def test_the_admin_check_of_a_session_user_costs_no_query(django_assert_num_queries):
    from accounts.backends import ModelBackend, can_access_admin

    editor, learner = make_user(roles=(Role.EDITOR,)), make_user(roles=(Role.LEARNER,))
    backend = ModelBackend()
    session_editor, session_learner = backend.get_user(editor.pk), backend.get_user(learner.pk)
    with django_assert_num_queries(0):
        assert can_access_admin(session_editor) is True
        assert can_access_admin(session_learner) is False


def test_the_admin_check_of_any_other_user_object_asks_the_permissions_once(django_assert_num_queries):
    from accounts.backends import can_access_admin

    user = make_user(roles=(Role.EDITOR,))
    user.has_perm("wagtailadmin.access_admin")  # what Wagtail's own checks do first on a page
    with django_assert_num_queries(0):
        assert can_access_admin(user) is True


def test_losing_the_editor_role_removes_the_admin_link_at_the_next_request(client):
    from django.contrib.auth.models import Group

    editor = make_user(roles=(Role.EDITOR,))
    client.force_login(editor)
    assert 'href="/admin/"' in client.get("/accounts/profile/").content.decode()
    editor.groups.remove(Group.objects.get(name=Role(Role.EDITOR).value))
    assert 'href="/admin/"' not in client.get("/accounts/profile/").content.decode()


def test_inactive_users_never_reach_the_admin_and_superusers_always_do():
    from accounts.backends import can_access_admin

    editor = make_user(roles=(Role.EDITOR,))
    editor.is_active = False
    assert can_access_admin(editor) is False
    admin = make_user()
    admin.is_superuser = True
    assert can_access_admin(admin) is True


def test_a_session_user_granted_admin_access_directly_not_through_a_group_gets_the_link():
    from django.contrib.auth.models import Permission

    from accounts.backends import ModelBackend, can_access_admin

    user = make_user(roles=(Role.LEARNER,))
    assert can_access_admin(ModelBackend().get_user(user.pk)) is False
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    assert can_access_admin(ModelBackend().get_user(user.pk)) is True


def test_the_session_backend_answers_none_for_an_unknown_or_malformed_id():
    from accounts.backends import ModelBackend

    assert ModelBackend().get_user(987654321) is None
    assert ModelBackend().get_user("not-a-number") is None
