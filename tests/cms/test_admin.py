"""The admin: every page type's editor opens, levels are checkboxes, bad levels are refused."""

import re

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text

from accounts.choices import Role
from cms.models import ProgrammePage
from tests.factories import make_user
from tests.factories_cms import catalogue_page, make_case, make_lesson

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_user(roles=(Role.EDITOR,)))
    return client


def test_the_editor_of_every_page_type_opens(editor_client):
    case = make_case(media=True)
    lesson = make_lesson(module=case.get_parent().specific)
    module = case.get_parent()
    programme = module.get_parent()
    for page in (case, lesson, module, programme, catalogue_page(), catalogue_page().get_parent()):
        response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
        assert response.status_code == 200, page


def test_audience_levels_are_edited_as_checkboxes(editor_client):
    url = reverse("wagtailadmin_pages:add", args=["cms", "programmepage", catalogue_page().pk])
    html = editor_client.get(url).content.decode()
    assert 'type="checkbox" name="audience_levels" value="region"' in html


def programme_form(levels) -> dict:
    return nested_form_data({
        "title": "Programme test", "slug": "programme-test", "summary": "Résumé.",
        "objectives": rich_text("<p>Objectifs.</p>"), "hours": "14", "open_enrolment": "on",
        "dpc_action_number": "", "dpc_organisation_number": "", "dpc_action_kind": "", "dpc_orientation": "",
    }) | {"audience_levels": levels}


def test_a_programme_with_valid_levels_is_saved_and_an_unknown_level_is_refused(editor_client):
    url = reverse("wagtailadmin_pages:add", args=["cms", "programmepage", catalogue_page().pk])
    response = editor_client.post(url, programme_form(["galaxy"]))
    assert response.status_code == 200
    assert "galaxy" in response.content.decode()  # "Sélectionnez un choix valide. galaxy n'en fait pas partie."
    assert not ProgrammePage.objects.filter(slug="programme-test").exists()
    response = editor_client.post(url, programme_form(["team", "region"]))
    assert response.status_code == 302
    assert ProgrammePage.objects.get(slug="programme-test").audience_levels == ["team", "region"]


def test_the_model_refuses_unknown_levels():
    from django.core.exceptions import ValidationError

    page = ProgrammePage(title="x", slug="x", summary="s", objectives="<p>o</p>", audience_levels=["team", "moon"])
    with pytest.raises(ValidationError) as raised:
        page.full_clean(exclude=["path", "depth", "content_type", "locale", "translation_key", "draft_title"])
    assert "moon" in str(raised.value)


def test_the_admin_page_search_counts_pages_not_none(editor_client):
    make_case(title="Sortir de l'hôpital")
    for name in ("wagtailadmin_pages:search", "wagtailadmin_pages:search_results"):
        html = editor_client.get(reverse(name), {"q": "hôpital"}).content.decode()
        count = re.search(r"1-1 sur 1\s+(\S+)", html)
        assert count and count.group(1) == "page", count and count.group(0)
