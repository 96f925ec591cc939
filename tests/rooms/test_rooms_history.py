"""The edit history of a message: "(modifié)" leads to every earlier version, with its times,
for members who read the room; a hidden or deleted message's history for moderators only."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from rooms.models import MessageRevision
from rooms.selectors import message_versions
from rooms.services import message_delete, message_edit, message_hide
from tests.factories import make_user
from tests.rooms.factories import make_room_with_members, post

pytestmark = pytest.mark.django_db


def _history_url(message):
    return reverse("rooms:message_history", args=[message.room_id, message.seq])


@pytest.fixture
def edited():
    room, facilitator, (alice, bob) = make_room_with_members()
    message = post(room, alice, "Première idée : un **comité** de pilotage")
    message_edit(room=room, seq=message.seq, user=alice, body="Deuxième idée : un comité _restreint_")
    message_edit(room=room, seq=message.seq, user=alice, body="Version finale : un binôme médecin-directeur")
    message.refresh_from_db()
    return room, facilitator, alice, bob, message


def test_versions_are_listed_oldest_first_each_with_when_it_was_written_and_replaced(edited):
    _room, _fac, _alice, _bob, message = edited
    # Give the revisions distinct, known times to check how the times are chained.
    start = timezone.now() - datetime.timedelta(hours=3)
    first, second = MessageRevision.objects.filter(message=message).order_by("pk")
    MessageRevision.objects.filter(pk=first.pk).update(replaced_at=start + datetime.timedelta(hours=1))
    MessageRevision.objects.filter(pk=second.pk).update(replaced_at=start + datetime.timedelta(hours=2))
    versions = message_versions(message=message)
    assert [v.html for v in versions] == [
        "<p>Première idée : un <strong>comité</strong> de pilotage</p>",
        "<p>Deuxième idée : un comité <em>restreint</em></p>",
        "<p>Version finale : un binôme médecin-directeur</p>",
    ]
    assert versions[0].written_at == message.created_at
    assert versions[0].replaced_at == versions[1].written_at == start + datetime.timedelta(hours=1)
    assert versions[1].replaced_at == versions[2].written_at == start + datetime.timedelta(hours=2)
    assert versions[2].replaced_at is None


def test_the_edited_marker_on_the_room_page_leads_to_the_history(client, edited):
    room, _fac, _alice, bob, message = edited
    unedited = post(room, bob, "Pas modifié")
    client.force_login(bob)
    html = client.get(reverse("rooms:room_detail", args=[room.pk])).content.decode()
    assert f'href="{_history_url(message)}">(modifié)' in html
    assert _history_url(unedited) not in html
    assert 'data-history-url="/rooms/' in html


def test_a_member_reads_every_earlier_version_with_its_time(client, edited):
    room, _fac, _alice, bob, message = edited
    client.force_login(bob)
    response = client.get(_history_url(message))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Première idée : un <strong>comité</strong> de pilotage" in html
    assert "Deuxième idée : un comité <em>restreint</em>" in html
    assert "Version finale" in html and "Version d'origine" in html and "remplacée le" in html
    assert html.count("<time ") == 5  # three written, two replaced
    assert reverse("rooms:room_detail", args=[room.pk]) + "#m-1" in html


def test_a_non_member_and_anonymous_are_refused_the_history(client, edited):
    _room, _fac, _alice, _bob, message = edited
    response = client.get(_history_url(message))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(make_user())
    response = client.get(_history_url(message))
    assert response.status_code == 404
    assert "Première idée" not in response.content.decode()


def test_an_unknown_message_has_no_history(client, edited):
    room, _fac, _alice, bob, _message = edited
    client.force_login(bob)
    assert client.get(reverse("rooms:message_history", args=[room.pk, 99])).status_code == 404


def test_a_hidden_messages_history_is_for_moderators_only(client, edited):
    room, facilitator, alice, bob, message = edited
    message_hide(room=room, seq=message.seq, user=facilitator)
    for learner in (bob, alice):
        client.force_login(learner)
        response = client.get(_history_url(message))
        assert response.status_code == 403
        assert "Première idée" not in response.content.decode()
    # …and the room page does not link members to it.
    assert _history_url(message) not in client.get(reverse("rooms:room_detail", args=[room.pk])).content.decode()
    client.force_login(facilitator)
    response = client.get(_history_url(message))
    assert response.status_code == 200 and "Première idée" in response.content.decode()


def test_a_deleted_messages_texts_are_for_moderators_only(client, edited):
    room, facilitator, alice, bob, message = edited
    message_delete(room=room, seq=message.seq, user=alice)
    for learner in (bob, alice):
        client.force_login(learner)
        assert client.get(_history_url(message)).status_code == 403
    client.force_login(facilitator)
    html = client.get(_history_url(message)).content.decode()
    assert "Version finale" in html and "supprimée le" in html and "Version actuelle" not in html


def test_an_unedited_message_says_so(client):
    room, _fac, (alice, bob) = make_room_with_members()
    message = post(room, alice, "Une seule version")
    client.force_login(bob)
    html = client.get(_history_url(message)).content.decode()
    assert "n'a pas été modifié" in html and "Une seule version" in html


def test_the_history_page_costs_the_same_queries_for_2_or_20_versions(client, django_assert_max_num_queries):
    # session, user, room, membership, message and author, revisions, the header's admin check
    # and its unread notifications (the cache is empty at the start of each test)
    room, _fac, (alice, bob) = make_room_with_members()
    few = post(room, alice, "v0")
    many = post(room, alice, "w0")
    message_edit(room=room, seq=few.seq, user=alice, body="v1")
    for i in range(1, 20):
        message_edit(room=room, seq=many.seq, user=alice, body=f"w{i}")
    client.force_login(bob)
    counts = []
    for message in (few, many):
        cache.clear()  # both measured cold
        with django_assert_max_num_queries(8) as captured:
            assert client.get(_history_url(message)).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
