"""On PostgreSQL, full-text search stems each page in its own language (cms/search_backend.py)."""

import pytest
from django.utils import translation
from wagtail.models import Locale

from cms.selectors import search_pages
from tests.factories_cms import make_lesson, text_block

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def index_entry(page):
    from wagtail.search.models import IndexEntry

    return IndexEntry.objects.get(object_id=str(page.pk), content_type__model=page.specific_class._meta.model_name)


@pytest.fixture
def french():
    return make_lesson(title="Coopérer", summary="", body=[text_block("Les hôpitaux du territoire ont décidé de coopérer.")])


def test_the_backend_is_the_language_aware_one():
    from wagtail.search.backends import get_search_backend

    backend = get_search_backend()
    assert type(backend).__name__ == "LanguageSearchBackend"
    assert backend.config_for("fr") == "french" and backend.config_for("en") == "english"


def test_a_french_page_is_stored_with_french_stems(french):
    body = str(index_entry(french).body)
    assert "'hôpital'" in body and "'décid'" in body
    assert "'hôpitaux'" not in body and "'les'" not in body  # stemmed, French stop words dropped


@pytest.mark.parametrize("query", ["hôpital", "décider", "hôpitaux"])
def test_a_french_page_is_found_by_another_form_of_its_words(french, query):
    assert [page.pk for page in search_pages(query=query)] == [french.pk]


def test_an_english_translation_is_stemmed_in_english_and_found_by_its_own_word_forms(french):
    english = french.copy_for_translation(Locale.objects.get(language_code="en"), copy_parents=True)
    english.title = "Cooperating"
    english.body = [text_block("The hospitals kept running the wards together.")]
    english.save_revision().publish()
    body = str(index_entry(english).body)
    assert "'run'" in body and "'hospit'" in body and "'the'" not in body
    with translation.override("en"):
        assert [page.pk for page in search_pages(query="runs")] == [english.pk]
        assert [page.pk for page in search_pages(query="hôpital")] == [french.pk]  # the French stems still answer
    assert search_pages(query="inexistantissime") == []
