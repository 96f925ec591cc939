"""What accounts adds through Wagtail hooks (see docs/architecture.md): the audit log's place in the
Wagtail admin, and accounts' part in exporting and erasing a person's data."""

from allauth.account.models import EmailAddress
from django.utils.translation import gettext
from auditlog.models import LogEntry
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from accounts.audit import audit_actor_forget
from accounts.audit_admin import AuditViewSetGroup, ReadOnlyPolicy
from accounts.models import SecurityEvent
from accounts.services import user_traces_erase

register_permission_policy(SecurityEvent, ReadOnlyPolicy(SecurityEvent))
register_permission_policy(LogEntry, ReadOnlyPolicy(LogEntry))


@hooks.register("register_admin_viewset")
def register_audit_viewsets():
    return AuditViewSetGroup()


@hooks.register("user_erase")
def audit_user_erase(user) -> None:
    audit_actor_forget(user)


@hooks.register("user_data_export")
def accounts_user_data_export(user) -> dict:
    """The e-mail addresses the person registered (docs/privacy.md); the profile itself is exported by lms."""
    return {
        "email_addresses": list(EmailAddress.objects.filter(user=user).values("email", "verified", "primary")),
    }


@hooks.register("user_erase")
def accounts_user_erase(user) -> None:
    """Sessions on every device, e-mail addresses, admin profile, queued e-mails, names in admin logs."""
    user_traces_erase(user=user, replacement=gettext("Ancien·ne participant·e"))
