"""The facilitator's progress views on the demo (issue 12, defects 9, 14, 15), at 1280 and 390 px:
learners in the middle of a case read partial figures (late ones with their marker next to the
figure), the legend shows the same keys, the waiting reflections are listed in full and walked
through with previous / next, with the question shown; no page scrolls sideways; axe finds nothing
serious."""

import re

import pytest

from tests.e2e.browser import axe_check, login

pytestmark = [pytest.mark.e2e]

PAGE_WIDTH = "() => document.documentElement.scrollWidth"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_facilitator_reads_progress_and_walks_the_waiting_reflections(demo_server, new_page, width):
    from playwright.sync_api import expect

    urls = demo_server.urls
    page = new_page(demo_server, width=width)
    login(page, urls["facilitator"])

    page.goto(urls["cohort_dashboard"])
    cells = page.locator(".progress-matrix td.cell")
    figures = cells.locator("span[aria-hidden]:not(.cell__late)").all_inner_texts()
    started = [f for f in figures if re.fullmatch(r"\d+\u00a0%", f)]
    assert started, figures  # learners in the middle of a case are not "·"
    late = page.locator(".progress-matrix td.cell--late")
    if late.count():
        assert late.first.locator(".cell__late").inner_text() == "!"
    legend = page.locator(".matrix-legend").inner_text()
    assert "½" not in legend and "\u00a0%" in legend
    assert "1 messages" not in page.locator("main").inner_text()
    assert page.evaluate(PAGE_WIDTH) <= width
    axe_check(page, label=f"facilitator dashboard {width}")

    page.get_by_role("link", name=re.compile(r"Voir (les \d+ réflexions|la réflexion|la liste)")).click()
    expect(page.locator("h1")).to_have_text("Réflexions en attente de commentaire")
    assert page.evaluate(PAGE_WIDTH) <= width
    axe_check(page, label=f"waiting reflections {width}")

    page.locator(".reflections-table tbody a").first.click()
    expect(page.get_by_text("La question posée")).to_be_visible()
    expect(page.locator(".pager__status")).to_contain_text("1 sur")
    assert page.locator(".pager a[rel=prev]").count() == 0
    assert page.evaluate(PAGE_WIDTH) <= width
    axe_check(page, label=f"reflection with navigation {width}")
    page.locator(".pager a[rel=next]").click()
    expect(page.locator(".pager__status")).to_contain_text("2 sur")
    expect(page.locator(".pager a[rel=prev]")).to_be_visible()
