"""Every e-mail is written in its recipient's language, never in the sender's request language.

A known person: their profile language. An invitation to an address without an account: the
cohort's language. The request language of the sender (their cookie) must change nothing.
"""

from datetime import date

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.i18n import in_recipient_language, recipient_language
from cohorts.services import community_create, community_invite_cohort
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort, make_facilitator
from tests.rooms.factories import make_room_with_members, post

pytestmark = pytest.mark.django_db

EN_INVITATION = "Invitation to join the cohort"
FR_INVITATION = "Invitation à rejoindre la promotion"


def as_facilitator(client, cohort, *, language: str):
    """The cohort's facilitator, browsing in `language` (their cookie: the request language)."""
    facilitator = cohort.memberships.get(role="facilitator").user
    facilitator.language = language
    facilitator.save(update_fields=["language"])
    client.force_login(facilitator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return facilitator


def invite(client, cohort, email, capture):
    """Post the invitation form; the mail leaves after commit."""
    with capture(execute=True):
        response = client.post(reverse("cohorts:invitation_list", args=[cohort.pk]), {"email": email, "name": "Jo Dupont"})
    assert response.status_code == 302, response.content.decode()[:500]
    (message,) = mail.outbox
    assert message.to == [email]
    return message


def test_the_helper_prefers_the_persons_language_then_the_fallback_then_french():
    assert recipient_language(user=make_user(language="en"), fallback="fr") == "en"
    assert recipient_language(user=None, fallback="en") == "en"
    assert recipient_language(user=None, fallback="de") == "fr"
    assert recipient_language() == "fr"
    with translation.override("fr"), in_recipient_language(user=make_user(language="en")) as language:
        assert language == "en" and translation.gettext("Promotion") == "Cohort"
    with translation.override("en"), in_recipient_language(user=make_user(language="fr")):
        assert translation.gettext("Promotion") == "Promotion"


def test_a_french_facilitator_invites_an_english_speaking_person_in_english(client, django_capture_on_commit_callbacks):
    cohort = make_cohort(language="fr", starts_on=date(2031, 3, 12), ends_on=date(2031, 6, 30))
    as_facilitator(client, cohort, language="fr")
    make_user(email="jo@nhs.example", language="en")
    message = invite(client, cohort, "jo@nhs.example", django_capture_on_commit_callbacks)
    assert message.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + EN_INVITATION)
    assert "You are invited to join the cohort" in message.body
    assert "The cohort runs from 12 March 2031 to 30 June 2031." in message.body  # dates in English too
    assert "Vous êtes invité" not in message.body and "mars" not in message.body


def test_an_english_speaking_facilitator_invites_a_french_speaking_person_in_french(client, django_capture_on_commit_callbacks):
    cohort = make_cohort(language="en", starts_on=date(2031, 3, 12), ends_on=date(2031, 6, 30))
    as_facilitator(client, cohort, language="en")
    make_user(email="claire@chu.example", language="fr")
    message = invite(client, cohort, "claire@chu.example", django_capture_on_commit_callbacks)
    assert message.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + FR_INVITATION)
    assert "Vous êtes invité·e à rejoindre la promotion" in message.body
    assert "La promotion se déroule du 12 mars 2031 au 30 juin 2031." in message.body
    assert "You are invited" not in message.body


@pytest.mark.parametrize("cohort_language, sender_language, expected", [
    ("en", "fr", EN_INVITATION),
    ("fr", "en", FR_INVITATION),
])
def test_an_address_without_an_account_is_invited_in_the_cohorts_language(
    client, django_capture_on_commit_callbacks, cohort_language, sender_language, expected
):
    cohort = make_cohort(language=cohort_language)
    as_facilitator(client, cohort, language=sender_language)
    message = invite(client, cohort, "nobody-yet@example.org", django_capture_on_commit_callbacks)
    assert expected in message.subject


def test_a_resent_invitation_follows_the_recipient_not_the_facilitator(client, django_capture_on_commit_callbacks):
    cohort = make_cohort(language="fr")
    as_facilitator(client, cohort, language="fr")
    make_user(email="jo@nhs.example", language="en")
    invite(client, cohort, "jo@nhs.example", django_capture_on_commit_callbacks)
    invitation = cohort.invitations.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cohorts:invitation_resend", args=[cohort.pk, invitation.pk]))
    assert [m.subject.startswith(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + EN_INVITATION) for m in mail.outbox] == [True]


@pytest.mark.parametrize("sender_language", ["fr", "en"])
def test_an_announcement_reaches_each_learner_in_their_own_language(client, django_capture_on_commit_callbacks, sender_language):
    cohort = make_cohort(language="fr")
    as_facilitator(client, cohort, language=sender_language)
    english = add_learner(cohort, language="en")
    french = add_learner(cohort, language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cohorts:announcement_create", args=[cohort.pk]),
                               {"subject": "Jeudi", "body": "Lisez le cas 2."})
    assert response.status_code == 302
    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert set(bodies) == {english.email, french.email}
    assert "Go to the cohort:" in bodies[english.email] and "Retrouvez la promotion" not in bodies[english.email]
    assert "Retrouvez la promotion :" in bodies[french.email] and "Go to the cohort" not in bodies[french.email]
    assert all("Lisez le cas 2." in body for body in bodies.values())  # the facilitator's own words, untouched


def test_a_community_invitation_is_in_the_learners_language(django_capture_on_commit_callbacks):
    cohort = make_cohort(language="fr")
    english = add_learner(cohort, language="en")
    french = add_learner(cohort, language="fr")
    community_create(name="Parcours", slug="parcours", theme="Les parcours", programmes=[cohort.programme])
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        community_invite_cohort(cohort=cohort)
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert "Join the community “Parcours”" in subjects[english.email]
    assert "Rejoignez la communauté « Parcours »" in subjects[french.email]


@pytest.mark.parametrize("author_language, recipient_language_, expected, unexpected", [
    ("fr", "en", "mentioned you in", "vous a mentionné"),
    ("en", "fr", "vous a mentionné·e dans", "mentioned you"),
])
def test_a_mention_email_is_in_the_mentioned_persons_language(
    django_capture_on_commit_callbacks, author_language, recipient_language_, expected, unexpected
):
    room, _facilitator, (alice, bob) = make_room_with_members()
    bob.language = recipient_language_
    bob.save(update_fields=["language"])
    with translation.override(author_language), django_capture_on_commit_callbacks(execute=True):
        post(room, alice, f"@{bob.display_name} qu'en pensez-vous ?")
    (message,) = mail.outbox
    assert message.to == [bob.email]
    assert expected in message.subject and unexpected not in message.subject + message.body


def test_a_password_reset_asked_from_a_french_page_reaches_an_english_account_in_english(
    client, django_capture_on_commit_callbacks
):
    user = make_user(email="jo@nhs.example", language="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    with django_capture_on_commit_callbacks(execute=True):  # allauth's mails leave after commit too
        response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + "Password Reset Email"


def test_a_password_reset_asked_from_an_english_page_reaches_a_french_account_in_french(
    client, django_capture_on_commit_callbacks
):
    user = make_user(email="claire@chu.example", language="fr")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    (message,) = mail.outbox
    assert message.subject == settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + "E-mail de réinitialisation de mot de passe"


def test_a_facilitator_of_another_cohort_cannot_invite_or_announce(client, django_capture_on_commit_callbacks):
    cohort = make_cohort(language="fr")
    client.force_login(make_facilitator())
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(reverse("cohorts:invitation_list", args=[cohort.pk]), {"email": "x@example.org"})
        announced = client.post(reverse("cohorts:announcement_create", args=[cohort.pk]), {"subject": "s", "body": "b"})
    assert invited.status_code in (403, 404) and announced.status_code in (403, 404)
    assert not mail.outbox


def _submit_for_review(client, editor, draft, capture):
    from tests.cms.test_workflow import edit_data

    client.force_login(editor)
    with capture(execute=True):
        response = client.post(reverse("wagtailadmin_pages:edit", args=[draft.pk]), edit_data(draft, **{"action-submit": "1"}))
    assert response.status_code == 302


@pytest.mark.parametrize("editor_language, reviewer_language, expected, unexpected", [
    ("fr", "en", "has been submitted", "a été soumise"),
    ("en", "fr", "a été soumise", "has been submitted"),
])
def test_wagtail_moderation_emails_follow_the_reviewers_language(
    client, django_capture_on_commit_callbacks, editor_language, reviewer_language, expected, unexpected
):
    from accounts.choices import Role
    from tests.factories_cms import make_lesson, make_module

    draft = make_lesson(module=make_module(), live=False)
    # The reviewer signs up, choosing their language on the form (as every account is made on the site).
    client.post(reverse("account_signup"), {
        "email": "reviewer@ehesp.example", "password1": "un-mot-de-passe-solide", "password2": "un-mot-de-passe-solide",
        "first_name": "Rita", "last_name": "Relit", "profession": "other", "level": "nation", "organisation": "EHESP",
        "language": reviewer_language,
    })
    from django.contrib.auth.models import Group

    from accounts.models import User

    reviewer = User.objects.get(email="reviewer@ehesp.example")
    reviewer.groups.add(Group.objects.get(name=Role.REVIEWER.value))
    client.logout()
    mail.outbox.clear()
    editor = make_user(roles=(Role.EDITOR,), language=editor_language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = editor_language
    _submit_for_review(client, editor, draft, django_capture_on_commit_callbacks)
    (message,) = [m for m in mail.outbox if m.to == [reviewer.email]]
    assert expected in message.subject and unexpected not in message.subject


def test_switching_language_moves_wagtails_email_language_too(client):
    from wagtail.users.models import UserProfile

    user = make_user(language="fr")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert UserProfile.objects.get(user=user).get_preferred_language() == "en"
    client.post(reverse("accounts:profile"), {
        "first_name": "A", "last_name": "B", "profession": "nurse", "level": "team", "organisation": "CH", "language": "fr",
    })
    assert UserProfile.objects.get(user=user).get_preferred_language() == "fr"


def test_the_migration_gives_existing_accounts_their_language_in_wagtail():
    import importlib

    from django.apps import apps
    from wagtail.users.models import UserProfile

    migration = importlib.import_module("accounts.migrations.0004_wagtail_profile_language")
    without_profile = make_user(language="en")
    stale = make_user(language="fr")
    UserProfile.objects.create(user=stale, preferred_language="en")
    migration.forwards(apps, None)
    assert UserProfile.objects.get(user=without_profile).preferred_language == "en"
    assert UserProfile.objects.get(user=stale).preferred_language == "fr"
