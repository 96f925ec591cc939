"""Server time and query counts of the learner pages, next to a floor measured in the same run.

    .venv/bin/python bench/pages.py                  # small then large data set
    .venv/bin/python bench/pages.py --scale large --requests 100

Each scale is seeded in its own SQLite file under bench/out/ (or in DATABASE_URL when set:
then only one scale runs, in that database). Large: 2,000 learners, 40 cohorts, 200 pages,
100,000 decision answers. Pages are requested through Django's test client (the full
middleware stack, in process); the floor is /_bench/floor (a constant page through the same
middleware). Prints median and p95 server time, median CPU time (the process's, as BENCHMARKS.md
counts it) and the query count of each page. Each page is requested a few times before it is
measured, so cms's content cache holds the routes and page lists (the steady state); the first
view after an editor publishes costs more queries, bounded in tests/cms/test_queries.py.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402

SCALES = {
    # programmes × modules × pages per module = learning pages; half are cases with 2 decision points.
    "small": {"programmes": 1, "modules": 2, "pages": 3, "learners": 12, "cohorts": 1, "answers_per_learner": 4},
    "large": {"programmes": 4, "modules": 5, "pages": 10, "learners": 2000, "cohorts": 40, "answers_per_learner": 50},
}


def _id() -> str:
    return str(uuid.uuid4())


def case_body(n: int) -> tuple[list, list[tuple[str, list[str]]]]:
    decisions = []
    content = []
    for d in range(2):
        options = [{"type": "item", "id": _id(), "value": {"label": f"Option {k + 1}"}} for k in range(3)]
        block = {"type": "decision_point", "id": _id(), "value": {
            "question": f"Décision {d + 1} du cas {n}", "context": "", "options": options,
            "rationale_required": True, "expert_commentary": "<p>Commentaire d'expert.</p>"}}
        content.append(block)
        decisions.append((block["id"], [o["id"] for o in options]))
    content.append({"type": "reflection_prompt", "id": _id(), "value": {"prompt": "<p>Qu'en retenez-vous ?</p>"}})
    content.append({"type": "text", "id": _id(), "value": "<p>" + "Contexte du cas. " * 40 + "</p>"})
    body = [{"type": "episode", "id": _id(), "value": {"title": "Épisode 1", "gate": "open", "content": content}}]
    return body, decisions


def seed(scale: dict, *, out=print, catalogue=None) -> dict:
    """The data set of `scale`; under `catalogue` when given (bench/serve.py adds it to the demo),
    else under a home page and catalogue of its own that become the default site's."""
    from datetime import date

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from wagtail.models import Page, Site

    from accounts.choices import Profession
    from accounts.models import User
    from cms.models import CaseStudyPage, CataloguePage, HomePage, LessonPage, ModulePage, ProgrammePage
    from cohorts.models import Cohort, CohortMembership
    from lms.models import DecisionAnswer, Enrolment, PageCompletion

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if catalogue is None:
        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title="Accueil bench", slug=f"bench-{uuid.uuid4().hex[:6]}"))
        Site.objects.update_or_create(is_default_site=True, defaults={"root_page": home, "hostname": "testserver", "port": 80})
        catalogue = home.add_child(instance=CataloguePage(title="Catalogue", slug="catalogue"))
    programmes, decisions_by_programme, pages_by_programme = [], {}, {}
    for p in range(scale["programmes"]):
        programme = catalogue.add_child(instance=ProgrammePage(
            title=f"Programme {p + 1} : coopérer en santé", slug=f"programme-bench-{p + 1}", summary="Résumé.",
            objectives="<p>Objectifs.</p>", hours=14))
        programmes.append(programme)
        decisions_by_programme[programme.pk], pages_by_programme[programme.pk] = [], []
        for m in range(scale["modules"]):
            module = programme.add_child(instance=ModulePage(title=f"Module {m + 1}", slug=f"module-{m + 1}", objectives="<p>O.</p>"))
            for k in range(scale["pages"]):
                if k % 2 == 0:
                    body, decisions = case_body(k)
                    page = module.add_child(instance=CaseStudyPage(
                        title=f"Cas {m + 1}.{k + 1}", slug=f"cas-{k + 1}", setting="chu", problem="<p>Problème.</p>", body=body))
                    decisions_by_programme[programme.pk] += [(page.pk, d) for d in decisions]
                else:
                    page = module.add_child(instance=LessonPage(title=f"Leçon {m + 1}.{k + 1}", slug=f"lecon-{k + 1}"))
                pages_by_programme[programme.pk].append(page.pk)
    out(f"  pages: {sum(len(v) for v in pages_by_programme.values())} learning pages in {time.perf_counter() - started:.0f} s")

    password = make_password("bench-password")
    professions = Profession.values
    users = User.objects.bulk_create([
        User(email=f"learner{i}@bench.test", first_name=f"Prénom{i}", last_name=f"Nom{i}", password=password,
             profession=professions[i % len(professions)])
        for i in range(scale["learners"])
    ], batch_size=1000)
    users = list(User.objects.filter(email__endswith="@bench.test").order_by("pk"))
    enrolments, answers, completions = [], [], []
    for index, user in enumerate(users):
        mine = [programmes[index % len(programmes)], programmes[(index + 1) % len(programmes)]]
        mine = list({p.pk: p for p in mine}.values())
        for programme in mine:
            enrolments.append(Enrolment(user=user, programme=programme, source="cohort"))
        budget = scale["answers_per_learner"]
        for programme in mine:
            for page_id, (block_id, option_ids) in decisions_by_programme[programme.pk][: budget // len(mine)]:
                answers.append(DecisionAnswer(user=user, page_id=page_id, block_id=block_id,
                                              option_id=option_ids[(index + len(answers)) % 3], rationale="Justification.",
                                              profession=user.profession))
            for page_id in pages_by_programme[programme.pk][: len(pages_by_programme[programme.pk]) // 3]:
                completions.append(PageCompletion(user=user, page_id=page_id, programme=programme))
    Enrolment.objects.bulk_create(enrolments, batch_size=2000)
    DecisionAnswer.objects.bulk_create(answers, batch_size=5000)
    PageCompletion.objects.bulk_create(completions, batch_size=5000)
    cohorts = Cohort.objects.bulk_create([
        Cohort(programme=programmes[c % len(programmes)], name=f"Promotion {c + 1}", starts_on=date(2026, 9, 1),
               ends_on=date(2027, 6, 30), status="running")
        for c in range(scale["cohorts"])
    ])
    per_cohort = max(1, len(users) // len(cohorts))
    CohortMembership.objects.bulk_create([
        CohortMembership(cohort=cohorts[min(i // per_cohort, len(cohorts) - 1)], user=user)
        for i, user in enumerate(users)
    ], batch_size=2000, ignore_conflicts=True)
    out(f"  {len(users)} learners, {len(cohorts)} cohorts, {len(enrolments)} enrolments, {len(answers)} answers, "
        f"{len(completions)} completions; seeded in {time.perf_counter() - started:.0f} s")

    learner = users[0]
    programme = programmes[0]
    case = CaseStudyPage.objects.descendant_of(programme).order_by("path").first()
    # The first cohort gets a facilitator, for the facilitator dashboard (cohorts).
    facilitator = User.objects.create(email="facilitator@bench.test", password=password, profession="nurse")
    CohortMembership.objects.create(cohort=cohorts[0], user=facilitator, role="facilitator")
    return {"learner": learner, "programme": programme, "case": case, "facilitator": facilitator, "cohort": cohorts[0]}


def measure(client, url: str, requests: int) -> dict:
    from django.db import connection

    for _ in range(max(5, requests // 10)):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    times, cpu = [], []
    for _ in range(requests):
        start, start_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
            "cpu": statistics.median(cpu), "queries": len(queries)}


def run(scale_name: str, requests: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    scale = SCALES[scale_name]
    print(f"[{scale_name}] seeding…")
    objects = seed(scale)
    client = Client()
    client.force_login(objects["learner"])
    urls = {
        "floor (/_bench/floor)": "/_bench/floor",
        "dashboard": reverse("lms:dashboard"),
        "case page with answers": objects["case"].url,
        "programme page (cms)": objects["programme"].url,
        "programme progress (lms)": reverse("lms:programme_progress", args=[objects["programme"].pk]),
    }
    results = {}
    for label, url in urls.items():
        results[label] = measure(client, url, requests)
    facilitator_client = Client()
    facilitator_client.force_login(objects["facilitator"])
    learners = objects["cohort"].memberships.filter(role="learner").count()
    results[f"facilitator dashboard ({learners})"] = measure(
        facilitator_client, reverse("cohorts:dashboard", args=[objects["cohort"].pk]), requests
    )
    floor = results["floor (/_bench/floor)"]["median"]
    print(f"[{scale_name}] {requests} requests per page, in-process test client, times in ms")
    print(f"  {'page':28} {'median':>8} {'p95':>8} {'cpu':>8} {'queries':>8} {'× floor':>8}")
    for label, r in results.items():
        print(f"  {label:28} {r['median']:8.2f} {r['p95']:8.2f} {r['cpu']:8.2f} {r['queries']:8d} {r['median'] / floor:8.1f}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["small", "large", "both"], default="both")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    scales = ["small", "large"] if args.scale == "both" else [args.scale]
    if os.environ.get("DATABASE_URL"):
        scales = scales[-1:]
    if len(scales) == 2:
        # Each scale in its own process and database file, so both start from a clean slate.
        import subprocess

        for name in scales:
            subprocess.run([sys.executable, __file__, "--scale", name, "--requests", str(args.requests)], check=True)
        return
    name = scales[0]
    database = None
    if not os.environ.get("DATABASE_URL"):
        database = out_dir / f"pages-{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(database) + suffix).unlink(missing_ok=True)
    setup(database)
    run(name, args.requests)


if __name__ == "__main__":
    main()
