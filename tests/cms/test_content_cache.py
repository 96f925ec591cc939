"""cms's content cache never serves what an editor has changed, and pages work without it."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import PageViewRestriction

from cms import content_cache
from cms.models import Competency
from lms import selectors
from tests.factories import make_user
from tests.factories_cms import episode_block, make_case, make_module, make_programme, text_block

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client):
    client.force_login(make_user())
    return client


def publish(page, **changes):
    for field, value in changes.items():
        setattr(page, field, value)
    page.save_revision().publish()


def test_a_published_revision_is_served_at_once(learner_client):
    case = make_case(body=[episode_block("Épisode", [text_block("Première version du cas.")])])
    assert "Première version" in learner_client.get(case.url).content.decode()  # now cached
    publish(case, title="Le cas réécrit", body=[episode_block("Épisode", [text_block("Seconde version du cas.")])])
    html = learner_client.get(case.url).content.decode()
    assert "Seconde version" in html and "Le cas réécrit" in html and "Première version" not in html


def test_a_new_module_appears_on_the_programme_page_and_in_its_structure(learner_client):
    programme = make_programme()
    make_case(module=make_module(programme=programme, title="Module un"))
    learner_client.get(programme.url)
    assert [m.page.title for m in selectors.programme_structure(programme=programme).modules] == ["Module un"]
    make_case(module=make_module(programme=programme, title="Module deux"))
    assert "Module deux" in learner_client.get(programme.url).content.decode()
    assert [m.page.title for m in selectors.programme_structure(programme=programme).modules] == [
        "Module un", "Module deux",
    ]


def test_an_unpublished_page_is_gone_at_once(learner_client):
    case = make_case()
    assert learner_client.get(case.url).status_code == 200
    case.unpublish()
    assert learner_client.get(case.url).status_code == 404


def test_a_moved_page_is_served_at_its_new_address_only(learner_client):
    case = make_case(title="Cas qui déménage")
    old_url = case.url
    assert learner_client.get(old_url).status_code == 200
    other_module = make_module()
    case.move(other_module, pos="last-child")
    case.refresh_from_db()
    assert case.url != old_url
    old = learner_client.get(old_url)  # Wagtail's redirects app sends readers on, or nothing is there
    assert old.status_code == 404 or (old.status_code == 301 and old["Location"].endswith(case.url))
    assert "Cas qui déménage" in learner_client.get(case.url).content.decode()


def test_a_view_restriction_added_after_caching_applies_to_the_next_request(learner_client):
    module = make_module()
    case = make_case(module=module)
    assert learner_client.get(case.url).status_code == 200  # cached: no restriction anywhere
    restriction = PageViewRestriction.objects.create(
        page=module, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([Group.objects.create(name="Promotion fermée")])
    assert learner_client.get(case.url).status_code in (302, 403)
    restriction.delete()
    assert learner_client.get(case.url).status_code == 200


def test_a_renamed_competency_shows_at_once(learner_client):
    case = make_case()
    competency = Competency.objects.create(slug="negociation", name="Négociation")
    case.competencies.add(competency)
    publish(case)
    assert "Négociation" in learner_client.get(case.url).content.decode()
    competency.name = "Négociation raisonnée"
    competency.save()
    assert "Négociation raisonnée" in learner_client.get(case.url).content.decode()


@pytest.mark.usefixtures("unreachable_redis_cache")
def test_pages_are_served_from_the_database_when_the_cache_is_unreachable(learner_client):
    case = make_case(body=[episode_block("Épisode", [text_block("Le cas sans cache.")])])
    programme_url = case.get_parent().get_parent().url
    assert "Le cas sans cache." in learner_client.get(case.url).content.decode()
    assert learner_client.get(programme_url).status_code == 200
    publish(case, title="Publié pendant la panne")  # publishing does not fail either
    assert "Publié pendant la panne" in learner_client.get(case.url).content.decode()


def test_entries_of_an_earlier_generation_are_never_read():
    calls = []
    assert content_cache.cached("demo", (1,), lambda: calls.append(1) or "first") == "first"
    assert content_cache.cached("demo", (1,), lambda: calls.append(2) or "second") == "first"
    content_cache.content_changed()
    assert content_cache.cached("demo", (1,), lambda: calls.append(3) or "third") == "third"
    assert calls == [1, 3]
    # An unsaved page (preview) is never cached.
    assert content_cache.cached("demo", (None,), lambda: "built") == "built"
    assert content_cache.cached("demo", (None,), lambda: "built again") == "built again"
