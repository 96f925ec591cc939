import pytest

from accounts.choices import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("roles", "shown"), [((Role.EDITOR,), True), ((Role.REVIEWER,), True), ((Role.LEARNER,), False), ((Role.FACILITATOR,), False)])
def test_header_links_the_content_admin_only_for_those_who_may_enter_it(client, roles, shown):
    client.force_login(make_user(roles=roles))
    html = client.get("/accounts/profile/").content.decode()
    assert ('href="/admin/"' in html) is shown


def test_header_admin_check_shares_the_permission_cache(django_assert_num_queries):
    from accounts.context_processors import _can_access_admin

    user = make_user(roles=(Role.EDITOR,))
    user.has_perm("wagtailadmin.access_admin")  # what Wagtail's own checks do first on a page
    with django_assert_num_queries(0):
        assert _can_access_admin(user) is True
