"""Reads on accounts."""

from accounts.choices import Role
from accounts.models import User

# The roles whose group holds wagtailadmin.access_admin (accounts/migrations/0002_roles.py).
ADMIN_ROLES = (Role.EDITOR, Role.REVIEWER, Role.ADMIN)


def user_can_access_admin(*, user: User) -> bool:
    """Whether to offer the Wagtail admin link; one query instead of loading every permission."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=[role.value for role in ADMIN_ROLES]).exists()
