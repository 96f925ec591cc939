"""Unread notifications in the site header (from the cache, else one query) and the
notifications page with "mark as read", refused for someone else's notifications."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from rooms.context_processors import notifications as notifications_context
from rooms.models import Notification
from rooms.services import message_hide, message_report, notification_mark_read
from tests.factories import make_user
from tests.rooms.factories import make_room_with_members, post

pytestmark = pytest.mark.django_db

LIST_URL = reverse("rooms:notification_list")


def _mention(room, author, target, text="regarde ça"):
    return post(room, author, f"@{target.display_name} {text}")


def _header_count(user) -> int:
    request = RequestFactory().get("/")
    request.user = user
    return notifications_context(request)["unread_notifications"]()


@pytest.fixture
def mentioned(django_capture_on_commit_callbacks):
    room, facilitator, (alice, bob) = make_room_with_members()
    with django_capture_on_commit_callbacks(execute=True):
        first = _mention(room, alice, bob, "qui pilote le projet ?")
        second = _mention(room, facilitator, bob, "une idée pour la CPTS ?")
    return room, facilitator, alice, bob, first, second


def test_the_header_shows_the_unread_count_and_links_to_the_notifications(client, mentioned):
    _room, _fac, alice, bob, _first, _second = mentioned
    client.force_login(bob)
    html = client.get("/accounts/profile/").content.decode()
    assert f'href="{LIST_URL}"' in html
    assert 'class="header-notifications__count" aria-hidden="true">2<' in html and "2 non lues" in html
    client.force_login(alice)
    html = client.get("/accounts/profile/").content.decode()
    assert f'href="{LIST_URL}"' in html and "header-notifications__count" not in html


def test_anonymous_visitors_have_no_notifications_in_the_header(client):
    html = client.get("/accounts/login/").content.decode()
    assert LIST_URL not in html and "header-notifications" not in html


def test_the_header_count_costs_one_query_then_none_until_it_changes(
    mentioned, django_assert_num_queries, django_capture_on_commit_callbacks
):
    room, facilitator, alice, bob, _first, _second = mentioned
    with django_assert_num_queries(1):
        assert _header_count(bob) == 2
    with django_assert_num_queries(0):
        assert _header_count(bob) == 2
    # Someone with nothing unread: one query the first time, none after.
    with django_assert_num_queries(1):
        assert _header_count(alice) == 0
    with django_assert_num_queries(0):
        assert _header_count(alice) == 0
    # A new mention, a report (for the facilitator) and a read each refresh the figure.
    with django_capture_on_commit_callbacks(execute=True):
        _mention(room, facilitator, alice)
    assert _header_count(alice) == 1
    assert _header_count(facilitator) == 0
    with django_capture_on_commit_callbacks(execute=True):
        message_report(room=room, seq=1, user=alice, reason="")
    assert _header_count(facilitator) == 1
    with django_capture_on_commit_callbacks(execute=True):
        notification_mark_read(user=bob)
    assert _header_count(bob) == 0


def test_the_header_count_reads_the_database_when_the_cache_fails(mentioned, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "set", broken)
    assert _header_count(mentioned[3]) == 2


def test_the_notifications_page_lists_mentions_newest_first_with_links_to_the_messages(client, mentioned):
    room, facilitator, alice, bob, first, second = mentioned
    client.force_login(bob)
    response = client.get(LIST_URL)
    assert response.status_code == 200
    listed = response.context["notifications"]
    assert [n.message.seq for n in listed] == [second.seq, first.seq]
    html = response.content.decode()
    assert f"{alice.display_name} vous a mentionné·e dans" in html and "qui pilote le projet ?" in html
    assert f'href="{reverse("rooms:room_detail", args=[room.pk])}#m-{first.seq}"' in html
    assert "Tout marquer comme lu" in html and html.count("Marquer comme lue") == 2


def test_a_moderator_sees_reports_and_a_mention_of_a_since_hidden_message_loses_its_text(client, mentioned):
    room, facilitator, alice, bob, first, _second = mentioned
    message_report(room=room, seq=first.seq, user=bob, reason="hors sujet")
    message_hide(room=room, seq=first.seq, user=facilitator)
    client.force_login(facilitator)
    html = client.get(LIST_URL).content.decode()
    assert "Message signalé dans" in html and "qui pilote le projet ?" in html
    client.force_login(bob)
    html = client.get(LIST_URL).content.decode()
    assert "qui pilote le projet ?" not in html and "une idée pour la CPTS ?" in html


def test_mark_one_as_read_then_all(client, mentioned):
    _room, _fac, _alice, bob, first, second = mentioned
    client.force_login(bob)
    one = Notification.objects.get(user=bob, message=first)
    response = client.post(reverse("rooms:notification_read", args=[one.pk]))
    assert response.status_code == 302 and response["Location"] == LIST_URL
    one.refresh_from_db()
    assert one.read_at is not None
    assert Notification.objects.get(user=bob, message=second).read_at is None
    # Marking an already read notification again is harmless.
    assert client.post(reverse("rooms:notification_read", args=[one.pk])).status_code == 302
    response = client.post(reverse("rooms:notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=bob, read_at__isnull=True).exists()
    html = client.get(LIST_URL).content.decode()
    assert "1 notification marquée comme lue." in html and "Marquer comme lue" not in html


def test_someone_elses_notification_cannot_be_marked_read(client, mentioned):
    _room, facilitator, alice, bob, first, _second = mentioned
    theirs = Notification.objects.get(user=bob, message=first)
    for intruder in (alice, facilitator, make_user()):
        client.force_login(intruder)
        assert client.post(reverse("rooms:notification_read", args=[theirs.pk])).status_code == 404
        client.post(reverse("rooms:notification_read_all"))
        assert theirs.pk not in [n.pk for n in client.get(LIST_URL).context["notifications"]]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_anonymous_is_sent_to_login_and_get_on_the_read_urls_is_not_allowed(client, mentioned):
    _room, _fac, _alice, bob, first, _second = mentioned
    theirs = Notification.objects.get(user=bob, message=first)
    read_url = reverse("rooms:notification_read", args=[theirs.pk])
    response = client.get(LIST_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for url in (read_url, reverse("rooms:notification_read_all")):
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client.get(url).status_code == 405
    client.force_login(bob)
    assert client.get(read_url).status_code == 405
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_notifications_page_costs_the_same_queries_for_2_or_30_notifications(
    client, settings, django_assert_max_num_queries
):
    settings.ROOMS_RATE_LIMIT_MESSAGES = 100
    room, facilitator, (alice, bob) = make_room_with_members()
    _mention(room, alice, bob)
    _mention(room, facilitator, bob)
    client.force_login(bob)
    counts = []
    for extra in (0, 28):
        for i in range(extra):
            _mention(room, alice if i % 2 else facilitator, bob, f"n°{i}")
        cache.clear()  # both measured cold: the header's count is read from the database
        with django_assert_max_num_queries(6) as captured:
            response = client.get(LIST_URL)
        assert len(response.context["notifications"]) == 2 + extra
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_notification_shows_the_message_as_plain_text_not_markdown(client, mentioned):
    room, facilitator, _alice, bob, _first, _second = mentioned
    _mention(room, facilitator, bob, "voir **le guide** de la [HAS](https://www.has-sante.fr/) :\n\n- point un\n- point deux")
    client.force_login(bob)
    html = client.get(LIST_URL).content.decode()
    assert "voir le guide de la HAS : point un point deux" in html
    assert "[HAS]" not in html and "**" not in html
