"""The one way the platform sends an e-mail: rendered by the caller, queued after commit, sent by
the tasks worker, retried with back-off.

A sender renders the message in the recipient's language (`accounts.i18n.in_recipient_language`)
and calls `email_enqueue` with the rendered strings. Once the sender's transaction commits, they
are queued as one `email_send` task on the "email" queue; in production `manage.py db_worker`
sends it (docs/deploy.md), so a slow or unreachable SMTP server never slows or breaks the action
that wrote the e-mail. A failed attempt is logged — the recipient as `recipient_ref`, never the
address or the text — and queued again after `RETRY_DELAYS`; after `MAX_ATTEMPTS` the task ends
as failed, logged as an error, and stays in the queue's table until pruned.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_tasks import task

logger = logging.getLogger(__name__)

# Seconds before attempts 2, 3, 4 and 5: an SMTP outage of about two and a half hours loses nothing.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 60 * 60)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def recipient_ref(address: str) -> str:
    """What the logs say instead of an address: a keyed hash, the same for every e-mail to it
    (run `recipient_ref("jo@example.fr")` in `manage.py shell` to find someone's e-mails)."""
    return salted_hmac("accounts.mail.recipient", address.strip().lower()).hexdigest()[:12]


def email_enqueue(*, to: str, subject: str, body: str, html: str = "", from_email: str = "") -> None:
    """Send one rendered e-mail to `to` once the current transaction commits, outside the request.

    Plain strings only (lazy translations are rendered here): the task's arguments are stored as JSON.
    """
    message = {"to": str(to), "subject": str(subject), "body": str(body), "html": str(html), "from_email": str(from_email)}
    transaction.on_commit(lambda: _enqueue(message, attempt=1))


def _enqueue(message: dict, *, attempt: int, run_after: datetime | None = None) -> None:
    queued = email_send if run_after is None else email_send.using(run_after=run_after)
    try:
        queued.enqueue(**message, attempt=attempt)
    except Exception:  # noqa: BLE001 — the triggering action has committed; it must not fail now
        logger.exception("e-mail to %s could not be queued (attempt %d): it will not be sent",
                         recipient_ref(message["to"]), attempt)


@task(queue_name="email")
def email_send(*, to: str, subject: str, body: str, html: str = "", from_email: str = "", attempt: int = 1) -> dict:
    """Send one e-mail. On failure, queue it again later (a new task, `attempt` + 1) and end this one
    normally; the last attempt re-raises, so a failed task on this queue is an e-mail never sent."""
    message = EmailMultiAlternatives(subject, body, from_email or None, [to])
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as error:
        ref, reason = recipient_ref(to), type(error).__name__
        # The immediate backend (`make run`, tests) cannot run a task later: one attempt only.
        if attempt >= MAX_ATTEMPTS or not email_send.get_backend().supports_defer:
            logger.error("e-mail to %s failed (%s), attempt %d of %d: given up", ref, reason, attempt, MAX_ATTEMPTS)
            raise
        delay = RETRY_DELAYS[attempt - 1]
        logger.warning("e-mail to %s failed (%s), attempt %d of %d: retried in %d s",
                       ref, reason, attempt, MAX_ATTEMPTS, delay)
        retry = {"to": to, "subject": subject, "body": body, "html": html, "from_email": from_email}
        _enqueue(retry, attempt=attempt + 1, run_after=timezone.now() + timedelta(seconds=delay))
        return {"sent": False, "error": reason, "next_attempt": attempt + 1}
    return {"sent": True}
