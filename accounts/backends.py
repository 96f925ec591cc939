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
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from accounts.django_adapter import permission_cache_get, permission_cache_set

ADMIN_ACCESS = ("wagtailadmin", "access_admin")


def _admin_access_sql() -> RawSQL:
    """EXISTS(the user holds ADMIN_ACCESS, directly or through a group) for the user row being read.

    Written once as SQL rather than as an ORM Exists(): every signed-in request reads its user, and
    compiling the ORM subquery cost 0.9 ms of CPU per request (three times the rest of the read).
    The table and column names come from the models, so a renamed table cannot go unnoticed."""
    user_model = get_user_model()
    user_table = user_model._meta.db_table
    user_permissions = user_model.user_permissions.through._meta.db_table
    user_groups = user_model.groups.through._meta.db_table
    group_permissions = Permission.group_set.through._meta.db_table
    permission, content_type = Permission._meta.db_table, Permission._meta.get_field("content_type").related_model._meta.db_table
    sql = (
        f'EXISTS(SELECT 1 FROM "{permission}" p INNER JOIN "{content_type}" ct ON ct."id" = p."content_type_id" '
        f'WHERE ct."app_label" = %s AND p."codename" = %s AND ('
        f'p."id" IN (SELECT up."permission_id" FROM "{user_permissions}" up WHERE up."user_id" = "{user_table}"."id") '
        f'OR p."id" IN (SELECT gp."permission_id" FROM "{group_permissions}" gp INNER JOIN "{user_groups}" ug '
        f'ON ug."group_id" = gp."group_id" WHERE ug."user_id" = "{user_table}"."id")))'
    )
    return RawSQL(sql, ADMIN_ACCESS, output_field=BooleanField())


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        try:
            user = get_user_model()._default_manager.annotate(_may_access_admin=_admin_access_sql()).get(pk=user_id)
        except (get_user_model().DoesNotExist, ValueError, TypeError):
            return None
        return user if self.user_can_authenticate(user) else None

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
