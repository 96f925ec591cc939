"""Template context every page frame needs, computed only when a template uses it."""

from django.utils.functional import SimpleLazyObject

from accounts.selectors import user_can_access_admin


def account(request) -> dict:
    return {"can_access_admin": SimpleLazyObject(lambda: user_can_access_admin(user=request.user))}
