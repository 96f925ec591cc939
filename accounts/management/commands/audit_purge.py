"""Delete audit-log entries older than AUDIT_RETENTION_DAYS (run daily; docs/deploy.md, docs/security.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.audit import audit_purge


class Command(BaseCommand):
    help = "Delete security events and django-auditlog entries older than AUDIT_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead of AUDIT_RETENTION_DAYS.")

    def handle(self, *args, days=None, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        events, entries = audit_purge(days=days)
        self.stdout.write(f"audit_purge: {events} security events and {entries} model changes older than {days} days deleted.")
