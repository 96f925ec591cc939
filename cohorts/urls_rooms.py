from django.urls import path

from cohorts.views import rooms as views

urlpatterns = [
    path("rooms/<int:room_id>/", views.room_detail, name="room_detail"),
    path("rooms/<int:room_id>/insights/", views.room_insights_view, name="room_insights"),
    path("cohorts/<int:cohort_id>/rooms/insights/", views.cohort_rooms_insights_view, name="cohort_rooms_insights"),
]
