"""The audit log's place in the Wagtail admin, and its part in erasing an account."""

from auditlog.models import LogEntry
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from accounts.audit_admin import AuditViewSetGroup, ReadOnlyPolicy
from accounts.models import SecurityEvent

register_permission_policy(SecurityEvent, ReadOnlyPolicy(SecurityEvent))
register_permission_policy(LogEntry, ReadOnlyPolicy(LogEntry))


@hooks.register("register_admin_viewset")
def register_audit_viewsets():
    return AuditViewSetGroup()


@hooks.register("user_erase")
def audit_user_erase(user) -> None:
    """django-auditlog keeps the actor's e-mail beside each change: an erased person's goes.
    The entries themselves stay (who changed what, by account number) until AUDIT_RETENTION_DAYS."""
    LogEntry.objects.filter(actor=user).update(actor_email=None)
