"""Queue the "three months later" self-assessment reminders that are due (run daily; docs/deploy.md)."""

from django.core.management.base import BaseCommand

from lms.services import self_assessment_reminders_send


class Command(BaseCommand):
    help = "E-mail learners who finished a programme three months ago the link to their last self-assessment."

    def handle(self, *args, **options):
        count = self_assessment_reminders_send()
        self.stdout.write(f"self_assessment_reminders: {count} reminders queued.")
