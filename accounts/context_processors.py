"""Template context every page needs for its header."""

from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.functional import SimpleLazyObject


def _can_access_admin(user) -> bool:
    """One query instead of the two that `perms.wagtailadmin.access_admin` costs."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if hasattr(user, "_perm_cache"):
        # The view already loaded every permission (ModelBackend caches them on the user).
        return user.has_perm("wagtailadmin.access_admin")
    return Permission.objects.filter(
        Q(group__user=user) | Q(user=user), content_type__app_label="wagtailadmin", codename="access_admin"
    ).exists()


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    return {"can_access_admin": SimpleLazyObject(lambda: _can_access_admin(user)) if user else False}
