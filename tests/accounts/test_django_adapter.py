"""The Django internal accounts relies on (`accounts/django_adapter.py`) still works as assumed: when an
upgrade changes it, this fails here, by name, rather than as a page that quietly costs more queries."""

import pytest
from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from accounts.choices import Role
from accounts.django_adapter import permission_cache_get, permission_cache_set
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("backend", [ModelBackend, AuthenticationBackend], ids=["django", "allauth"])
def test_django_based_backends_answer_from_the_permission_cache_without_a_query(backend, django_assert_num_queries):
    user = make_user(roles=(Role.EDITOR,))
    permission_cache_set(user, {"cms.only_from_the_cache"})
    with django_assert_num_queries(0):
        assert backend().get_all_permissions(user) == {"cms.only_from_the_cache"}
        assert backend().has_perm(user, "cms.only_from_the_cache")


def test_django_fills_the_permission_cache_that_the_adapter_reads():
    user = make_user(roles=(Role.EDITOR,))
    assert permission_cache_get(user) is None
    permissions = ModelBackend().get_all_permissions(user)
    assert "wagtailadmin.access_admin" in permissions
    assert permission_cache_get(user) == permissions
