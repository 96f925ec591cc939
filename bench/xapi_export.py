"""Time to export learning records as xAPI statements (lms/xapi.py), and to serialise them as JSON.

    .venv/bin/python bench/xapi_export.py                  # 100,000 statements (10,000 learners)
    .venv/bin/python bench/xapi_export.py --learners 1000

Seeds its own SQLite file under bench/out/ (or DATABASE_URL when set) with one programme (a case
and a lesson) and, per learner, ten records: enrolment, programme completed, two pages completed,
two decision answers, one quiz attempt, one reflection, two self-assessments — written with
bulk_create, as the export reads them. Prints the statement count, the time to build them and to
write them as JSON, and the number of queries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402


def seed(learners: int):
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from cms.models import ProgrammePage
    from lms.models import DecisionAnswer, Enrolment, PageCompletion, QuizAttempt, Reflection, SelfAssessment
    from tests.factories_lms import make_course

    call_command("migrate", verbosity=0)
    programme = ProgrammePage.objects.filter(title="Bench xAPI").first()
    if programme is not None and Enrolment.objects.filter(programme=programme).count() == learners:
        return programme
    with transaction.atomic():
        course = make_course(title="Bench xAPI")
        programme, ids, now = course.programme, course.ids, timezone.now()
        users = User.objects.bulk_create(
            [User(email=f"xapi{n}@bench.test", first_name="B", last_name=str(n), profession="nurse") for n in range(learners)],
            batch_size=2000,
        )
        Enrolment.objects.bulk_create([Enrolment(user=u, programme=programme, completed_at=now) for u in users], batch_size=2000)
        PageCompletion.objects.bulk_create(
            [PageCompletion(user=u, page_id=p.pk, programme=programme) for u in users for p in (course.case, course.lesson)],
            batch_size=2000)
        DecisionAnswer.objects.bulk_create(
            [DecisionAnswer(user=u, page_id=course.case.pk, block_id=block, option_id=options[0])
             for u in users for block, options in ((ids.decision1, ids.decision1_options), (ids.decision2, ids.decision2_options))],
            batch_size=2000)
        QuizAttempt.objects.bulk_create(
            [QuizAttempt(user=u, page_id=course.case.pk, number=1, answers=ids.quiz_correct, score=100, passed=True,
                         completed_at=now) for u in users], batch_size=2000)
        Reflection.objects.bulk_create(
            [Reflection(user=u, page_id=course.case.pk, block_id=ids.reflection, submitted_at=now) for u in users],
            batch_size=2000)
        SelfAssessment.objects.bulk_create(
            [SelfAssessment(user=u, programme=programme, moment=m, levels={"cooperation": 2}) for u in users
             for m in ("before", "end")], batch_size=2000)
    return programme


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=10_000)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    setup(None if os.environ.get("DATABASE_URL") else out / f"xapi-{args.learners}.sqlite3")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lms import xapi

    programme = seed(args.learners)
    with CaptureQueriesContext(connection) as queries:
        started = time.process_time(), time.perf_counter()
        statements = list(xapi.programme_statements(programme=programme))
        built = time.process_time() - started[0], time.perf_counter() - started[1]
    started = time.perf_counter()
    payload = json.dumps(statements, ensure_ascii=False)
    serialised = time.perf_counter() - started
    print(f"statements: {len(statements):,}")
    print(f"build: {built[1]:.2f} s wall ({built[0]:.2f} s CPU), {len(queries)} queries")
    print(f"JSON: {serialised:.2f} s, {len(payload) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
