"""What rooms adds to other apps through Wagtail hooks (see docs/architecture.md)."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from wagtail import hooks

from cms.models import CaseStudyPage
from cohorts.selectors import cohorts_for_programme_page
from rooms.selectors import (
    member_data_export,
    message_counts_by_author,
    notification_list_for_user,
    programme_interaction,
    room_links_for,
    room_list_for_user,
)
from rooms import events
from rooms.models import Message, Room
from rooms.services import member_erase, message_post_to_rooms


@hooks.register("dashboard_panels")
def rooms_dashboard_panel(request) -> list[dict]:
    """The learner's rooms with unread counts, and their unread mentions: three queries at most."""
    user = request.user
    if not user.is_authenticated:
        return []
    rooms = room_list_for_user(user=user, limit=30)
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


# --- Live case sessions (cohorts stores the steps; rooms broadcasts them) ---------------------


@hooks.register("live_run_event")
def live_run_broadcast(run_id, frame) -> None:
    """A stored step of a live run (or a poll's new count), to every socket of the run, after commit."""
    events.live_event_send(run_id=run_id, frame=frame)


def _breakout_rooms(run):
    rooms = Room.objects.filter(kind=Room.Kind.GROUP, cohort_id=run.cohort_id)
    return rooms.filter(group_id=run.group_id) if run.group_id else rooms


@hooks.register("live_breakout_message")
def live_breakout_post(*, run, author, text, client_id) -> None:
    """The facilitator's message during a breakout, posted in every group room of the run (stored,
    then broadcast like any message; a retry with the same client id posts nothing new)."""
    message_post_to_rooms(rooms=list(_breakout_rooms(run)), author=author, client_id=client_id, body=text)


@hooks.register("live_breakout_activity")
def live_breakout_activity(run, breakout) -> dict:
    """Messages written in the run's group rooms during a breakout, and how many of them reply to
    someone of another profession (two queries)."""
    ended = breakout.ended_at or run.ended_at
    messages = Message.objects.filter(
        room__in=_breakout_rooms(run), created_at__gte=breakout.started_at, author__isnull=False, deleted_at__isnull=True
    )
    if ended is not None:
        messages = messages.filter(created_at__lte=ended)
    cross = messages.filter(reply_to__isnull=False).exclude(reply_to__author__profession=models.F("author__profession"))
    return {"messages": messages.count(), "cross_profession_replies": cross.count()}


@hooks.register("outcomes_interaction")
def rooms_interaction_for_outcomes(programme, user_ids) -> list[dict]:
    """Cross-profession talk in the programme's cohort rooms, for the owner's report (lms.outcomes)."""
    return programme_interaction(programme_id=programme.pk, user_ids=user_ids)
