"""Journey 6 (issue 12): a self-enrolled learner switches to English; every page of their path —
home, catalogue, programme, module, case, dashboard, certificate — reads in English, titles and
content (the demo's modules 2–4 included), then they switch back to French. Asserted on visible
text, not only on `lang`; axe-core on every page."""

import re

import pytest

from tests.e2e.browser import FACTORY_PASSWORD, axe_check, login
from tests.e2e.conftest import prepared_server

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]


@pytest.fixture(scope="module")
def english_server(demo_database):
    yield from prepared_server(demo_database, "english_learner")


def _switch_language(page, label: str, lang: str) -> None:
    with page.expect_navigation():
        page.select_option("#language-select", label=label)
    page.wait_for_selector(f"html[lang={lang}]")


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_a_learner_reads_their_whole_path_in_english_then_back_in_french(english_server, new_page):
    from playwright.sync_api import expect

    data = english_server.data
    page = new_page(english_server)
    login(page, data["email"], FACTORY_PASSWORD)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    _switch_language(page, "English", "en")

    checks = [
        # (label, path, text that must be visible, French text that must not be)
        ("home", "/", ["Learning to manage together", data["programme_title_en"]], [data["programme_title_fr"]]),
        ("catalogue", "/catalogue/", ["Programme catalogue", data["programme_title_en"]], ["Catalogue des programmes"]),
        ("programme", data["programme"], [data["programme_title_en"], *data["module_titles_en"]], data["module_titles_fr"]),
        ("module", data["module"], [data["module_title_en"], "Four beds too many?"], ["Quatre lits de trop"]),
        ("case", data["case"], [data["case_title_en"], "The brief of the senior nurse manager of intensive care",
                                "What decision should the crisis unit take this morning?"],
         [data["case_title_fr"], "Le dossier de la cadre supérieure de santé de réanimation"]),
        ("dashboard", "/dashboard/", ["My programmes", "My certificates", data["programme_title_en"],
                                       *data["module_titles_en"]],
         [data["programme_title_fr"], *data["module_titles_fr"], "Mes programmes"]),
        ("certificate", data["certificate"], ["Certificate", data["programme_title_en"]], [data["programme_title_fr"]]),
    ]
    for label, path, present, absent in checks:
        response = page.goto(path)
        assert response.status == 200, f"{label}: {response.status}"
        expect(page.locator("html")).to_have_attribute("lang", "en")
        text = _main_text(page)
        for expected in present:
            assert expected in text, f"{label}: {expected!r} not shown in English"
        for french in absent:
            assert french not in text, f"{label}: {french!r} still shown in French"
        assert page.title() and not re.search(r"\b(Accueil|Tableau de bord)\b", page.title()), f"{label}: {page.title()}"
        axe_check(page, label=f"journey 6 (English): {label}")

    _switch_language(page, "Français", "fr")
    page.goto("/dashboard/")
    text = _main_text(page)
    assert "Mes programmes" in text and data["programme_title_fr"] in text
    assert data["programme_title_en"] not in text
    page.goto(data["module"])
    assert "Quatre lits de trop" in _main_text(page)
    axe_check(page, label="journey 6 (back in French): module")
