"""The case page costs a fixed, small number of queries: not more with more siblings or blocks."""

import pytest

from accounts.choices import Profession
from tests.factories import make_user
from tests.factories_cms import case_body, make_case, make_module
from tests.queries import PageQueries, page_queries

pytestmark = pytest.mark.django_db

# Goal (BENCHMARKS.md): ≤ 10 queries for a logged-in learner, everything included (session, user,
# learner records and cohort dates that lms and cohorts add through hooks), once cms's content
# cache holds the routes and page lists (`warm`). The first view after an editor publishes
# (`cold`) rebuilds them: bounded too, and neither grows with the data.
# cms alone, warm: session, user, permissions.
BUDGETS = {"cms_only": PageQueries(cold=12, warm=3), "whole_page": PageQueries(cold=22, warm=10)}
CMS_HOOKS = {"case_state", "case_page_context"}


@pytest.fixture
def cms_only(monkeypatch):
    """Leave out the hooks other apps register on case pages, to measure cms alone."""
    from wagtail import hooks

    original = hooks.get_hooks
    monkeypatch.setattr(hooks, "get_hooks", lambda name: [] if name in CMS_HOOKS else original(name))


def within(queries: PageQueries, budget: PageQueries) -> bool:
    return queries.warm <= budget.warm and queries.cold <= budget.cold


@pytest.fixture
def learner_client(client):
    client.force_login(make_user(profession=Profession.NURSE))
    return client


@pytest.mark.parametrize("scope", ["cms_only", "whole_page"])
def test_a_case_page_costs_the_same_queries_with_3_or_30_sibling_pages(request, learner_client, scope):
    if scope == "cms_only":
        request.getfixturevalue("cms_only")
    module = make_module()
    case = make_case(module=module)
    for _ in range(2):
        make_case(module=module, body=[])
    learner_client.get(case.url)
    few = page_queries(learner_client, case.url)
    for _ in range(27):
        make_case(module=module, body=[])
    many = page_queries(learner_client, case.url)
    assert many == few
    assert within(few, BUDGETS[scope]), few


@pytest.mark.parametrize("scope", ["cms_only", "whole_page"])
def test_a_case_page_costs_the_same_queries_with_few_or_many_blocks(request, learner_client, scope):
    if scope == "cms_only":
        request.getfixturevalue("cms_only")
    small = make_case(body=case_body(professions=("nurse",)))
    big = make_case(body=case_body(professions=("director", "physician", "nurse", "regulator"), extra_text_blocks=60)
                    + case_body(professions=("director", "nurse")))
    learner_client.get(small.url)
    few, many = page_queries(learner_client, small.url), page_queries(learner_client, big.url)
    assert many == few
    assert within(few, BUDGETS[scope]), few


def test_a_learner_who_picked_a_perspective_stays_within_the_budget(client, cms_only):
    learner = make_user(profession=Profession.REGULATOR)
    case = make_case()
    client.force_login(learner)
    client.post(f"/cases/{case.pk}/perspective/", {"profession": "director"})
    client.get(case.url)
    queries = page_queries(client, case.url)
    assert within(queries, PageQueries(cold=BUDGETS["cms_only"].cold + 1, warm=BUDGETS["cms_only"].warm + 1)), queries
