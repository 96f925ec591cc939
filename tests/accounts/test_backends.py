import pytest
from django.contrib.auth.models import Permission

from accounts.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_permissions_from_groups_and_from_the_user_are_read_in_one_query(django_assert_num_queries):
    user = make_user(roles=(Role.EDITOR,))
    user.user_permissions.add(Permission.objects.get(codename="add_document"))
    with django_assert_num_queries(1):
        assert user.has_perm("wagtailadmin.access_admin")  # from the Editor group
        assert user.has_perm("wagtaildocs.add_document")  # given to the user
        assert not user.has_perm("wagtailusers.add_userprofile")


def test_a_learner_has_no_admin_permission_and_an_inactive_user_none_at_all():
    learner = make_user(roles=(Role.LEARNER,))
    assert not learner.has_perm("wagtailadmin.access_admin")
    editor = make_user(roles=(Role.EDITOR,), is_active=False)
    assert editor.get_all_permissions() == set()
