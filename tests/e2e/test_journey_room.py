"""Journey 5 (issue 12): two learners of one group in their group room, one on a desktop, one on a
phone. The room opens at the latest message; the phone goes offline while messages are sent,
comes back and sees each of them once, in order; a message just sent on the phone is in view
above the compose bar; a live message reads the same time as after a reload (Paris time, the
server's format), even in a browser set to another time zone."""

import re

import pytest

from cohorts.models import CohortMembership
from tests.e2e.browser import FACTORY_PASSWORD, WAIT, axe_check, login
from tests.rooms.factories import add_member, add_to_group, make_cohort, make_group_room, post

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HISTORY = 30  # more than a screen holds, at either width
OFFLINE_MESSAGES = ["Point 1 : le circuit de sortie", "Point 2 : la CPTS", "Point 3 : le calendrier de l'ARS"]

# Whether an element is wholly on screen and not under the sticky compose bar.
IN_VIEW = """(element) => {
  const box = element.getBoundingClientRect();
  const bar = document.querySelector("[data-compose]").getBoundingClientRect();
  return box.top >= 0 && box.bottom <= bar.top + 1;
}"""


def _in_view(page, selector: str) -> bool:
    return page.locator(selector).evaluate(IN_VIEW)


def _wait_in_view(page, selector: str) -> None:
    """Scrolling may be smooth or follow a late layout: wait until the element is in view."""
    page.wait_for_function(f"() => ({IN_VIEW})(document.querySelector({selector!r}))", timeout=WAIT)


def _bodies(page) -> list[str]:
    return page.locator("[data-log] li.msg .msg__body").all_inner_texts()


def _ids(page) -> list[int]:
    items = page.locator("[data-log] li.msg[data-id]")
    return [int(i) for i in items.evaluate_all("(items) => items.map((i) => i.dataset.id)")]


def test_two_learners_of_a_group_one_offline_on_a_phone(start_server, new_page, settings):
    from playwright.sync_api import expect

    settings.ROOMS_RATE_LIMIT_MESSAGES = 1000  # the history below is written at once, in this process
    cohort = make_cohort()
    group, room = make_group_room(cohort=cohort)
    alice = add_member(cohort, first_name="Alice", last_name="Martin", profession="director")
    bruno = add_member(cohort, first_name="Bruno", last_name="Kerjean", profession="nurse")
    add_member(cohort, role=CohortMembership.Role.FACILITATOR, profession="nurse")
    for person in (alice, bruno):
        add_to_group(group, person)
    for n in range(1, HISTORY + 1):
        post(room, alice if n % 2 else bruno, f"Message {n} : où en est le parcours de sortie ?\n\nDétail {n}.")
    server = start_server()
    path = f"/rooms/{room.pk}/"

    # A browser in another time zone: the room still writes Paris time, as the server does.
    desk = new_page(server, width=1280, timezone_id="America/Sao_Paulo")
    login(desk, alice.email, FACTORY_PASSWORD, next=path)
    phone = new_page(server, width=390)
    socket_up = {"allowed": True, "routes": []}

    def through_the_network(ws):
        """The phone's room socket, cut while the phone is offline."""
        if not socket_up["allowed"]:
            ws.close()
            return
        socket_up["routes"].append((ws, ws.connect_to_server()))

    phone.context.route_web_socket(re.compile(r"/ws/rooms/"), through_the_network)
    login(phone, bruno.email, FACTORY_PASSWORD, next=path)
    for page in (desk, phone):
        expect(page.locator("[data-room]")).to_have_attribute("data-state", "connected", timeout=WAIT)

    # Both open at the latest message, in view above the compose bar (defect 5).
    for page in (desk, phone):
        _wait_in_view(page, f"#m-{HISTORY}")
        assert not _in_view(page, "#m-1")
    axe_check(desk, label="group room at 1280 px")
    axe_check(phone, label="group room at 390 px")

    # The phone goes offline: its socket drops and no new one gets through.
    socket_up["allowed"] = False
    phone.context.set_offline(True)
    for ws, to_server in socket_up["routes"]:
        ws.close()
        to_server.close()
    expect(phone.locator("[data-room]")).to_have_attribute("data-state", "reconnecting", timeout=WAIT)

    for text in OFFLINE_MESSAGES:
        desk.fill("[data-compose] textarea", text)
        desk.keyboard.press("Enter")
        expect(desk.locator("li.msg--mine").last.locator(".msg__state")).to_have_text("Envoyé", timeout=WAIT)
        _wait_in_view(desk, "[data-log] li.msg:last-child")  # what she just sent is in view
    assert OFFLINE_MESSAGES[0] not in _bodies(phone)

    # Back online: the phone resumes where it was and shows each missed message once, in order.
    socket_up["allowed"] = True
    phone.context.set_offline(False)
    expect(phone.locator("[data-room]")).to_have_attribute("data-state", "connected", timeout=2 * WAIT)
    expect(phone.locator(f"#m-{HISTORY + len(OFFLINE_MESSAGES)} .msg__body")).to_have_text(OFFLINE_MESSAGES[-1])
    bodies = _bodies(phone)
    assert bodies[-len(OFFLINE_MESSAGES):] == OFFLINE_MESSAGES
    assert all(bodies.count(text) == 1 for text in OFFLINE_MESSAGES)
    ids = _ids(phone)
    assert ids == sorted(set(ids)) and ids[-1] == HISTORY + len(OFFLINE_MESSAGES)
    _wait_in_view(phone, f"#m-{ids[-1]}")  # he was at the latest: the missed ones come into view

    # On the phone a message just sent is scrolled into view, above the compose bar.
    phone.evaluate("() => window.scrollTo(0, 0)")
    phone.fill("[data-compose] textarea", "Je reprends le fil : d'accord pour associer la CPTS dès la sortie.")
    phone.locator("[data-send]").click()
    sent = phone.locator("li.msg--mine").last
    expect(sent.locator(".msg__state")).to_have_text("Envoyé", timeout=WAIT)
    _wait_in_view(phone, "[data-log] li.msg:last-child")
    new_id = HISTORY + len(OFFLINE_MESSAGES) + 1

    # The desk, following the latest, sees it arrive live; its time reads as after a reload (defect 7).
    arrived = desk.locator(f"#m-{new_id}")
    expect(arrived.locator(".msg__body")).to_contain_text("Je reprends le fil", timeout=WAIT)
    _wait_in_view(desk, f"#m-{new_id}")
    live_times = {
        "desk, received": arrived.locator(".msg__time").inner_text(),
        "phone, sent": phone.locator(f"#m-{new_id} .msg__time").inner_text(),
        "desk, sent while the phone was offline": desk.locator(f"#m-{HISTORY + 1} .msg__time").inner_text(),
    }
    desk.reload()
    phone.reload()
    reloaded = desk.locator(f"#m-{new_id} .msg__time").inner_text()
    assert re.fullmatch(r"\d{1,2}(er)? [a-zéû]+ \d{4} à \d{2}:\d{2}", reloaded), reloaded
    assert live_times["desk, received"] == reloaded
    assert live_times["phone, sent"] == phone.locator(f"#m-{new_id} .msg__time").inner_text() == reloaded
    offline_reloaded = desk.locator(f"#m-{HISTORY + 1} .msg__time").inner_text()
    assert live_times["desk, sent while the phone was offline"] == offline_reloaded

    # After the reload, each opens at the latest message again.
    for page in (desk, phone):
        expect(page.locator("[data-room]")).to_have_attribute("data-state", "connected", timeout=WAIT)
        _wait_in_view(page, f"#m-{new_id}")
