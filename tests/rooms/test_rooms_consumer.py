"""The room WebSocket, through the full ASGI application: refusals, delivery, retries, resume, limits."""

import asyncio
import json

import pytest
from bs4 import BeautifulSoup
from channels.db import database_sync_to_async

from rooms.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from rooms.models import Message, MessageReport
from tests.factories import make_user
from tests.rooms.factories import make_room_with_members, post
from tests.rooms.rooms_ws import connect, drain, joined, messages_in, receive, receive_until, send

pytestmark = pytest.mark.django_db(transaction=True)

db = database_sync_to_async


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """One channel layer instance per test: each test has its own event loop, and a Redis layer
    holds locks and connections bound to the loop that created them."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


async def _room():
    return await db(make_room_with_members)()


async def test_anonymous_connection_is_refused_before_accept():
    room, _fac, _members = await _room()
    communicator, connected, code = await connect(room.pk, None)
    assert not connected and code == CLOSE_UNAUTHENTICATED


async def test_non_member_is_refused_before_accept():
    room, _fac, _members = await _room()
    outsider = await db(make_user)()
    communicator, connected, code = await connect(room.pk, outsider)
    assert not connected and code == CLOSE_FORBIDDEN


async def test_unknown_room_is_refused_like_a_foreign_one():
    _room_, _fac, (alice, _bob) = await _room()
    communicator, connected, code = await connect(999_999, alice)
    assert not connected and code == CLOSE_FORBIDDEN


async def test_foreign_origin_is_refused_before_accept():
    room, _fac, (alice, _bob) = await _room()
    communicator, connected, _code = await connect(room.pk, alice, origin="https://evil.example")
    assert not connected


async def test_send_is_acknowledged_then_broadcast_to_every_member():
    room, _fac, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    await send(a, {"type": "message.send", "client_id": "a-1", "body": "Bonjour **à tous**"})
    ack = await receive_until(a, "ack")
    assert ack == {"type": "ack", "client_id": "a-1", "id": 1}
    live = await receive_until(b, "message")
    assert live["message"]["id"] == 1
    assert live["message"]["html"] == "<p>Bonjour <strong>à tous</strong></p>"
    assert live["message"]["author"]["id"] == alice.pk
    assert await db(Message.objects.filter(room=room, seq=1, client_id="a-1").exists)()
    await a.disconnect()
    await b.disconnect()


async def test_retry_with_the_same_client_id_is_acknowledged_with_the_same_id_and_not_broadcast_again():
    room, _fac, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    for _ in range(3):
        await send(a, {"type": "message.send", "client_id": "retry-1", "body": "Une seule fois"})
    acks = [await receive_until(a, "ack") for _ in range(3)]
    assert {ack["id"] for ack in acks} == {1}
    assert messages_in(await drain(b)) == [1]
    assert await db(Message.objects.filter(room=room).count)() == 1
    await a.disconnect()
    await b.disconnect()


async def test_resume_after_a_gap_delivers_what_was_missed_in_order_then_live():
    room, _fac, (alice, bob) = await _room()
    for i in range(5):
        await db(post)(room, alice, f"pendant l'absence {i}")
    b, opening = await joined(room.pk, bob, after=2)
    assert messages_in(opening) == [3, 4, 5]
    assert opening[-1] == {"type": "resumed", "last_id": 5}
    await db(post)(room, alice, "en direct")
    assert messages_in([await receive_until(b, "message")]) == [6]
    await b.disconnect()


async def test_resume_frame_on_an_open_connection_replays_after_the_given_id():
    room, _fac, (alice, bob) = await _room()
    for i in range(3):
        await db(post)(room, alice, f"m{i}")
    b, opening = await joined(room.pk, bob)
    assert messages_in(opening) == []  # a fresh client without `after` starts from now
    await send(b, {"type": "resume", "after": 1})
    frames = [await receive_until(b, "resume"), await receive_until(b, "resumed")]
    assert messages_in(frames) == [2, 3]
    await b.disconnect()


async def test_a_missed_broadcast_is_filled_from_the_database_before_the_next_live_message():
    room, _fac, (alice, bob) = await _room()
    b, _ = await joined(room.pk, bob)
    # Stored without a broadcast: as if the channel layer dropped it.
    await db(Message.objects.create)(room=room, seq=1, author=alice, client_id="lost", body="perdu", html="<p>perdu</p>")
    await db(type(room).objects.filter(pk=room.pk).update)(last_message_seq=1)
    await db(post)(room, alice, "suivant")
    assert messages_in(await drain(b, timeout=1.0)) == [1, 2]
    await b.disconnect()


async def test_live_messages_that_cross_are_delivered_in_order_without_a_database_catch_up():
    from rooms.events import room_event_send_async
    from rooms.selectors import message_payload

    room, _fac, (alice, bob) = await _room()
    b, _ = await joined(room.pk, bob)
    first = await db(Message.objects.create)(room=room, seq=1, author=alice, client_id="x1", body="un", html="<p>un</p>")
    second = await db(Message.objects.create)(room=room, seq=2, author=alice, client_id="x2", body="deux", html="<p>deux</p>")
    payloads = await db(lambda: [message_payload(first, new=True), message_payload(second, new=True)])()
    await room_event_send_async(room_id=room.pk, event={"type": "message", "message": payloads[1]})
    await room_event_send_async(room_id=room.pk, event={"type": "message", "message": payloads[0]})
    frames = await drain(b, timeout=1.0)
    assert [(f["type"], f["message"]["id"]) for f in frames if f["type"] == "message"] == [("message", 1), ("message", 2)]
    assert "resume" not in [f["type"] for f in frames]
    await b.disconnect()


async def test_a_lost_broadcast_is_read_back_alone_and_the_messages_held_meanwhile_are_sent_as_they_came():
    """Broadcasts of 1 and 3 are lost, 2 and 4 arrive: after the wait, each gap is read from the
    database by itself (the held messages are not read again), and everything reaches the client once, in order."""
    from rooms.events import room_event_send_async
    from rooms.selectors import message_payload

    room, _fac, (alice, bob) = await _room()
    b, _ = await joined(room.pk, bob)
    stored = await db(lambda: [
        Message.objects.create(room=room, seq=i, author=alice, client_id=f"g{i}", body=str(i), html=f"<p>{i}</p>")
        for i in range(1, 5)])()
    payloads = await db(lambda: [message_payload(m, new=True) for m in stored])()
    for payload in (payloads[1], payloads[3]):
        await room_event_send_async(room_id=room.pk, event={"type": "message", "message": payload})
    frames = [f for f in await drain(b, timeout=2.0) if f["type"] in ("message", "resume")]
    assert [(f["type"], [m["id"] for m in f["messages"]] if f["type"] == "resume" else f["message"]["id"])
            for f in frames] == [("resume", [1]), ("message", 2), ("resume", [3]), ("message", 4)]
    await b.disconnect()


async def test_delivering_a_broadcast_takes_no_thread_round_trip(monkeypatch):
    """Channels 4.2+ hops into a worker thread before every handler to close stale database
    connections; the room socket skips it (its database calls do that themselves), which is most of
    what a delivery cost above the bare Channels floor (bench/chat.py). Counted on Channels' own
    function: if an upgrade moves the hop elsewhere, this fails and the override must be looked at."""
    import channels.consumer

    from rooms.events import room_event_send_async
    from rooms.selectors import message_payload

    room, _fac, (alice, bob) = await _room()
    b, _ = await joined(room.pk, bob)
    stored = await db(lambda: [
        Message.objects.create(room=room, seq=i, author=alice, client_id=f"t{i}", body=str(i), html=f"<p>{i}</p>")
        for i in range(1, 4)])()
    payloads = await db(lambda: [message_payload(m, new=True) for m in stored])()
    hops = []
    original = channels.consumer.aclose_old_connections

    async def counted():
        hops.append(1)
        return await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    for payload in payloads:
        await room_event_send_async(room_id=room.pk, event={"type": "message", "message": payload})
    assert messages_in(await drain(b, timeout=1.0)) == [1, 2, 3]
    assert hops == []
    await b.disconnect()


async def test_history_is_paged_backwards():
    room, _fac, (alice, bob) = await _room()
    await db(lambda: [Message.objects.create(room=room, seq=i, author=alice, client_id=f"h{i}", body="x", html="x")
                      for i in range(1, 61)])()
    b, _ = await joined(room.pk, bob)
    await send(b, {"type": "history", "before": 61})
    page = await receive_until(b, "history")
    assert [m["id"] for m in page["messages"]] == list(range(11, 61)) and page["has_more"]
    await send(b, {"type": "history", "before": 11})
    page = await receive_until(b, "history")
    assert [m["id"] for m in page["messages"]] == list(range(1, 11)) and not page["has_more"]
    await b.disconnect()


async def test_edit_and_delete_only_by_the_author_and_broadcast_as_updates():
    room, _fac, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    await send(a, {"type": "message.send", "client_id": "e-1", "body": "avant"})
    await receive_until(a, "ack")
    await send(b, {"type": "message.edit", "id": 1, "body": "piraté"})
    error = await receive_until(b, "error")
    assert error["code"] == "forbidden" and error["id"] == 1
    await send(b, {"type": "message.delete", "id": 1})
    assert (await receive_until(b, "error"))["code"] == "forbidden"
    await send(a, {"type": "message.edit", "id": 1, "body": "après"})
    update = await receive_until(b, "message.updated")
    assert update["message"]["html"] == "<p>après</p>" and update["message"]["edited"]
    await send(a, {"type": "message.delete", "id": 1})
    update = await receive_until(b, "message.updated")
    assert update["message"]["deleted"] and update["message"]["html"] == ""
    message = await db(Message.objects.get)(room=room, seq=1)
    assert message.deleted_at and message.body == ""
    await a.disconnect()
    await b.disconnect()


async def test_hide_and_pin_are_for_moderators_and_hidden_text_reaches_only_them():
    room, facilitator, (alice, bob) = await _room()
    await db(post)(room, alice, "texte litigieux")
    f, _ = await joined(room.pk, facilitator, after=0)
    b, _ = await joined(room.pk, bob, after=1)
    await send(b, {"type": "message.hide", "id": 1})
    assert (await receive_until(b, "error"))["code"] == "forbidden"
    await send(b, {"type": "message.pin", "id": 1})
    assert (await receive_until(b, "error"))["code"] == "forbidden"
    await send(f, {"type": "message.hide", "id": 1})
    seen_by_member = await receive_until(b, "message.updated")
    seen_by_moderator = await receive_until(f, "message.updated")
    assert seen_by_member["message"]["hidden"] and seen_by_member["message"]["html"] == ""
    assert "litigieux" in seen_by_moderator["message"]["html"]
    await send(f, {"type": "message.restore", "id": 1})
    assert "litigieux" in (await receive_until(b, "message.updated"))["message"]["html"]
    await send(f, {"type": "message.pin", "id": 1})
    assert (await receive_until(b, "message.updated"))["message"]["pinned"]
    await f.disconnect()
    await b.disconnect()


async def test_any_member_can_report_a_message_once():
    room, _fac, (alice, bob) = await _room()
    await db(post)(room, alice, "à signaler")
    b, _ = await joined(room.pk, bob)
    await send(b, {"type": "message.report", "id": 1, "reason": "hors sujet"})
    assert await receive_until(b, "reported") == {"type": "reported", "id": 1}
    await send(b, {"type": "message.report", "id": 1})
    await receive_until(b, "reported")
    assert await db(MessageReport.objects.filter(reporter=bob).count)() == 1
    await b.disconnect()


async def test_rate_limit_answers_with_an_error_frame_and_keeps_the_connection(settings):
    # A fixed window of an hour: the eleven sends cannot straddle a window boundary (a slow
    # machine crossing one reset the count and let the eleventh through).
    settings.ROOMS_RATE_LIMIT_SECONDS = 3600
    room, _fac, (alice, _bob) = await _room()
    a, _ = await joined(room.pk, alice)
    for i in range(11):
        await send(a, {"type": "message.send", "client_id": f"r-{i}", "body": f"n°{i}"})
    frames = [await receive_until_any(a, {"ack", "error"}) for _ in range(11)]
    assert [f["type"] for f in frames].count("ack") == 10
    error = [f for f in frames if f["type"] == "error"][0]
    assert error["code"] == "rate_limited" and error["client_id"] == "r-10"
    await send(a, {"type": "ping"})
    assert (await receive_until(a, "pong"))["type"] == "pong"  # still connected
    assert await db(Message.objects.filter(room=room).count)() == 10
    await a.disconnect()


async def receive_until_any(communicator, types: set[str]) -> dict:
    while True:
        frame = await receive(communicator)
        if frame["type"] in types:
            return frame


async def test_too_long_message_and_oversized_frame_get_errors_and_store_nothing():
    room, _fac, (alice, _bob) = await _room()
    a, _ = await joined(room.pk, alice)
    await send(a, {"type": "message.send", "client_id": "long", "body": "x" * 4001})
    assert (await receive_until(a, "error"))["code"] == "too_long"
    await a.send_to(text_data=json.dumps({"type": "message.send", "client_id": "big", "body": "y" * 20_000}))
    assert (await receive_until(a, "error"))["code"] == "frame_too_large"
    await a.send_to(text_data="z" * 300_000)
    assert (await a.receive_output(timeout=3))["type"] == "websocket.close"
    assert await db(Message.objects.count)() == 0


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"no": "type"}', "malformed"),
        ('{"type": "message.launch"}', "unknown_type"),
        ('{"type": "message.send", "client_id": "bad id with spaces", "body": "x"}', "invalid_client_id"),
        ('{"type": "message.send", "client_id": "ok", "body": ["x"]}', "invalid"),
        ('{"type": "message.edit", "id": "1", "body": "x"}', "invalid"),
        ('{"type": "resume", "after": -3}', "invalid"),
        ('{"type": "reaction.toggle", "id": 1, "emoji": "💣"}', "invalid"),
    ],
)
async def test_malformed_frames_get_an_error_frame_and_the_connection_keeps_serving(raw, code):
    room, _fac, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    await a.send_to(text_data=raw)
    assert (await receive_until(a, "error"))["code"] == code
    await send(a, {"type": "message.send", "client_id": "after-bad", "body": "toujours là"})
    assert (await receive_until(a, "ack"))["id"] == 1
    assert messages_in([await receive_until(b, "message")]) == [1]
    await a.disconnect()
    await b.disconnect()


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[clic](javascript:alert(1))",
    "[clic](JaVaScRiPt:alert(1))",
    "[clic](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="javascript:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    '"><script>alert(1)</script>',
    "**<b onmouseover=alert(1)>gras</b>**",
    "<style>body{display:none}</style>",
    "`<script>alert(1)</script>`",
    "> <img src=x onerror=alert(1)>",
    "[x](https://ok.example \"titre\" onclick=alert(1))",
    "<details open ontoggle=alert(1)>",
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
]


async def test_xss_payloads_come_out_inert(settings):
    settings.ROOMS_RATE_LIMIT_MESSAGES = 100
    room, _fac, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    for i, payload in enumerate(XSS_PAYLOADS):
        await send(a, {"type": "message.send", "client_id": f"x{i}", "body": payload})
        await receive_until(a, "ack")
    stored = await db(lambda: list(Message.objects.filter(room=room).values_list("html", flat=True)))()
    assert len(stored) == len(XSS_PAYLOADS)
    allowed = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code"}
    for html in stored:
        for tag in BeautifulSoup(html, "html.parser").find_all(True):
            assert tag.name in allowed, html
            assert set(tag.attrs) <= ({"href", "title", "rel"} if tag.name == "a" else set()), html
            if tag.name == "a":
                assert tag["href"].startswith(("https://", "http://", "mailto:")), html
        assert "<script" not in html.lower()
    await a.disconnect()


async def test_links_get_safe_rel_attributes():
    room, _fac, (alice, _bob) = await _room()
    a, _ = await joined(room.pk, alice)
    await send(a, {"type": "message.send", "client_id": "l", "body": "Voir [le rapport](https://www.has-sante.fr/) et https://ars.sante.fr"})
    live = await receive_until(a, "message")
    html = live["message"]["html"]
    assert html.count('rel="nofollow noopener noreferrer"') == 2
    await a.disconnect()


async def test_mentions_notify_and_read_markers_give_unread_counts():
    from rooms.models import Notification
    from rooms.selectors import room_list_for_user

    room, _fac, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    await send(a, {"type": "message.send", "client_id": "m1", "body": f"@{bob.display_name} tu peux relire ?"})
    await receive_until(a, "ack")
    await send(a, {"type": "message.send", "client_id": "m2", "body": "Merci d'avance"})
    await receive_until(a, "ack")
    assert await db(Notification.objects.filter(user=bob, kind="mention").count)() == 1
    unread = await db(lambda: {r.pk: r.unread for r in room_list_for_user(user=bob)}[room.pk])()
    assert unread == 2
    b, _ = await joined(room.pk, bob)
    await send(b, {"type": "read", "id": 1})
    assert await receive_until(b, "read") == {"type": "read", "id": 1}
    assert await db(lambda: {r.pk: r.unread for r in room_list_for_user(user=bob)}[room.pk])() == 1
    await a.disconnect()
    await b.disconnect()


async def test_typing_and_presence_are_broadcast_but_not_echoed_or_stored():
    room, _fac, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    assert (await receive_until(a, "presence"))["online"] == [{"id": alice.pk, "name": alice.display_name}]
    b, _ = await joined(room.pk, bob)
    online = await receive_until(b, "presence")
    assert {p["id"] for p in online["online"]} == {alice.pk, bob.pk}
    joins = [(await receive_until(a, "presence.join"))["user"]["id"] for _ in range(2)]
    assert joins == [alice.pk, bob.pk]  # its own arrival, then bob's
    await send(a, {"type": "typing"})
    typing = await receive_until(b, "typing")
    assert typing["user"]["id"] == alice.pk
    assert "typing" not in [f["type"] for f in await drain(a)]
    await b.disconnect()
    assert (await receive_until(a, "presence.leave"))["user"]["id"] == bob.pk
    assert await db(Message.objects.count)() == 0
    await a.disconnect()


async def test_concurrent_senders_get_distinct_increasing_ids_and_everyone_sees_them_in_order():
    room, facilitator, (alice, bob) = await _room()
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    f, _ = await joined(room.pk, facilitator)
    for i in range(5):
        await send(a, {"type": "message.send", "client_id": f"a{i}", "body": f"a{i}"})
        await send(b, {"type": "message.send", "client_id": f"b{i}", "body": f"b{i}"})
    await asyncio.sleep(0.5)
    seen = messages_in(await drain(f, timeout=1))
    assert seen == list(range(1, 11))
    for c in (a, b, f):
        await c.disconnect()


async def test_error_frames_speak_the_members_interface_language():
    room, _fac, (alice, bob) = await _room()
    alice.language = "en"
    await database_sync_to_async(alice.save)(update_fields=["language"])
    a, _ = await joined(room.pk, alice)
    b, _ = await joined(room.pk, bob)
    await send(a, {"type": "message.send", "client_id": "empty-en", "body": "   "})
    assert (await receive_until(a, "error"))["detail"] == "The message is empty."
    await send(b, {"type": "message.send", "client_id": "empty-fr", "body": "   "})
    assert (await receive_until(b, "error"))["detail"] == "Le message est vide."
    await a.send_to(text_data="{not json")
    assert (await receive_until(a, "error"))["detail"] == "Unreadable JSON frame."
    await a.disconnect()
    await b.disconnect()


async def test_moderation_through_the_socket_is_audited_with_the_socket_s_address(settings):
    from accounts.models import SecurityEvent
    from tests.rooms.rooms_ws import session_cookie
    from channels.testing import WebsocketCommunicator
    from config.asgi import application

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    room, facilitator, (alice, _bob) = await _room()
    await db(post)(room, alice, "texte litigieux")
    headers = [(b"origin", b"http://testserver"), (b"cookie", f"sessionid={await session_cookie(facilitator)}".encode()),
               (b"x-forwarded-for", b"10.0.0.1, 203.0.113.9")]
    f = WebsocketCommunicator(application, f"/ws/rooms/{room.pk}/?after=1", headers=headers)
    f.scope["client"] = ("127.0.0.1", 40000)  # behind the local nginx, as in production
    connected, _code = await f.connect(timeout=5)
    assert connected
    await receive_until(f, "resumed")
    await send(f, {"type": "message.hide", "id": 1})
    await receive_until(f, "message.updated")
    event = await db(lambda: SecurityEvent.objects.get(kind=SecurityEvent.Kind.MESSAGE_HIDDEN))()
    assert (event.actor_id, event.address, event.target_id, event.details) == (facilitator.pk, "203.0.113.9", str(room.pk), {"seq": 1})
    assert "litigieux" not in str(event.details)
    await f.disconnect()
