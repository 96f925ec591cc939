"""The one place accounts relies on a Django internal, fenced so an upgrade that changes it fails a test
(`tests/accounts/test_django_adapter.py`) rather than silently costing queries.

Django's `ModelBackend` keeps a user's permissions on the user object as `_perm_cache`
(django/contrib/auth/backends.py) and every backend built on it reads that cache first — allauth's
authentication backend, the second one in AUTHENTICATION_BACKENDS, is one. `accounts.backends`
fills it in one query, so no backend asks again during the request.
"""


def permission_cache_get(user) -> set[str] | None:
    """The permissions already read for `user` in this request, or None."""
    return getattr(user, "_perm_cache", None)


def permission_cache_set(user, permissions: set[str]) -> set[str]:
    """Keep `permissions` ("app_label.codename") where every ModelBackend looks for them."""
    user._perm_cache = permissions
    return permissions
