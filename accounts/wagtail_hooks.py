"""What accounts adds to other apps through Wagtail hooks (see docs/architecture.md)."""

from allauth.account.models import EmailAddress
from django.utils.translation import gettext
from wagtail import hooks

from accounts.services import user_traces_erase


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
