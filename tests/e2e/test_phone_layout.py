"""On a 390 px phone every menu link is on screen and a percentage never breaks before its sign."""

import pytest
from django.conf import settings

from accounts.choices import Role
from lms import services
from tests.factories import make_user
from tests.factories_lms import make_course

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]

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


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright's sync API runs a loop in this thread
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield instance
        instance.close()


def _phone_page(browser, live_server, client, user, width=390):
    client.force_login(user)
    context = browser.new_context(viewport={"width": width, "height": 844})
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])
    return context.new_page()


@pytest.mark.parametrize("roles", [(Role.LEARNER,), (Role.FACILITATOR,), (Role.EDITOR, Role.FACILITATOR)])
def test_every_menu_link_is_on_a_phones_screen(live_server, client, browser, roles):
    page = _phone_page(browser, live_server, client, make_user(roles=roles))
    page.goto(live_server.url + "/catalogue/")
    boxes = page.evaluate(MENU_BOXES)
    assert "Communautés" in [link["text"] for link in boxes["links"]]
    for link in boxes["links"]:
        assert link["visible"] and link["left"] >= 0 and link["right"] <= 390, link
    assert boxes["pageWidth"] <= 390


def test_a_percentage_stays_on_one_line_on_a_phone(live_server, client, browser):
    course = make_course()
    learner = make_user()
    services.enrolment_create(user=learner, programme=course.programme)
    # 320 px: the narrowest phones, where the progress line is tightest.
    page = _phone_page(browser, live_server, client, learner, width=320)
    page.goto(live_server.url + "/dashboard/")
    percentages = page.evaluate(PERCENT_LINES)
    assert percentages, "the dashboard shows the programme's progress"
    assert all(item["lines"] == 1 and item["text"].endswith("\u00a0%") for item in percentages), percentages
