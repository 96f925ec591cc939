"""The Wagtail internal cms relies on (`cms/wagtail_adapter.py`) still works as assumed: when an upgrade
changes it, this fails here, by name, rather than as a slower page or a wrong site."""

import pytest
from django.test import RequestFactory
from wagtail.models import Site

from cms.wagtail_adapter import request_site_set
from tests.factories_cms import make_case

pytestmark = pytest.mark.django_db


def test_wagtail_answers_find_for_request_with_the_site_handed_to_the_request_and_no_query(
    django_assert_num_queries,
):
    make_case()
    site = Site.objects.get(is_default_site=True)
    request = RequestFactory().get("/", HTTP_HOST="unknown.example")  # a host that would find no site
    request_site_set(request, site)
    with django_assert_num_queries(0):
        assert Site.find_for_request(request) is site


def test_a_page_served_uses_the_site_the_middleware_found(client, django_assert_max_num_queries):
    """The whole path: cms.middleware hands the cached Site over and Wagtail serves with it."""
    case = make_case()
    client.get(case.url)
    with django_assert_max_num_queries(20) as captured:
        assert client.get(case.url).status_code == 200
    assert not [q for q in captured.captured_queries if '"wagtailcore_site"' in q["sql"]]
