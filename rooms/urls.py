"""URLs of the rooms app (namespace `rooms`, included at the site root)."""

from django.urls import path, register_converter

from rooms import views

app_name = "rooms"


class MessageActionConverter:
    """The actions a plain form may ask of one message (`views.MESSAGE_ACTIONS`)."""

    regex = "|".join(views.MESSAGE_ACTIONS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(MessageActionConverter, "message_action")

urlpatterns = [
    path("rooms/<int:room_id>/", views.room_detail, name="room_detail"),
    path("cohorts/<int:cohort_id>/cases/<int:page_id>/room/", views.case_room, name="case_room"),
    path("rooms/<int:room_id>/messages/<int:seq>/history/", views.message_history, name="message_history"),
    path("rooms/<int:room_id>/messages/<int:seq>/<message_action:action>/", views.message_action, name="message_action"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read_view, name="notification_read"),
    path("rooms/<int:room_id>/insights/", views.room_insights_view, name="room_insights"),
    path("cohorts/<int:cohort_id>/rooms/insights/", views.cohort_rooms_insights_view, name="cohort_rooms_insights"),
    path("cohorts/<int:cohort_id>/rooms/moderation/", views.cohort_moderation_history_view, name="cohort_moderation_history"),
]
