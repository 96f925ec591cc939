"""The audit log in the Wagtail admin: security events and django-auditlog's record of role and
membership changes, read-only, for the Admin role (and superusers), with filters by kind, actor and date."""

import django_filters
from auditlog.models import LogEntry
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.views.generic import IndexView
from wagtail.permission_policies.base import ModelPermissionPolicy

from accounts.models import SecurityEvent


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Reading needs the model's "view" permission (given to the Admin role by a migration);
    nobody adds, changes or deletes an entry through the admin, superusers included."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, "view")

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


def _actor_filter(queryset, name, value):
    value = value.strip()
    if value.isdigit():
        return queryset.filter(**{f"{name}_id": int(value)})
    return queryset.filter(
        Q(**{f"{name}__email__icontains": value}) | Q(**{f"{name}__last_name__icontains": value})
    )


class SecurityEventFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=SecurityEvent.Kind.choices)
    actor = django_filters.CharFilter(label=_("Auteur·rice (e-mail, nom ou numéro)"), method=lambda qs, name, value: _actor_filter(qs, "actor", value))
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    address = django_filters.CharFilter(label=_("Adresse IP"), lookup_expr="exact")

    class Meta:
        model = SecurityEvent
        fields = ["kind", "actor", "created_at", "address"]


class SecurityEventIndexView(IndexView):
    queryset = SecurityEvent.objects.select_related("actor")


class ReadOnlyLogViewSet(ModelViewSet):
    """What both logs share in the admin: read and inspect, never add, edit or copy (ReadOnlyPolicy)."""
    list_per_page = 50
    inspect_view_enabled = True
    copy_view_enabled = False


class SecurityEventViewSet(ReadOnlyLogViewSet):
    model = SecurityEvent
    icon = "warning"
    menu_label = _("Événements de sécurité")
    index_view_class = SecurityEventIndexView
    filterset_class = SecurityEventFilterSet
    list_display = ["created_at", "kind", "actor", "target_type", "target_id", "address", "details"]
    form_fields = ["kind"]  # required by ModelViewSet; no add or edit view is ever allowed (ReadOnlyPolicy)
    url_prefix = "audit/events"
    name = "audit_events"


class LogEntryFilterSet(WagtailFilterSet):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=LogEntry.Action.choices)
    actor = django_filters.CharFilter(label=_("Auteur·rice (e-mail, nom ou numéro)"), method=lambda qs, name, value: _actor_filter(qs, "actor", value))
    timestamp = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = LogEntry
        fields = ["content_type", "action", "actor", "timestamp"]


class LogEntryIndexView(IndexView):
    queryset = LogEntry.objects.select_related("actor", "content_type")


class ModelChangeViewSet(ReadOnlyLogViewSet):
    model = LogEntry
    icon = "history"
    menu_label = _("Rôles et adhésions")
    index_view_class = LogEntryIndexView
    filterset_class = LogEntryFilterSet
    list_display = ["timestamp", "content_type", "object_pk", "action", "actor", "remote_addr", "changes"]
    form_fields = ["action"]
    url_prefix = "audit/changes"
    name = "audit_changes"


class AuditViewSetGroup(ViewSetGroup):
    menu_label = _("Journal d'audit")
    menu_icon = "list-ul"
    menu_order = 900
    items = (SecurityEventViewSet, ModelChangeViewSet)
