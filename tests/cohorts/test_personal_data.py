"""What cohorts holds about a person, in their data export and at the erasure of their account:
the real `user_data_export` and `user_erase` hooks of cohorts, called by lms (docs/privacy.md)."""

import json

import pytest
from django.urls import reverse

from cohorts.models import (
    Announcement,
    CalendarFeed,
    CohortMembership,
    CommunityInvitation,
    CommunityMembership,
    GroupMembership,
    Invitation,
)
from cohorts.services import (
    announcement_send,
    calendar_feed_for_user,
    community_create,
    community_invite_cohort,
    community_join,
    groups_form,
    invitation_accept,
    invitation_create,
)
from lms.export import account_erase, user_data_export
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.personal_data import read_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea():
    """Léa: learner of a cohort (in a group), invited by e-mail to a second one, member of a community
    and invited to another, with a calendar feed; her facilitator wrote to the cohort."""
    learner = make_user(email="lea.martin@chu-rennes.fr", first_name="Léa", last_name="Martin")
    cohort = make_cohort(name="Promotion Rennes 2026")
    add_learner(cohort, user=learner)
    add_learner(cohort)
    groups_form(cohort=cohort, size=2)
    facilitator = cohort.memberships.get(role="facilitator").user
    announcement_send(cohort=cohort, author=facilitator, subject="Rentrée", body="Bienvenue à toutes et tous.")
    second = make_cohort(name="Promotion Brest 2027")
    invitation_create(cohort=second, email="Lea.Martin@chu-rennes.fr", name="Léa Martin", organisation="CHU de Rennes",
                      invited_by=second.memberships.get(role="facilitator").user)
    third = make_cohort(name="Promotion Vannes 2027")
    other_address = invitation_create(cohort=third, email="lea@perso.example", name="Léa M.",
                                      invited_by=third.memberships.get(role="facilitator").user)
    invitation_accept(invitation=other_address, user=learner)
    joined = community_create(name="Parcours diabète", slug="diabete", theme="Parcours")
    community_join(community=joined, user=learner)
    offered = community_create(name="Santé mentale", slug="sante-mentale", theme="Psychiatrie",
                               programmes=[cohort.programme])
    community_invite_cohort(cohort=cohort)
    calendar_feed_for_user(user=learner)
    return {"learner": learner, "cohort": cohort, "facilitator": facilitator, "joined": joined, "offered": offered}


def test_the_export_holds_memberships_invitations_and_what_the_person_wrote(lea):
    data = user_data_export(user=lea["learner"])
    assert sorted(row["cohort__name"] for row in data["cohorts"]) == ["Promotion Rennes 2026", "Promotion Vannes 2027"]
    group = GroupMembership.objects.get(user=lea["learner"]).group
    assert data["groups"] == [{"cohort__name": "Promotion Rennes 2026", "group__name": group.name}]
    assert [row["community__name"] for row in data["communities"]] == ["Parcours diabète"]
    assert [row["community__name"] for row in data["community_invitations"]] == ["Santé mentale"]
    invitations = {row["cohort__name"]: row for row in data["invitations"]}
    assert set(invitations) == {"Promotion Brest 2027", "Promotion Vannes 2027"}  # to her address, or accepted by her
    assert invitations["Promotion Brest 2027"]["name"] == "Léa Martin"
    assert invitations["Promotion Brest 2027"]["organisation"] == "CHU de Rennes"
    assert data["announcements"] == []
    written = user_data_export(user=lea["facilitator"])["announcements"]
    assert [(row["cohort__name"], row["subject"]) for row in written] == [("Promotion Rennes 2026", "Rentrée")]


def test_the_downloaded_file_carries_the_cohorts_part(client, lea):
    client.force_login(lea["learner"])
    data, page = read_export(client.get(reverse("lms:my_data_export")))
    text = json.dumps(data, ensure_ascii=False)
    for value in ["Promotion Rennes 2026", "Parcours diabète", "Santé mentale", "CHU de Rennes"]:
        assert value in text and value in page, value


def test_erasure_deletes_what_names_the_person_and_keeps_the_cohorts_figures(client, lea):
    learner, cohort = lea["learner"], lea["cohort"]
    learners_before = cohort.memberships.filter(role="learner").count()
    account_erase(user=learner)
    assert not Invitation.objects.filter(email__iexact="lea.martin@chu-rennes.fr").exists()
    assert not Invitation.objects.filter(accepted_by=learner).exists()
    assert not Invitation.objects.filter(name__startswith="Léa").exists()
    assert not CommunityMembership.objects.filter(user=learner).exists()
    assert not CommunityInvitation.objects.filter(user=learner).exists()
    assert not CalendarFeed.objects.filter(user=learner).exists()
    # Memberships stay, counted, under the anonymous tombstone.
    assert cohort.memberships.filter(role="learner").count() == learners_before
    assert CohortMembership.objects.filter(user=learner).count() == 2
    assert GroupMembership.objects.filter(user=learner).exists()
    client.force_login(lea["facilitator"])
    dashboard = client.get(reverse("cohorts:dashboard", args=[cohort.pk])).content.decode()
    assert "Ancien·ne participant·e" in dashboard and "Martin" not in dashboard
    assert not user_data_export(user=learner)["invitations"]


def test_announcements_outlive_their_erased_author_signed_former_participant(client, lea):
    account_erase(user=lea["facilitator"])
    announcement = Announcement.objects.get(subject="Rentrée")
    assert announcement.author.display_name == "Ancien·ne participant·e"
    client.force_login(lea["learner"])
    page = client.get(reverse("cohorts:cohort_detail", args=[lea["cohort"].pk])).content.decode()
    assert "Bienvenue à toutes et tous." in page
