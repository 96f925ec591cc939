"""In a real browser: a facilitator runs a case live with three learners of three professions, each
in a browser context of their own — a reveal, a poll and a breakout — and nobody reloads a page.

The facilitator drives from the control panel; each learner's case page shows the banner "Séance en
direct" and updates in place (`static/js/live.js`); a learner goes to the group room during the
breakout, where the countdown, the prompt and the facilitator's message appear. Every page is checked
with axe. Set E2E_SCREENSHOTS_DIR to keep screenshots of the panel and of a learner's page.
"""

import os
import re
from pathlib import Path

import pytest

from tests.e2e.browser import FACTORY_PASSWORD, WAIT, axe_check, login
from tests.factories_cohorts import LiveWorld

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_facilitator_runs_a_reveal_a_poll_and_a_breakout_with_three_professions(start_server, new_page):
    from django.urls import reverse
    from playwright.sync_api import expect

    from rooms.models import Room

    world = LiveWorld(per_profession=1, groups=1)
    case_url = world.case.url
    live_list = reverse("cohorts:live_list", args=[world.cohort.pk])
    room_url = reverse("rooms:room_detail", args=[Room.objects.get(kind=Room.Kind.GROUP, group=world.groups[0]).pk])
    episode2 = f"#live-episode-{world.ep2['id']}"
    server = start_server()

    facilitator = login(new_page(server), world.facilitator.email, FACTORY_PASSWORD, next=live_list)
    axe_check(facilitator, label="live sessions of the cohort")
    facilitator.select_option("#live-page", str(world.case.pk))
    facilitator.get_by_role("button", name="Commencer la séance").click()
    expect(facilitator.get_by_role("heading", name="Cas : la filière gériatrique du GHT")).to_be_visible()
    facilitator.wait_for_function("() => document.getElementById('live-root') !== null")

    learners, fetched = [], []
    for learner in world.learners:  # a director, a physician, a nurse
        page = login(new_page(server), learner.email, FACTORY_PASSWORD, next=case_url)
        expect(page.locator("#live-banner")).to_contain_text("Séance en direct")
        expect(page.locator(episode2)).to_contain_text("fermé")
        page.evaluate("() => { window.notReloaded = true; }")
        refreshes = []  # what live.js fetches: the light refresh of the live parts, never the whole page
        page.on("request", lambda request, seen=refreshes: seen.append(request.url) if request.resource_type == "fetch" else None)
        fetched.append(refreshes)
        learners.append(page)
    axe_check(learners[0], label="case page, live session, before the reveal")
    expect(facilitator.locator("#live-presence h2")).to_contain_text("3 sur 3", timeout=WAIT)
    axe_check(facilitator, label="control panel")

    # Reveal: every learner's page shows the episode in place.
    facilitator.get_by_role("button", name=re.compile("Révéler l'épisode suivant")).click()
    for page in learners:
        expect(page.locator(episode2)).to_contain_text("Qui doit porter la filière gériatrique du GHT ?", timeout=WAIT)
        expect(page.locator("#live-outline")).not_to_contain_text("La crise des urgences (fermé)")
    assert fetched[0] and all("/regions/?page=" in url and "have=" in url for url in fetched[0]), fetched[0]
    _shot(facilitator, "live-panel-reveal")
    _shot(learners[0], "live-learner-reveal")

    # Poll: opened for 3 minutes, answered by each learner in the banner, closed; the result shows.
    facilitator.get_by_role("button", name="Mettre au vote").first.click()
    for index, page in enumerate(learners):
        poll = page.locator("#live-poll")
        expect(poll).to_contain_text("Qui doit porter la filière", timeout=WAIT)
        poll.get_by_label(("L'établissement support", "Une direction commune", "L'ARS")[index]).check()
        poll.get_by_label("Votre justification en une ligne").fill(f"Le point de vue n° {index + 1}")
        if index == 0:
            poll.get_by_label(re.compile("citer ma justification avec mon nom")).check()
            axe_check(page, label="case page, poll open")
        poll.get_by_role("button", name="Voter").click()
        expect(page.locator("#live-banner")).to_contain_text("Votre réponse", timeout=WAIT)
    expect(facilitator.locator("#live-steps")).to_contain_text("3 réponses", timeout=WAIT)
    _shot(facilitator, "live-panel-poll")
    _shot(learners[1], "live-learner-poll")
    facilitator.get_by_role("button", name="Clore le vote et montrer le résultat").click()
    for page in learners:
        expect(page.locator("#live-banner")).to_contain_text("Résultat du vote", timeout=WAIT)
        # The decision block's "how your cohort chose" follows in place: the first to answer saw it
        # waiting for 3 answers; the poll-closed step brings the three.
        expect(page.locator(f"{episode2} .lms-distribution")).to_contain_text("3 réponses, par métier", timeout=WAIT)
    _shot(learners[0], "live-learner-poll-closed")
    _shot(facilitator, "live-panel-poll-closed")
    axe_check(learners[2], label="case page, poll result")

    # Breakout: a countdown on every screen; a learner goes to the group room, where the prompt,
    # the countdown and the facilitator's message show; then everyone is called back.
    facilitator.get_by_label("Durée (minutes)").fill("8")
    facilitator.get_by_role("button", name="Envoyer les groupes en salle").click()
    for page in learners:
        expect(page.locator("#live-banner .live-countdown time")).to_have_text(re.compile(r"^[78]:\d\d$"), timeout=WAIT)
    _shot(learners[0], "live-learner-breakout")
    learners[0].get_by_role("link", name="Rejoindre le salon de mon groupe").click()
    room = learners[0]
    expect(room.locator("#live-banner")).to_contain_text("Quels indicateurs suivre ensemble dès le premier mois ?")
    expect(room.locator("#live-banner .live-countdown time")).to_have_text(re.compile(r"^[78]:\d\d$"))
    axe_check(room, label="group room during a breakout")
    facilitator.get_by_label("Message à tous les salons de groupe").fill("Encore trois minutes, puis synthèse")
    facilitator.get_by_role("button", name="Envoyer aux groupes").click()
    expect(room.locator("#live-banner")).to_contain_text("Encore trois minutes, puis synthèse", timeout=WAIT)
    expect(room.locator("[data-log]")).to_contain_text("Encore trois minutes, puis synthèse", timeout=WAIT)
    _shot(room, "live-group-room")
    axe_check(facilitator, label="control panel during a breakout")
    _shot(facilitator, "live-panel-breakout")
    facilitator.get_by_role("button", name="Rappeler les groupes").click()
    expect(room.locator("#live-banner")).to_contain_text("Retour en plénière", timeout=WAIT)
    for page in learners[1:]:
        expect(page.locator("#live-banner .live-countdown")).to_have_count(0, timeout=WAIT)
        assert page.evaluate("() => window.notReloaded") is True  # every step arrived in place

    # The end: the summary is kept; the learners' banner goes.
    facilitator.get_by_text("Terminer la séance…").click()
    facilitator.get_by_role("button", name="Terminer la séance").click()
    expect(facilitator.locator("h1")).to_contain_text("Bilan de séance en direct")
    expect(facilitator.locator("main")).to_contain_text("3 participant·es")
    axe_check(facilitator, label="live session summary")
    expect(learners[1].locator("#live-banner")).to_have_count(0, timeout=WAIT)
