"""Invitation life cycle: send, accept as a new or existing person, expiry, revocation, reuse."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import CohortMembership, Invitation
from cohorts.services import invitation_accept, invitation_create, invitation_resend, invitation_revoke
from tests.factories import make_user
from tests.factories_cohorts import make_cohort

pytestmark = pytest.mark.django_db


def _invite(cohort, email="nouvelle@chu-test.fr", django_capture_on_commit_callbacks=None, **fields):
    facilitator = cohort.memberships.get(role="facilitator").user
    return invitation_create(cohort=cohort, email=email, invited_by=facilitator, name="Nadia Nouvelle", **fields)


def _link_token(message) -> str:
    match = re.search(r"/invitations/([\w-]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_an_invitation_mails_a_personal_link_after_commit(django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(cohort, profession="nurse")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nouvelle@chu-test.fr"]
    assert cohort.name in mail.outbox[0].subject
    token = _link_token(mail.outbox[0])
    assert invitation.token_hash != token  # only the hash is stored
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.PENDING


def test_a_new_person_signs_up_from_the_link_and_is_enrolled(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cohort, email="nadia@ch-test.fr")
    token = _link_token(mail.outbox[-1])
    response = client.get(reverse("cohorts:invitation_accept", args=[token]))
    assert response.status_code == 200
    assert "Créer mon compte" in response.content.decode()
    signup = client.get(reverse("account_signup"))
    assert 'value="nadia@ch-test.fr"' in signup.content.decode()  # e-mail prefilled
    response = client.post(reverse("account_signup"), {
        "email": "nadia@ch-test.fr", "password1": "un-mot-de-passe-solide", "password2": "un-mot-de-passe-solide",
        "first_name": "Nadia", "last_name": "Nouvelle", "profession": "nurse", "level": "team",
        "organisation": "CH de Vitré", "language": "fr",
    })
    assert response.status_code == 302
    user = User.objects.get(email="nadia@ch-test.fr")
    assert CohortMembership.objects.filter(cohort=cohort, user=user, role="learner", status="active").exists()
    invitation = Invitation.objects.get(cohort=cohort, email="nadia@ch-test.fr")
    assert invitation.status == Invitation.Status.ACCEPTED and invitation.accepted_by == user
    assert client.get(reverse("cohorts:cohort_detail", args=[cohort.pk])).status_code == 200


def test_an_existing_account_logs_in_from_the_link_and_is_enrolled(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    existing = make_user(email="karim@chu-test.fr", password="correct-horse-battery")
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cohort, email="karim@chu-test.fr")
    token = _link_token(mail.outbox[-1])
    page = client.get(reverse("cohorts:invitation_accept", args=[token]))
    assert "Se connecter et rejoindre" in page.content.decode()
    client.post(reverse("account_login"), {"login": "karim@chu-test.fr", "password": "correct-horse-battery"})
    assert CohortMembership.objects.filter(cohort=cohort, user=existing, status="active").exists()


def test_a_logged_in_person_accepts_with_one_click(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    user = make_user(email="ines@ch-test.fr")
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cohort, email="ines@ch-test.fr")
    token = _link_token(mail.outbox[-1])
    client.force_login(user)
    assert client.get(reverse("cohorts:invitation_accept", args=[token])).status_code == 200
    assert not CohortMembership.objects.filter(cohort=cohort, user=user).exists()  # GET changes nothing
    response = client.post(reverse("cohorts:invitation_accept", args=[token]))
    assert response.status_code == 302
    assert CohortMembership.objects.filter(cohort=cohort, user=user, status="active").exists()


def test_an_expired_link_is_refused_and_enrols_nobody(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(cohort)
    token = _link_token(mail.outbox[-1])
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(user)
    response = client.post(reverse("cohorts:invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "expiré" in response.content.decode()
    assert not CohortMembership.objects.filter(cohort=cohort, user=user).exists()


def test_a_revoked_link_is_refused(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(cohort)
    token = _link_token(mail.outbox[-1])
    invitation_revoke(invitation=invitation)
    response = client.get(reverse("cohorts:invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "annulée" in response.content.decode()
    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, user=make_user())


def test_a_used_link_cannot_enrol_a_second_person(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(cohort)
    token = _link_token(mail.outbox[-1])
    first, second = make_user(), make_user()
    invitation_accept(invitation=invitation, user=first)
    client.force_login(second)
    response = client.post(reverse("cohorts:invitation_accept", args=[token]))
    assert response.status_code == 410
    assert "déjà été utilisé" in response.content.decode()
    assert not CohortMembership.objects.filter(cohort=cohort, user=second).exists()


def test_an_unknown_token_is_not_found(client):
    assert client.get(reverse("cohorts:invitation_accept", args=["pas-un-jeton"])).status_code == 404


def test_resending_replaces_the_link_and_the_old_one_stops_working(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(cohort)
    old = _link_token(mail.outbox[-1])
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(invitation=invitation)
    new = _link_token(mail.outbox[-1])
    assert old != new
    assert client.get(reverse("cohorts:invitation_accept", args=[old])).status_code == 404
    assert client.get(reverse("cohorts:invitation_accept", args=[new])).status_code == 200
    assert Invitation.objects.get(pk=invitation.pk).sent_count == 2


def test_inviting_the_same_address_twice_is_refused_with_a_message():
    cohort = make_cohort()
    _invite(cohort)
    with pytest.raises(ValidationError, match="déjà en attente"):
        _invite(cohort)
    assert Invitation.objects.filter(cohort=cohort).count() == 1


def test_an_invitation_beyond_capacity_is_refused():
    cohort = make_cohort(capacity=2, learners=1)
    _invite(cohort, email="a@chu-test.fr")
    with pytest.raises(ValidationError, match="complète"):
        _invite(cohort, email="b@chu-test.fr")


def test_facilitator_sees_who_has_not_accepted_and_can_revoke_from_the_page(client):
    cohort = make_cohort()
    facilitator = cohort.memberships.get(role="facilitator").user
    accepted = _invite(cohort, email="oui@chu-test.fr")
    invitation_accept(invitation=accepted, user=make_user(email="oui@chu-test.fr"))
    pending = _invite(cohort, email="pas-encore@chu-test.fr")
    client.force_login(facilitator)
    page = client.get(reverse("cohorts:invitation_list", args=[cohort.pk])).content.decode()
    assert "pas-encore@chu-test.fr" in page and "Pas encore acceptée" in page
    client.post(reverse("cohorts:invitation_revoke", args=[cohort.pk, pending.pk]))
    assert Invitation.objects.get(pk=pending.pk).status == Invitation.Status.REVOKED


def test_inviting_from_the_page_with_a_bad_address_shows_an_error_and_stores_nothing(client):
    cohort = make_cohort()
    client.force_login(cohort.memberships.get(role="facilitator").user)
    response = client.post(reverse("cohorts:invitation_list", args=[cohort.pk]), {"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Invitation.objects.exists()
