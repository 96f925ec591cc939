"""A French page and its English translation; the catalogue falls back to French."""

import pytest
from django.utils import translation
from wagtail.models import Locale

from cms.models import ProgrammePage
from cms.selectors import catalogue_entries
from tests.factories_cms import make_module, make_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def english():
    return Locale.objects.get(language_code="en")


@pytest.fixture
def translated(english):
    programme = make_programme(title="Manager la coopération")
    make_module(programme=programme, title="Le parcours du patient diabétique")
    copy = programme.copy_for_translation(english, copy_parents=True)
    copy.title = "Managing cooperation"
    copy.save_revision().publish()
    return programme, ProgrammePage.objects.get(pk=copy.pk)


def test_a_translation_is_linked_to_its_french_page(translated, english):
    french, copy = translated
    assert copy.locale == english and copy.translation_key == french.translation_key
    assert french.get_translation(english).pk == copy.pk
    assert copy.get_parent().locale == english  # the English catalogue was created with it


def test_the_catalogue_shows_the_english_page_to_an_english_reader_and_french_where_untranslated(translated):
    french, copy = translated
    only_french = make_programme(title="Conduire un projet de territoire")
    with translation.override("en"):
        titles = [page.title for page in catalogue_entries()]
    assert titles == ["Managing cooperation", "Conduire un projet de territoire"]
    with translation.override("fr"):
        titles = [page.title for page in catalogue_entries()]
    assert titles == ["Manager la coopération", "Conduire un projet de territoire"]
    assert only_french.pk


def test_an_english_reader_gets_the_english_catalogue_and_can_open_a_french_only_programme(client, translated):
    only_french = make_programme(title="Conduire un projet de territoire")
    client.cookies["django_language"] = "en"
    html = client.get("/catalogue/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Managing cooperation" in html and "Conduire un projet de territoire" in html
    response = client.get(only_french.url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Conduire un projet de territoire" in response.content.decode()


def test_a_french_reader_reads_the_french_catalogue(client, translated):
    html = client.get("/catalogue/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Manager la coopération" in html and "Managing cooperation" not in html
