"""Wagtail hooks of the rooms feature. Loaded by `cohorts/wagtail_hooks.py` (`import cohorts.hooks_rooms`)."""

from wagtail import hooks

from cohorts.selectors.rooms import notification_list_for_user, room_list_for_user


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
            "template": "cohorts/rooms/dashboard_panel.html",
            "context": {"rooms": rooms, "mentions": mentions, "unread_total": sum(room.unread for room in rooms)},
            "order": 40,
        }
    ]
