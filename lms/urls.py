"""lms URLs, included at the site root: /dashboard/, /learn/… (writes and learner pages),
/certificates/<code>/ (public verification),
/xapi/activities/pages/<id> (xAPI activity ids, redirected to the page), /account/data/ (export and deletion)."""

from django.urls import path

from lms import views

app_name = "lms"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("learn/programmes/<int:programme_id>/", views.programme_progress, name="programme_progress"),
    path("learn/programmes/<int:programme_id>/enrol/", views.enrol, name="enrol"),
    path("learn/programmes/<int:programme_id>/leave/", views.leave, name="leave"),
    path("learn/programmes/<int:programme_id>/self-assessment/", views.self_assessment, name="self_assessment"),
    path("learn/programmes/<int:programme_id>/self-assessment/<str:moment>/", views.self_assessment_form,
         name="self_assessment_form"),
    path("learn/modules/<int:module_id>/feedback/", views.module_feedback, name="module_feedback"),
    path("learn/pages/<int:page_id>/decisions/<str:block_id>/", views.decision_submit, name="decision_submit"),
    path("learn/pages/<int:page_id>/reflections/<str:block_id>/draft/", views.reflection_draft, name="reflection_draft"),
    path("learn/pages/<int:page_id>/reflections/<str:block_id>/submit/", views.reflection_submit, name="reflection_submit"),
    path("learn/pages/<int:page_id>/quiz/<str:block_id>/", views.quiz_answer, name="quiz_answer"),
    path("learn/pages/<int:page_id>/worksheets/<str:block_id>/", views.worksheet_save, name="worksheet_save"),
    path("learn/pages/<int:page_id>/done/", views.mark_done, name="mark_done"),
    path("learn/reflections/<int:pk>/", views.reflection_detail, name="reflection_detail"),
    path("learn/reflections/<int:pk>/comments/", views.reflection_comment, name="reflection_comment"),
    path("learn/worksheets/<int:pk>/", views.worksheet_detail, name="worksheet_detail"),
    path("learn/certificates/<str:code>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("learn/attestations/<str:code>.pdf", views.dpc_attestation_pdf, name="dpc_attestation_pdf"),
    path("learn/transcript.pdf", views.transcript_pdf, name="transcript_pdf"),
    path("learn/transcript.csv", views.transcript_csv, name="transcript_csv"),
    path("certificates/<str:code>/", views.certificate_verify, name="certificate_verify"),
    # xAPI activity ids (lms.xapi.activity_id) are IRIs under the site: they resolve to the page.
    path("xapi/activities/pages/<int:page_id>", views.xapi_activity, name="xapi_activity"),
    path("xapi/activities/pages/<int:page_id>/<path:part>", views.xapi_activity, name="xapi_activity_part"),
    path("account/data/", views.my_data, name="my_data"),
    path("account/data/export.zip", views.my_data_export, name="my_data_export"),
    path("account/data/delete/", views.account_delete, name="account_delete"),
]
