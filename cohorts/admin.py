"""Django admin for support staff; facilitators work from the site's own pages."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from cohorts import services
from cohorts.models import (
    Announcement,
    Cohort,
    CohortGroup,
    CohortMembership,
    Community,
    CommunityInvitation,
    CommunityMembership,
    Invitation,
    LiveSession,
    ScheduleItem,
)


class MembershipInline(admin.TabularInline):
    model = CohortMembership
    extra = 0
    raw_id_fields = ["user"]


class CohortAdminForm(forms.ModelForm):
    def _post_clean(self):
        super()._post_clean()  # the new values are now on the instance
        if self.instance.pk:
            try:
                services.cohort_capacity_check(self.instance)  # the same message as on the site
            except ValidationError as error:
                self.add_error(None, error)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    form = CohortAdminForm
    list_display = ["name", "programme", "status", "starts_on", "ends_on", "capacity"]
    list_filter = ["status", "join_policy", "language"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        """A closed cohort no longer changes (services.COHORT_RULES): every field is read-only."""
        if obj is not None and not services.cohort_allows(obj, "edit"):
            return [field.name for field in Cohort._meta.fields]
        return super().get_readonly_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "status" in form.base_fields:
            # The statuses it may change to (here, closing included: staff close without the site's step).
            form.base_fields["status"].choices = services.cohort_status_choices(obj, closing=True)
        return form

    def save_model(self, request, obj, form, change):
        if change:  # through the service, like the site: closing invites the members to the communities
            services.cohort_update(cohort=obj, data={name: form.cleaned_data[name] for name in form.changed_data})
        else:
            super().save_model(request, obj, form, change)


@admin.register(CohortGroup)
class CohortGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "cohort", "position"]
    list_filter = ["cohort"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "cohort", "status", "expires_at", "sent_count", "accepted_at"]
    list_filter = ["status", "cohort"]
    search_fields = ["email", "name"]
    readonly_fields = ["token_hash", "accepted_by", "accepted_at"]


@admin.register(ScheduleItem)
class ScheduleItemAdmin(admin.ModelAdmin):
    list_display = ["label", "cohort", "opens_at", "due_at", "debrief_opens_at"]
    list_filter = ["cohort"]


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "starts_at", "place"]
    list_filter = ["cohort"]


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ["subject", "cohort", "group", "author", "recipient_count", "created_at"]
    list_filter = ["cohort"]


class CommunityMembershipInline(admin.TabularInline):
    model = CommunityMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["programmes"]
    inlines = [CommunityMembershipInline]


@admin.register(CommunityInvitation)
class CommunityInvitationAdmin(admin.ModelAdmin):
    list_display = ["community", "user", "cohort", "status", "created_at"]
    list_filter = ["status", "community"]
