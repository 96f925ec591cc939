"""The case page costs a fixed, small number of queries: not more with more siblings or blocks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Profession
from tests.factories import make_user
from tests.factories_cms import case_body, make_case, make_module

pytestmark = pytest.mark.django_db

# Goal (BENCHMARKS.md): ≤ 10 queries for a logged-in learner, not counting the session and user.
# That is cms's own cost (routing, view restrictions, permissions, competencies); the learner
# records and cohort dates that lms and cohorts add through hooks come on top (WHOLE_PAGE_BUDGET).
SESSION_AND_USER = 2
LEARNER_BUDGET = 10 + SESSION_AND_USER
WHOLE_PAGE_BUDGET = 24
CMS_HOOKS = {"case_state", "case_page_context"}


@pytest.fixture
def cms_only(monkeypatch):
    """Leave out the hooks other apps register on case pages, to measure cms alone."""
    from wagtail import hooks

    original = hooks.get_hooks
    monkeypatch.setattr(hooks, "get_hooks", lambda name: [] if name in CMS_HOOKS else original(name))


def queries_for(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured]


@pytest.fixture
def learner_client(client):
    client.force_login(make_user(profession=Profession.NURSE))
    return client


@pytest.mark.parametrize("scope", ["cms_only", "whole_page"])
def test_a_case_page_costs_the_same_queries_with_3_or_30_sibling_pages(request, learner_client, scope):
    if scope == "cms_only":
        request.getfixturevalue("cms_only")
    budget = LEARNER_BUDGET if scope == "cms_only" else WHOLE_PAGE_BUDGET
    module = make_module()
    case = make_case(module=module)
    for _ in range(2):
        make_case(module=module, body=[])
    learner_client.get(case.url)  # warm Wagtail's site-root cache
    few = len(queries_for(learner_client, case.url))
    for _ in range(27):
        make_case(module=module, body=[])
    many = len(queries_for(learner_client, case.url))
    assert many == few <= budget


@pytest.mark.parametrize("scope", ["cms_only", "whole_page"])
def test_a_case_page_costs_the_same_queries_with_few_or_many_blocks(request, learner_client, scope):
    if scope == "cms_only":
        request.getfixturevalue("cms_only")
    budget = LEARNER_BUDGET if scope == "cms_only" else WHOLE_PAGE_BUDGET
    small = make_case(body=case_body(professions=("nurse",)))
    big = make_case(body=case_body(professions=("director", "physician", "nurse", "regulator"), extra_text_blocks=60)
                    + case_body(professions=("director", "nurse")))
    learner_client.get(small.url)
    assert len(queries_for(learner_client, small.url)) == len(queries_for(learner_client, big.url)) <= budget


def test_a_learner_who_picked_a_perspective_stays_within_the_budget(client, cms_only):
    learner = make_user(profession=Profession.REGULATOR)
    case = make_case()
    client.force_login(learner)
    client.post(f"/cases/{case.pk}/perspective/", {"profession": "director"})
    client.get(case.url)
    assert len(queries_for(client, case.url)) <= LEARNER_BUDGET + 1
