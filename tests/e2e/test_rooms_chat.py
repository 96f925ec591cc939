"""In a real browser: two members chat live in a room over a real ASGI server (send, reply, edit),
a facilitator moderates without JavaScript, a client whose socket cannot connect falls back to
the plain forms, a non-member is refused.

Django's `live_server` speaks WSGI only, so the room (a WebSocket) is served by a daphne process
(`tests.servers.ServerProcess`). That process cannot open the in-memory SQLite test
database: `database_url_for_server` gives it a file copy (SQLite) or the test database itself
(PostgreSQL). Everything the server must know is therefore created before it starts, and what
the server stores is checked through the browser. The shared set-up (server, Chromium, signing
in, axe) is in conftest.py.
"""

import re

import pytest

from tests.e2e.browser import FACTORY_PASSWORD, WAIT, axe_check, login
from tests.factories import make_user
from tests.rooms.factories import make_room_with_members, post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Records each text the sender's newest message status line takes ("Envoi…", then "Envoyé"),
# however fast the acknowledgement comes back.
RECORD_SEND_STATES = """() => {
  window.sendStates = [];
  const log = document.querySelector("[data-log]");
  new MutationObserver(() => {
    const lines = log.querySelectorAll(".msg--mine .msg__state");
    const text = lines.length ? lines[lines.length - 1].textContent : null;
    if (text && window.sendStates[window.sendStates.length - 1] !== text) window.sendStates.push(text);
  }).observe(log, {childList: true, subtree: true, characterData: true});
}"""


def _signed_in_page(new_page, server, user, next_path: str, *, scripts: bool = True):
    return login(new_page(server, scripts=scripts), user.email, FACTORY_PASSWORD, next=next_path)


def test_two_members_chat_live_and_a_non_member_is_refused(start_server, new_page):
    from playwright.sync_api import expect

    room, facilitator, (learner,) = make_room_with_members(learners=1)
    post(room, facilitator, "Bienvenue dans le salon !")
    outsider = make_user()
    server = start_server()
    room_path = f"/rooms/{room.pk}/"

    alice = _signed_in_page(new_page, server, learner, room_path)
    bruno = _signed_in_page(new_page, server, facilitator, room_path)
    for page in (alice, bruno):
        expect(page.locator("[data-room]")).to_have_attribute("data-state", "connected", timeout=WAIT)
    axe_check(alice, label="room, learner")
    bruno.evaluate("() => { window.notReloaded = true; }")
    # With JavaScript, the plain forms under each message give way to the client's buttons.
    expect(alice.locator("#m-1 .msg__forms")).to_be_hidden()
    expect(alice.locator("#m-1 .msg__actions").get_by_role("button", name="Signaler")).to_be_visible()

    # A sends: her copy shows "Envoi…", then "Envoyé" once the server has stored it.
    alice.evaluate(RECORD_SEND_STATES)
    alice.fill("[data-compose] textarea", "Qui porte le projet côté **GHT** ?")
    alice.click("[data-send]")
    mine = alice.locator("li.msg--mine").last
    expect(mine.locator(".msg__state")).to_have_text("Envoyé", timeout=WAIT)
    expect(mine).to_have_id("m-2")
    assert alice.evaluate("() => window.sendStates") == ["Envoi…", "Envoyé"]

    # B sees it arrive live, formatted, without reloading his page.
    arrived = bruno.locator("#m-2")
    expect(arrived.locator(".msg__body strong")).to_have_text("GHT", timeout=WAIT)
    expect(arrived.locator(".msg__author")).to_have_text(learner.display_name)
    assert bruno.evaluate("() => window.notReloaded") is True

    # B replies to it; A sees the reply arrive live, linked to her message.
    arrived.get_by_role("button", name="Répondre").click()
    expect(bruno.locator("[data-reply-label]")).to_contain_text(learner.display_name)
    bruno.fill("[data-compose] textarea", "La direction du GHT, avec les chefs de pôle.")
    bruno.keyboard.press("Enter")
    reply = alice.locator("#m-3")
    expect(reply.locator(".msg__body")).to_have_text("La direction du GHT, avec les chefs de pôle.", timeout=WAIT)
    expect(reply.locator(".msg__reply a")).to_have_attribute("href", "#m-2")
    expect(bruno.locator("#m-3 .msg__state")).to_have_text("Envoyé", timeout=WAIT)

    # A corrects her message: B sees "(modifié)" appear, leading to the earlier version.
    alice.locator("#m-2 .msg__actions").get_by_role("button", name="Modifier").click()
    expect(alice.locator("[data-compose] textarea")).to_have_value("Qui porte le projet côté **GHT** ?")
    alice.fill("[data-compose] textarea", "Qui pilote le projet côté **GHT** ?")
    alice.keyboard.press("Enter")
    flag = bruno.locator("#m-2 a.msg__flag")
    expect(flag).to_contain_text("(modifié)", timeout=WAIT)
    expect(bruno.locator("#m-2 .msg__body")).to_have_text("Qui pilote le projet côté GHT ?")
    flag.click()
    bruno.wait_for_url(re.compile(r"/messages/2/history/$"), timeout=WAIT)
    expect(bruno.locator(".room-history__versions .msg__body")).to_have_text(
        ["Qui pilote le projet côté GHT ?", "Qui porte le projet côté GHT ?"]
    )
    axe_check(bruno, label="message history")

    # The facilitator, without JavaScript, hides her message with the plain form: the page
    # comes back on the message with a notice, and her open page shows it hidden, live.
    plain = _signed_in_page(new_page, server, facilitator, room_path, scripts=False)
    plain.locator("#m-2 .msg__forms").get_by_role("button", name="Masquer").click()
    plain.wait_for_url(re.compile(r"#m-2$"), timeout=WAIT)
    expect(plain.locator(".room-compose__notices")).to_contain_text("masqué pour les membres")
    expect(plain.locator("#m-2 .msg__forms").get_by_role("button", name="Rétablir")).to_be_visible()
    axe_check(plain, label="room without JavaScript, facilitator")
    expect(alice.locator("#m-2 .msg__tombstone")).to_have_text("Message masqué par l'animation.", timeout=WAIT)
    expect(alice.locator("#m-2 .msg__body")).to_have_count(0)

    # When her socket cannot connect, the client's buttons post the plain forms instead.
    cut_off = new_page(server)
    cut_off.context.route_web_socket(re.compile(r"/ws/rooms/"), lambda ws: None)  # open, but never "resumed"
    cut_off.on("dialog", lambda dialog: dialog.accept("Hors sujet"))
    login(cut_off, learner.email, FACTORY_PASSWORD, next=room_path)
    cut_off.locator("#m-3 .msg__actions").get_by_role("button", name="Signaler").click()
    cut_off.wait_for_url(re.compile(r"#m-3$"), timeout=WAIT)
    expect(cut_off.locator(".room-compose__notices")).to_contain_text("l'animation a été prévenue", timeout=WAIT)

    # Someone signed in but not in the cohort learns nothing about the room.
    intruder = _signed_in_page(new_page, server, outsider, "/accounts/profile/")
    response = intruder.goto(f"{server.http}{room_path}")
    assert response.status == 404
    assert "GHT" not in intruder.content()
    assert intruder.locator("[data-room]").count() == 0
