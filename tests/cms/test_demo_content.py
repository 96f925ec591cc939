"""The demo programme « Manager la coopération en santé »: shape, validity, translation, idempotence.

The seed runs once for this module inside a transaction rolled back at the end, so that the
rest of the suite starts from an empty database.
"""

import io
import json

import pytest
from django.db import transaction
from django.test import RequestFactory
from django.utils.html import escape
from wagtail.models import Locale, Page, PageLogEntry, Revision

from accounts.choices import Profession as ProfessionCode
from cms import demo
from cms.blocks import EpisodeGate
from cms.models import (
    CaseStudyPage,
    CataloguePage,
    Competency,
    FeedbackForm,
    HomePage,
    LessonPage,
    ModulePage,
    Profession,
    ProgrammePage,
)
from cms.selectors import case_outline
from tests.factories import make_user

PROGRAMME_SLUG = "manager-la-cooperation-en-sante"
MAIN_PROFESSIONS = {ProfessionCode.DIRECTOR, ProfessionCode.PHYSICIAN, ProfessionCode.NURSE, ProfessionCode.REGULATOR}
COMPETENCY_SLUGS = {
    "cooperation", "project-management", "conflict-management", "problem-solving",
    "team-coaching", "patient-pathway", "data-informed-decisions",
}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            demo.seed(stdout=io.StringIO())
            yield
            transaction.set_rollback(True)


@pytest.fixture
def programme(seeded, db):
    return ProgrammePage.objects.get(slug=PROGRAMME_SLUG, locale__language_code="fr")


def french_cases(programme):
    return list(CaseStudyPage.objects.descendant_of(programme).filter(locale__language_code="fr").order_by("path"))


def demo_pages():
    return [page.specific for page in Page.objects.filter(depth__gt=1).order_by("path")]


def words(html: str) -> int:
    from config.sanitize import plain_text

    return len(plain_text(html).split())


def case_word_count(case) -> int:
    total = words(case.problem) + words(case.stakeholders)
    for block in case.body.raw_data:
        total += _raw_words(block["value"])
    return total


def _raw_words(value) -> int:
    if isinstance(value, str):
        return words(value)
    if isinstance(value, dict):
        return sum(_raw_words(item) for key, item in value.items() if key not in ("id", "type"))
    if isinstance(value, list):
        return sum(_raw_words(item) for item in value)
    return 0


# --- The programme --------------------------------------------------------------


def test_programme_sits_under_the_catalogue_with_audience_hours_and_dpc_example(programme):
    assert programme.get_parent().slug == "catalogue"
    assert programme.live
    assert {p.code for p in programme.audience_professions.all()} == MAIN_PROFESSIONS
    assert set(programme.audience_levels) == {"team", "establishment", "region"}
    assert {c.slug for c in programme.competencies.all()} == COMPETENCY_SLUGS
    assert programme.hours == 21
    assert programme.open_enrolment is True
    assert programme.dpc_action_kind == "integrated"
    assert programme.dpc_action_number and programme.dpc_organisation_number and programme.dpc_orientation
    assert "illustratifs" in programme.summary


def test_every_profession_and_competency_exists_once_per_locale(seeded, db):
    for language in ("fr", "en"):
        assert set(Profession.objects.filter(locale__language_code=language).values_list("code", flat=True)) == set(
            ProfessionCode.values
        )
        assert set(Competency.objects.filter(locale__language_code=language).values_list("slug", flat=True)) == (
            COMPETENCY_SLUGS
        )
    assert Profession.objects.count() == 2 * len(ProfessionCode.values)
    assert Competency.objects.count() == 2 * len(COMPETENCY_SLUGS)


def test_programme_has_at_least_four_modules_six_cases_and_two_lessons(programme):
    modules = ModulePage.objects.child_of(programme).live()
    assert modules.count() >= 4
    assert len(french_cases(programme)) >= 6
    assert LessonPage.objects.descendant_of(programme).filter(locale__language_code="fr").live().count() >= 2


def test_one_lesson_has_a_quiz_on_problem_solving_tools_and_one_on_reading_a_dashboard(programme):
    lessons = {lesson.slug: lesson for lesson in LessonPage.objects.descendant_of(programme)}
    tools = next(lesson for slug, lesson in lessons.items() if "resolution" in slug)
    dashboard = next(lesson for slug, lesson in lessons.items() if "tableau-de-bord" in slug)
    assert case_outline(tools).quiz_questions
    assert case_outline(dashboard).quiz_questions


# --- The cases ------------------------------------------------------------------


def test_every_case_has_briefs_for_three_professions_two_decisions_exhibit_prompt_debrief_and_notes(programme):
    for case in french_cases(programme):
        outline = case_outline(case)
        kinds = [block.block_type for block in case.body]
        inner = [
            child.block_type
            for block in case.body if block.block_type == "episode"
            for child in block.value["content"]
        ]
        assert len(set(outline.role_brief_professions) & MAIN_PROFESSIONS) >= 3, case.slug
        assert len(outline.decision_points) >= 2, case.slug
        assert all(len(spec.options) >= 2 for spec in outline.decision_points), case.slug
        assert "exhibit_table" in inner, case.slug
        assert outline.reflection_prompts, case.slug
        assert outline.discussion_prompts, case.slug
        assert outline.has_debrief, case.slug
        assert "facilitator_notes" in kinds, case.slug
        assert 2 <= len(outline.episodes) <= 4, case.slug


def test_role_briefs_of_a_case_differ_from_one_profession_to_another(programme):
    for case in french_cases(programme):
        briefs = [
            str(child.value["body"])
            for block in case.body if block.block_type == "episode"
            for child in block.value["content"] if child.block_type == "role_brief"
        ]
        assert len(set(briefs)) == len(briefs), case.slug


def test_decision_points_carry_three_or_four_options_and_a_substantial_expert_commentary(programme):
    for case in french_cases(programme):
        for block in case.body:
            if block.block_type != "episode":
                continue
            for child in block.value["content"]:
                if child.block_type == "decision_point":
                    assert 3 <= len(child.value["options"]) <= 4, case.slug
                    assert words(child.value["expert_commentary"].source) >= 80, case.slug


def test_every_case_has_a_chart_with_an_invented_data_source(programme):
    for case in french_cases(programme):
        tables = [
            child.value
            for block in case.body if block.block_type == "episode"
            for child in block.value["content"] if child.block_type == "exhibit_table"
        ]
        assert any(table["chart"] in ("bar", "line") for table in tables), case.slug
        assert all("fictiv" in table["source"].lower() for table in tables), case.slug


def test_cases_read_as_full_cases_of_twelve_hundred_to_three_thousand_words(programme):
    for case in french_cases(programme):
        assert 1200 <= case_word_count(case) <= 3000, (case.slug, case_word_count(case))


def test_the_programme_uses_all_three_episode_gates_and_some_worksheets_and_quizzes(programme):
    outlines = [case_outline(case) for case in french_cases(programme)]
    gates = {episode.gate for outline in outlines for episode in outline.episodes}
    assert gates == {EpisodeGate.OPEN, EpisodeGate.AFTER_DECISIONS, EpisodeGate.SCHEDULED}
    assert sum(1 for outline in outlines if outline.worksheets) >= 2
    assert sum(1 for outline in outlines if outline.quiz_questions) >= 2


def test_every_case_is_set_in_a_distinct_situation_of_the_french_system(programme):
    cases = french_cases(programme)
    assert len({case.slug for case in cases}) == len(cases)
    text = " ".join(case.problem + case.stakeholders for case in cases)
    for term in ("GHT", "ARS", "CPTS", "IPA", "cadre de santé", "pôle"):
        assert term in text, term


# --- Validity and ids -------------------------------------------------------------


def test_every_demo_body_passes_block_validation(seeded, db):
    pages = [page for page in demo_pages() if hasattr(page, "body")]
    assert len(pages) >= 8
    for page in pages:
        page.body.stream_block.clean(page.body)
        page.full_clean()


def test_block_ids_are_the_deterministic_ids_of_the_loader(programme):
    for case in french_cases(programme):
        raw = list(case.body.raw_data)
        assert [block["id"] for block in raw] == [demo.block_id(case.slug, f"body/{i}") for i in range(len(raw))]
        episode = raw[0]["value"]["content"]
        for index, child in enumerate(episode):
            if child["type"] == "decision_point":
                option_ids = [item["id"] for item in child["value"]["options"]]
                path = f"body/0/content/{index}/options"
                assert option_ids == [demo.block_id(case.slug, f"{path}/{i}") for i in range(len(option_ids))]
        outline = case_outline(case)
        ids = [spec.id for spec in outline.decision_points]
        ids += [option.id for spec in outline.decision_points for option in spec.options]
        assert len(ids) == len(set(ids))


def test_stream_json_gives_the_same_ids_for_the_same_page_and_path_and_different_ones_elsewhere():
    items = [
        ("text", "<p>a</p>"),
        ("decision_point", {"question": "q", "options": ["x", "y"], "expert_commentary": "c"}),
    ]
    first = demo.stream_json(items, key="page-a")
    assert first == demo.stream_json(items, key="page-a")
    assert demo.stream_shape(first) != demo.stream_shape(demo.stream_json(items, key="page-b"))
    assert [item["id"] for item in first[1]["value"]["options"]] == [
        demo.block_id("page-a", "body/1/options/0"), demo.block_id("page-a", "body/1/options/1"),
    ]


# --- English translation ----------------------------------------------------------


def test_every_module_is_translated_into_english_with_all_its_children(programme):
    english = Locale.objects.get(language_code="en")
    modules = list(ModulePage.objects.child_of(programme))
    translated = [module for module in modules if module.get_translation_or_none(english)]
    assert translated and translated == modules  # an English reader never meets a French module (issue 12, #22)
    for module in translated:
        en_module = module.get_translation(english)
        assert en_module.live and en_module.alias_of_id is None
        assert en_module.title != module.title
        children = list(module.get_children().specific())
        assert children
        for child in children:
            en_child = child.get_translation(english).specific
            assert en_child.live and en_child.alias_of_id is None
            assert en_child.title != child.title
            assert en_child.get_parent().specific == en_module
            # Same block ids as the French source, and English text in them.
            en_raw, fr_raw = list(en_child.body.raw_data), list(child.body.raw_data)
            assert demo.stream_shape(en_raw) and demo.stream_shape(en_raw) == demo.stream_shape(fr_raw)
            assert json.dumps(en_raw) != json.dumps(fr_raw)
            if isinstance(en_child, CaseStudyPage):
                assert {p.locale.language_code for p in en_child.professions.all()} == {"en"}
                assert case_outline(en_child).role_brief_professions == case_outline(child).role_brief_professions


def test_english_programme_is_a_translation_with_english_snippets(programme):
    english = Locale.objects.get(language_code="en")
    en_programme = programme.get_translation(english)
    assert en_programme.title == "Managing cooperation in health care"
    assert {c.locale.language_code for c in en_programme.competencies.all()} == {"en"}
    assert en_programme.dpc_action_number == programme.dpc_action_number


# --- Idempotence ------------------------------------------------------------------


def _snapshot():
    return {
        "pages": sorted(Page.objects.values_list("pk", "path", "latest_revision_id", "live_revision_id")),
        "revisions": Revision.objects.count(),
        "log": PageLogEntry.objects.count(),
        "professions": sorted(Profession.objects.values_list("pk", "code", "locale_id", "name")),
        "competencies": sorted(Competency.objects.values_list("pk", "slug", "locale_id", "name")),
        "locales": sorted(Locale.objects.values_list("pk", "language_code")),
        "bodies": {
            page.pk: json.dumps(list(page.body.raw_data), sort_keys=True)
            for page in demo_pages() if hasattr(page, "body")
        },
    }


def test_running_the_seed_a_second_time_changes_nothing(seeded, db):
    before = _snapshot()
    output = io.StringIO()
    demo.seed(stdout=output)
    assert _snapshot() == before
    assert "0 page(s) created" in output.getvalue()


def test_seed_completes_a_site_whose_demo_programme_lost_a_case(seeded, db):
    case = CaseStudyPage.objects.filter(locale__language_code="fr").order_by("path").last()
    slug, parent_pk, raw = case.slug, case.get_parent().pk, list(case.body.raw_data)
    case.delete()
    demo.seed(stdout=io.StringIO())
    recreated = CaseStudyPage.objects.get(slug=slug, locale__language_code="fr")
    assert recreated.get_parent().pk == parent_pk
    assert recreated.live
    assert [block["id"] for block in recreated.body.raw_data] == [block["id"] for block in raw]


# --- Rendering ----------------------------------------------------------------------


def test_every_demo_page_builds_its_template_context(seeded, db):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    for page in demo_pages():
        if page.alias_of_id:
            continue
        assert "page" in page.get_context(request)


@pytest.mark.parametrize("who", ["anonymous", "learner"])
def test_every_demo_page_renders_for_anonymous_visitors_and_learners(seeded, db, client, who):
    if who == "learner":
        client.force_login(make_user(profession=ProfessionCode.NURSE))
    pages = [page for page in demo_pages() if not page.alias_of_id]
    assert {type(page) for page in pages} >= {HomePage, CataloguePage, ProgrammePage, ModulePage, CaseStudyPage, LessonPage}
    for page in pages:
        language = page.locale.language_code
        client.cookies["django_language"] = language
        response = client.get(page.url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, (page.url, language, response.status_code)
        # French and English share URLs: the language picks the translation that is served.
        assert escape(page.title) in response.content.decode(), (page.url, language)


def test_seed_builds_its_own_site_locales_and_snippets_when_the_database_has_none(seeded, db):
    from wagtail.models import Site

    Page.objects.filter(depth__gt=1).delete()
    Profession.objects.all().delete()
    Competency.objects.all().delete()
    FeedbackForm.objects.all().delete()
    Locale.objects.exclude(language_code="fr").delete()
    assert not Site.objects.exists()

    demo.seed(stdout=io.StringIO())

    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    catalogue = CataloguePage.objects.get(slug="catalogue", locale__language_code="fr")
    assert catalogue.get_parent().pk == site.root_page.pk
    assert ProgrammePage.objects.child_of(catalogue).filter(slug=PROGRAMME_SLUG).exists()
    for language in ("fr", "en"):
        assert Profession.objects.filter(locale__language_code=language).count() == len(ProfessionCode.values)
        assert Competency.objects.filter(locale__language_code=language).count() == len(COMPETENCY_SLUGS)
        # The end-of-module survey, in each language, on each module of that language.
        survey = FeedbackForm.objects.get(locale__language_code=language)
        modules = ModulePage.objects.filter(locale__language_code=language)
        assert modules.exists() and all(m.feedback_form_id == survey.pk for m in modules)
    english_home = site.root_page.get_translation(Locale.objects.get(language_code="en"))
    assert english_home.live and english_home.alias_of_id is None
