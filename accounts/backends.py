"""Authentication backend: Django's ModelBackend, with the permission checks of a page view made cheap.

A page view checks one permission on the front end: may this user reach the content admin
(`can_access_admin`: the header link, and case pages show content staff every part). The session's
user is read with that answer in the same query (`get_user`), and any other check reads all of a
user's permissions in one query, not two (`get_all_permissions`), kept where Django's and allauth's
backends find them too (`accounts.django_adapter`).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

from accounts.django_adapter import permission_cache_get, permission_cache_set

ADMIN_ACCESS = ("wagtailadmin", "access_admin")


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        user_model = get_user_model()
        admin_access = Permission.objects.filter(
            content_type__app_label=ADMIN_ACCESS[0], codename=ADMIN_ACCESS[1]
        ).filter(Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk")))
        user = (
            user_model._default_manager.annotate(_may_access_admin=Exists(admin_access))
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        cached = permission_cache_get(user_obj)
        if cached is not None:
            return cached
        if user_obj.is_superuser:
            rows = Permission.objects.values_list("content_type__app_label", "codename")
        else:
            rows = (
                Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj))
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
        return permission_cache_set(user_obj, {f"{app_label}.{codename}" for app_label, codename in rows})


def can_access_admin(user) -> bool:
    """May `user` reach the Wagtail admin (editors, reviewers, admins)? The one check the header and
    case pages use: no query for a session's user (read with it), `has_perm` otherwise."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    known = getattr(user, "_may_access_admin", None)
    if known is not None:
        return bool(known)
    return user.has_perm(".".join(ADMIN_ACCESS))
