"""The permission matrix over every cohort URL: anonymous, a facilitator of another cohort,
a learner of another cohort, and (for facilitator pages) a learner of this cohort."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from cohorts.models import (
    Announcement,
    Cohort,
    CohortGroup,
    CohortMembership,
    GroupMembership,
    Invitation,
    LiveSession,
    ScheduleItem,
)
from cohorts.services import community_create, groups_form, invitation_create
from tests.factories import make_user
from tests.factories_cohorts import make_case, make_cohort, make_module

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    cohort = make_cohort(learners=4, status="open", join_policy="approval")
    case = make_case(module=make_module(programme=cohort.programme))
    groups_form(cohort=cohort, size=2, seed=0)
    facilitator = cohort.memberships.get(role="facilitator").user
    invitation = invitation_create(cohort=cohort, email="invitee@chu-test.fr", invited_by=facilitator)
    pending = CohortMembership.objects.create(cohort=cohort, user=make_user(), status="pending")
    other = make_cohort(learners=1)
    return {
        "cohort": cohort, "case": case, "invitation": invitation, "pending": pending,
        "group": CohortGroup.objects.filter(cohort=cohort).first(),
        "learner": cohort.memberships.filter(role="learner", status="active").first().user,
        "facilitator": facilitator,
        "other_facilitator": other.memberships.get(role="facilitator").user,
        "other_learner": other.memberships.get(role="learner").user,
    }


def _facilitator_urls(w):
    c = w["cohort"].pk
    start = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    end = (timezone.now() + timedelta(days=1, hours=2)).strftime("%Y-%m-%dT%H:%M")
    learner_id = w["learner"].pk
    return [
        ("get", reverse("cohorts:cohort_edit", args=[c]), {}),
        ("post", reverse("cohorts:cohort_edit", args=[c]), {"name": "Piratée", "starts_on": "2026-01-01", "ends_on": "2026-06-01",
                                                          "language": "fr", "capacity": 5, "status": "closed", "join_policy": "invitation"}),
        ("post", reverse("cohorts:cohort_close", args=[c]), {}),
        ("post", reverse("cohorts:membership_approve", args=[c, w["pending"].pk]), {}),
        ("get", reverse("cohorts:invitation_list", args=[c]), {}),
        ("post", reverse("cohorts:invitation_list", args=[c]), {"email": "intrus@example.org"}),
        ("post", reverse("cohorts:invitation_resend", args=[c, w["invitation"].pk]), {}),
        ("post", reverse("cohorts:invitation_revoke", args=[c, w["invitation"].pk]), {}),
        ("get", reverse("cohorts:group_list", args=[c]), {}),
        ("post", reverse("cohorts:group_list", args=[c]), {"size": 4, "seed": 1}),
        ("post", reverse("cohorts:group_move", args=[c]), {"user": learner_id, "group": ""}),
        ("get", reverse("cohorts:schedule_edit", args=[c]), {}),
        ("post", reverse("cohorts:schedule_edit", args=[c]), {
            "schedule-TOTAL_FORMS": "1", "schedule-INITIAL_FORMS": "1",
            "schedule-0-part": f"c{w['case'].pk}", "schedule-0-debrief_opens_at": "2020-01-01T09:00",
        }),
        ("post", reverse("cohorts:live_session_create", args=[c]), {"title": "x", "starts_at": start, "ends_at": end, "place": "Rennes"}),
        ("post", reverse("cohorts:debrief_release", args=[c, w["case"].pk]), {}),
        ("get", reverse("cohorts:dashboard", args=[c]), {}),
        ("get", reverse("cohorts:progress_export", args=[c]), {}),
        ("post", reverse("cohorts:announcement_create", args=[c]), {"subject": "Intrusion", "body": "Bonjour"}),
    ]


def _state():
    """What a refused request must leave untouched."""
    return (
        list(Cohort.objects.values_list("pk", "name", "status").order_by("pk")),
        list(CohortMembership.objects.values_list("pk", "status").order_by("pk")),
        list(Invitation.objects.values_list("pk", "status", "token_hash").order_by("pk")),
        list(GroupMembership.objects.values_list("group_id", "user_id").order_by("user_id")),
        CohortGroup.objects.count(), ScheduleItem.objects.count(), LiveSession.objects.count(), Announcement.objects.count(),
    )


@pytest.mark.parametrize("actor, expected", [
    (None, 302), ("other_facilitator", 404), ("other_learner", 404), ("learner", 403),
])
def test_facilitator_pages_refuse_everyone_else_and_store_nothing(client, world, actor, expected):
    if actor:
        client.force_login(world[actor])
    before = _state()
    for method, url, data in _facilitator_urls(world):
        response = getattr(client, method)(url, data)
        assert response.status_code == expected, (method, url, response.status_code)
        if expected == 302:
            assert reverse("account_login") in response["Location"]
    assert _state() == before


def test_the_facilitator_reaches_every_facilitator_page(client, world):
    client.force_login(world["facilitator"])
    for method, url, data in _facilitator_urls(world):
        if method == "get":
            assert client.get(url).status_code == 200, url
        elif url == reverse("cohorts:schedule_edit", args=[world["cohort"].pk]):
            # What the others were refused would have been stored for the facilitator.
            assert client.post(url, data).status_code == 302
            assert ScheduleItem.objects.get(cohort=world["cohort"], page=world["case"]).debrief_opens_at.year == 2020


@pytest.mark.parametrize("actor, expected", [(None, 302), ("other_facilitator", 404), ("other_learner", 404)])
def test_the_cohort_page_is_for_its_members_only(client, world, actor, expected):
    if actor:
        client.force_login(world[actor])
    response = client.get(reverse("cohorts:cohort_detail", args=[world["cohort"].pk]))
    assert response.status_code == expected


def test_a_learner_sees_members_and_own_group_but_nothing_of_other_groups_or_cohorts(client, world):
    learner = world["learner"]
    learner.share_organisation = False
    learner.save()
    client.force_login(learner)
    page = client.get(reverse("cohorts:cohort_detail", args=[world["cohort"].pk])).content.decode()
    my_group = GroupMembership.objects.get(user=learner).group
    other_group = CohortGroup.objects.filter(cohort=world["cohort"]).exclude(pk=my_group.pk).first()
    assert my_group.name in page
    assert f"<h3>{other_group.name}</h3>" not in page
    assert world["other_learner"].display_name not in page
    assert "Tableau de bord" not in page  # no facilitator navigation
    classmate = world["cohort"].memberships.filter(role="learner").exclude(user=learner).first().user
    assert classmate.display_name in page


def test_privacy_settings_hide_the_organisation_from_classmates(client, world):
    learner = world["learner"]
    learner.organisation = "Clinique Très Discrète"
    learner.share_organisation = False
    learner.save()
    classmate = world["cohort"].memberships.filter(role="learner").exclude(user=learner).first().user
    client.force_login(classmate)
    page = client.get(reverse("cohorts:cohort_detail", args=[world["cohort"].pk])).content.decode()
    assert learner.display_name in page
    assert "Clinique Très Discrète" not in page


def _cohort_list(client) -> tuple[set[str], set[str], BeautifulSoup]:
    """The names under "my cohorts", the names offered to join, and the page."""
    page = BeautifulSoup(client.get(reverse("cohorts:cohort_list")).content, "html.parser")
    mine = page.find("ul", class_="cohort-cards")
    offered = page.find("h2", string="Promotions ouvertes aux demandes")
    return (
        {a.get_text() for a in mine.select("h2 a")} if mine else set(),
        {h.get_text() for h in offered.find_next("ul").find_all("h3")} if offered else set(),
        page,
    )


def test_cohort_list_shows_only_the_users_cohorts(client, world):
    invitation_only = make_cohort(learners=1, name="Promotion sur invitation")
    client.force_login(world["other_learner"])
    mine, offered, page = _cohort_list(client)
    assert mine == {world["other_learner"].cohort_memberships.get().cohort.name}
    # The open cohort is only offered (a request button, no link in); the invitation-only one is not shown at all.
    assert offered == {world["cohort"].name}
    assert page.find("form", action=reverse("cohorts:cohort_join", args=[world["cohort"].pk]))
    assert not page.find("a", href=reverse("cohorts:cohort_detail", args=[world["cohort"].pk]))
    assert invitation_only.name not in page.get_text()
    client.force_login(world["learner"])
    mine, offered, page = _cohort_list(client)
    assert mine == {world["cohort"].name} and offered == set()
    assert page.find("a", href=reverse("cohorts:cohort_detail", args=[world["cohort"].pk]))


def test_only_facilitators_create_cohorts(client, world):
    client.force_login(world["learner"])
    assert client.get(reverse("cohorts:cohort_create")).status_code == 403
    client.force_login(world["facilitator"])
    assert client.get(reverse("cohorts:cohort_create")).status_code == 200


def test_a_facilitator_creates_a_cohort_from_the_site_with_its_room(client, world):
    from rooms.models import Room

    client.force_login(world["facilitator"])
    response = client.post(reverse("cohorts:cohort_create"), {
        "programme": world["cohort"].programme.pk, "name": "Promotion printemps 2027", "starts_on": "2027-03-01",
        "ends_on": "2027-06-30", "language": "fr", "capacity": 24, "status": "draft", "join_policy": "invitation",
    })
    assert response.status_code == 302
    created = Cohort.objects.get(name="Promotion printemps 2027")
    assert Room.objects.filter(kind="cohort", cohort=created).exists()
    assert created.memberships.get(user=world["facilitator"]).role == "facilitator"


def test_a_cohort_that_ends_before_it_starts_is_refused_with_a_message(client, world):
    client.force_login(world["facilitator"])
    response = client.post(reverse("cohorts:cohort_create"), {
        "programme": world["cohort"].programme.pk, "name": "À l'envers", "starts_on": "2027-03-01",
        "ends_on": "2027-01-01", "language": "fr", "capacity": 24, "status": "draft", "join_policy": "invitation",
    })
    assert response.status_code == 200
    assert "La fin doit suivre le début" in response.content.decode()
    assert not Cohort.objects.filter(name="À l'envers").exists()


def test_anyone_logged_in_may_ask_to_join_an_open_cohort_and_the_facilitator_approves(client, world):
    newcomer = make_user()
    client.force_login(newcomer)
    client.post(reverse("cohorts:cohort_join", args=[world["cohort"].pk]))
    membership = CohortMembership.objects.get(cohort=world["cohort"], user=newcomer)
    assert membership.status == "pending"
    assert client.get(reverse("cohorts:cohort_detail", args=[world["cohort"].pk])).status_code == 404
    client.force_login(world["facilitator"])
    client.post(reverse("cohorts:membership_approve", args=[world["cohort"].pk, membership.pk]))
    membership.refresh_from_db()
    assert membership.status == "active"


def test_an_invitation_only_cohort_refuses_join_requests(client, world):
    closed = make_cohort(status="open", join_policy="invitation")
    client.force_login(world["other_learner"])
    client.post(reverse("cohorts:cohort_join", args=[closed.pk]))
    assert not CohortMembership.objects.filter(cohort=closed, user=world["other_learner"]).exists()


@pytest.mark.parametrize("actor", [None, "learner"])
def test_a_community_page_is_visible_to_its_members_only(client, world, actor):
    community = community_create(name="Parcours diabète", slug="diabete", theme="Parcours", moderators=[world["facilitator"]])
    if actor:
        client.force_login(world[actor])
    response = client.get(reverse("cohorts:community_detail", args=[community.slug]))
    assert response.status_code == (302 if actor is None else 404)
    client.force_login(world["facilitator"])
    assert client.get(reverse("cohorts:community_detail", args=[community.slug])).status_code == 200


def test_anonymous_visitors_are_sent_to_login_from_lists(client):
    for name in ("cohorts:cohort_list", "cohorts:community_list", "cohorts:calendar", "cohorts:cohort_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_cohort_has_one_or_more_facilitators_chosen_from_the_site(client, world):
    from tests.factories_cohorts import make_facilitator

    colleague = make_facilitator(first_name="Hervé", last_name="Coanimateur")
    client.force_login(world["facilitator"])
    data = {
        "programme": world["cohort"].programme.pk, "name": "Promotion à deux voix", "starts_on": "2027-03-01",
        "ends_on": "2027-06-30", "language": "fr", "capacity": 24, "status": "draft", "join_policy": "invitation",
        "co_facilitators": [colleague.pk],
    }
    assert "Hervé Coanimateur" in client.get(reverse("cohorts:cohort_create")).content.decode()
    client.post(reverse("cohorts:cohort_create"), data)
    cohort = Cohort.objects.get(name="Promotion à deux voix")
    assert set(cohort.memberships.filter(role="facilitator").values_list("user_id", flat=True)) == {
        world["facilitator"].pk, colleague.pk,
    }
    client.force_login(colleague)
    assert client.get(reverse("cohorts:dashboard", args=[cohort.pk])).status_code == 200
    client.force_login(world["facilitator"])
    data.pop("programme")
    data["co_facilitators"] = []
    client.post(reverse("cohorts:cohort_edit", args=[cohort.pk]), data)
    assert list(cohort.memberships.filter(role="facilitator").values_list("user_id", flat=True)) == [world["facilitator"].pk]
