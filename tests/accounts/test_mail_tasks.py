"""Every e-mail leaves the request: it is rendered, queued after commit (accounts/mail.py) and
sent by the tasks worker, which retries a failed send with back-off and gives up loudly.

The queue is the real database backend of production (django-tasks-db) and its worker's own
`run_task`; the SMTP server is a real SMTP backend pointed at a closed port.
"""

import logging
import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accounts.mail import MAX_ATTEMPTS, RETRY_DELAYS, email_enqueue, email_send, recipient_ref
from cohorts.models import Announcement, Invitation
from cohorts.services import community_create, community_invite_cohort
from rooms.models import Message
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.rooms.factories import make_room_with_members, post

pytestmark = pytest.mark.django_db

QUEUES = ["default", "email"]


@pytest.fixture
def database_queue(settings):
    """Production's queue: tasks are stored, and nothing runs until the worker takes them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}


@pytest.fixture
def smtp_down(settings):
    """A real SMTP backend aimed at a port where nothing listens: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def queued_mails():
    return list(DBTaskResult.objects.filter(queue_name="email").order_by("enqueued_at"))


def run_worker() -> list[DBTaskResult]:
    """Run each ready e-mail task as `manage.py db_worker` does (its Worker.claim and run_task), without
    its loop, whose connection recycling a test's transaction would not survive."""
    worker = Worker(
        queue_names=["email"], interval=0, batch=True, backend_name="default", startup_delay=False,
        max_tasks=None, worker_id="test-worker", excluded_queue_names=[],
    )
    ran = []
    while (result := DBTaskResult.objects.ready().filter(queue_name="email").get_locked()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        result.refresh_from_db()
        ran.append(result)
    return ran


def invite(client, cohort, email, capture):
    client.force_login(cohort.memberships.get(role="facilitator").user)
    with capture(execute=True):
        response = client.post(reverse("cohorts:invitation_list", args=[cohort.pk]), {"email": email, "name": "Jo"})
    assert response.status_code == 302, response.content.decode()[:300]


# --- Every sender queues its e-mail; the worker sends it --------------------------------------


def test_an_invitation_is_queued_after_commit_and_sent_by_the_worker(
    client, database_queue, django_capture_on_commit_callbacks
):
    cohort = make_cohort()
    invite(client, cohort, "jo@chu.example", django_capture_on_commit_callbacks)
    assert mail.outbox == []  # nothing was sent inside the request
    (queued,) = queued_mails()
    assert queued.status == "READY" and queued.task_path == "accounts.mail.email_send"
    assert queued.args_kwargs["kwargs"]["to"] == "jo@chu.example"
    assert "/invitations/" in queued.args_kwargs["kwargs"]["body"]  # rendered before it was queued

    (ran,) = run_worker()
    assert ran.status == "SUCCESSFUL" and ran.return_value == {"sent": True}
    (message,) = mail.outbox
    assert message.to == ["jo@chu.example"] and cohort.name in message.subject
    assert message.from_email == settings.DEFAULT_FROM_EMAIL


def test_nothing_is_queued_when_the_transaction_rolls_back(database_queue, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            email_enqueue(to="jo@chu.example", subject="s", body="b")
            raise RuntimeError("the action failed")
    assert callbacks == [] and queued_mails() == []


def test_an_announcement_queues_one_mail_per_member(client, database_queue, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    members = [add_learner(cohort, language=language) for language in ("fr", "en")]
    client.force_login(cohort.memberships.get(role="facilitator").user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cohorts:announcement_create", args=[cohort.pk]), {"subject": "Jeudi", "body": "Lisez le cas 2."})
    assert response.status_code == 302
    assert mail.outbox == []
    assert sorted(task.args_kwargs["kwargs"]["to"] for task in queued_mails()) == sorted(m.email for m in members)
    run_worker()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(m.email for m in members)


def test_a_community_invitation_is_queued(database_queue, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    learner = add_learner(cohort)
    community_create(name="Parcours", slug="parcours", theme="Les parcours", programmes=[cohort.programme])
    with django_capture_on_commit_callbacks(execute=True):
        community_invite_cohort(cohort=cohort)
    assert mail.outbox == []
    facilitator = cohort.memberships.get(role="facilitator").user
    assert sorted(task.args_kwargs["kwargs"]["to"] for task in queued_mails()) == sorted([learner.email, facilitator.email])


def test_a_mention_of_someone_offline_is_queued(database_queue, django_capture_on_commit_callbacks):
    room, _facilitator, (alice, bob) = make_room_with_members()
    with django_capture_on_commit_callbacks(execute=True):
        post(room, alice, f"@{bob.display_name} qu'en pensez-vous ?")
    assert mail.outbox == []
    (queued,) = queued_mails()
    assert queued.args_kwargs["kwargs"]["to"] == bob.email
    run_worker()
    assert [message.to for message in mail.outbox] == [[bob.email]]


def test_a_password_reset_is_queued_and_its_link_works(client, database_queue, django_capture_on_commit_callbacks):
    user = make_user(email="jo@chu.example", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert mail.outbox == []
    (queued,) = queued_mails()
    assert queued.args_kwargs["kwargs"]["subject"] == settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + "Password Reset Email"
    run_worker()
    (message,) = mail.outbox
    assert "/accounts/password/reset/key/" in message.body


def test_the_signup_verification_is_queued(client, database_queue, django_capture_on_commit_callbacks):
    from tests.accounts.test_signup import signup_data

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302
    assert mail.outbox == []
    (queued,) = queued_mails()
    assert queued.args_kwargs["kwargs"]["to"] == signup_data()["email"]
    run_worker()
    assert "/accounts/confirm-email/" in mail.outbox[0].body


# --- SMTP down: the action succeeds, the send is retried, then given up, never silently -------


def test_with_smtp_down_the_invitation_succeeds_and_the_send_is_retried_with_back_off(
    client, database_queue, smtp_down, django_capture_on_commit_callbacks, caplog
):
    cohort = make_cohort()
    invite(client, cohort, "jo@chu.example", django_capture_on_commit_callbacks)
    assert Invitation.objects.filter(cohort=cohort, email="jo@chu.example", status="pending").exists()

    caplog.set_level(logging.WARNING, logger="accounts.mail")
    (first,) = run_worker()
    assert first.status == "SUCCESSFUL"  # this attempt ended; the e-mail is queued again
    assert first.return_value == {"sent": False, "error": "ConnectionRefusedError", "next_attempt": 2}
    retry = DBTaskResult.objects.get(status="READY", queue_name="email")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after - first.started_at >= timedelta(seconds=RETRY_DELAYS[0])
    assert run_worker() == []  # not before its time
    assert f"e-mail to {recipient_ref('jo@chu.example')} failed (ConnectionRefusedError), attempt 1 of" in caplog.text
    assert "jo@chu.example" not in caplog.text and "Invitation" not in caplog.text  # no address, no content


def test_a_mail_is_tried_a_bounded_number_of_times_then_fails_with_an_error(
    database_queue, smtp_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(to="jo@chu.example", subject="Sujet", body="Texte")
    caplog.set_level(logging.WARNING, logger="accounts.mail")
    attempts = []
    while ready := DBTaskResult.objects.filter(status="READY", queue_name="email"):
        ready.update(run_after=timezone.now())  # time passes
        attempts += run_worker()
    assert len(attempts) == MAX_ATTEMPTS
    assert [a.args_kwargs["kwargs"]["attempt"] for a in attempts] == list(range(1, MAX_ATTEMPTS + 1))
    assert [a.status for a in attempts] == ["SUCCESSFUL"] * (MAX_ATTEMPTS - 1) + ["FAILED"]
    assert attempts[-1].exception_class_path == "builtins.ConnectionRefusedError"
    errors = [r for r in caplog.records if r.name == "accounts.mail" and r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        f"e-mail to {recipient_ref('jo@chu.example')} failed (ConnectionRefusedError), attempt {MAX_ATTEMPTS} of {MAX_ATTEMPTS}: given up"
    ]
    assert DBTaskResult.objects.filter(queue_name="email", status="FAILED").count() == 1  # the e-mail never sent


def test_a_retried_mail_is_sent_once_smtp_is_back(database_queue, smtp_down, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(to="jo@chu.example", subject="Sujet", body="Texte", html="<p>Texte</p>")
    run_worker()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server answers again
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    (second,) = run_worker()
    assert second.return_value == {"sent": True}
    (message,) = mail.outbox
    assert (message.to, message.subject, message.body, message.alternatives[0][0]) == (
        ["jo@chu.example"], "Sujet", "Texte", "<p>Texte</p>"
    )


def test_with_the_immediate_backend_and_smtp_down_an_announcement_still_succeeds(
    client, smtp_down, django_capture_on_commit_callbacks, caplog
):
    cohort = make_cohort()
    learner = add_learner(cohort)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cohorts:announcement_create", args=[cohort.pk]), {"subject": "Jeudi", "body": "Texte"})
    assert response.status_code == 302
    assert Announcement.objects.filter(cohort=cohort, subject="Jeudi").exists()
    # `make run` runs a task at once and cannot run it later: one attempt, logged as given up.
    assert f"e-mail to {recipient_ref(learner.email)} failed (ConnectionRefusedError), attempt 1 of" in caplog.text
    assert "given up" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_with_smtp_down_a_mention_through_the_socket_is_stored_and_its_mail_queued(database_queue, smtp_down):
    from channels.db import database_sync_to_async as db
    from channels.layers import channel_layers

    from tests.rooms.rooms_ws import joined, receive_until, send

    channel_layers.backends.clear()
    room, _facilitator, (alice, bob) = await db(make_room_with_members)()
    socket_, _opening = await joined(room.pk, alice)
    await send(socket_, {"type": "message.send", "client_id": "m1", "body": f"@{bob.display_name} tu relis ?"})
    await receive_until(socket_, "ack")
    await socket_.disconnect()
    channel_layers.backends.clear()
    assert await db(Message.objects.filter(room=room, author=alice).count)() == 1
    (queued,) = await db(queued_mails)()
    assert queued.args_kwargs["kwargs"]["to"] == bob.email and queued.status == "READY"


def test_a_mail_the_queue_refuses_is_logged_and_the_action_goes_on(settings, django_capture_on_commit_callbacks, caplog):
    # A backend without the "email" queue refuses the task when it is enqueued.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(to="jo@chu.example", subject="s", body="b")
    assert DBTaskResult.objects.count() == 0
    assert f"e-mail to {recipient_ref('jo@chu.example')} could not be queued (attempt 1): it will not be sent" in caplog.text


def test_the_task_takes_only_plain_strings(database_queue, django_capture_on_commit_callbacks):
    from django.utils.translation import gettext_lazy

    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(to="jo@chu.example", subject=gettext_lazy("Promotion"), body="b")
    assert queued_mails()[0].args_kwargs["kwargs"]["subject"] == "Promotion"
    assert email_send.queue_name == "email"


def test_the_recipient_reference_is_stable_and_hides_the_address():
    assert recipient_ref("Jo@CHU.example ") == recipient_ref("jo@chu.example")
    assert recipient_ref("jo@chu.example") != recipient_ref("al@chu.example")
    assert "jo" not in recipient_ref("jo@chu.example") and len(recipient_ref("jo@chu.example")) == 12


def test_make_run_sends_at_once_and_production_queues_in_the_database():
    from tests.accounts.test_settings import _print_setting

    expression = "settings.TASKS['default']['BACKEND'], settings.EMAIL_TIMEOUT, 'django_tasks_db' in settings.INSTALLED_APPS"
    assert _print_setting("config.settings.dev", expression) == "django_tasks.backends.immediate.ImmediateBackend 10 True"
    production = _print_setting(
        "config.settings.production", expression, SECRET_KEY="k" * 60,
        DATABASE_URL="postgres://passerelles@127.0.0.1:5432/passerelles", REDIS_URL="redis://127.0.0.1:6379/9",
    )
    assert production == "django_tasks_db.DatabaseBackend 10 True"


def test_no_code_sends_an_e_mail_but_the_task():
    """The one e-mail path: `send_mail` and friends appear nowhere but in accounts/mail.py."""
    import re
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    sending = re.compile(r"\b(send_mass_mail|mail_admins|mail_managers|EmailMessage|EmailMultiAlternatives)\b|(?<!def )\bsend_mail\(")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for app in ("accounts", "cms", "lms", "cohorts", "config")
        for path in (root / app).rglob("*.py")
        if path != root / "accounts" / "mail.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if sending.search(line)
    ]
    assert offenders == []
