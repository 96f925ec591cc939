"""How long the requests that write e-mails take while the SMTP server is down.

    .venv/bin/python bench/mail_outage.py              # 5 invitations and 1 announcement per outage
    .venv/bin/python bench/mail_outage.py --runs 10 --timeout 10

First with a server that answers (Django's in-memory backend: the request's own cost), then two
outages, each on a port of this machine: *refused* (nothing listens: each connection fails at
once) and *silent* (the port accepts connections but never greets, like a hung or firewalled
server: each attempt waits EMAIL_TIMEOUT). For each, the cohort's facilitator posts the invitation
form and an announcement to a cohort of 30 through Django's test client (full middleware stack,
in process, on a fresh SQLite file), with the production tasks backend (django-tasks-db): prints
the status and wall time of each request, then (but for the silent server) runs the worker once
(`db_worker --batch`) and counts the e-mails sent and those queued again for later. Prints
figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup  # noqa: E402


def seed():
    from django.core.management import call_command

    from tests.factories_cohorts import add_learner, make_cohort

    call_command("migrate", verbosity=0)
    cohort = make_cohort(name="Bench", capacity=500)
    for _ in range(30):
        add_learner(cohort)
    return cohort


def timed(client, url: str, data: dict) -> tuple[int, float]:
    start = time.perf_counter()
    response = client.post(url, data)
    return response.status_code, (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="invitations per outage")
    parser.add_argument("--timeout", type=int, default=10, help="EMAIL_TIMEOUT, seconds")
    args = parser.parse_args()

    setup(Path(tempfile.mkdtemp()) / "mail.sqlite3")
    import logging

    logging.disable(logging.WARNING)  # one line per failed attempt otherwise; the counts are printed
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from django.test.utils import override_settings

    override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}).enable()
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT, settings.EMAIL_USE_TLS = "127.0.0.1", args.timeout, False
    cohort = seed()
    client = Client(raise_request_exception=False)
    client.force_login(cohort.memberships.get(role="facilitator").user)

    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    refused_port = refused.getsockname()[1]
    refused.close()  # nothing listens there any more
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1000)  # connections complete in the kernel; nobody ever answers

    print(f"EMAIL_TIMEOUT={args.timeout}s, tasks backend {settings.TASKS['default']['BACKEND']}")
    print(f"{'outage':<8} {'request':<28} {'statuses':<14} {'median ms':>10} {'max ms':>10}")
    for name, port in (("none", None), ("refused", refused_port), ("silent", silent.getsockname()[1])):
        # "none": the server answers (Django's in-memory backend), the cost of the request itself.
        settings.EMAIL_BACKEND = f"django.core.mail.backends.{'locmem' if port is None else 'smtp'}.EmailBackend"
        settings.EMAIL_PORT = port
        invitations = [
            timed(client, reverse("cohorts:invitation_list", args=[cohort.pk]), {"email": f"{name}{i}@chu.example"})
            for i in range(args.runs)
        ]
        announcement = [timed(client, reverse("cohorts:announcement_create", args=[cohort.pk]),
                              {"subject": f"Jeudi {name}", "body": "Lisez le cas 2."})]
        for label, results in (("invitation (1 e-mail)", invitations), ("announcement (30 e-mails)", announcement)):
            statuses = ",".join(sorted({str(code) for code, _ms in results}))
            times = [ms for _code, ms in results]
            print(f"{name:<8} {label:<28} {statuses:<14} {statistics.median(times):>10.1f} {max(times):>10.1f}")
        if name != "silent":  # the silent server would hold the worker EMAIL_TIMEOUT per e-mail
            from django.core.management import call_command
            from django.utils import timezone
            from django_tasks_db.models import DBTaskResult

            started, start = timezone.now(), time.perf_counter()
            call_command("db_worker", batch=True, startup_delay=False, reload=False, queue_name="email", verbosity=0)
            ran = DBTaskResult.objects.filter(queue_name="email", started_at__gte=started)
            sent = sum(1 for value in ran.values_list("return_value", flat=True) if value == {"sent": True})
            print(f"{'':<8} worker: {ran.count()} e-mails in {time.perf_counter() - start:.1f} s, {sent} sent, "
                  f"{ran.count() - sent} queued again for later")
    silent.close()


if __name__ == "__main__":
    main()
