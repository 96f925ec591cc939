"""Communities of practice: closing a cohort invites its members; join from the directory;
the member directory shows only what people opted in to show."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from cohorts.models import CommunityInvitation, CommunityMembership
from cohorts.services import cohort_close, community_create
from tests.factories import make_user
from tests.factories_cohorts import make_cohort

pytestmark = pytest.mark.django_db


def _community(programme=None, **fields):
    community = community_create(
        name=fields.pop("name", "Parcours patient diabète en Bretagne"), slug=fields.pop("slug", "diabete-bretagne"),
        theme="Coordonner ville, hôpital et ARS autour du patient diabétique.", region="Bretagne",
        programmes=[programme] if programme else [], **fields,
    )
    return community


def test_closing_a_cohort_invites_its_members_to_the_programmes_communities(django_capture_on_commit_callbacks):
    cohort = make_cohort(learners=3, region="Bretagne")  # the communities below are of Bretagne
    linked = _community(cohort.programme)
    unrelated = _community(name="Santé mentale", slug="sante-mentale")
    with django_capture_on_commit_callbacks(execute=True):
        cohort_close(cohort=cohort)
    members = set(cohort.memberships.values_list("user_id", flat=True))
    assert set(CommunityInvitation.objects.filter(community=linked).values_list("user_id", flat=True)) == members
    assert not CommunityInvitation.objects.filter(community=unrelated).exists()
    assert len(mail.outbox) == 4 and "Parcours patient diabète" in mail.outbox[0].subject
    cohort.refresh_from_db()
    assert cohort.status == "closed"


def test_closing_twice_or_closing_for_existing_members_invites_nobody_twice(django_capture_on_commit_callbacks):
    cohort = make_cohort(learners=2, region="Bretagne")  # the communities below are of Bretagne
    community = _community(cohort.programme)
    member = cohort.memberships.filter(role="learner").first().user
    CommunityMembership.objects.create(community=community, user=member)
    cohort_close(cohort=cohort)
    with pytest.raises(ValidationError, match="déjà terminée"):
        cohort_close(cohort=cohort)
    assert CommunityInvitation.objects.filter(community=community).count() == 2  # the other learner and the facilitator
    assert not CommunityInvitation.objects.filter(community=community, user=member).exists()


def test_closing_from_the_site_invites_members(client):
    cohort = make_cohort(learners=2, region="Bretagne")  # the communities below are of Bretagne
    community = _community(cohort.programme)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    client.post(reverse("cohorts:cohort_close", args=[cohort.pk]), {"confirm": "yes"})
    assert CommunityInvitation.objects.filter(community=community).count() == 3


def test_an_invited_member_joins_from_the_directory(client):
    cohort = make_cohort(learners=1, region="Bretagne")  # the communities below are of Bretagne
    community = _community(cohort.programme)
    cohort_close(cohort=cohort)
    learner = cohort.memberships.get(role="learner").user
    client.force_login(learner)
    page = client.get(reverse("cohorts:community_list")).content.decode()
    assert "Vous êtes invité·e" in page
    client.post(reverse("cohorts:community_join", args=[community.slug]))
    assert CommunityMembership.objects.filter(community=community, user=learner).exists()
    assert CommunityInvitation.objects.get(community=community, user=learner).status == "accepted"
    assert client.get(reverse("cohorts:community_detail", args=[community.slug])).status_code == 200


def test_the_member_directory_shows_only_opted_in_people_and_fields(client):
    community = _community()
    shown = make_user(first_name="Aline", last_name="Visible", organisation="CHU de Brest", region="Bretagne",
                      in_directory=True, share_region=True, share_organisation=False, interests="parcours diabète",
                      share_interests=True)
    hidden = make_user(first_name="Bruno", last_name="Discret", in_directory=False)
    viewer = make_user()
    for user in (shown, hidden, viewer):
        CommunityMembership.objects.create(community=community, user=user)
    client.force_login(viewer)
    page = client.get(reverse("cohorts:community_detail", args=[community.slug])).content.decode()
    assert "Aline Visible" in page and "Bretagne" in page and "parcours diabète" in page
    assert "CHU de Brest" not in page
    assert "Bruno Discret" not in page


def test_leaving_a_community_closes_its_page(client):
    community = _community()
    user = make_user()
    CommunityMembership.objects.create(community=community, user=user)
    client.force_login(user)
    client.post(reverse("cohorts:community_leave", args=[community.slug]))
    assert client.get(reverse("cohorts:community_detail", args=[community.slug])).status_code == 404


def _admin_form(client, url: str) -> dict:
    """The Django admin's change form as the browser would post it back unchanged."""
    form = BeautifulSoup(client.get(url).content, "html.parser").find("form", id="cohort_form")
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") in {"submit", "checkbox"} and not field.has_attr("checked"):
            continue
        if field.name == "select":
            selected = field.find("option", selected=True)
            data[name] = selected["value"] if selected else ""
        elif field.name == "textarea":
            data[name] = field.get_text()
        else:
            data[name] = field.get("value", "")
    return data


def test_closing_from_the_django_admin_goes_through_the_service_and_invites_members(
    client, django_capture_on_commit_callbacks
):
    cohort = make_cohort(learners=2, region="Bretagne")  # the communities below are of Bretagne
    community = _community(cohort.programme)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = f"/django-admin/cohorts/cohort/{cohort.pk}/change/"
    data = _admin_form(client, url)
    assert data["status"] == "running" and data["memberships-TOTAL_FORMS"] == "3"
    data["status"] = "closed"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cohort.refresh_from_db()
    assert cohort.status == "closed"
    members = set(cohort.memberships.values_list("user_id", flat=True))
    assert set(CommunityInvitation.objects.filter(community=community).values_list("user_id", flat=True)) == members
    assert len(mail.outbox) == 3 and community.name in mail.outbox[0].subject


def test_the_django_admin_refuses_a_cohort_that_ends_before_it_starts_with_the_rules_message(client):
    cohort = make_cohort()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = f"/django-admin/cohorts/cohort/{cohort.pk}/change/"
    data = _admin_form(client, url)
    data["ends_on"] = "2000-01-01"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "La fin doit suivre le début." in BeautifulSoup(response.content, "html.parser").get_text()
    cohort.refresh_from_db()
    assert cohort.ends_on.year != 2000


def test_a_cohort_whose_creator_was_deleted_can_still_be_closed(client):
    cohort = make_cohort(learners=2, region="Bretagne")  # the communities below are of Bretagne
    community = _community(cohort.programme)
    colleague = make_user()
    cohort.memberships.create(user=colleague, role="facilitator")
    cohort.created_by.delete()
    client.force_login(colleague)
    assert client.post(reverse("cohorts:cohort_close", args=[cohort.pk]), {"confirm": "yes"}).status_code == 302
    cohort.refresh_from_db()
    assert cohort.status == "closed" and cohort.created_by is None
    assert CommunityInvitation.objects.filter(community=community).count() == 3
