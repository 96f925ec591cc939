"""The people and objects of the access matrix (docs/security.md, tests/test_access_matrix.py):
cohort A with its learner and facilitator, cohort B with theirs (the outsiders), an editor, a
reviewer, an admin, and one object of each kind a URL can name, all belonging to cohort A."""

from dataclasses import dataclass, field

from django.urls import reverse

from accounts.choices import Role
from cms.models import FeedbackForm
from cohorts import live_services
from cohorts.models import CohortMembership, hash_token
from cohorts.services import calendar_feed_for_user, community_create, community_join, invitation_create
from lms import services as lms_services
from lms.models import Certificate, DpcAttestation, Reflection, Worksheet
from rooms.models import Notification, Room
from rooms.services import message_post
from tests.factories import make_user
from tests.factories_cms import make_document
from tests.factories_cohorts import add_learner, make_cohort, make_facilitator
from tests.factories_lms import complete_case, make_course, make_programme

ROLES = ["anonymous", "learner", "other learner", "facilitator", "other facilitator", "editor", "reviewer", "admin"]
INVITATION_TOKEN = "matrix-invitation-token-0123456789"


@dataclass
class World:
    users: dict
    course: object
    cohort: object
    other_cohort: object
    room: object
    message_seq: int
    reflection: object
    worksheet: object
    certificate: object
    invitation: object
    pending: object
    notification: object
    community: object
    feed_token: str
    document: object
    extra: dict = field(default_factory=dict)


def build_world() -> World:
    course = make_course(dpc_action_number="11112500001", dpc_organisation_number="1111", dpc_action_kind="FC")
    facilitator = make_facilitator(first_name="Fabienne", last_name="Animatrice")
    cohort = make_cohort(programme=course.programme, facilitator=facilitator, name="Promotion A")
    learner = add_learner(cohort, first_name="Lucie", last_name="Apprenante")
    other_facilitator = make_facilitator()
    other_cohort = make_cohort(programme=make_programme(title="Autre programme"), facilitator=other_facilitator,
                               name="Promotion B")
    other_learner = add_learner(other_cohort)
    users = {
        "anonymous": None,
        "learner": learner,
        "other learner": other_learner,
        "facilitator": facilitator,
        "other facilitator": other_facilitator,
        "editor": make_user(roles=(Role.EDITOR,)),
        "reviewer": make_user(roles=(Role.REVIEWER,)),
        "admin": make_user(roles=(Role.ADMIN,), is_superuser=True, is_staff=True),
    }
    course.module.feedback_form = FeedbackForm.objects.create(name="Avis")
    course.module.save(update_fields=["feedback_form"])
    lms_services.enrolment_create(user=learner, programme=course.programme)
    complete_case(user=learner, course=course)
    lms_services.worksheet_save(user=learner, page=course.case, block_id=course.ids.worksheet, data={"problem": "Délais"})
    lms_services.page_mark_done(user=learner, page=course.lesson)
    invitation = invitation_create(cohort=cohort, email="invitee@example.org", name="Invitée", invited_by=facilitator)
    invitation.token_hash = hash_token(INVITATION_TOKEN)
    invitation.save(update_fields=["token_hash"])
    pending = CohortMembership.objects.create(
        cohort=cohort, user=make_user(), role=CohortMembership.Role.LEARNER, status=CohortMembership.Status.PENDING
    )
    room = Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)
    message, _new = message_post(room=room, author=learner, client_id="m1", body="Bonjour la promotion")
    message_post(room=room, author=facilitator, client_id="m2", body=f"@{learner.display_name} bienvenue")
    ended = live_services.live_run_start(cohort=cohort, page=course.case, actor=facilitator)
    live_services.live_run_end(run=ended, actor=facilitator)
    run = live_services.live_run_start(cohort=cohort, page=course.case, actor=facilitator)
    community = community_create(name="Coopérations", slug="cooperations", theme="GHT")
    community_join(community=community, user=learner)
    return World(
        users=users, course=course, cohort=cohort, other_cohort=other_cohort, room=room, message_seq=message.seq,
        reflection=Reflection.objects.get(user=learner), worksheet=Worksheet.objects.get(user=learner),
        certificate=Certificate.objects.get(user=learner), invitation=invitation, pending=pending,
        notification=Notification.objects.get(user=learner), community=community,
        feed_token=calendar_feed_for_user(user=learner).token, document=make_document(),
        extra={
            "live_run": run, "ended_live_run": ended,
            "attestation": DpcAttestation.objects.get(certificate__user=learner),
        },
    )


def _r(name, *args):
    return lambda w: reverse(name, args=[a(w) if callable(a) else a for a in args])


def _cohort(w):
    return w.cohort.pk


def _case(w):
    return w.course.case.pk


# Route (as the URL configuration spells it) → the URL of the row's object, and the POST data.
URLS = {
    "healthz": lambda w: "/healthz",
    "favicon.ico": lambda w: "/favicon.ico",
    "csp-report/": lambda w: "/csp-report/",
    "i18n/setlang/": lambda w: reverse("set_language"),
    "django-admin/": lambda w: "/django-admin/",
    "admin/": lambda w: "/admin/",
    r"documents/^(\d+)/(.*)$": lambda w: reverse("wagtaildocs_serve", args=[w.document.pk, w.document.filename]),
    "accounts/profile/": _r("accounts:profile"),
    "accounts/signup/": lambda w: "/accounts/signup/",
    "dashboard/": _r("lms:dashboard"),
    "learn/programmes/<int:programme_id>/": _r("lms:programme_progress", lambda w: w.course.programme.pk),
    "learn/programmes/<int:programme_id>/enrol/": _r("lms:enrol", lambda w: w.course.programme.pk),
    "learn/programmes/<int:programme_id>/leave/": _r("lms:leave", lambda w: w.course.programme.pk),
    "learn/programmes/<int:programme_id>/self-assessment/": _r("lms:self_assessment", lambda w: w.course.programme.pk),
    "learn/programmes/<int:programme_id>/self-assessment/<str:moment>/":
        _r("lms:self_assessment_form", lambda w: w.course.programme.pk, "end"),
    "learn/modules/<int:module_id>/feedback/": _r("lms:module_feedback", lambda w: w.course.module.pk),
    "learn/pages/<int:page_id>/decisions/<str:block_id>/":
        _r("lms:decision_submit", _case, lambda w: w.course.ids.decision1),
    "learn/pages/<int:page_id>/reflections/<str:block_id>/draft/":
        _r("lms:reflection_draft", _case, lambda w: w.course.ids.reflection),
    "learn/pages/<int:page_id>/reflections/<str:block_id>/submit/":
        _r("lms:reflection_submit", _case, lambda w: w.course.ids.reflection),
    "learn/pages/<int:page_id>/quiz/<str:block_id>/":
        _r("lms:quiz_answer", _case, lambda w: w.course.ids.quiz_questions[0]),
    "learn/pages/<int:page_id>/worksheets/<str:block_id>/":
        _r("lms:worksheet_save", _case, lambda w: w.course.ids.worksheet),
    "learn/pages/<int:page_id>/done/": _r("lms:mark_done", lambda w: w.course.lesson.pk),
    "learn/reflections/<int:pk>/": _r("lms:reflection_detail", lambda w: w.reflection.pk),
    "learn/reflections/<int:pk>/comments/": _r("lms:reflection_comment", lambda w: w.reflection.pk),
    "learn/worksheets/<int:pk>/": _r("lms:worksheet_detail", lambda w: w.worksheet.pk),
    "learn/certificates/<str:code>.pdf": _r("lms:certificate_pdf", lambda w: w.certificate.code),
    "learn/attestations/<str:code>.pdf": _r("lms:dpc_attestation_pdf", lambda w: w.extra["attestation"].code),
    "learn/transcript.pdf": _r("lms:transcript_pdf"),
    "learn/transcript.csv": _r("lms:transcript_csv"),
    "certificates/<str:code>/": _r("lms:certificate_verify", lambda w: w.certificate.code),
    "xapi/activities/pages/<int:page_id>": _r("lms:xapi_activity", _case),
    "xapi/activities/pages/<int:page_id>/<path:part>": _r("lms:xapi_activity_part", _case, "quiz"),
    "account/data/": _r("lms:my_data"),
    "account/data/export.zip": _r("lms:my_data_export"),
    "account/data/delete/": _r("lms:account_delete"),
    "cohorts/": _r("cohorts:cohort_list"),
    "cohorts/new/": _r("cohorts:cohort_create"),
    "cohorts/<int:pk>/": _r("cohorts:cohort_detail", _cohort),
    "cohorts/<int:pk>/edit/": _r("cohorts:cohort_edit", _cohort),
    "cohorts/<int:pk>/join/": _r("cohorts:cohort_join", _cohort),
    "cohorts/<int:pk>/close/": _r("cohorts:cohort_close", _cohort),
    "cohorts/<int:pk>/members/<int:membership_id>/approve/":
        _r("cohorts:membership_approve", _cohort, lambda w: w.pending.pk),
    "cohorts/<int:pk>/invitations/": _r("cohorts:invitation_list", _cohort),
    "cohorts/<int:pk>/invitations/import/": _r("cohorts:invitation_import", _cohort),
    "cohorts/<int:pk>/invitations/<int:invitation_id>/resend/":
        _r("cohorts:invitation_resend", _cohort, lambda w: w.invitation.pk),
    "cohorts/<int:pk>/invitations/<int:invitation_id>/revoke/":
        _r("cohorts:invitation_revoke", _cohort, lambda w: w.invitation.pk),
    "cohorts/<int:pk>/groups/": _r("cohorts:group_list", _cohort),
    "cohorts/<int:pk>/groups/move/": _r("cohorts:group_move", _cohort),
    "cohorts/<int:pk>/schedule/": _r("cohorts:schedule_edit", _cohort),
    "cohorts/<int:pk>/sessions/new/": _r("cohorts:live_session_create", _cohort),
    "cohorts/<int:pk>/debrief/<int:page_id>/": _r("cohorts:debrief_release", _cohort, _case),
    "cohorts/<int:pk>/dashboard/": _r("cohorts:dashboard", _cohort),
    "cohorts/<int:pk>/reflections/": _r("cohorts:reflections_waiting", _cohort),
    "cohorts/<int:pk>/dashboard/progress.csv": _r("cohorts:progress_export", _cohort),
    "cohorts/<int:pk>/announcements/": _r("cohorts:announcement_create", _cohort),
    "cohorts/<int:pk>/live/": _r("cohorts:live_list", _cohort),
    "cohorts/<int:pk>/live/<int:run_id>/": _r("cohorts:live_panel", _cohort, lambda w: w.extra["live_run"].pk),
    "cohorts/<int:pk>/live/<int:run_id>/answer/": _r("cohorts:live_answer", _cohort, lambda w: w.extra["live_run"].pk),
    "cohorts/<int:pk>/live/<int:run_id>/regions/": _r("cohorts:live_regions", _cohort, lambda w: w.extra["live_run"].pk),
    "cohorts/<int:pk>/live/<int:run_id>/summary/": _r("cohorts:live_summary", _cohort, lambda w: w.extra["ended_live_run"].pk),
    "cohorts/<int:pk>/live/<int:run_id>/summary.pdf":
        _r("cohorts:live_summary_export", _cohort, lambda w: w.extra["ended_live_run"].pk),
    "cohorts/<int:pk>/live/<int:run_id>/<slug:action>/":
        _r("cohorts:live_action", _cohort, lambda w: w.extra["live_run"].pk, "reveal"),
    "invitations/<str:token>/": _r("cohorts:invitation_accept", INVITATION_TOKEN),
    "calendar/": _r("cohorts:calendar"),
    "calendar/<str:token>.ics": _r("cohorts:calendar_feed", lambda w: w.feed_token),
    "communities/": _r("cohorts:community_list"),
    "communities/<slug:slug>/": _r("cohorts:community_detail", lambda w: w.community.slug),
    "communities/<slug:slug>/join/": _r("cohorts:community_join", lambda w: w.community.slug),
    "communities/<slug:slug>/leave/": _r("cohorts:community_leave", lambda w: w.community.slug),
    "rooms/<int:room_id>/": _r("rooms:room_detail", lambda w: w.room.pk),
    "cohorts/<int:cohort_id>/cases/<int:page_id>/room/": _r("rooms:case_room", _cohort, _case),
    "rooms/<int:room_id>/messages/<int:seq>/history/":
        _r("rooms:message_history", lambda w: w.room.pk, lambda w: w.message_seq),
    "rooms/<int:room_id>/messages/<int:seq>/<message_action:action>/":
        _r("rooms:message_action", lambda w: w.room.pk, lambda w: w.message_seq, "hide"),
    "notifications/": _r("rooms:notification_list"),
    "notifications/read/": _r("rooms:notification_read_all"),
    "notifications/<int:notification_id>/read/": _r("rooms:notification_read", lambda w: w.notification.pk),
    "rooms/<int:room_id>/insights/": _r("rooms:room_insights", lambda w: w.room.pk),
    "cohorts/<int:cohort_id>/rooms/insights/": _r("rooms:cohort_rooms_insights", _cohort),
    "cohorts/<int:cohort_id>/rooms/moderation/": _r("rooms:cohort_moderation_history", _cohort),
    "search/": lambda w: reverse("cms:search") + "?q=coop",
    "cases/<int:page_id>/perspective/": _r("cms:case_perspective", _case),
    r"^((?:[\w\-]+/)*)$": lambda w: w.course.case.url,
}

POST_DATA = {
    "i18n/setlang/": lambda w: {"language": "en", "next": "/"},
    "learn/pages/<int:page_id>/decisions/<str:block_id>/":
        lambda w: {"option_id": w.course.ids.decision1_options[1], "rationale": "Autre choix"},
    "learn/pages/<int:page_id>/reflections/<str:block_id>/draft/": lambda w: {"html": "<p>Brouillon</p>"},
    "learn/pages/<int:page_id>/reflections/<str:block_id>/submit/": lambda w: {"html": "<p>Version</p>"},
    "learn/pages/<int:page_id>/worksheets/<str:block_id>/": lambda w: {"problem": "Encore"},
    "learn/reflections/<int:pk>/comments/": lambda w: {"body": "<p>Bien vu</p>"},
    "account/data/delete/": lambda w: {"confirm": "wrong@example.org"},
    "cases/<int:page_id>/perspective/": lambda w: {"profession": "director"},
}
