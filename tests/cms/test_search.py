"""Search finds cases by their learner-visible text, never by notes or debriefs; no public API."""

import pytest

from cms.selectors import public_text, search_pages
from tests.factories import make_user
from tests.factories_cms import (
    BODY_WORD,
    COMMENTARY_SECRET,
    DEBRIEF_SECRET,
    NOTES_SECRET,
    make_case,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return make_case(title="La tension estivale")


def test_search_finds_a_case_by_a_word_of_its_body(case):
    assert [page.pk for page in search_pages(query=BODY_WORD)] == [case.pk]


@pytest.mark.parametrize("secret", [NOTES_SECRET, DEBRIEF_SECRET])
def test_words_only_in_facilitator_notes_or_the_debrief_find_nothing(case, secret):
    assert search_pages(query=secret) == []


def test_the_indexed_text_holds_no_notes_and_no_debrief(case):
    text = public_text(case.body)
    assert BODY_WORD in text
    assert NOTES_SECRET not in text and DEBRIEF_SECRET not in text


def test_the_search_page_lists_matching_cases_and_never_shows_hidden_text(client, case):
    client.force_login(make_user())
    html = client.get("/search/", {"q": BODY_WORD}).content.decode()
    assert "La tension estivale" in html and case.url in html
    html = client.get("/search/", {"q": NOTES_SECRET}).content.decode()
    assert "La tension estivale" not in html and "0 résultat" in html
    for secret in (NOTES_SECRET, DEBRIEF_SECRET, COMMENTARY_SECRET):
        assert secret not in client.get("/search/", {"q": BODY_WORD}).content.decode()


def test_unpublished_cases_are_not_found(client):
    make_case(title="Brouillon", live=False)
    assert search_pages(query=BODY_WORD) == []


def test_an_empty_query_shows_the_form_only(client):
    response = client.get("/search/")
    assert response.status_code == 200 and 'name="q"' in response.content.decode()


def test_there_is_no_public_api(client, case):
    assert client.get("/api/").status_code == 404
    assert client.get("/api/v2/pages/").status_code == 404
