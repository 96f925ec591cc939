"""Learning records as xAPI 1.0.3 statements (https://github.com/adlnet/xAPI-Spec), for an
institution's learning record store.

- Actor: an Agent identified by an account — `homePage` the site's URL, `name` the account's number
  (stable across e-mail and name changes) — never the e-mail address unless `XAPI_ACTOR_EMAIL` is set.
- Verbs: the ADL vocabulary (http://adlnet.gov/expapi/verbs/…).
- Activity ids: stable IRIs under the site, by page id (`<site>/xapi/activities/pages/<id>`), which
  survive a page's move or new slug; the statement names the page's current URL in its definition.
  They resolve: `lms.views.xapi_activity` redirects them (302) to the page's current URL, 404 for a
  page that is unknown, unpublished or restricted.
- Statement ids: UUID 5 of the record, so exporting or sending twice gives the same statements
  (an LRS stores a statement id once).
Live session attendance comes from the `xapi_statements` hook (`fn(programme_page, user_ids) ->
list[dict]` of statements, built with `statement` and `activity`), which cohorts registers.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from wagtail import hooks

from cms.models import ProgrammePage
from lms.models import DecisionAnswer, Enrolment, PageCompletion, QuizAttempt, Reflection, SelfAssessment
from lms.selectors import programme_structure

logger = logging.getLogger(__name__)

VERSION = "1.0.3"
NAMESPACE = uuid.UUID("0c6a7f38-5d8e-4b0e-9d0c-1f3b2a6e7d55")
XAPI_STATEMENTS_HOOK = "xapi_statements"
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "registered": {"en-US": "registered", "fr-FR": "s'est inscrit·e"},
    "completed": {"en-US": "completed", "fr-FR": "a terminé"},
    "answered": {"en-US": "answered", "fr-FR": "a répondu"},
    "passed": {"en-US": "passed", "fr-FR": "a réussi"},
    "failed": {"en-US": "failed", "fr-FR": "a échoué"},
    "responded": {"en-US": "responded", "fr-FR": "a rédigé"},
    "attended": {"en-US": "attended", "fr-FR": "a participé à"},
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "interaction": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/question",
    "meeting": "http://adlnet.gov/expapi/activities/meeting",
}


def _site() -> str:
    return settings.SITE_URL.rstrip("/")


def actor(user_id: int, email: str = "") -> dict:
    if getattr(settings, "XAPI_ACTOR_EMAIL", False) and email:
        return {"objectType": "Agent", "mbox": f"mailto:{email}"}
    return {"objectType": "Agent", "account": {"homePage": _site(), "name": str(user_id)}}


def activity_id(page_id: int, suffix: str = "") -> str:
    return f"{_site()}/xapi/activities/pages/{page_id}" + (f"/{suffix}" if suffix else "")


def activity(page_id: int, titles: dict[int, str], kind: str, suffix: str = "") -> dict:
    return {
        "objectType": "Activity",
        "id": activity_id(page_id, suffix),
        "definition": {"type": ACTIVITY_TYPES[kind], "name": {"fr-FR": titles.get(page_id, str(page_id))}},
    }


def statement(key: str, *, user_id: int, email: str, verb: str, obj: dict, timestamp, programme_id: int,
               titles: dict[int, str], result: dict | None = None) -> dict:
    built = {
        "id": str(uuid.uuid5(NAMESPACE, key)),
        "actor": actor(user_id, email),
        "verb": {"id": ADL + verb, "display": VERBS[verb]},
        "object": obj,
        "timestamp": timestamp.isoformat(),
        "version": VERSION,
        "context": {"platform": "Passerelles", "contextActivities": {
            "grouping": [activity(programme_id, titles, "course")]}},
    }
    if result:
        built["result"] = result
    return built


def programme_statements(*, programme, user_ids: set[int] | None = None) -> Iterator[dict]:
    """Every learning record of the programme (or of `user_ids`, one cohort) as statements. A fixed
    number of queries whatever the number of records (one per kind of record, plus page titles)."""
    structure = programme_structure(programme=programme)
    page_ids = structure.page_ids
    titles = {p.pk: p.title for p in structure.pages}
    titles[programme.pk] = programme.title
    emails: dict[int, str] = {}

    def mine(queryset):
        return queryset if user_ids is None else queryset.filter(user_id__in=user_ids)

    for e in mine(Enrolment.objects.filter(programme_id=programme.pk)).values_list(
        "pk", "user_id", "user__email", "enrolled_at", "completed_at"
    ):
        pk, user_id, email, enrolled_at, completed_at = e
        emails[user_id] = email
        common = {"user_id": user_id, "email": email, "programme_id": programme.pk, "titles": titles}
        course = activity(programme.pk, titles, "course")
        yield statement(f"enrolment:{pk}", verb="registered", obj=course, timestamp=enrolled_at, **common)
        if completed_at:
            yield statement(f"programme-completed:{pk}", verb="completed", obj=course, timestamp=completed_at,
                             result={"completion": True}, **common)

    def common(user_id):
        return {"user_id": user_id, "email": emails.get(user_id, ""), "programme_id": programme.pk, "titles": titles}

    for pk, user_id, page_id, at in mine(PageCompletion.objects.filter(programme_id=programme.pk)).values_list(
        "pk", "user_id", "page_id", "completed_at"
    ):
        yield statement(f"page:{pk}", verb="completed", obj=activity(page_id, titles, "lesson"), timestamp=at,
                         result={"completion": True}, **common(user_id))
    for pk, user_id, page_id, block_id, option_id, at in mine(
        DecisionAnswer.objects.filter(page_id__in=page_ids)
    ).values_list("pk", "user_id", "page_id", "block_id", "option_id", "submitted_at"):
        yield statement(f"decision:{pk}", verb="answered", obj=activity(page_id, titles, "interaction", block_id),
                         timestamp=at, result={"response": option_id}, **common(user_id))
    for pk, user_id, page_id, score, passed, at in mine(
        QuizAttempt.objects.filter(page_id__in=page_ids, completed_at__isnull=False)
    ).values_list("pk", "user_id", "page_id", "score", "passed", "completed_at"):
        yield statement(f"quiz:{pk}", verb="passed" if passed else "failed",
                         obj=activity(page_id, titles, "assessment", "quiz"), timestamp=at,
                         result={"score": {"scaled": score / 100, "raw": score, "min": 0, "max": 100},
                                 "success": passed, "completion": True}, **common(user_id))
    for pk, user_id, page_id, block_id, at in mine(
        Reflection.objects.filter(page_id__in=page_ids, submitted_at__isnull=False)
    ).values_list("pk", "user_id", "page_id", "block_id", "submitted_at"):
        # The text stays on the platform: the statement says a reflection was submitted, not what it says.
        yield statement(f"reflection:{pk}", verb="responded", obj=activity(page_id, titles, "question", block_id),
                         timestamp=at, **common(user_id))
    for pk, user_id, moment, levels, at in mine(SelfAssessment.objects.filter(programme_id=programme.pk)).values_list(
        "pk", "user_id", "moment", "levels", "submitted_at"
    ):
        yield statement(f"self-assessment:{pk}", verb="responded",
                         obj=activity(programme.pk, titles, "assessment", f"self-assessment/{moment}"), timestamp=at,
                         result={"extensions": {f"{_site()}/xapi/extensions/competency-levels": levels}},
                         **common(user_id))
    for fn in hooks.get_hooks(XAPI_STATEMENTS_HOOK):
        yield from fn(programme, user_ids) or []


# --- Sending to a learning record store ------------------------------------------------------

BATCH = 500  # statements per POST
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)  # seconds before attempts 2 to 5, as for e-mail
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def lrs_configured() -> bool:
    return bool(settings.XAPI_LRS_URL)


def _post(statements: list[dict]) -> None:
    """POST a batch to the LRS's statements resource (xAPI 1.0.3, Part Three §2.1), with HTTP Basic
    authentication; raises on a network error or any answer but 200/204."""
    credentials = base64.b64encode(f"{settings.XAPI_LRS_KEY}:{settings.XAPI_LRS_SECRET}".encode()).decode()
    request = urllib.request.Request(
        settings.XAPI_LRS_URL.rstrip("/") + "/statements", method="POST",
        data=json.dumps(statements, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "X-Experience-API-Version": VERSION,
                 "Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — the URL is the admin's setting
        if response.status not in (200, 204):
            raise OSError(f"LRS answered {response.status}")


def lrs_push_enqueue(*, programme, user_ids: set[int] | None = None) -> None:
    """Queue the sending of the programme's statements once the current transaction commits: the
    request that asked for it never waits for the LRS."""
    ids = sorted(user_ids) if user_ids is not None else None
    transaction.on_commit(lambda: xapi_push.enqueue(programme_id=programme.pk, user_ids=ids, attempt=1))


@task(queue_name="default")
def xapi_push(*, programme_id: int, user_ids: list[int] | None = None, attempt: int = 1) -> dict:
    """Send every statement of a programme (or of `user_ids`) to the LRS in batches. Statement ids are
    stable, so a retry after a partial failure sends the same statements again and the LRS keeps one
    of each. On failure, queued again after `RETRY_DELAYS`; the last attempt re-raises."""
    programme = ProgrammePage.objects.get(pk=programme_id)
    statements = list(programme_statements(programme=programme, user_ids=set(user_ids) if user_ids is not None else None))
    try:
        for start in range(0, len(statements), BATCH):
            _post(statements[start:start + BATCH])
    except OSError as error:
        if attempt >= MAX_ATTEMPTS or not xapi_push.get_backend().supports_defer:
            logger.error("xAPI push of programme %s failed (%s), attempt %d of %d: given up",
                         programme_id, type(error).__name__, attempt, MAX_ATTEMPTS)
            raise
        delay = RETRY_DELAYS[attempt - 1]
        logger.warning("xAPI push of programme %s failed (%s), attempt %d: retried in %d s",
                       programme_id, type(error).__name__, attempt, delay)
        xapi_push.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            programme_id=programme_id, user_ids=user_ids, attempt=attempt + 1)
        return {"sent": False, "next_attempt": attempt + 1}
    return {"sent": len(statements)}
