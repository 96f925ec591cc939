"""What rooms adds to other apps through Wagtail hooks (see docs/architecture.md)."""

from django.urls import reverse
from django.utils.translation import gettext
from wagtail import hooks

from cms.models import CaseStudyPage
from cohorts.selectors import cohorts_for_programme_page
from rooms.selectors import (
    member_data_export,
    message_counts_by_author,
    notification_list_for_user,
    room_links_for,
    room_list_for_user,
)
from rooms.services import member_erase


@hooks.register("dashboard_panels")
def rooms_dashboard_panel(request) -> list[dict]:
    """The learner's rooms with unread counts, and their unread mentions: three queries at most."""
    user = request.user
    if not user.is_authenticated:
        return []
    rooms = list(room_list_for_user(user=user)[:30])
    mentions = [n for n in notification_list_for_user(user=user, limit=10) if n.read_at is None]
    if not rooms and not mentions:
        return []
    return [
        {
            "template": "rooms/dashboard_panel.html",
            "context": {"rooms": rooms, "mentions": mentions, "unread_total": sum(room.unread for room in rooms)},
            "order": 40,
        }
    ]


@hooks.register("case_page_context")
def case_room_link(request, page, state, context) -> None:
    """`case_room_url`: the room where the reader's cohort discusses this case (created when someone
    first goes in), linked from the case page and its discussion prompts. No query of its own."""
    user = request.user
    if not user.is_authenticated or getattr(request, "is_preview", False):
        return
    if not isinstance(state.source_page, CaseStudyPage):
        return
    cohorts = cohorts_for_programme_page(user=user, page=state.source_page)
    if cohorts:
        context["case_room_url"] = reverse("rooms:case_room", args=[cohorts[0][0], state.source_page.pk])


@hooks.register("room_links")
def cohort_room_links(*, cohort=None, groups=(), community=None) -> dict:
    """The room pages the cohort, group and community pages link to (one query)."""
    return room_links_for(cohort=cohort, groups=groups, community=community)


@hooks.register("cohort_participation")
def cohort_room_participation(cohort) -> dict[int, int]:
    """Messages by each person in the cohort's rooms, for the facilitator dashboard (one query)."""
    return message_counts_by_author(cohort_id=cohort.pk)


@hooks.register("user_data_export")
def rooms_user_data_export(user) -> dict:
    """Messages, reactions, mentions, reports, notifications and read markers (docs/privacy.md)."""
    return member_data_export(user=user)


@hooks.register("user_erase")
def rooms_user_erase(user) -> None:
    """See rooms.services.member_erase. Open sockets close when the account is deactivated
    (rooms.signals.user_saved), which lms.export.account_erase does right after the hooks."""
    member_erase(user=user, replacement=gettext("Ancien·ne participant·e"))
