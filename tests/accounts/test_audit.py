"""The audit log: what is recorded, what never is, who can read it, and how long it is kept."""

import json
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.audit import audit_record
from accounts.choices import Role
from accounts.models import SecurityEvent
from cohorts.models import CohortMembership, Invitation
from rooms.services import message_hide, message_pin
from tests.factories import make_user
from tests.queries import count_queries
from tests.rooms.factories import add_member, make_cohort, make_group_room, make_room_with_members, post

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
Kind = SecurityEvent.Kind


def events(kind) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("pk"))


def stored_text() -> str:
    """Everything the audit tables hold, as text."""
    rows = list(SecurityEvent.objects.values()) + list(LogEntry.objects.values())
    return json.dumps(rows, default=str)


# --- What is recorded ---------------------------------------------------------------------------


def test_a_sign_in_and_a_failure_are_recorded_with_the_address_and_no_secret(client):
    user = make_user(email="cadre@ch-vitre.fr")
    client.post("/accounts/login/", {"login": user.email, "password": "mauvais-mot-de-passe"}, REMOTE_ADDR="203.0.113.7")
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    [failure] = events(Kind.LOGIN_FAILED)
    assert failure.target_id == str(user.pk) and failure.address == "203.0.113.7" and failure.actor is None
    [login] = events(Kind.LOGIN)
    assert login.actor == user and login.address == "203.0.113.7"
    text = stored_text()
    for secret in ["mauvais-mot-de-passe", PASSWORD, "cadre@ch-vitre.fr", client.session.session_key]:
        assert secret not in text


def test_a_forged_newline_in_user_input_stays_inside_one_entry(caplog):
    event = audit_record(Kind.LOGIN_FAILED, target=("accounts.user", "1\n2026-12-01 login admin"), note="a\r\nkind=login\x1b[2J\u2028")
    assert "\n" not in event.target_id and "\n" not in event.details["note"] and "\u2028" not in event.details["note"]
    assert event.details["note"] == "a\\r\\nkind=login\\x1b[2J\\u2028"
    [line] = [record.getMessage() for record in caplog.records if record.name == "passerelles.audit"]
    assert "\n" not in line and "\r" not in line


@pytest.mark.parametrize("key", ["password", "token", "body", "session", "code"])
def test_details_that_could_hold_a_secret_or_someone_s_words_are_refused(key):
    with pytest.raises(ValueError):
        audit_record(Kind.DATA_EXPORTED, **{key: "x"})
    assert not SecurityEvent.objects.exists()


def test_the_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(client, settings):
    user = make_user()
    client.post("/accounts/login/", {"login": user.email, "password": "x"}, REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="10.9.9.9")
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client.post("/accounts/login/", {"login": user.email, "password": "x"}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.10")
    assert [event.address for event in events(Kind.LOGIN_FAILED)] == ["198.51.100.4", "192.0.2.10"]


def test_a_refusal_on_a_protected_object_is_recorded_but_not_a_mistyped_page(client):
    room, _facilitator, _members = make_room_with_members(learners=1)
    outsider = make_user()
    client.force_login(outsider)
    assert client.get(f"/rooms/{room.pk}/").status_code == 404
    assert client.get(f"/cohorts/{room.cohort_id}/").status_code == 404
    assert client.get("/une-page-qui-n-existe-pas/").status_code == 404
    assert client.get("/calendar/not-a-real-token-abcdef.ics").status_code == 404
    refused = events(Kind.ACCESS_REFUSED)
    assert [(event.details["view"], event.details.get("room_id") or event.details.get("pk")) for event in refused] == [
        ("rooms:room_detail", room.pk),
        ("cohorts:cohort_detail", room.cohort_id),
        ("cohorts:calendar_feed", None),  # a wrong feed token: the view's name, never the token
    ]
    assert all(event.actor == outsider and event.details["status"] == 404 for event in refused)
    assert "not-a-real-token" not in stored_text()


def test_a_rate_limit_hit_is_recorded_once_per_window(settings):
    settings.ROOMS_RATE_LIMIT_MESSAGES = 2
    room, _facilitator, [learner] = make_room_with_members(learners=1)
    for _ in range(2):
        post(room, learner)
    from rooms.services import RoomError

    for _ in range(3):
        with pytest.raises(RoomError):
            post(room, learner)
    [event] = events(Kind.RATE_LIMITED)
    assert event.actor_id == learner.pk and event.details == {"limit": "rooms:send"}


def test_a_rate_limited_http_answer_is_recorded(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "change_password": "1/m/user"}
    user = make_user()
    client.force_login(user)
    for _ in range(2):
        response = client.post("/accounts/password/change/", {"oldpassword": "x", "password1": "y", "password2": "y"})
    assert response.status_code == 429
    [event] = events(Kind.RATE_LIMITED)
    assert event.details["view"] == "account_change_password" and event.actor == user


def test_role_changes_are_recorded_from_either_side():
    user = make_user(roles=())
    editor = Group.objects.get(name=Role.EDITOR)
    user.groups.add(editor)
    editor.user_set.remove(user)
    user.groups.add(Group.objects.get(name=Role.FACILITATOR))
    user.groups.clear()
    assert [(event.target_id, event.details["change"], event.details["roles"]) for event in events(Kind.ROLE_CHANGED)] == [
        (str(user.pk), "added", ["Editor"]),
        (str(user.pk), "removed", ["Editor"]),
        (str(user.pk), "added", ["Facilitator"]),
        (str(user.pk), "removed", ["Facilitator"]),
    ]


def test_a_membership_change_is_recorded_by_django_auditlog_with_who_and_where(client):
    cohort = make_cohort()
    facilitator = add_member(cohort, role=CohortMembership.Role.FACILITATOR)
    candidate = add_member(cohort, status=CohortMembership.Status.PENDING)
    membership = CohortMembership.objects.get(cohort=cohort, user=candidate)
    client.force_login(facilitator)
    client.post(f"/cohorts/{cohort.pk}/members/{membership.pk}/approve/", REMOTE_ADDR="192.0.2.44")
    membership.refresh_from_db()
    assert membership.status == CohortMembership.Status.ACTIVE
    entry = LogEntry.objects.get_for_object(membership).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == facilitator and entry.remote_addr == "192.0.2.44"
    assert entry.changes_dict["status"] == ["pending", "active"]


def test_moderation_actions_are_recorded_without_the_message_text():
    room, facilitator, [learner] = make_room_with_members(learners=1)
    message = post(room, learner, "Un texte confidentiel sur le service de cardiologie")
    message_hide(room=room, seq=message.seq, user=facilitator)
    message_hide(room=room, seq=message.seq, user=facilitator, hidden=False)
    message_pin(room=room, seq=message.seq, user=facilitator)
    kinds = list(SecurityEvent.objects.filter(kind__in=SecurityEvent.MODERATION_KINDS).order_by("pk").values_list("kind", "actor_id", "target_id"))
    assert kinds == [
        (Kind.MESSAGE_HIDDEN, facilitator.pk, str(room.pk)),
        (Kind.MESSAGE_RESTORED, facilitator.pk, str(room.pk)),
        (Kind.MESSAGE_PINNED, facilitator.pk, str(room.pk)),
    ]
    assert "confidentiel" not in stored_text()


def test_invitations_are_recorded_without_the_invited_address():
    from cohorts.services import invitation_revoke
    from tests.factories_cohorts import make_cohort as make_full_cohort
    from tests.factories_cohorts import make_facilitator

    facilitator = make_facilitator()
    cohort = make_full_cohort(facilitator=facilitator)
    from cohorts.services import invitation_create

    invitation = invitation_create(cohort=cohort, email="invitee@chu-test.fr", invited_by=facilitator, name="Nadia Nouvelle")
    invitation_revoke(invitation=Invitation.objects.get(pk=invitation.pk))
    assert [(event.kind, event.target_id) for event in SecurityEvent.objects.filter(target_type="cohorts.invitation").order_by("pk")] == [
        (Kind.INVITATION_SENT, str(invitation.pk)),
        (Kind.INVITATION_REVOKED, str(invitation.pk)),
    ]
    assert "invitee@chu-test.fr" not in stored_text() and "Nadia" not in stored_text()


def test_exports_and_erasure_are_recorded(client):
    user = make_user()
    client.force_login(user)
    assert client.get("/account/data/export.zip").status_code == 200
    client.post("/account/data/delete/", {"confirm": user.email})
    recorded = SecurityEvent.objects.filter(target_id=str(user.pk), target_type="accounts.user", kind__in=[Kind.DATA_EXPORTED, Kind.ACCOUNT_ERASED])
    assert [event.kind for event in recorded.order_by("pk")] == [
        Kind.DATA_EXPORTED, Kind.ACCOUNT_ERASED,
    ]


# --- Who reads it ---------------------------------------------------------------------------------


def test_facilitators_read_their_cohort_s_moderation_history_and_no_one_else(client):
    room, facilitator, [learner] = make_room_with_members(learners=1)
    message = post(room, learner, "Texte à ne pas montrer")
    message_hide(room=room, seq=message.seq, user=facilitator)
    url = f"/cohorts/{room.cohort_id}/rooms/moderation/"
    client.force_login(facilitator)
    response = client.get(url)
    assert response.status_code == 200
    assert [entry.event.kind for entry in response.context["entries"]] == [Kind.MESSAGE_HIDDEN]
    assert "Texte à ne pas montrer" not in response.content.decode()
    other_facilitator = add_member(make_cohort(), role=CohortMembership.Role.FACILITATOR)
    for person in [learner, make_user(), other_facilitator]:
        client.force_login(person)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url)["Location"].startswith("/accounts/login/")
    assert client.get("/cohorts/999999/rooms/moderation/").status_code in (302, 404)


def test_the_moderation_history_costs_the_same_queries_for_one_or_many_events(client):
    room, facilitator, [learner] = make_room_with_members(learners=1)
    group, group_room = make_group_room(cohort=room.cohort)
    client.force_login(facilitator)
    url = f"/cohorts/{room.cohort_id}/rooms/moderation/"
    message = post(room, learner)
    message_hide(room=room, seq=message.seq, user=facilitator)
    client.get(url)  # notification counts cached, as on every page after the first
    few = count_queries(client, url)
    for _ in range(5):
        message = post(group_room, facilitator)
        message_pin(room=group_room, seq=message.seq, user=facilitator)
    client.get(url)
    many = count_queries(client, url)
    assert many == few
    assert len(client.get(url).context["entries"]) == 6


def test_admins_read_the_log_in_the_wagtail_admin_with_filters_and_cannot_change_it(client):
    admin = make_user(roles=(Role.ADMIN,))
    learner = make_user()
    audit_record(Kind.LOGIN, actor=learner, target=learner)
    audit_record(Kind.DATA_EXPORTED, actor=admin, target=admin)
    client.force_login(admin)
    response = client.get("/admin/audit/events/", {"kind": "login"})
    assert response.status_code == 200
    assert {event.actor for event in response.context["object_list"]} == {learner, admin}  # admin: force_login
    response = client.get("/admin/audit/events/", {"kind": "data_exported"})
    assert [event.actor for event in response.context["object_list"]] == [admin]
    response = client.get("/admin/audit/events/", {"actor": learner.email})
    assert [event.kind for event in response.context["object_list"]] == [Kind.LOGIN]
    SecurityEvent.objects.filter(actor=learner).update(created_at=timezone.now() - timedelta(days=3))
    today = timezone.now().date().isoformat()
    recent = client.get("/admin/audit/events/", {"created_at_from": today}).context["object_list"]
    assert learner not in {event.actor for event in recent} and len(recent) >= 2
    assert client.get("/admin/audit/changes/").status_code == 200
    superuser = make_user(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    event = SecurityEvent.objects.first()
    for url in ["/admin/audit/events/new/", f"/admin/audit/events/edit/{event.pk}/", f"/admin/audit/events/delete/{event.pk}/"]:
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
    assert SecurityEvent.objects.filter(pk=event.pk).exists()


def test_editors_and_reviewers_do_not_read_the_audit_log(client):
    for role in (Role.EDITOR, Role.REVIEWER):
        client.force_login(make_user(roles=(role,)))
        response = client.get("/admin/audit/events/")
        assert response.status_code in (302, 403), role


# --- How long it is kept ----------------------------------------------------------------------------


def test_audit_purge_deletes_what_is_older_than_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = audit_record(Kind.LOGIN)
    recent = audit_record(Kind.LOGOUT)
    SecurityEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    cohort = make_cohort()
    add_member(cohort)
    LogEntry.objects.update(timestamp=timezone.now() - timedelta(days=31))
    add_member(cohort)
    call_command("audit_purge")
    assert list(SecurityEvent.objects.values_list("pk", flat=True).filter(pk__in=[old.pk, recent.pk])) == [recent.pk]
    assert LogEntry.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("audit_purge", days=0)


# --- How much it writes ---------------------------------------------------------------------------


def test_audit_volume_of_a_typical_journey_per_thousand_requests(client, capsys):
    """A cohort's ordinary day: each learner signs in, reads the dashboard, the cohort and its room,
    posts, reads notifications and the profile, signs out; one person mistypes a password, one
    outsider probes the cohort, the facilitator hides a message. The figure goes to docs/security.md."""
    import uuid

    room, facilitator, learners = make_room_with_members(learners=6)
    SecurityEvent.objects.all().delete()
    requests = 0

    def call(method, url, data=None):
        nonlocal requests
        requests += 1
        return getattr(client, method)(url, data or {})

    for learner in learners:
        call("post", "/accounts/login/", {"login": learner.email, "password": PASSWORD})
        for url in ["/dashboard/", "/cohorts/", f"/cohorts/{room.cohort_id}/", f"/rooms/{room.pk}/", "/notifications/", "/accounts/profile/"]:
            call("get", url)
        for _ in range(3):
            call("post", f"/rooms/{room.pk}/", {"client_id": uuid.uuid4().hex, "body": "Bonjour"})
            call("get", f"/rooms/{room.pk}/")
        call("post", "/accounts/logout/")
    call("post", "/accounts/login/", {"login": learners[0].email, "password": "faute-de-frappe"})
    client.force_login(make_user())
    call("get", f"/cohorts/{room.cohort_id}/")
    client.force_login(facilitator)
    message = room.messages.first()
    call("post", f"/rooms/{room.pk}/messages/{message.seq}/hide/")
    count = SecurityEvent.objects.exclude(kind=Kind.ROLE_CHANGED).count()
    per_thousand = round(1000 * count / requests)
    with capsys.disabled():
        print(f"\naudit volume: {count} security events for {requests} requests = {per_thousand} per 1,000 requests")
    assert {Kind.LOGIN, Kind.LOGOUT, Kind.LOGIN_FAILED, Kind.ACCESS_REFUSED, Kind.MESSAGE_HIDDEN} <= set(
        SecurityEvent.objects.values_list("kind", flat=True)
    )
    assert per_thousand < 250  # about two rows per session and one per incident, never one per page view


def test_erasing_an_account_leaves_no_e_mail_in_the_audit_log(client):
    from lms.export import account_erase

    cohort = make_cohort()
    facilitator = add_member(cohort, role=CohortMembership.Role.FACILITATOR, email="claire.dubois@chu-rennes.fr")
    candidate = add_member(cohort, status=CohortMembership.Status.PENDING)
    membership = CohortMembership.objects.get(cohort=cohort, user=candidate)
    client.post("/accounts/login/", {"login": facilitator.email, "password": "typo"})
    client.force_login(facilitator)
    client.post(f"/cohorts/{cohort.pk}/members/{membership.pk}/approve/")
    assert "claire.dubois@chu-rennes.fr" in stored_text()  # django-auditlog keeps the actor's address…
    account_erase(user=facilitator)
    assert "claire.dubois@chu-rennes.fr" not in stored_text()  # …until the account is erased
    assert LogEntry.objects.filter(actor=facilitator).exists()  # the record of what was done stays


def test_password_and_e_mail_changes_are_recorded(client):
    user = make_user()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": "Nouveau-mot-2-passe", "password2": "Nouveau-mot-2-passe"})
    client.post("/accounts/reauthenticate/", {"password": "Nouveau-mot-2-passe"})
    client.post("/accounts/email/", {"action_add": "", "email": "nouvelle@example.org"})
    assert [(event.kind, event.details.get("change")) for event in SecurityEvent.objects.filter(actor=user, kind__in=[Kind.PASSWORD_CHANGED, Kind.EMAIL_CHANGED]).order_by("pk")] == [
        (Kind.PASSWORD_CHANGED, None),
        (Kind.EMAIL_CHANGED, "added"),
    ]
    assert "nouvelle@example.org" not in stored_text()


def test_a_deleted_or_reported_message_and_an_accepted_invitation_are_recorded():
    from cohorts.services import invitation_accept, invitation_create
    from rooms.services import message_delete, message_report
    from tests.factories_cohorts import make_cohort as make_full_cohort
    from tests.factories_cohorts import make_facilitator

    room, _facilitator, [alice, bob] = make_room_with_members(learners=2)
    message = post(room, alice, "Je retire ce que j'ai dit")
    message_report(room=room, seq=message.seq, user=bob, reason="Propos blessant envers une collègue")
    message_delete(room=room, seq=message.seq, user=alice)
    facilitator = make_facilitator()
    cohort = make_full_cohort(facilitator=facilitator)
    invitee = make_user(email="invitee@chu-test.fr")
    invitation = invitation_create(cohort=cohort, email=invitee.email, invited_by=facilitator)
    invitation_accept(invitation=invitation, user=invitee)
    recorded = set(SecurityEvent.objects.values_list("kind", "actor_id"))
    assert {(Kind.MESSAGE_REPORTED, bob.pk), (Kind.MESSAGE_DELETED, alice.pk), (Kind.INVITATION_ACCEPTED, invitee.pk)} <= recorded
    assert "blessant" not in stored_text() and "retire" not in stored_text()
