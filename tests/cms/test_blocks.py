"""Every block renders; bad input in the admin is refused with a clear message."""

import pytest
from wagtail import blocks
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from accounts.choices import Role
from cms.blocks import (
    CaseBodyBlock,
    DecisionPointBlock,
    ExhibitImageBlock,
    ExhibitTableBlock,
    LessonBodyBlock,
)
from cms.models import CaseStudyPage
from tests.factories import make_user
from tests.factories_cms import (
    decision_point_block,
    make_case,
    make_image,
    make_lesson,
    make_module,
)

pytestmark = pytest.mark.django_db

CASE_BLOCK_TYPES = {
    "episode", "debrief", "facilitator_notes", "text", "role_brief", "decision_point", "exhibit_table",
    "exhibit_image", "exhibit_document", "reflection_prompt", "quiz_question", "worksheet", "discussion_prompt",
}


def errors_of(block, value) -> str:
    with pytest.raises(ValidationError) as raised:
        block.clean(value)
    error = raised.value
    return " ".join(str(e) for e in getattr(error, "block_errors", {}).values()) + " " + str(error)


def test_every_block_type_renders_on_a_case_page_for_a_facilitator(client):
    case = make_case(media=True)
    client.force_login(make_user(roles=(Role.EDITOR,)))
    html = client.get(case.url).content.decode()
    body_types = {child.block_type for child in case.body}
    inner = {c.block_type for child in case.body if child.block_type == "episode" for c in child.value["content"]}
    assert body_types | inner == CASE_BLOCK_TYPES
    for marker in (
        'class="episode', "role-brief", 'data-block-type="decision_point"', "<table>", "<svg", "<img",
        'download>', 'data-block-type="reflection_prompt"', 'data-block-type="quiz_question"',
        'data-block-type="worksheet"', 'data-block-type="discussion_prompt"', 'class="card block debrief',
        "facilitator-notes", "block-text",
    ):
        assert marker in html, marker


def test_a_lesson_renders_its_blocks_and_hides_its_notes_from_learners(client):
    lesson = make_lesson()
    client.force_login(make_user())
    html = client.get(lesson.url).content.decode()
    assert "block-text" in html and "<svg" in html and 'data-block-type="quiz_question"' in html
    assert "facilitator-notes" not in html
    assert set(LessonBodyBlock().child_blocks) >= {"text", "decision_point", "facilitator_notes"}
    assert "role_brief" not in LessonBodyBlock().child_blocks


def test_the_chart_is_an_accessible_svg_drawn_from_the_table(client):
    case = make_case()
    client.force_login(make_user(roles=(Role.EDITOR,)))
    html = client.get(case.url).content.decode()
    assert 'role="img"' in html and "<title>Graphique : Durée moyenne de séjour" in html
    assert '<th scope="col">Service</th>' in html and '<th scope="row">Gériatrie</th>' in html
    assert "<caption>Durée moyenne de séjour par service</caption>" in html
    assert "PMSI, ATIH" in html


def test_a_decision_point_with_one_option_is_refused():
    block = DecisionPointBlock()
    value = block.to_python(decision_point_block(options=("Seule option",))["value"])
    assert "au moins deux options" in errors_of(block, value)


def _list_blocks(block):
    """Every ListBlock inside `block`, at any depth."""
    if isinstance(block, blocks.ListBlock):
        yield block
        yield from _list_blocks(block.child_block)
    for child in getattr(block, "child_blocks", {}).values():
        yield from _list_blocks(child)


@pytest.mark.parametrize("stream", [CaseBodyBlock(), LessonBodyBlock()], ids=["case", "lesson"])
def test_a_new_block_in_the_editor_is_born_with_as_many_items_as_its_lists_require(stream):
    """The editor fills a new block with its default: a decision point born with one option showed
    the red "minimum 2" error at once. The form state is what the editor's JavaScript receives."""
    lists = list(_list_blocks(stream))
    assert any(block.meta.min_num for block in lists)
    for block in lists:
        if block.meta.min_num:
            items = block.get_form_state(block.get_default())
            assert len(items) >= block.meta.min_num, block.label
            # Each item is a complete child, every field present, as the editor's "add" button makes one.
            fresh = block.child_block.get_form_state(block.child_block.get_default())
            assert all(item["value"] == fresh for item in items), block.label
    assert len(DecisionPointBlock().get_default()["options"]) == 2


def test_an_exhibit_table_with_ragged_rows_is_refused():
    block = ExhibitTableBlock()
    value = block.to_python({"caption": "c", "source": "s", "chart": "none", "data": "A;B;C\n1;2\n3;4;5"})
    assert "Ligne 2 : 2 cellules au lieu de 3" in errors_of(block, value)


def test_an_exhibit_chart_with_non_numeric_data_is_refused():
    block = ExhibitTableBlock()
    value = block.to_python({"caption": "c", "source": "s", "chart": "bar", "data": "A;B\nx;douze"})
    assert "« douze » n'est pas un nombre" in errors_of(block, value)


def test_an_exhibit_image_without_alt_text_is_refused():
    block = ExhibitImageBlock()
    image = make_image()
    value = block.to_python({"image": {"image": image.pk, "alt_text": "", "decorative": False}, "caption": "", "source": ""})
    assert "texte alternatif" in errors_of(block, value).lower() or "alt" in errors_of(block, value).lower()


def test_a_valid_case_body_passes_validation():
    case = make_case()
    CaseBodyBlock().clean(case.body)


# --- Through the Wagtail admin -----------------------------------------------------------


def option_list(labels):
    data = {str(i): {"value": {"label": label}, "deleted": "", "order": str(i), "id": ""} for i, label in enumerate(labels)}
    data["count"] = str(len(labels))
    return data


def case_form(content) -> dict:
    return nested_form_data({
        "title": "Cas refusé", "slug": "cas-refuse", "setting": "chu",
        "problem": rich_text("<p>Un problème.</p>"), "stakeholders": rich_text(""),
        "quiz_pass_threshold": "70", "quiz_max_attempts": "3",
        "body": streamfield([("episode", {"title": "Épisode 1", "gate": "open", "content": streamfield(content)})]),
        "action-submit": "1",
    })


def decision(labels):
    return ("decision_point", {
        "question": "Que faites-vous ?", "context": rich_text(""), "options": option_list(labels),
        "rationale_required": "on", "expert_commentary": rich_text("<p>Commentaire.</p>"),
    })


def table(data, chart="none"):
    return ("exhibit_table", {"caption": "Tableau", "data": data, "source": "ATIH", "chart": chart})


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(roles=(Role.EDITOR,)))
    return client


def post_case(admin_client, module, content):
    url = reverse("wagtailadmin_pages:add", args=["cms", "casestudypage", module.pk])
    return admin_client.post(url, case_form(content))


def test_the_admin_accepts_a_valid_case(admin_client):
    module = make_module()
    response = post_case(admin_client, module, [decision(["Oui", "Non"]), table("A;B\nx;1", chart="bar")])
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CaseStudyPage.objects.filter(slug="cas-refuse").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([decision(["Seule option"])], "au moins deux options"),
        ([table("A;B;C\n1;2")], "Ligne 2 : 2 cellules au lieu de 3"),
        ([table("A;B\nx;douze", chart="line")], "n&#x27;est pas un nombre"),
    ],
)
def test_the_admin_refuses_bad_blocks_with_a_clear_message_and_creates_nothing(admin_client, content, message):
    module = make_module()
    response = post_case(admin_client, module, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CaseStudyPage.objects.filter(slug="cas-refuse").exists()


def test_the_admin_refuses_an_image_without_alt_text(admin_client):
    module = make_module()
    image = make_image()
    content = [("exhibit_image", {
        "image": {"image": str(image.pk), "alt_text": "", "decorative": ""}, "caption": "", "source": "",
    })]
    response = post_case(admin_client, module, content)
    assert response.status_code == 200
    assert not CaseStudyPage.objects.filter(slug="cas-refuse").exists()
