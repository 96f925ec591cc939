"""The blocks every reader sees alike are rendered once and served from the content cache
(`cms.rendering.shared_fragments`): a fragment cached for one reader never reaches a reader the
gate keeps it from, publishing replaces it at once, and the page is the same without the cache."""

import re

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts.choices import Profession
from cms import content_cache
from cms.rendering import SHARED_BLOCKS
from tests.factories import make_user
from tests.factories_cms import (
    GATED_SECRET,
    NOTES_SECRET,
    SCHEDULED_SECRET,
    brief_marker,
    make_case,
)

pytestmark = pytest.mark.django_db

PROFESSIONS = ("director", "physician", "nurse")


def _fragment_key(page, block_id: str, language: str = "fr") -> str:
    page.refresh_from_db()
    return f"cms:fragment:{content_cache.generation()}:{page.pk}:{page.live_revision_id}:{language}:{block_id}"


def _block_ids(page, block_type: str) -> list[str]:
    return [str(block.id) for episode in page.body if episode.block_type == "episode"
            for block in episode.value["content"] if block.block_type == block_type]


@pytest.fixture
def case():
    return make_case(professions=PROFESSIONS)


def _html(client, user, page) -> str:
    client.force_login(user)
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_shared_blocks_of_a_case_are_cached_once_then_served_from_the_cache(client, case):
    nurse = make_user(profession=Profession.NURSE)
    _html(client, nurse, case)
    text_id = _block_ids(case, "text")[0]
    key = _fragment_key(case, text_id)
    assert "Le lundi matin" in cache.get(key)
    assert {"text", "role_brief", "exhibit_table"} <= SHARED_BLOCKS
    assert not {"decision_point", "reflection_prompt", "quiz_question", "worksheet", "facilitator_notes"} & SHARED_BLOCKS
    cache.set(key, '<p id="from-the-cache">servi depuis le cache</p>')
    assert 'id="from-the-cache"' in _html(client, nurse, case)


@pytest.mark.parametrize("first", ["facilitator view", "another profession"])
def test_a_fragment_cached_for_one_reader_never_serves_a_brief_or_notes_to_another(client, case, first):
    """Whoever fills the cache first (staff who see every brief, the notes and the closed
    episodes; or a learner of another profession), a nurse still reads only her own brief."""
    if first == "facilitator view":
        editor = make_user(is_superuser=True)
        html = _html(client, editor, case)
        assert all(brief_marker(code) in html for code in PROFESSIONS) and NOTES_SECRET in html
        assert GATED_SECRET in html and SCHEDULED_SECRET in html
    else:
        html = _html(client, make_user(profession=Profession.DIRECTOR), case)
        assert brief_marker("director") in html and brief_marker("nurse") not in html
    assert cache.get(_fragment_key(case, _block_ids(case, 'role_brief')[0])) is not None

    html = _html(client, make_user(profession=Profession.NURSE), case)
    assert brief_marker("nurse") in html
    assert brief_marker("director") not in html and brief_marker("physician") not in html
    assert NOTES_SECRET not in html
    assert GATED_SECRET not in html and SCHEDULED_SECRET not in html  # closed episodes: no content


def test_publishing_replaces_a_cached_fragment_at_once(client, case):
    nurse = make_user(profession=Profession.NURSE)
    assert brief_marker("nurse") in _html(client, nurse, case)
    body = case.body.raw_data
    for episode in body:
        if episode["type"] == "episode":
            for block in episode["value"]["content"]:
                if block["type"] == "role_brief" and block["value"]["profession"] == "nurse":
                    block["value"]["body"] = "<p>Nouvelle version du dossier : cadrebrefrevu</p>"
    case.body = body
    case.save_revision().publish()
    html = _html(client, nurse, case)
    assert "cadrebrefrevu" in html and brief_marker("nurse") not in html


def test_the_page_is_the_same_with_no_cache_at_all(client, case):
    nurse = make_user(profession=Profession.NURSE)
    cached = _html(client, nurse, case)
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        uncached = _html(client, nurse, case)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", uncached) == strip.sub("", cached)


def test_a_document_renamed_in_the_library_shows_its_new_title_at_once(client):
    from wagtail.documents import get_document_model

    case = make_case(professions=PROFESSIONS, media=True)
    nurse = make_user(profession=Profession.NURSE)
    document = get_document_model().objects.get()
    assert "Rapport d" in _html(client, nurse, case)
    document.title = "Rapport revu : dossiersansdate"
    document.save()
    assert "dossiersansdate" in _html(client, nurse, case)
