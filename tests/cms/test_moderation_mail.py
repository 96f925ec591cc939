"""Wagtail's moderation e-mails are queued through the tasks framework (accounts.mail.email_enqueue),
never sent in the editor's or reviewer's request (issue 12, journey 1)."""

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.choices import Role
from tests.accounts.test_mail_tasks import database_queue, run_worker  # noqa: F401 (fixture)
from tests.cms.test_workflow import edit_data
from tests.factories import make_user
from tests.factories_cms import make_lesson, make_module

pytestmark = pytest.mark.django_db


def test_submitting_for_review_queues_the_reviewers_mail_instead_of_sending_it(
    client, database_queue, django_capture_on_commit_callbacks,  # noqa: F811
):
    reviewer = make_user(roles=(Role.REVIEWER,), email="relecteur@chu.example")
    draft = make_lesson(module=make_module(), live=False)
    client.force_login(make_user(roles=(Role.EDITOR,)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtailadmin_pages:edit", args=[draft.pk]), edit_data(draft, **{"action-submit": "1"})
        )
    assert response.status_code == 302
    assert mail.outbox == []  # nothing sent in the request
    queued = list(DBTaskResult.objects.filter(queue_name="email"))
    assert reviewer.email in [task.args_kwargs["kwargs"]["to"] for task in queued]
    run_worker()
    sent = [message for message in mail.outbox if message.to == [reviewer.email]]
    assert sent and draft.title in sent[0].subject + sent[0].body
