"""Template context every page needs for its header."""

from django.utils.functional import SimpleLazyObject

from accounts.backends import can_access_admin


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    return {"can_access_admin": SimpleLazyObject(lambda: can_access_admin(user))}
