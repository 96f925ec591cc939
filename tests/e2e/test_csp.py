"""Chromium loads the key pages under the real Content-Security-Policy and records every violation
(the `securitypolicyviolation` events and the console's "Refused to …" errors): there must be none.
The Wagtail admin is loaded too, under its own policy, which must not break it either."""

import pytest

from tests.e2e.browser import login
from tests.e2e.demo import TOUR, WAGTAIL_ADMIN

pytestmark = pytest.mark.e2e

# Installed before any script of the page runs (through the DevTools protocol, which the policy does
# not restrict); every violation of every navigation is kept in sessionStorage until read.
LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("csp-violations") || "[]");
  seen.push({page: location.pathname, directive: event.effectiveDirective, blocked: event.blockedURI,
             source: event.sourceFile, line: event.lineNumber, sample: event.sample});
  sessionStorage.setItem("csp-violations", JSON.stringify(seen));
});
"""
READ = """() => {
  const seen = JSON.parse(sessionStorage.getItem("csp-violations") || "[]");
  sessionStorage.removeItem("csp-violations");
  return seen;
}"""

# Beyond the tour: the module page, the sign-in pages, a certificate's verification page.
EXTRA = [(None, "login", "/accounts/login/"), (None, "signup", "/accounts/signup/"),
         (None, "password-reset", "/accounts/password/reset/"), (None, "certificate", "/certificates/ZZZZ2222ZZZZ2222/"),
         (None, "module", "module"), ("learner", "learner-data", "/account/data/"),
         ("learner", "learner-cohorts", "/cohorts/"), ("learner", "learner-notifications", "/notifications/")]


def _visit_all(demo_server, new_page, pages):
    tabs, console, violations = {}, [], []
    for person, name, key in pages:
        if person not in tabs:
            page = new_page(demo_server)
            page.add_init_script(LISTEN)
            page.on("console", lambda message, name=name: console.append(f"{name}: {message.text}")
                    if "Content Security Policy" in message.text or "Refused to" in message.text else None)
            if person:
                login(page, demo_server.urls[person])
            tabs[person] = page
        page = tabs[person]
        url = demo_server.urls.get(key, key)
        response = page.goto(url)
        assert response.status in (200, 404), f"{name}: {response.status}"
        assert response.headers.get("content-security-policy"), f"{name}: no policy"
        page.wait_for_load_state("networkidle")
        violations += [f"{name}: {v}" for v in page.evaluate(READ)]
    return violations, console, page


def test_the_key_pages_load_with_zero_csp_violations(demo_server, new_page):
    pages = [entry for entry in TOUR if entry[2] not in WAGTAIL_ADMIN] + EXTRA
    violations, console, last = _visit_all(demo_server, new_page, pages)
    assert not violations and not console, "\n".join(violations + console)
    assert len(pages) >= 19
    # The listener does see a violation: an inline style attribute, as a careless template would write.
    last.evaluate("""() => document.body.insertAdjacentHTML("beforeend", '<p style="color: red">canary</p>')""")
    last.wait_for_function("() => (sessionStorage.getItem('csp-violations') || '').includes('style-src')")
    assert [v["directive"] for v in last.evaluate(READ)] == ["style-src-attr"]


def test_the_wagtail_admin_page_editor_works_under_its_own_policy(demo_server, new_page):
    pages = [entry for entry in TOUR if entry[2] in WAGTAIL_ADMIN] + [("editor", "admin-home", "/admin/")]
    violations, console, _page = _visit_all(demo_server, new_page, pages)
    assert not violations and not console, "\n".join(violations + console)
