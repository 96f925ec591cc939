"""URLs of the cohorts app (namespace `cohorts`, included at the site root)."""

from django.urls import path

from cohorts import live_views, views

app_name = "cohorts"

urlpatterns = [
    path("cohorts/", views.cohort_list, name="cohort_list"),
    path("cohorts/new/", views.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:pk>/edit/", views.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:pk>/join/", views.cohort_join, name="cohort_join"),
    path("cohorts/<int:pk>/close/", views.cohort_close, name="cohort_close"),
    path("cohorts/<int:pk>/members/<int:membership_id>/approve/", views.membership_approve, name="membership_approve"),
    path("cohorts/<int:pk>/invitations/", views.invitation_list, name="invitation_list"),
    path("cohorts/<int:pk>/invitations/import/", views.invitation_import, name="invitation_import"),
    path("cohorts/<int:pk>/invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("cohorts/<int:pk>/invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("cohorts/<int:pk>/groups/", views.group_list, name="group_list"),
    path("cohorts/<int:pk>/groups/move/", views.group_move, name="group_move"),
    path("cohorts/<int:pk>/schedule/", views.schedule_edit, name="schedule_edit"),
    path("cohorts/<int:pk>/sessions/new/", views.live_session_create, name="live_session_create"),
    path("cohorts/<int:pk>/debrief/<int:page_id>/", views.debrief_release, name="debrief_release"),
    path("cohorts/<int:pk>/dashboard/", views.dashboard, name="dashboard"),
    path("cohorts/<int:pk>/dashboard/progress.csv", views.progress_export, name="progress_export"),
    path("cohorts/<int:pk>/reflections/", views.reflections_waiting, name="reflections_waiting"),
    path("cohorts/<int:pk>/announcements/", views.announcement_create, name="announcement_create"),
    path("cohorts/<int:pk>/live/", live_views.live_list, name="live_list"),
    path("cohorts/<int:pk>/live/<int:run_id>/", live_views.live_panel, name="live_panel"),
    path("cohorts/<int:pk>/live/<int:run_id>/answer/", live_views.live_answer, name="live_answer"),
    path("cohorts/<int:pk>/live/<int:run_id>/regions/", live_views.live_regions, name="live_regions"),
    path("cohorts/<int:pk>/live/<int:run_id>/summary/", live_views.live_summary, name="live_summary"),
    path("cohorts/<int:pk>/live/<int:run_id>/summary.pdf", live_views.live_summary_export, name="live_summary_export"),
    path("cohorts/<int:pk>/live/<int:run_id>/<slug:action>/", live_views.live_action, name="live_action"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("communities/", views.community_list, name="community_list"),
    path("communities/<slug:slug>/", views.community_detail, name="community_detail"),
    path("communities/<slug:slug>/join/", views.community_join, name="community_join"),
    path("communities/<slug:slug>/leave/", views.community_leave, name="community_leave"),
]
