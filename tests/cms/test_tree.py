"""Tree rules of every page type, and the site set up by cms' data migration."""

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Locale, Page, Site, Workflow, WorkflowPage

from cms.models import (
    CataloguePage,
    CaseStudyPage,
    Competency,
    HomePage,
    LessonPage,
    ModulePage,
    Profession,
    ProgrammePage,
)
from tests.factories_cms import catalogue_page, make_case, make_lesson, make_module, make_programme

pytestmark = pytest.mark.django_db

ALL = [HomePage, CataloguePage, ProgrammePage, ModulePage, CaseStudyPage, LessonPage]
CHILDREN = {
    Page: {HomePage},
    HomePage: {CataloguePage},
    CataloguePage: {ProgrammePage},
    ProgrammePage: {ModulePage},
    ModulePage: {CaseStudyPage, LessonPage},
    CaseStudyPage: set(),
    LessonPage: set(),
}


@pytest.mark.parametrize("parent", list(CHILDREN))
def test_each_page_type_accepts_exactly_its_allowed_children(parent):
    allowed = set(parent.allowed_subpage_models()) & set(ALL)
    assert allowed == CHILDREN[parent]


@pytest.mark.parametrize("model", ALL)
def test_each_page_type_declares_its_allowed_parents(model):
    parents = {p for p, children in CHILDREN.items() if model in children}
    assert set(model.allowed_parent_page_models()) & (set(ALL) | {Page}) == parents


def test_pages_can_only_be_created_where_the_tree_allows():
    catalogue = catalogue_page()
    programme = make_programme()
    module = make_module(programme=programme)
    case = make_case(module=module)
    assert ProgrammePage.can_create_at(catalogue)
    assert not ModulePage.can_create_at(catalogue)
    assert ModulePage.can_create_at(programme)
    assert not CaseStudyPage.can_create_at(programme)
    assert CaseStudyPage.can_create_at(module) and LessonPage.can_create_at(module)
    assert not LessonPage.can_create_at(case)
    assert not CataloguePage.can_create_at(programme)
    # A home page already sits at the root: only one per parent.
    assert not HomePage.can_create_at(Page.get_first_root_node())


def test_the_default_site_starts_at_our_home_page_with_the_catalogue_under_it():
    site = Site.objects.get(is_default_site=True)
    home = site.root_page.specific
    assert isinstance(home, HomePage)
    catalogue = home.get_children().get(slug="catalogue").specific
    assert isinstance(catalogue, CataloguePage) and catalogue.live
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
    assert catalogue.url == "/catalogue/"


def test_locales_snippets_and_roles_are_created_in_french_and_english():
    assert Locale.get_default().language_code == "fr"
    assert Locale.objects.filter(language_code="en").exists()
    for model, count in ((Profession, 5), (Competency, 7)):
        assert model.objects.filter(locale__language_code="fr").count() == count
        assert model.objects.filter(locale__language_code="en").count() == count
    cooperation = Competency.objects.get(slug="cooperation", locale__language_code="fr")
    assert cooperation.name == "Coopération"
    assert cooperation.get_translation(Locale.objects.get(language_code="en")).name == "Cooperation"
    assert not Group.objects.filter(name__in=["Editors", "Moderators"]).exists()


def test_the_editorial_review_workflow_is_assigned_to_the_root_of_every_language():
    workflow = WorkflowPage.objects.get(page=Page.get_first_root_node()).workflow
    assert workflow.name == "Relecture éditoriale" and workflow.active
    task = workflow.tasks.get().specific
    assert list(task.groups.values_list("name", flat=True)) == ["Reviewer"]
    assert Workflow.objects.filter(name="Moderators approval").count() == 0
    assert make_lesson().get_workflow() == workflow
