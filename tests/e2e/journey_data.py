"""Data a browser journey needs on top of the demo, written into the demo copy a journey's server
will serve: `python -m tests.e2e.journey_data <name>` (DATABASE_URL set) prints one JSON line.

`prepare(url, name)` runs `<name>` on the database at `url` (a copy of the demo, `demo_database.copy()`)
and returns what it printed: a journey module then starts its one server on that copy.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def english_learner() -> dict:
    """Journey 6: a self-enrolled learner (no cohort) who has finished the demo programme."""
    from accounts.choices import Profession
    from cms.locales import translation_in
    from cms.models import CaseStudyPage, ModulePage, ProgrammePage
    from cohorts.demo import PROGRAMME_SLUG
    from lms import selectors, services
    from lms.models import PageCompletion
    from tests.factories import make_user
    from wagtail.models import Locale

    french = Locale.get_default()
    programme = ProgrammePage.objects.get(slug=PROGRAMME_SLUG, locale=french)
    learner = make_user(
        email="emma.wilson@passerelles.test", first_name="Emma", last_name="Wilson", profession=Profession.NURSE,
    )
    enrolment = services.enrolment_self_enrol(user=learner, programme=programme)
    structure = selectors.programme_structure(programme=programme)
    PageCompletion.objects.bulk_create(
        PageCompletion(user=learner, page_id=page_id, programme=programme) for page_id in structure.page_ids
    )
    certificate = services.programme_completion_refresh(enrolment=enrolment)
    modules = list(ModulePage.objects.child_of(programme).live().order_by("path"))
    last_case = CaseStudyPage.objects.descendant_of(modules[-1]).live().order_by("path").first()
    english = Locale.objects.get(language_code="en")
    return {
        "email": learner.email,
        "programme": programme.url,
        "module": modules[1].url,  # the second module: the demo's English copy was once only the first's
        "module_title_en": translation_in(modules[1], language="en").title,
        "module_titles_en": [translation_in(module, language="en").title for module in modules],
        "module_titles_fr": [module.title for module in modules],
        "case": last_case.url,
        "case_title_en": last_case.get_translation(english).title,
        "case_title_fr": last_case.title,
        "programme_title_en": programme.get_translation(english).title,
        "programme_title_fr": programme.title,
        "certificate": f"/certificates/{certificate.code}/" if certificate else "",
    }


def editor_case() -> dict:
    """Journey 1: where the editor adds a case (the demo programme's first module), who reviews it,
    and a nurse and a director learner of the demo (enrolled) who read it once published."""
    from cms.models import ModulePage, ProgrammePage
    from cohorts.demo import PROGRAMME_SLUG
    from wagtail.models import Locale

    programme = ProgrammePage.objects.get(slug=PROGRAMME_SLUG, locale=Locale.get_default())
    module = ModulePage.objects.child_of(programme).live().order_by("path").first()
    return {
        "add_case": f"/admin/pages/add/cms/casestudypage/{module.pk}/",
        "module": module.url,
        "editor": "editrice@passerelles.test",
        "reviewer": "relecteur@passerelles.test",
        "nurse": "cadre@passerelles.test",
        "director": "directrice@passerelles.test",
    }


JOURNEYS = {"english_learner": english_learner, "editor_case": editor_case}


def prepare(database_url: str, name: str) -> dict:
    from tests.e2e.browser import server_env

    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.journey_data", name], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **server_env(database_url)},
    )
    if done.returncode:
        raise RuntimeError(f"journey data {name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    import django

    django.setup()
    print(json.dumps(JOURNEYS[sys.argv[1]]()))


if __name__ == "__main__":
    main()
