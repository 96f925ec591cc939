"""Template context for the site header: the signed-in person's unread notifications."""

import functools

from rooms.selectors import notification_unread_count_cached


def notifications(request) -> dict:
    """`unread_notifications` is a callable, which templates call when they use it (the header):
    pages without the header read nothing, and the figure comes from the cache when it can."""

    @functools.cache
    def unread_notifications() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return notification_unread_count_cached(user=user)

    return {"unread_notifications": unread_notifications}
