from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import user_admin_language_sync


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "profession", "level", "organisation", "is_staff"]
    list_filter = ["profession", "level", "is_staff", "is_superuser", "groups"]
    search_fields = ["email", "first_name", "last_name", "organisation"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profil"), {"fields": ("first_name", "last_name", "profession", "level", "organisation", "region", "language", "rpps")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        user_admin_language_sync(user=obj)


def _superusers_only(request) -> bool:
    """The Django admin is for superusers; editors and reviewers work in the Wagtail admin."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
