"""Erasure erases (docs/privacy.md, issue 13): one person with a record in every app, erased through
the real `user_erase` hooks of every app, then the whole database — every text, char and JSON
column of every model of every installed app, found by introspection — is read for a trace of
them. The cohort's figures (decision distribution, progress matrix, room participation) still
count the anonymous records."""

from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from wagtail import hooks
from wagtail.log_actions import log

from accounts.choices import Profession
from accounts.models import User
from cms.services import case_perspective_choose
from cohorts.models import CohortMembership, GroupMembership
from cohorts.selectors import cohort_dashboard
from cohorts.services import (
    calendar_feed_for_user,
    community_create,
    community_invite_cohort,
    community_join,
    groups_form,
    invitation_accept,
    invitation_create,
)
from lms import selectors as lms_selectors
from lms import services
from lms.export import ERASE_HOOK, EXPORT_HOOK, account_erase
from lms.models import DecisionAnswer, Enrolment, PageCompletion, QuizAttempt
from rooms.models import REACTION_EMOJIS, Message, Reaction, Room
from rooms.selectors import cohort_room_insights, message_counts_by_author
from rooms.services import message_edit, message_post, message_report, reaction_toggle, read_marker_set
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import complete_case, make_course
from tests.personal_data import read_export, text_columns, traces_of

pytestmark = pytest.mark.django_db

# Distinctive values: none of them can occur by chance anywhere else in the database.
EMAIL = "zephyrine.quarantotto@clinique-vaubanerie.test"
SECOND_EMAIL = "zq.perso@courrier-quarantotto.test"
FIRST_NAME = "Zéphyrine"
LAST_NAME = "Quarantotto"
ORGANISATION = "Clinique de la Vaubanerie"
RPPS = "10987654321"
PERSON = [EMAIL, SECOND_EMAIL, FIRST_NAME, LAST_NAME, ORGANISATION, RPPS]
PASSWORD = "correct-horse-battery"


@pytest.fixture
def world(settings):
    """Zéphyrine, learner of a cohort, with a record of every kind every app keeps."""
    # Production's queue: e-mails wait in the database (django_tasks_db) until the worker sends them.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}}
    course = make_course(hours=Decimal("7"))
    cohort = make_cohort(programme=course.programme, name="Promotion Loire 2026")
    facilitator = cohort.memberships.get(role="facilitator").user
    others = [add_learner(cohort, profession=p) for p in (Profession.DIRECTOR, Profession.PHYSICIAN, Profession.NURSE)]
    # Invited by the facilitator, who typed her name, organisation and e-mail.
    invitation = invitation_create(cohort=cohort, email=EMAIL, name=f"{FIRST_NAME} {LAST_NAME}",
                                   organisation=ORGANISATION, invited_by=facilitator)
    person = make_user(email=EMAIL, first_name=FIRST_NAME, last_name=LAST_NAME, organisation=ORGANISATION,
                       rpps=RPPS, profession=Profession.REGULATOR, password=PASSWORD,
                       bio=f"<p>{FIRST_NAME}, {ORGANISATION}</p>", interests=f"Parcours {LAST_NAME}")
    EmailAddress.objects.create(user=person, email=SECOND_EMAIL, verified=False, primary=False)
    invitation_accept(invitation=invitation, user=person)
    groups_form(cohort=cohort, size=2)
    community_join(community=community_create(name="Coopérations", slug="cooperations", theme="GHT"), user=person)
    community_create(name="Santé mentale", slug="sante-mentale", theme="Psy", programmes=[course.programme])
    community_invite_cohort(cohort=cohort)
    calendar_feed_for_user(user=person)
    # Learning: every case answered (with rationales naming her), a reflection, a worksheet, a quiz,
    # a certificate; the others answer too, so that the distribution is shown.
    for user in [person, *others]:
        services.enrolment_create(user=user, programme=course.programme)
    complete_case(user=person, course=course)
    services.page_mark_done(user=person, page=course.lesson)
    case_perspective_choose(user=person, page=course.case, profession=Profession.REGULATOR)
    DecisionAnswer.objects.filter(user=person).update(rationale=f"À la {ORGANISATION}, {FIRST_NAME} a vu…")
    services.worksheet_save(user=person, page=course.case, block_id=course.ids.worksheet,
                            data={"problem": f"Urgences de la {ORGANISATION}"})
    for user in others:
        services.decision_answer_submit(user=user, page=course.case, block_id=course.ids.decision1,
                                        option_id=course.ids.decision1_options[0], rationale="r")
    # Rooms: she writes and edits, reacts, reports; a colleague names her with @.
    room = Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)
    mine, _new = message_post(room=room, author=person, client_id="z1", body="Bonjour à toutes et tous")
    message_edit(room=room, seq=mine.seq, user=person, body="Bonjour à toutes et à tous")
    theirs, _new = message_post(room=room, author=others[0], client_id="o1",
                          body=f"@{FIRST_NAME} {LAST_NAME} qu'en pense la régulation ?")
    message_edit(room=room, seq=theirs.seq, user=others[0], body=f"@{FIRST_NAME} {LAST_NAME} qu'en pense l'ARS ?")
    message_post(room=room, author=others[1], client_id="o2", body="Je réponds plus tard")
    reaction_toggle(room=room, seq=theirs.seq, user=person, emoji=REACTION_EMOJIS[0])
    message_report(room=room, seq=3, user=person, reason=f"{FIRST_NAME} trouve ce message hors sujet")
    read_marker_set(room=room, user=person, seq=3)
    # Signed in on two devices.
    devices = [Client(), Client()]
    for device in devices:
        assert device.login(email=EMAIL, password=PASSWORD)
    # An admin changed her account: the Django admin and Wagtail logs name it.
    admin = make_user(is_superuser=True, is_staff=True)
    content_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.create(user=admin, content_type=content_type, object_id=str(person.pk),
                            object_repr=str(person), action_flag=CHANGE, change_message="[]")
    log(instance=person, action="wagtail.edit", user=admin)
    # An e-mail to her still waits in the queue.
    from accounts.mail import email_send

    email_send.enqueue(to=EMAIL, subject="Rappel", body=f"Bonjour {FIRST_NAME} {LAST_NAME}")
    return {"person": person, "cohort": cohort, "course": course, "room": room, "devices": devices,
            "others": others, "facilitator": facilitator}


def test_every_app_registers_real_export_and_erase_hooks():
    """No test registers a hook of its own: these are the apps' (accounts, cms, cohorts, rooms)."""
    for name in (EXPORT_HOOK, ERASE_HOOK):
        apps = {fn.__module__ for fn in hooks.get_hooks(name)}
        assert apps == {"accounts.wagtail_hooks", "cms.wagtail_hooks", "cohorts.wagtail_hooks",
                        "rooms.wagtail_hooks"}, (name, apps)


def test_the_scan_reads_every_installed_app_and_finds_a_planted_trace(world):
    """The scan can fail: before erasure it finds her in the tables of every app, naming the column."""
    tables = {model._meta.db_table for model, _field in text_columns()}
    for table in ["accounts_user", "account_emailaddress", "cohorts_invitation", "cohorts_message",
                  "lms_certificate", "wagtailcore_modellogentry", "django_admin_log", "django_tasks_database_dbtaskresult",
                  "django_session", "wagtailsearch_indexentry"]:
        assert table in tables, table
    found = traces_of(PERSON)
    for column in ["accounts_user.email", "accounts_user.rpps", "account_emailaddress.email", "cohorts_invitation.name",
                   "cohorts_invitation.email", "lms_certificate.learner_name", "lms_worksheet.data",
                   "lms_decisionanswer.rationale", "cohorts_message.body", "cohorts_messagerevision.body",
                   "cohorts_messagereport.reason", "django_admin_log.object_repr", "wagtailcore_modellogentry.label",
                   "django_tasks_database_dbtaskresult.args_kwargs"]:
        assert any(line.startswith(column + ":") for line in found), column


def test_the_export_holds_every_kind_of_record(client, world):
    client.force_login(world["person"])
    data, page = read_export(client.get(reverse("lms:my_data_export")))
    for key in ["profile", "email_addresses", "enrolments", "completed_pages", "decision_answers", "reflections",
                "quiz_attempts", "worksheets", "certificates", "case_perspectives", "cohorts", "groups", "communities",
                "invitations", "community_invitations", "messages", "reactions", "mentions", "reports",
                "notifications", "read_markers"]:
        assert data[key], key
    assert data["messages"][0]["body"] == "Bonjour à toutes et à tous"
    assert data["messages"][0]["earlier_versions"][0]["body"] == "Bonjour à toutes et tous"
    assert data["invitations"][0]["organisation"] == ORGANISATION
    assert {row["email"] for row in data["email_addresses"]} == {EMAIL, SECOND_EMAIL}
    assert data["notifications"][0]["kind"] == "mention"
    for heading in ["Messages dans les salons", "Réactions", "Notifications", "Invitations reçues", "Groupes"]:
        assert f"<h2>{heading}</h2>" in page, heading
    assert "Bonjour à toutes et à tous" in page and "Promotion Loire 2026" in page


def _figures(world) -> dict:
    cohort, course = world["cohort"], world["course"]
    dashboard = cohort_dashboard(cohort=cohort, case_id=course.case.pk)
    raw = lms_selectors.decision_distributions_for_page(
        page=course.case, programme=course.programme,
        user_ids=list(cohort.memberships.filter(role="learner").values_list("user_id", flat=True)),
    )
    insights = cohort_room_insights(cohort_id=cohort.pk)
    return {
        "answers": sum(sum(counts.values()) for block in raw.values() for counts in block.values()),
        "learners_in_matrix": len(dashboard["rows"]),
        "progress_cells_done": sum(1 for row in dashboard["rows"] for cell in row.cells if cell.fraction),
        "messages_in_matrix": sum(row.messages for row in dashboard["rows"]),
        "messages_by_profession": sum(e["messages"] for e in dashboard["participation"]),
        "people_by_profession": sum(e["people"] for e in dashboard["participation"]),
        "messages_by_author": sum(message_counts_by_author(cohort_id=cohort.pk).values()),
        "room_insights_total": insights.total,
        "reactions": Reaction.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "completions": PageCompletion.objects.count(),
        "quiz_scores": sorted(QuizAttempt.objects.values_list("score", flat=True)),
        "cohort_learners": CohortMembership.objects.filter(cohort=cohort, role="learner").count(),
        "group_members": GroupMembership.objects.filter(cohort=cohort).count(),
    }


def test_erasure_leaves_no_trace_anywhere_and_keeps_the_cohort_figures(world):
    person = world["person"]
    before = _figures(world)
    assert before["answers"] >= 4 and before["messages_in_matrix"] == 3 and before["room_insights_total"] == 3
    assert Session.objects.count() == 2

    account_erase(user=person)

    found = traces_of(PERSON)
    assert not found, "traces of the erased person:\n" + "\n".join(found)
    assert _figures(world) == before
    # Every device is signed out: both sessions are gone.
    assert Session.objects.count() == 0
    for device in world["devices"]:
        response = device.get(reverse("lms:dashboard"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # The colleague's message still names someone — the anonymous participant.
    message = Message.objects.get(room=world["room"], seq=2)
    assert message.body == "@Ancien·ne participant·e qu'en pense l'ARS ?"
    assert message.revisions.get().body == "@Ancien·ne participant·e qu'en pense la régulation ?"
    assert not DBTaskResult.objects.filter(queue_name="email").exists()  # the e-mail to her is not sent


def test_erasure_through_the_page_ends_every_session(world):
    device = world["devices"][0]
    response = device.post(reverse("lms:account_delete"), {"confirm": EMAIL})
    assert response.status_code == 302
    assert Session.objects.filter(expire_date__isnull=False).exclude(
        session_key=device.session.session_key).count() == 0
    other = world["devices"][1]
    assert other.get(reverse("lms:dashboard")).status_code == 302
    assert not traces_of(PERSON)
