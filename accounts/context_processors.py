"""Template context every page needs for its header."""

from django.utils.functional import SimpleLazyObject


def _can_access_admin(user) -> bool:
    """Through `has_perm`, so the permission cache Wagtail's own checks fill is shared."""
    return bool(user and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    return {"can_access_admin": SimpleLazyObject(lambda: _can_access_admin(user))}
