"""Outcomes and credit in the browser, on the demo: a graduate of the closed cohort reads their
before/after profile and answers the "three months later" questionnaire, downloads the certificate and
the DPC attestation, a visitor verifies both at /certificates/<code>/, a learner of the running cohort
gives their opinion on the module they finished, and the owner reads the report by profession. axe
on each page (the report too: it is ours, inside the Wagtail admin); screenshots in
E2E_SCREENSHOTS when set."""

import os
import re
from pathlib import Path

import pytest

from tests.e2e.browser import axe_check, login

pytestmark = pytest.mark.e2e


def _shot(page, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_the_graduate_s_profile_questionnaire_and_documents(demo_server, new_page):
    urls = demo_server.urls
    page = login(new_page(demo_server), urls["graduate"])
    page.goto(urls["self_assessment"])
    main = page.locator("main")
    assert "Avant le programme" in main.inner_text() and "À la fin du programme" in main.inner_text()
    assert page.locator("main svg").count() >= 1  # the before/after chart
    axe_check(page, label="self-assessment profile")
    _shot(page, "self-assessment-profile")

    page.goto(urls["self_assessment_later"])
    axe_check(page, label="self-assessment form")
    _shot(page, "self-assessment-form")
    names = page.eval_on_selector_all("main input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    assert len(names) >= 5
    for n, name in enumerate(names):
        page.locator(f"main input[name='{name}']").nth(2 + n % 2).check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(urls["self_assessment"]) + "$"))
    assert "Trois mois après" in page.locator("main").inner_text()
    _shot(page, "self-assessment-profile-after")

    for key in ("certificate_pdf", "attestation_pdf"):
        response = page.request.get(urls[key])
        assert response.status == 200 and response.headers["content-type"] == "application/pdf", key
        assert response.body().startswith(b"%PDF"), key
        folder = os.environ.get("E2E_SCREENSHOTS")
        if folder:
            Path(folder, f"{key}.pdf").write_bytes(response.body())

    visitor = new_page(demo_server)
    response = visitor.goto(urls["certificate_verify"])
    assert response.status == 200
    text = visitor.locator("main").inner_text()
    assert "Promotion Pays de la Loire 2026" in text or "Manager la coopération" in text
    assert urls["attestation_pdf"].rsplit("/", 1)[1].removesuffix(".pdf") in text  # both documents named
    axe_check(visitor, label="certificate verification")
    _shot(visitor, "certificate-verify")


def test_a_learner_gives_their_opinion_and_the_owner_reads_the_report(demo_server, new_page):
    urls = demo_server.urls
    assert urls["feedback_learner"], "the demo has a learner who finished module 1 without a survey answer"
    page = login(new_page(demo_server), urls["feedback_learner"])
    response = page.goto(urls["module_feedback"])
    assert response.status == 200
    axe_check(page, label="module feedback form")
    _shot(page, "module-feedback")
    page.locator("main input[name=usefulness][value='4']").check()
    page.locator("main input[name=relevance][value='5']").check()
    page.fill("#feedback-change", "Proposer une réunion commune avec la CPTS dès le mois prochain.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/learn/programmes/\d+/$"))
    assert "votre avis est enregistré" in page.locator("body").inner_text()

    # Tall: the Wagtail admin scrolls inside its own frame, which a full-page screenshot would cut.
    owner = login(new_page(demo_server, viewport={"width": 1280, "height": 4200}), urls["owner"])
    for key in ("outcomes", "outcomes_past_cohort"):
        response = owner.goto(urls[key])
        assert response.status == 200
        text = owner.locator("main").inner_text()
        for label in ("Direction", "Médecin", "Régulation", "Soins infirmiers"):
            assert label in text, (key, label)
        axe_check(owner, label=f"owner's report ({key})")
        _shot(owner, key)
