"""On a 390 px phone every menu link is on screen and a percentage never breaks before its sign."""

import pytest

from tests.e2e.browser import login

pytestmark = [pytest.mark.e2e]

# Each menu link's box, and whether the page itself scrolls sideways.
MENU_BOXES = """() => ({
  links: [...document.querySelectorAll('.site-nav a')].map(a => {
    const box = a.getBoundingClientRect();
    return {text: a.textContent.trim(), left: box.left, right: box.right, visible: box.width > 0 && box.height > 0};
  }),
  pageWidth: document.documentElement.scrollWidth,
})"""

# Every "<number> %" on the page: on how many lines it is drawn.
PERCENT_LINES = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    for (const match of node.textContent.matchAll(/\\d+\\s%/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map(rect => Math.round(rect.top)));
      if (tops.size) found.push({text: match[0], lines: tops.size});
    }
  }
  return found;
}"""


@pytest.mark.parametrize("person", ["learner", "facilitator", "editor"])
def test_every_menu_link_is_on_a_phones_screen(demo_server, new_page, person):
    page = login(new_page(demo_server, width=390), demo_server.urls[person])
    page.goto(demo_server.urls["catalogue"])
    boxes = page.evaluate(MENU_BOXES)
    assert "Communautés" in [link["text"] for link in boxes["links"]]
    for link in boxes["links"]:
        assert link["visible"] and link["left"] >= 0 and link["right"] <= 390, link
    assert boxes["pageWidth"] <= 390


def test_a_percentage_stays_on_one_line_on_a_phone(demo_server, new_page):
    # 320 px: the narrowest phones, where the progress line is tightest.
    page = login(new_page(demo_server, width=320), demo_server.urls["learner"])
    page.goto(demo_server.urls["dashboard"])
    percentages = page.evaluate(PERCENT_LINES)
    assert percentages, "the dashboard shows the programme's progress"
    assert all(item["lines"] == 1 and item["text"].endswith("\u00a0%") for item in percentages), percentages
