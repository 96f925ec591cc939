"""The case page costs a fixed, small number of queries: not more with more siblings or blocks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Profession
from tests.factories import make_user
from tests.factories_cms import case_body, make_case, make_module

pytestmark = pytest.mark.django_db

# Goal (BENCHMARKS.md): ≤ 10 queries for a logged-in learner, not counting the session and user.
SESSION_AND_USER = 2
LEARNER_BUDGET = 10 + SESSION_AND_USER


def queries_for(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured]


@pytest.fixture
def learner_client(client):
    client.force_login(make_user(profession=Profession.NURSE))
    return client


def test_a_case_page_costs_the_same_queries_with_3_or_30_sibling_pages(learner_client):
    module = make_module()
    case = make_case(module=module)
    for _ in range(2):
        make_case(module=module, body=[])
    learner_client.get(case.url)  # warm Wagtail's site-root cache
    few = len(queries_for(learner_client, case.url))
    for _ in range(27):
        make_case(module=module, body=[])
    many = len(queries_for(learner_client, case.url))
    assert many == few <= LEARNER_BUDGET


def test_a_case_page_costs_the_same_queries_with_few_or_many_blocks(learner_client):
    small = make_case(body=case_body(professions=("nurse",)))
    big = make_case(body=case_body(professions=("director", "physician", "nurse", "regulator"), extra_text_blocks=60)
                    + case_body(professions=("director", "nurse")))
    learner_client.get(small.url)
    assert len(queries_for(learner_client, small.url)) == len(queries_for(learner_client, big.url)) <= LEARNER_BUDGET


def test_a_learner_who_picked_a_perspective_stays_within_the_budget(client):
    learner = make_user(profession=Profession.REGULATOR)
    case = make_case()
    client.force_login(learner)
    client.post(f"/cases/{case.pk}/perspective/", {"profession": "director"})
    client.get(case.url)
    assert len(queries_for(client, case.url)) <= LEARNER_BUDGET + 1
