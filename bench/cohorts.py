"""Server time and query counts of the cohort pages, next to a floor measured in the same run.

    .venv/bin/python bench/cohorts.py                 # small then large data set
    .venv/bin/python bench/cohorts.py --scale large --requests 100

Each scale is seeded in its own SQLite file under bench/out/ (or in DATABASE_URL when set:
then only one scale runs, in that database). Large: a cohort of 60 learners on a programme of
12 modules (one case each), groups formed, schedule set; decision answers when lms is present.
Pages are requested through Django's test client (full middleware stack, in process) as the
cohort's facilitator; the floor is /_bench/floor. Prints median and p95 CPU time per request
and the query count of each page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402

SCALES = {"small": {"learners": 5, "modules": 2}, "large": {"learners": 60, "modules": 12}}


def seed(scale: dict) -> int:
    from django.core.management import call_command
    from django.db import transaction

    from cohorts.models import Cohort
    from cohorts.services import groups_form, schedule_save
    from tests.factories_cohorts import add_learner, make_cohort, make_programme

    call_command("migrate", verbosity=0)
    existing = Cohort.objects.filter(name="Bench").first()
    if existing:
        return existing.pk
    with transaction.atomic():
        programme = make_programme(modules=scale["modules"], cases_per_module=1,
                                   audience=("director", "physician", "nurse", "regulator"))
        cohort = make_cohort(programme=programme, name="Bench", capacity=500)
        professions = ["director", "physician", "nurse", "regulator", "other"]
        levels = ["team", "establishment", "region", "nation"]
        learners = [add_learner(cohort, profession=professions[i % 5], level=levels[i % 4], organisation=f"CH {i % 9}")
                    for i in range(scale["learners"])]
        groups_form(cohort=cohort, size=5, seed=1)
        from cms.models import CaseStudyPage, ModulePage
        from django.utils import timezone

        now = timezone.now()
        modules = list(ModulePage.objects.child_of(programme).order_by("path"))
        schedule_save(cohort=cohort, items=[
            {"page": m, "label": m.title, "opens_at": now, "due_at": now + timezone.timedelta(days=7 * (i + 1))}
            for i, m in enumerate(modules)
        ])
        from cms.selectors import case_outline
        from lms.services import LearningError, decision_answer_submit

        for case in CaseStudyPage.objects.descendant_of(programme).order_by("path")[:3]:
            spec = case_outline(case).decision_points[0]
            for i, learner in enumerate(learners):
                try:
                    decision_answer_submit(user=learner, page=case, block_id=spec.id,
                                           option_id=spec.options[i % len(spec.options)].id, rationale="Parce que.")
                except LearningError:  # a closed episode: skip
                    pass
    return cohort.pk


def measure(client, url: str, requests: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        client.get(url)
    times = []
    for _ in range(requests):
        start = time.process_time()
        response = client.get(url)
        times.append((time.process_time() - start) * 1000)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(captured.captured_queries), response.status_code


def run(scale_name: str, requests: int) -> None:
    from django.test import Client

    from cohorts.models import Cohort

    cohort_id = seed(SCALES[scale_name])
    cohort = Cohort.objects.get(pk=cohort_id)
    facilitator = cohort.memberships.get(role="facilitator").user
    client = Client()
    client.force_login(facilitator)
    pages = [
        ("floor /_bench/floor", "/_bench/floor"),
        ("facilitator dashboard", f"/cohorts/{cohort_id}/dashboard/"),
        ("cohort page", f"/cohorts/{cohort_id}/"),
        ("groups page", f"/cohorts/{cohort_id}/groups/"),
        ("progress CSV", f"/cohorts/{cohort_id}/dashboard/progress.csv"),
    ]
    learners = cohort.memberships.filter(role="learner").count()
    print(f"\n== {scale_name}: {learners} learners, {SCALES[scale_name]['modules']} modules, {requests} requests per page ==")
    print(f"{'page':28} {'CPU ms p50':>10} {'p95':>8} {'× floor':>8} {'queries':>8} {'status':>7}")
    floor = None
    for label, url in pages:
        p50, p95, queries, status = measure(client, url, requests)
        floor = floor or p50
        print(f"{label:28} {p50:10.2f} {p95:8.2f} {p50 / floor:8.1f} {queries:8d} {status:7d}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=[*SCALES, "both"], default="both")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    if os.environ.get("DATABASE_URL"):
        setup(None)
        run("large" if args.scale == "both" else args.scale, args.requests)
        return
    scales = list(SCALES) if args.scale == "both" else [args.scale]
    if len(scales) > 1:
        # One Django set-up per process: run each scale in a child process on its own file.
        import subprocess

        for name in scales:
            subprocess.run([sys.executable, __file__, "--scale", name, "--requests", str(args.requests)], check=True)
        return
    setup(out / f"cohorts-{scales[0]}.sqlite3")
    run(scales[0], args.requests)


if __name__ == "__main__":
    main()
