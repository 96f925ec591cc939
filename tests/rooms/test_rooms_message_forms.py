"""Author and moderation actions on one message with plain forms (no JavaScript): who may do
what, the redirect back to the message, and the broadcast that live clients receive."""

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.urls import reverse

from rooms.events import room_group
from rooms.models import Message, MessageReport, MessageRevision, Notification
from tests.factories import make_user
from tests.rooms.factories import make_room_with_members, post

pytestmark = pytest.mark.django_db

ACTIONS = ["delete", "hide", "restore", "pin", "unpin", "report"]


def _url(message, action):
    return reverse("rooms:message_action", args=[message.room_id, message.seq, action])


def _state(message):
    """Everything a refused action must leave alone."""
    message.refresh_from_db()
    return (message.body, message.deleted_at, message.hidden_at, message.pinned_at,
            MessageReport.objects.filter(message=message).count(), MessageRevision.objects.filter(message=message).count())


@pytest.fixture
def room_setup():
    room, facilitator, (alice, bob) = make_room_with_members()
    message = post(room, alice, "Le projet médical partagé d'abord")
    return room, facilitator, alice, bob, message


def _flash(client, response) -> str:
    page = client.get(response["Location"])
    return " ".join(str(m) for m in page.context["messages"]) if page.context else ""


def test_the_author_deletes_their_message_and_is_sent_back_to_it_with_a_notice(client, room_setup):
    room, _fac, alice, _bob, message = room_setup
    client.force_login(alice)
    response = client.post(_url(message, "delete"))
    assert response.status_code == 302
    assert response["Location"] == reverse("rooms:room_detail", args=[room.pk]) + "#m-1"
    message.refresh_from_db()
    assert message.deleted_at is not None and message.body == ""
    assert MessageRevision.objects.get(message=message).body == "Le projet médical partagé d'abord"
    html = client.get(response["Location"]).content.decode()
    assert "Votre message a été supprimé." in html and "Message supprimé par son auteur·rice." in html


def test_a_facilitator_hides_restores_pins_and_unpins_with_plain_forms(client, room_setup):
    _room, facilitator, _alice, _bob, message = room_setup
    client.force_login(facilitator)
    expected = {
        "hide": lambda m: m.hidden_at is not None and m.hidden_by_id == facilitator.pk,
        "restore": lambda m: m.hidden_at is None,
        "pin": lambda m: m.pinned_at is not None and m.pinned_by_id == facilitator.pk,
        "unpin": lambda m: m.pinned_at is None,
    }
    notices = {"hide": "masqué pour les membres", "restore": "de nouveau visible", "pin": "est épinglé",
               "unpin": "n'est plus épinglé"}
    for action, check in expected.items():
        response = client.post(_url(message, action))
        assert response.status_code == 302 and response["Location"].endswith("#m-1")
        message.refresh_from_db()
        assert check(message), action
        assert notices[action] in _flash(client, response)


def test_a_member_reports_a_message_with_a_reason_and_the_moderators_are_notified(client, room_setup):
    _room, facilitator, alice, bob, message = room_setup
    client.force_login(bob)
    response = client.post(_url(message, "report"), {"reason": "Propos blessants pour l'équipe de nuit"})
    assert response.status_code == 302 and response["Location"].endswith("#m-1")
    report = MessageReport.objects.get(message=message)
    assert report.reporter == bob and report.reason == "Propos blessants pour l'équipe de nuit"
    assert Notification.objects.filter(user=facilitator, kind=Notification.Kind.REPORT, message=message).exists()
    assert not Notification.objects.filter(user=alice, kind=Notification.Kind.REPORT).exists()
    assert "l'animation a été prévenue" in _flash(client, response)


def test_a_report_reason_over_500_characters_is_refused_with_a_notice(client, room_setup):
    _room, _fac, _alice, bob, message = room_setup
    client.force_login(bob)
    response = client.post(_url(message, "report"), {"reason": "x" * 501})
    assert response.status_code == 302
    assert not MessageReport.objects.exists()
    assert "500 caractères" in _flash(client, response)


@pytest.mark.parametrize("action", ["hide", "restore", "pin", "unpin"])
def test_a_learner_cannot_moderate_even_their_own_message(client, room_setup, action):
    _room, _fac, alice, bob, message = room_setup
    for learner in (alice, bob):
        client.force_login(learner)
        before = _state(message)
        assert client.post(_url(message, action)).status_code == 403
        assert _state(message) == before


def test_a_learner_cannot_delete_someone_elses_message_nor_can_a_facilitator(client, room_setup):
    _room, facilitator, _alice, bob, message = room_setup
    before = _state(message)
    for user in (bob, facilitator):
        client.force_login(user)
        assert client.post(_url(message, "delete")).status_code == 403
    assert _state(message) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_a_non_member_learns_nothing_and_changes_nothing(client, room_setup, action):
    _room, _fac, _alice, _bob, message = room_setup
    before = _state(message)
    client.force_login(make_user())
    # 404 as on the room page: someone outside the room is not told that it exists.
    assert client.post(_url(message, action), {"reason": "intrusion"}).status_code == 404
    assert _state(message) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_is_sent_to_login_and_changes_nothing(client, room_setup, action):
    _room, _fac, _alice, _bob, message = room_setup
    before = _state(message)
    response = client.post(_url(message, action), {"reason": "anonyme"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _state(message) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_get_on_an_action_url_is_not_allowed(client, room_setup, action):
    _room, facilitator, _alice, _bob, message = room_setup
    before = _state(message)
    assert client.get(_url(message, action)).status_code == 405
    client.force_login(facilitator)
    assert client.get(_url(message, action)).status_code == 405
    assert _state(message) == before


def test_a_post_without_the_csrf_token_is_refused(room_setup):
    _room, facilitator, _alice, _bob, message = room_setup
    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    before = _state(message)
    assert client.post(_url(message, "hide")).status_code == 403
    assert _state(message) == before


def test_unknown_message_is_404_and_an_action_on_a_deleted_one_is_explained(client, room_setup):
    room, facilitator, alice, _bob, message = room_setup
    client.force_login(alice)
    assert client.post(reverse("rooms:message_action", args=[room.pk, 99, "delete"])).status_code == 404
    client.post(_url(message, "delete"))
    response = client.post(_url(message, "delete"))
    assert response.status_code == 302 and "Ce message a été supprimé." in _flash(client, response)
    client.force_login(facilitator)
    response = client.post(_url(message, "pin"))
    assert response.status_code == 302 and "Ce message a été supprimé." in _flash(client, response)
    assert Message.objects.get(pk=message.pk).pinned_at is None


def test_an_old_message_sends_back_to_the_history_page_that_shows_it(client, room_setup):
    room, facilitator, alice, _bob, _message = room_setup
    Message.objects.bulk_create(
        [Message(room=room, seq=i, author=alice, client_id=f"c{i}", body=f"n°{i}", html=f"<p>n°{i}</p>") for i in range(2, 61)]
    )
    room.last_message_seq = 60
    room.save()
    client.force_login(facilitator)
    response = client.post(reverse("rooms:message_action", args=[room.pk, 5, "pin"]))
    assert response["Location"] == reverse("rooms:room_detail", args=[room.pk]) + "?before=6#m-5"
    page = client.get(response["Location"]).context["messages_page"]
    assert page[-1].seq == 5
    response = client.post(reverse("rooms:message_action", args=[room.pk, 11, "pin"]))
    assert response["Location"] == reverse("rooms:room_detail", args=[room.pk]) + "#m-11"


def test_a_form_action_is_broadcast_to_live_clients_after_commit(client, room_setup, django_capture_on_commit_callbacks):
    from channels.layers import get_channel_layer

    room, facilitator, _alice, _bob, message = room_setup
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(room_group(room.pk), channel)
    client.force_login(facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(message, "hide"))
    envelope = async_to_sync(layer.receive)(channel)
    assert envelope["event"]["type"] == "message.updated"
    assert envelope["event"]["message"]["id"] == 1 and envelope["event"]["message"]["hidden"] is True
    async_to_sync(layer.group_discard)(room_group(room.pk), channel)


def test_the_room_page_offers_each_person_only_the_forms_they_may_use(client, room_setup):
    room, facilitator, alice, bob, message = room_setup
    post(room, bob, "Et la CPTS ?")
    url = reverse("rooms:room_detail", args=[room.pk])
    client.force_login(alice)
    html = client.get(url).content.decode()
    assert _url(message, "delete") in html and _url(message, "report") not in html
    assert reverse("rooms:message_action", args=[room.pk, 2, "report"]) in html
    assert reverse("rooms:message_action", args=[room.pk, 2, "delete"]) not in html
    assert _url(message, "hide") not in html and _url(message, "pin") not in html
    assert html.count('name="csrfmiddlewaretoken"') >= 3
    client.force_login(facilitator)
    html = client.get(url).content.decode()
    assert _url(message, "hide") in html and _url(message, "pin") in html and _url(message, "delete") not in html
    assert " style=" not in html and " onclick=" not in html


def test_members_get_no_forms_on_a_hidden_message_but_its_author_may_delete_it(client, room_setup):
    from rooms.services import message_hide

    room, facilitator, alice, bob, message = room_setup
    message_hide(room=room, seq=message.seq, user=facilitator)
    url = reverse("rooms:room_detail", args=[room.pk])
    client.force_login(bob)
    html = client.get(url).content.decode()
    assert _url(message, "report") not in html and _url(message, "delete") not in html
    client.force_login(alice)
    assert _url(message, "delete") in client.get(url).content.decode()
    client.force_login(facilitator)
    assert _url(message, "restore") in client.get(url).content.decode()
