"""Room pages without JavaScript, insights for facilitators, the dashboard panel."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from accounts.choices import Profession
from cohorts.models import CohortMembership
from rooms.models import Message, ReadMarker
from tests.factories import make_user
from tests.rooms.factories import (
    add_member,
    add_to_community,
    make_cohort,
    make_cohort_room,
    make_community_room,
    make_room_with_members,
    post,
)

pytestmark = pytest.mark.django_db


def _url(room):
    return reverse("rooms:room_detail", args=[room.pk])


def test_room_page_shows_recent_history_and_a_plain_form(client):
    room, _fac, (alice, bob) = make_room_with_members()
    post(room, alice, "Bonjour **tout le monde**")
    client.force_login(bob)
    response = client.get(_url(room))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>tout le monde</strong>" in html
    assert 'name="client_id"' in html and 'method="post"' in html
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_room_page_is_refused_to_anonymous_and_non_members(client):
    room, _fac, _members = make_room_with_members()
    post(room, _members[0], "secret de groupe")
    response = client.get(_url(room))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(make_user())
    response = client.get(_url(room))
    assert response.status_code == 404
    response = client.post(_url(room), {"body": "intrus", "client_id": "x1"})
    assert response.status_code == 404
    assert not Message.objects.filter(body="intrus").exists()


def test_plain_form_posts_once_even_when_submitted_twice(client):
    room, _fac, (alice, _bob) = make_room_with_members()
    client.force_login(alice)
    for _ in range(2):
        response = client.post(_url(room), {"body": "Envoyé sans JavaScript", "client_id": "form-1"})
        assert response.status_code == 302 and response["Location"].endswith("#m-1")
    assert Message.objects.filter(room=room).count() == 1


def test_plain_form_shows_a_clear_error_and_stores_nothing(client):
    room, _fac, (alice, _bob) = make_room_with_members()
    client.force_login(alice)
    response = client.post(_url(room), {"body": "   ", "client_id": "form-2"})
    assert response.status_code == 400
    assert "Écrivez un message" in response.content.decode()
    response = client.post(_url(room), {"body": "x" * 4001, "client_id": "form-3"})
    assert response.status_code == 400
    assert Message.objects.count() == 0


def test_room_page_pages_back_through_history(client):
    room, _fac, (alice, bob) = make_room_with_members()
    Message.objects.bulk_create(
        [Message(room=room, seq=i, author=alice, client_id=f"c{i}", body=f"n°{i}", html=f"<p>n°{i}</p>") for i in range(1, 121)]
    )
    client.force_login(bob)
    latest = client.get(_url(room)).context
    assert [m.seq for m in latest["messages_page"]] == list(range(71, 121)) and latest["older_before"] == 71
    older = client.get(_url(room) + "?before=71").context
    assert [m.seq for m in older["messages_page"]] == list(range(21, 71))
    oldest = client.get(_url(room) + "?before=21").context
    assert [m.seq for m in oldest["messages_page"]] == list(range(1, 21)) and oldest["older_before"] is None


@pytest.mark.parametrize("count", [3, 60])
def test_room_page_query_count_does_not_grow_with_messages(client, django_assert_max_num_queries, count):
    room, _fac, (alice, bob) = make_room_with_members()
    for i in range(count):
        Message.objects.create(room=room, seq=i + 1, author=alice if i % 2 else bob, client_id=f"q{i}", body="x", html="x")
    room.last_message_seq = count
    room.save()
    client.force_login(bob)
    with django_assert_max_num_queries(16):
        assert client.get(_url(room)).status_code == 200
    assert ReadMarker.objects.get(room=room, user=bob).last_read_seq == count


def test_insights_are_for_facilitators_only(client):
    cohort = make_cohort()
    room = make_cohort_room(cohort=cohort)
    facilitator = add_member(cohort, role=CohortMembership.Role.FACILITATOR)
    director = add_member(cohort, profession=Profession.DIRECTOR)
    physician = add_member(cohort, profession=Profession.PHYSICIAN)
    first = post(room, director, "Question")
    post(room, physician, "Réponse", reply_to=first.seq)
    urls = [reverse("rooms:room_insights", args=[room.pk]), reverse("rooms:cohort_rooms_insights", args=[cohort.pk])]
    client.force_login(director)
    for url in urls:
        assert client.get(url).status_code == 403
    client.force_login(make_user())
    assert client.get(urls[0]).status_code == 404
    assert client.get(urls[1]).status_code == 404  # outsiders are not told the cohort exists
    client.force_login(facilitator)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["cross_share"] == 100
        assert "Qui répond à qui" in response.content.decode()


def test_dashboard_panel_lists_rooms_with_unread_counts_in_bounded_queries(django_assert_max_num_queries):
    from rooms.wagtail_hooks import rooms_dashboard_panel

    room, _fac, (alice, bob) = make_room_with_members()
    community, other = make_community_room()
    add_to_community(community, alice)
    add_to_community(community, bob)
    for i in range(4):
        post(room, alice, f"m{i}")
    post(other, alice, f"@{bob.display_name} regarde")
    request = RequestFactory().get("/")
    request.user = bob
    with django_assert_max_num_queries(3):
        (panel,) = rooms_dashboard_panel(request)
    assert {r.pk: r.unread for r in panel["context"]["rooms"]} == {room.pk: 4, other.pk: 1}
    assert panel["context"]["unread_total"] == 5 and len(panel["context"]["mentions"]) == 1
    html = render_to_string(panel["template"], panel["context"], request=request)
    assert "4 nouveaux messages" in html and room.name in html
