"""Journey 3 (issue 12): a learner who enrols alone in the demo's open programme signs up, confirms
their address through the link of the e-mail the server sent, enrols, completes every case and
lesson without any cohort (the facilitator's gates open on their own answers), downloads the
certificate and has its code verified by anyone. Then the same essential steps with the keyboard
only: Tab to reach each control, with a visible focus; Enter and Space to act.

One daphne on the demo for the module (`demo_server`); axe-core reads every page.
"""

import importlib
import re

import pytest

from fixtures.programme import MODULES
from tests.e2e.browser import WAIT, axe_check, login, sent_emails
from tests.factories_accounts import SIGNUP_PASSWORD, confirmation_path

pytestmark = [pytest.mark.e2e]

RATIONALE = "Je m'appuie sur le dossier de mon métier et sur les contraintes des autres acteurs."
REFLECTION = "Dans mon établissement, la sortie du vendredi n'est portée par personne : nous y travaillons."
PACE = "À votre rythme"


def _correct_quiz_labels() -> set[str]:
    """The right answers of the demo's quizzes, read from its fixtures (the learner "knows" them)."""
    labels: set[str] = set()

    def walk(value) -> None:
        if isinstance(value, tuple) and len(value) == 2 and value[0] == "quiz_question":
            labels.update(o["label"] for o in value[1]["options"] if o.get("correct"))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    for name in MODULES:
        walk(importlib.import_module(name).MODULE)
    return labels


def _submit(page, form) -> None:
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _answer_everything(page, correct: set[str]) -> None:
    """Answer every decision point, quiz question and reflection of the page, as they open."""
    from playwright.sync_api import expect

    sent: set[str] = set()
    for _ in range(40):  # a page has a dozen activities at most; each answer reloads it
        decision = page.locator("form.decision-point__form")
        if decision.count():
            form = decision.first
            block_id = form.locator("xpath=ancestor::section[1]").get_attribute("data-block-id")
            form.locator("input[type=radio]").first.check()
            form.locator("textarea").fill(RATIONALE)
            _submit(page, form)
            # Defect 6: the confirmation is in the block the page lands on, announced.
            notice = page.locator(f"#block-{block_id} .block-notice")
            expect(notice).to_have_attribute("role", "status")
            expect(notice).to_contain_text("Votre réponse est validée")
            expect(notice).to_be_in_viewport()
            continue
        quiz = page.locator(".quiz form")
        if quiz.count():
            form = quiz.first
            for choice in form.locator("label.choice").all():
                if choice.inner_text().strip() in correct:
                    choice.locator("input").check()
            _submit(page, form)
            continue
        pending = [
            r for r in page.locator(".reflection:has(form)").all() if r.get_attribute("data-block-id") not in sent
        ]
        if pending:
            block_id = pending[0].get_attribute("data-block-id")
            pending[0].locator("textarea").fill(REFLECTION)
            _submit(page, pending[0].locator("form"))
            sent.add(block_id)
            expect(page.locator(f"#block-{block_id} .block-notice")).to_contain_text("Votre réflexion est envoyée")
            continue
        return
    raise AssertionError(f"{page.url}: still something to answer after 40 answers")


def _sign_up(page, email: str, *, profession: str = "director") -> None:
    page.goto("/accounts/signup/")
    axe_check(page, label="sign-up")
    page.fill("#id_email", email)
    page.fill("#id_first_name", "Lucie")
    page.fill("#id_last_name", "Garnier")
    page.select_option("#id_profession", profession)
    page.select_option("#id_level", "establishment")
    page.fill("#id_organisation", "CH de Saint-Malo")
    page.fill("#id_password1", SIGNUP_PASSWORD)
    page.fill("#id_password2", SIGNUP_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def _confirmation_link(server, email: str) -> str:
    messages = sent_emails(server, to=email)
    assert messages, f"no e-mail was sent to {email}"
    return confirmation_path(messages[-1].get_body(preferencelist=("plain",)).get_content())


def test_a_learner_alone_completes_the_open_programme_and_gets_a_verifiable_certificate(demo_server, new_page):
    from playwright.sync_api import expect

    urls = demo_server.urls
    email = "lucie.garnier@ch-saint-malo.fr"
    correct = _correct_quiz_labels()
    page = new_page(demo_server)

    _sign_up(page, email)
    page.goto(_confirmation_link(demo_server, email))
    axe_check(page, label="confirm e-mail")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    login(page, email, SIGNUP_PASSWORD)

    page.goto(urls["programme"])
    expect(page.locator(".lms-panel")).to_contain_text(PACE)  # defect 1: said before enrolling
    axe_check(page, label="programme (not enrolled)")
    with page.expect_navigation():
        page.get_by_role("button", name="M'inscrire à ce programme").click()
    expect(page).to_have_url(re.compile(r"/learn/programmes/\d+/$"))
    expect(page.locator("main")).to_contain_text(PACE)
    axe_check(page, label="programme progress")
    progress_url = page.url
    steps = [(a.inner_text(), a.get_attribute("href")) for a in page.locator(".lms-pages a").all()]
    assert len(steps) == 8, steps

    for title, href in steps:
        page.goto(href)
        _answer_everything(page, correct)
        expect(page.locator(".lms-panel")).to_contain_text("Page terminée")  # the case is finished alone
        expect(page.locator(".locked")).to_have_count(0)  # every episode and the debrief opened
        axe_check(page, label=f"completed: {title}")

    page.goto(progress_url)
    # Defect 2: each module counts its own activities.
    details = page.locator(".lms-module .lms-progress__detail").all_inner_texts()
    assert details == ["2 activités terminées sur 2", "3 activités terminées sur 3", "1 activité terminée sur 1",
                       "2 activités terminées sur 2"], details

    page.goto(urls["dashboard"])
    certificate = page.locator(".lms-certificate")
    expect(certificate).to_contain_text("Manager la coopération en santé")
    axe_check(page, label="dashboard with the certificate")
    with page.expect_download() as download:
        certificate.get_by_role("link", name="Télécharger (PDF)").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    verify_path = certificate.get_by_role("link", name="Lien de vérification").get_attribute("href")
    assert re.fullmatch(r"/certificates/[A-Z0-9]+/", verify_path)

    # Anyone (here a visitor in a fresh browser context) checks the code.
    visitor = new_page(demo_server)
    visitor.goto(verify_path)
    expect(visitor.locator(".lms-verify--valid")).to_contain_text("Lucie Garnier")
    expect(visitor.locator(".lms-verify--valid")).to_contain_text("21 h")
    axe_check(visitor, label="certificate verification")
    visitor.goto("/certificates/NOTACODE0000000/")
    expect(visitor.locator(".lms-verify--invalid")).to_be_visible()


# --- The same essentials with the keyboard only -----------------------------------------------

FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const inView = box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < window.innerHeight;
  return el.matches(":focus-visible") && (outlined || style.boxShadow !== "none") && inView;
}"""


def _tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus (failing after `limit` presses); the focus must be
    visible (the site's :focus-visible outline) and on screen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_VISIBLE), f"focus on {selector} is not visible"
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab on {page.url}")


def _type_into(page, selector: str, text: str) -> None:
    _tab_to(page, selector)
    page.keyboard.type(text)


def _choose(page, selector: str, value: str) -> None:
    """A <select> with the keyboard: focus it, then arrow down to the option."""
    _tab_to(page, selector)
    for _ in range(15):
        if page.eval_on_selector(selector, "(s) => s.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} not reached in {selector}")


def _press_enter(page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_essentials_of_the_journey_with_the_keyboard_only(demo_server, new_page):
    from playwright.sync_api import expect

    urls = demo_server.urls
    email = "yann.le-goff@ch-morlaix.fr"
    page = new_page(demo_server)

    page.goto("/accounts/signup/")
    _type_into(page, "#id_email", email)
    _type_into(page, "#id_first_name", "Yann")
    _type_into(page, "#id_last_name", "Le Goff")
    _choose(page, "#id_profession", "nurse")
    _choose(page, "#id_level", "team")
    _type_into(page, "#id_organisation", "CH de Morlaix")
    _type_into(page, "#id_password1", SIGNUP_PASSWORD)
    _type_into(page, "#id_password2", SIGNUP_PASSWORD)
    _tab_to(page, "main form button[type=submit]")
    _press_enter(page)
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))

    page.goto(_confirmation_link(demo_server, email))
    _tab_to(page, "main form button[type=submit]")
    _press_enter(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    _type_into(page, "#id_login", email)
    _type_into(page, "#id_password", SIGNUP_PASSWORD)
    _press_enter(page)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    page.goto(urls["programme"])
    _tab_to(page, ".lms-panel form button[type=submit]")
    _press_enter(page)
    expect(page).to_have_url(re.compile(r"/learn/programmes/\d+/$"))
    _tab_to(page, ".lms-pages a")  # the first case of the first module
    _press_enter(page)
    expect(page.locator("h1")).to_have_text(urls["case_title"])

    # A decision: Space picks the option, then the rationale, then Enter on the button.
    _tab_to(page, "form.decision-point__form input[type=radio]")
    page.keyboard.press("Space")
    assert page.eval_on_selector("form.decision-point__form input[type=radio]", "(r) => r.checked")
    _type_into(page, "form.decision-point__form textarea", RATIONALE)
    _tab_to(page, "form.decision-point__form button[type=submit]")
    _press_enter(page)
    notice = page.locator(".decision-point .block-notice")
    expect(notice).to_contain_text("Votre réponse est validée")
    expect(notice).to_be_in_viewport()

    # Episode 2 opened: its quiz (Space on a radio) and the reflection of the case.
    _tab_to(page, ".quiz form input")
    page.keyboard.press("Space")
    _tab_to(page, ".quiz form button[type=submit]")
    _press_enter(page)
    expect(page.locator(".quiz .options")).to_be_visible()
    _type_into(page, ".reflection form textarea", REFLECTION)
    _tab_to(page, ".reflection form button[type=submit]")
    _press_enter(page)
    expect(page.locator(".reflection .block-notice")).to_contain_text("Votre réflexion est envoyée")
    axe_check(page, label="case answered with the keyboard")
