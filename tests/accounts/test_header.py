import pytest

from accounts.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("roles", "shown"), [((Role.EDITOR,), True), ((Role.REVIEWER,), True), ((Role.LEARNER,), False), ((Role.FACILITATOR,), False)])
def test_header_links_the_content_admin_only_for_those_who_may_enter_it(client, roles, shown):
    client.force_login(make_user(roles=roles))
    html = client.get("/accounts/profile/").content.decode()
    assert ('href="/admin/"' in html) is shown


def test_header_admin_check_costs_one_query(client, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser  # noqa: F401

    from accounts.context_processors import _can_access_admin

    user = make_user(roles=(Role.EDITOR,))
    with django_assert_num_queries(1):
        assert _can_access_admin(user) is True
