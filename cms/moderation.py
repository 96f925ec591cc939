"""Wagtail's moderation e-mails (submitted for review, approved, changes requested), sent through
the platform's one way of sending e-mail (`accounts.mail.email_enqueue`: after commit, by the tasks
worker, retried) instead of Wagtail's own in-request `send_mail`.

Wagtail connects its notifiers to the workflow signals (`wagtail.admin.signal_handlers`); `connect()`
replaces each of them, under the same `dispatch_uid`, by the same notifier whose `send_emails`
renders Wagtail's templates (subject, text, HTML when enabled) in the recipient's language and
queues the message.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import override
from wagtail.admin import mail as wagtail_mail
from wagtail.admin import signal_handlers
from wagtail.models import TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted

from accounts.mail import email_enqueue


class QueuedEmailMixin:
    def send_emails(self, template_set, context, recipients, **kwargs):
        for recipient in recipients:
            context["user"] = recipient
            with override(recipient.wagtail_userprofile.get_preferred_language()):
                subject = render_to_string(template_set["subject"], context).strip()
                body = render_to_string(template_set["text"], context).strip()
                html = (
                    render_to_string(template_set["html"], context)
                    if getattr(settings, "WAGTAILADMIN_NOTIFICATION_USE_HTML", False) else ""
                )
            email_enqueue(to=recipient.email, subject=subject, body=body, html=html)
        return True


class TaskSubmissionNotifier(QueuedEmailMixin, wagtail_mail.GroupApprovalTaskStateSubmissionEmailNotifier):
    pass


class WorkflowSubmissionNotifier(QueuedEmailMixin, wagtail_mail.WorkflowStateSubmissionEmailNotifier):
    pass


class WorkflowApprovalNotifier(QueuedEmailMixin, wagtail_mail.WorkflowStateApprovalEmailNotifier):
    pass


class WorkflowRejectionNotifier(QueuedEmailMixin, wagtail_mail.WorkflowStateRejectionEmailNotifier):
    pass


# (signal, sender, Wagtail's dispatch_uid, Wagtail's notifier, ours)
NOTIFIERS = [
    (task_submitted, TaskState, "group_approval_task_submitted_email_notification",
     signal_handlers.task_submission_email_notifier, TaskSubmissionNotifier()),
    (workflow_submitted, WorkflowState, "workflow_state_submitted_email_notification",
     signal_handlers.workflow_submission_email_notifier, WorkflowSubmissionNotifier()),
    (workflow_rejected, WorkflowState, "workflow_state_rejected_email_notification",
     signal_handlers.workflow_rejection_email_notifier, WorkflowRejectionNotifier()),
    (workflow_approved, WorkflowState, "workflow_state_approved_email_notification",
     signal_handlers.workflow_approval_email_notifier, WorkflowApprovalNotifier()),
]


def connect() -> None:
    for signal, sender, uid, theirs, ours in NOTIFIERS:
        signal.disconnect(theirs, sender=sender, dispatch_uid=uid)
        signal.connect(ours, sender=sender, dispatch_uid=uid)
