"""Helpers of the browser tests that are not fixtures, also used by `docs/screenshots.py`:
Debian's Chromium, the daphne server's environment, signing in through the form, axe-core.

The real-server helpers (`ServerProcess` …) are imported here and nowhere else in tests/e2e.
"""

import email
import email.policy
import os
import re
import shutil
import uuid
from pathlib import Path

from accounts.demo import DEMO_PASSWORD
from tests.servers import ServerProcess, database_url_for_server, server_database_sessions_end

__all__ = [
    "AXE_PAGES", "CHROMIUM", "CHROMIUM_ARGS", "DEMO_PASSWORD", "FACTORY_PASSWORD", "WAIT", "ServerProcess",
    "axe_available", "axe_check", "database_url_for_server", "login", "mail_text", "sent_emails",
    "server_database_sessions_end",
    "server_env",
]

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium")  # Debian's; never a browser downloaded by Playwright
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"  # npm ci --prefix tests/e2e
FACTORY_PASSWORD = "correct-horse-battery"  # tests.factories.make_user's default
WAIT = 15_000  # ms: generous for a loaded machine; every wait ends as soon as its condition holds
SERIOUS = ("serious", "critical")

AXE_PAGES: list[str] = []  # the page states axe has read, for the terminal summary


def server_env(database_url: str, *, settings: str = "config.settings.test", mail_dir: Path | None = None) -> dict:
    """The environment of a daphne process on `database_url`, with its own cache and channel keys;
    with `mail_dir`, the server writes the e-mails it sends there (`sent_emails`)."""
    return {
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": database_url,
        "CHANNEL_LAYER_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
        "CACHE_KEY_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "WARNING",
        **({"EMAIL_FILE_PATH": str(mail_dir)} if mail_dir else {}),
    }


def sent_emails(server, *, to: str | None = None) -> list:
    """The e-mails a server started with a `mail_dir` has sent (as `email.message.EmailMessage`,
    oldest first), to `to` when given. Read a body with `message.get_body().get_content()`."""
    messages = []
    for path in sorted(Path(server.mail_dir).iterdir(), key=lambda p: (p.stat().st_mtime, p.name)):
        # Django's file backend writes each message followed by a line of 79 dashes.
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                messages.append(email.message_from_bytes(raw.lstrip(), policy=email.policy.default))
    return [m for m in messages if to is None or to in str(m["To"])]


def login(page, email: str, password: str = DEMO_PASSWORD, *, next: str | None = None):
    """Sign in through the login form; wait until the person has landed where the site sends them."""
    page.goto("/accounts/login/" + (f"?next={next}" if next else ""))
    page.fill("#id_login", email)
    page.fill("#id_password", password)
    page.locator("main form").get_by_role("button").last.click()
    if next:
        page.wait_for_url(re.compile(re.escape(next) + "$"))
    else:
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def mail_text(message) -> str:
    """The plain-text body of `message`."""
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    return part.get_content()


# --- Accessibility -----------------------------------------------------------------------------

_RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""
_AXE_SOURCE: list[str] = []


def axe_available() -> bool:
    return AXE_SCRIPT.exists()


def axe_check(page, *, label: str = "") -> list[dict]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation, naming
    each rule, its help and the elements at fault. Returns the violations of lesser impact.

    The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not restrict: nothing is added to the page and no setting is relaxed. Without axe-core
    installed nothing is checked (the terminal summary says so), unless E2E_REQUIRE_AXE is set."""
    if not axe_available():
        assert not os.environ.get("E2E_REQUIRE_AXE"), "axe-core is missing: npm ci --prefix tests/e2e"
        return []
    if page.evaluate("() => typeof window.axe") == "undefined":
        if not _AXE_SOURCE:
            _AXE_SOURCE.append(AXE_SCRIPT.read_text(encoding="utf-8"))
        page.evaluate(_AXE_SOURCE[0])
    violations = page.evaluate(_RUN_AXE)
    AXE_PAGES.append(label or page.url)
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert not serious, f"axe on {label or page.url}:\n" + format_violations(serious)
    return violations


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}")
            lines.extend(f"      {line}" for line in (node["summary"] or "").splitlines()[:4])
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)
