"""Who must sign in with a second factor (allauth.mfa), and whether they have one.

Editors, reviewers, facilitators and admins publish, approve, moderate and manage people: when
PASSERELLES_MFA_REQUIRED is on, accounts.middleware.MFARequiredMiddleware sends such a person
without a factor to the set-up page and lets them do nothing else. See docs/security.md.
"""

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from accounts.backends import can_access_admin
from accounts.choices import Role

MFA_ROLES = (Role.EDITOR, Role.REVIEWER, Role.FACILITATOR, Role.ADMIN)
# The answer for this session's user, so the check costs no query once settled; forgotten at
# every login and whenever a factor is removed (accounts/signals.py).
SESSION_KEY = "passerelles_mfa_settled"


def mfa_required_for(user) -> bool:
    """Must `user` have a second factor? Only when the setting is on, and only for the roles above
    (and anyone who may reach an admin)."""
    if not settings.PASSERELLES_MFA_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff or can_access_admin(user):
        return True
    return user.groups.filter(name__in=[role.value for role in MFA_ROLES]).exists()


def mfa_missing(request) -> bool:
    """True when the signed-in user must have a second factor and has none yet."""
    user = request.user
    if request.session.get(SESSION_KEY) == user.pk:
        return False
    missing = mfa_required_for(user) and not is_mfa_enabled(user)
    if not missing:
        request.session[SESSION_KEY] = user.pk
    return missing


def mfa_settled_forget(request) -> None:
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)
