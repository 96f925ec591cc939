"""`make screenshots`: the demo's key pages at 1280 and 390 px, saved into docs/screenshots/.

Serves a copy of `make run`'s database (db.sqlite3, which `make seed` migrates and seeds) with one
daphne process on a free port, signs in as the demo accounts of the README through the login form
and saves one PNG per page and width, `<page>-<width>.png`: what a screen of that size shows when
the page opens (the case page scrolled to the learner's brief). `--full-page DIR` saves whole pages
into DIR instead, to review a layout from top to bottom. Needs Debian's chromium. Not a test.
"""

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = {1280: 800, 390: 844}  # width: height
SCROLL_TO = {"case": ".role-brief"}  # pages shown further down than their top
LIVE_ROOMS = ("cohort_room", "group_room")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full-page", metavar="DIR", type=Path, help="save whole pages into DIR")
    parser.add_argument("--database", type=Path, default=ROOT / "db.sqlite3", help="a seeded SQLite database")
    args = parser.parse_args()
    if not args.database.exists():
        sys.exit(f"{args.database} does not exist: run `make seed` first (`make screenshots` does).")
    output = args.full_page or ROOT / "docs" / "screenshots"
    output.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as directory:
        # A copy: signing in and reading rooms write sessions and read markers.
        copy = Path(directory) / "demo.sqlite3"
        source, target = sqlite3.connect(args.database), sqlite3.connect(copy)
        source.backup(target)
        source.close()
        target.close()
        os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from tests.e2e.browser import CHROMIUM, ServerProcess, server_env
        from tests.e2e.demo import demo_urls

        if CHROMIUM is None:
            sys.exit("chromium is not installed (apt-get install chromium).")
        urls = demo_urls()
        server = ServerProcess(env=server_env(os.environ["DATABASE_URL"], settings="config.settings.dev")).start()
        try:
            for path in shoot(server, urls, output, full_page=bool(args.full_page)):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            server.stop()


def shoot(server, urls: dict, output: Path, *, full_page: bool):
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, login
    from tests.e2e.demo import TOUR

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width, height in WIDTHS.items():
            pages = {}
            for person, name, key in TOUR:
                if person not in pages:
                    context = browser.new_context(
                        base_url=server.http, viewport={"width": width, "height": height}, locale="fr-FR",
                        timezone_id="Europe/Paris", reduced_motion="reduce",
                    )
                    context.set_default_timeout(30_000)
                    pages[person] = context.new_page()
                    if person:
                        login(pages[person], urls[person])
                page = pages[person]
                page.goto(urls[key])
                if key in LIVE_ROOMS:
                    page.locator("[data-room][data-state=connected]").wait_for()
                if key in SCROLL_TO:
                    page.locator(SCROLL_TO[key]).first.evaluate("(element) => element.scrollIntoView({block: 'start'})")
                page.wait_for_load_state("networkidle")
                path = output / f"{name}-{width}.png"
                page.screenshot(path=path, full_page=full_page, animations="disabled")
                yield path
        browser.close()


if __name__ == "__main__":
    main()
