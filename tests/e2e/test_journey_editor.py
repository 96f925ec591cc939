"""Journey 1 (issue 12), first part: an editor writes a case in the Wagtail admin — two episodes,
three role briefs, a decision point, facilitator notes — and previews it as two professions (one
with a brief; one without, which gets the chooser a real learner of it gets).

NOT YET in the browser: submitting for review, the reviewer's approval and the learner reading
the published case (the footer's workflow actions did not submit under Playwright; the same
steps are covered without a browser by tests/cms/test_workflow.py and test_moderation_mail.py).
The Wagtail admin is Wagtail's own interface: axe-core is not run on it (as in test_accessibility.py)."""

import re

import pytest

from tests.e2e.browser import login
from tests.e2e.conftest import prepared_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TITLE = "Le bloc opératoire de nuit"
NOTES_SECRET = "relancezlegroupe"
BRIEFS = {
    "director": ("Le dossier de la direction", "Le budget du bloc de nuit est dépassé de 12 %."),
    "physician": ("Le dossier de l'anesthésiste", "Deux anesthésistes assurent seuls la nuit."),
    "nurse": ("Le dossier de la cadre du bloc", "Trois IBODE manquent au planning de nuit."),
}


@pytest.fixture(scope="module")
def editor_server(demo_database):
    yield from prepared_server(demo_database, "editor_case")


def _rich_text(page, name: str, text: str) -> None:
    """Type into the Draftail editor of the rich-text field `name`."""
    page.locator(f'input[name="{name}"]').locator("xpath=..").locator('[role="textbox"]').click()
    page.keyboard.type(text)


def _add_block(page, container, label: str) -> None:
    container.locator("button.c-sf-add-button").last.click()
    page.get_by_role("option", name=label, exact=True).click()


def _write_case(page, add_url: str) -> None:
    page.goto(add_url)
    page.fill('[name="title"]', TITLE)
    page.select_option('[name="setting"]', "chu")
    _rich_text(page, "problem", "Le bloc de nuit ne tient plus : trois salles pour une équipe.")
    body = page.locator('[data-contentpath="body"]').first

    _add_block(page, body, "Épisode")
    page.fill('[name="body-0-value-title"]', "La nuit du 14")
    content = page.locator('[data-contentpath="content"]').nth(0)
    for n, (profession, (title, text)) in enumerate(BRIEFS.items()):
        _add_block(page, content, "Dossier de rôle")
        prefix = f"body-0-value-content-{n}-value"
        page.select_option(f'[name="{prefix}-profession"]', profession)
        page.fill(f'[name="{prefix}-title"]', title)
        _rich_text(page, f"{prefix}-body", text)
    _add_block(page, content, "Point de décision")
    prefix = "body-0-value-content-3-value"
    page.fill(f'[name="{prefix}-question"]', "Faut-il fermer une salle la nuit ?")
    options = page.locator(f'[name^="{prefix}-options-"][name$="-value-label"]')
    assert options.count() == 2  # a new decision point starts with two options to fill
    options.nth(0).fill("Oui, dès lundi")
    options.nth(1).fill("Non, renforcer l'équipe")
    _rich_text(page, f"{prefix}-expert_commentary", "Les experts ferment la salle en concertation.")

    _add_block(page, body, "Épisode")
    page.fill('[name="body-1-value-title"]', "Le lendemain")
    _add_block(page, page.locator('[data-contentpath="content"]').nth(1), "Texte")
    _rich_text(page, "body-1-value-content-0-value", "Le chef de pôle convoque tout le monde.")

    _add_block(page, body, "Notes pour l'animateur·rice")
    _rich_text(page, "body-2-value-body", f"Faites jouer la scène. {NOTES_SECRET}")

    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_url(re.compile(r"/admin/pages/\d+/edit/"))


def _preview(page, profession_label: str) -> str:
    """The text of the preview side panel "as a learner of" the profession labelled `profession_label`."""
    if not page.locator('[data-side-panel="preview"]').is_visible():
        page.locator('[data-side-panel-toggle="preview"]').click()
    main = page.frame_locator("#w-preview-iframe").locator("main")
    main.locator("h1").wait_for()  # the panel's first rendering, before its mode can change
    mode = f"Comme un·e apprenant·e : {profession_label}"
    text = ""
    for attempt in range(60):  # the iframe reloads after a change of mode
        if attempt % 20 == 0:
            page.select_option('[name="preview_mode"]', label=mode)
        text = main.inner_text() if main.count() else ""
        if re.search(r"Aperçu apprenant·e\W+" + re.escape(profession_label), text):
            return text
        page.wait_for_timeout(250)
    raise AssertionError(f"the preview never showed the mode {profession_label!r}: {text[:500]}")


def test_an_editor_writes_a_case_and_previews_it_as_two_professions(editor_server, new_page):
    data = editor_server.data
    editor = new_page(editor_server)
    login(editor, data["editor"])
    _write_case(editor, data["add_case"])
    edit_url = editor.url

    nurse_view = _preview(editor, "Soins infirmiers / cadre de santé")
    assert BRIEFS["nurse"][1] in nurse_view and BRIEFS["director"][1] not in nurse_view
    assert NOTES_SECRET not in nurse_view
    regulator_view = _preview(editor, "Régulation (ARS, administration, assurance maladie)")
    assert "Choisissez votre perspective" in regulator_view  # what a real regulator learner gets
    assert not any(text in regulator_view for _title, text in BRIEFS.values())
