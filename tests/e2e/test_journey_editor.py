"""Journey 1 (issue 12): an editor writes a case in the Wagtail admin — two episodes, three role
briefs, a decision point, facilitator notes — previews it as the facilitator and as two professions
(one with a brief; one without, which gets the chooser a real learner of it gets), and submits it
to the editorial review; the reviewer approves it, which publishes it; a nurse and a director of
the demo read it on the site: each their own brief, never the other's, never the notes.

The Wagtail admin is Wagtail's own interface: axe-core is not run on it (as in test_accessibility.py),
only on the site's pages the learners read."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import axe_check, login
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
    """Type into the Draftail editor of the rich-text field `name`, and wait until the field holds it
    (a click that lands before the editor is ready would send the keys elsewhere)."""
    field = page.locator(f'input[name="{name}"]')
    box = field.locator("xpath=..").locator('[role="textbox"]')
    box.wait_for()
    for _attempt in range(3):
        box.click()
        page.keyboard.type(text)
        try:
            expect(field).to_have_value(re.compile(re.escape(text.split()[-1])), timeout=3_000)
            return
        except AssertionError:
            page.keyboard.press("Control+a")
            page.keyboard.press("Delete")
    raise AssertionError(f"the rich-text field {name} never took the text {text!r}")


def _add_block(page, container, label: str) -> None:
    """Open the last "+" of `container` and choose `label`. On a loaded machine the first click can
    land before Wagtail's block chooser is wired: the menu then never opens, so try again."""
    option = page.get_by_role("option", name=label, exact=True)
    for _attempt in range(3):
        container.locator("button.c-sf-add-button").last.click()
        try:
            expect(option).to_be_visible(timeout=5_000)
        except AssertionError:
            page.keyboard.press("Escape")
            continue
        option.click()
        return
    raise AssertionError(f"the block chooser never offered {label!r}")


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


def _preview(page, profession_label: str | None) -> str:
    """The text of the preview side panel "as a learner of" the profession labelled `profession_label`
    (as the facilitator, who sees the whole case, when None)."""
    if not page.locator('[data-side-panel="preview"]').is_visible():
        page.locator('[data-side-panel-toggle="preview"]').click()
    main = page.frame_locator("#w-preview-iframe").locator("main")
    main.locator("h1").wait_for()  # the panel's first rendering, before its mode can change
    if profession_label is None:
        mode, shown = "Comme un·e animateur·rice (tout le cas)", re.compile(r"Vue animateur·rice")
    else:
        mode = f"Comme un·e apprenant·e : {profession_label}"
        shown = re.compile(r"Aperçu apprenant·e\W+" + re.escape(profession_label))
    text = ""
    for attempt in range(60):  # the iframe reloads after a change of mode
        if attempt % 20 == 0:
            page.select_option('[name="preview_mode"]', label=mode)
        text = main.inner_text() if main.count() else ""
        if shown.search(text):
            return main.text_content()  # hidden tabs too: a brief the server sent counts, shown or not
        page.wait_for_timeout(250)
    raise AssertionError(f"the preview never showed the mode {profession_label!r}: {text[:500]}")


def _submit_for_review(page) -> None:
    """The footer's "Soumettre à Relecture éditoriale", in the menu beside "Enregistrer le brouillon"."""
    page.locator('footer [data-w-dropdown-target="toggle"]').first.click()
    page.locator('button[name="action-submit"]').click()
    expect(page.locator(".messages")).to_contain_text("soumise")


def _approve(page, edit_url: str) -> None:
    """The reviewer opens the page from the admin and approves it: the last task publishes it."""
    page.goto(edit_url)
    approve = page.locator('footer [data-workflow-action-name="approve"]:not([data-workflow-action-modal-url])')
    if not approve.first.is_visible():
        page.locator('footer [data-w-dropdown-target="toggle"]').first.click()
    approve.first.click()
    expect(page.locator(".messages")).to_contain_text(TITLE)


def _read_published_case(page, module_url: str) -> str:
    page.goto(module_url)
    page.get_by_role("link", name=TITLE).first.click()
    page.locator("main h1").filter(has_text=TITLE).wait_for()
    return page.locator("main").inner_text()


def test_an_editor_writes_a_case_the_reviewer_publishes_it_and_each_learner_reads_their_brief(
    editor_server, new_page
):
    data = editor_server.data
    editor = new_page(editor_server)
    login(editor, data["editor"])
    _write_case(editor, data["add_case"])
    edit_url = editor.url

    facilitator_view = _preview(editor, None)
    assert NOTES_SECRET in facilitator_view  # the notes are there, so their absence below means something
    assert all(text in facilitator_view for _title, text in BRIEFS.values())
    nurse_view = _preview(editor, "Soins infirmiers / cadre de santé")
    assert BRIEFS["nurse"][1] in nurse_view and BRIEFS["director"][1] not in nurse_view
    assert NOTES_SECRET not in nurse_view
    regulator_view = _preview(editor, "Régulation (ARS, administration, assurance maladie)")
    assert "Choisissez votre perspective" in regulator_view  # what a real regulator learner gets
    assert not any(text in regulator_view for _title, text in BRIEFS.values())
    assert NOTES_SECRET not in regulator_view

    _submit_for_review(editor)
    learner = new_page(editor_server)
    login(learner, data["nurse"])
    learner.goto(data["module"])
    assert TITLE not in learner.locator("main").inner_text()  # not before the review

    reviewer = new_page(editor_server)
    login(reviewer, data["reviewer"])
    _approve(reviewer, edit_url)

    for email, own, others in (
        (data["nurse"], "nurse", ("director", "physician")),
        (data["director"], "director", ("nurse", "physician")),
    ):
        learner = new_page(editor_server)
        login(learner, email)
        text = _read_published_case(learner, data["module"])
        assert BRIEFS[own][1] in text, f"{own}: their brief is missing"
        assert not any(BRIEFS[other][1] in text for other in others), f"{own}: another profession's brief shows"
        assert NOTES_SECRET not in learner.content(), f"{own}: the facilitator notes reached the browser"
        axe_check(learner, label=f"journey 1: the published case, as {own}")
