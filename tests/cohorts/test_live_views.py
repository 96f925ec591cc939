"""Live case sessions through their pages: who may open the panel and press each control (refused
users change nothing), the case page's banner without JavaScript (a reload shows the state), the
group room during a breakout, the summary and its PDF, and query counts that do not grow."""

import pytest
from django.test import Client
from django.urls import reverse

from cohorts import live_services as live
from cohorts.models import LiveRun
from lms.models import DecisionAnswer
from tests.factories_cohorts import LiveWorld, add_learner
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return LiveWorld(per_profession=1, groups=1)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _running(world) -> LiveRun:
    return live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator)


def test_a_facilitator_starts_a_run_from_the_live_page_and_lands_on_the_panel(world):
    url = reverse("cohorts:live_list", args=[world.cohort.pk])
    for user, code in ((world.learners[0], 403), (world.other_facilitator, 404), (world.other_learner, 404)):
        assert _client(user).post(url, {"page": world.case.pk}).status_code == code
        assert _client(user).get(url).status_code == code
    assert not LiveRun.objects.exists()
    client = _client(world.facilitator)
    assert "Conduire un cas en direct" in client.get(url).content.decode()
    response = client.post(url, {"page": world.case.pk, "group": ""})
    run = LiveRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("cohorts:live_panel", args=[world.cohort.pk, run.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Révéler l'épisode suivant" in page and "La crise des urgences" in page
    # A second start is refused with a message, nothing new is stored.
    response = client.post(url, {"page": world.case.pk}, follow=True)
    assert "déjà en cours" in response.content.decode() and LiveRun.objects.count() == 1


def test_a_start_with_a_page_outside_the_programme_is_refused_with_a_message(world):
    response = _client(world.facilitator).post(reverse("cohorts:live_list", args=[world.cohort.pk]), {"page": "abc"}, follow=True)
    assert "Choisissez une étude de cas" in response.content.decode()
    assert not LiveRun.objects.exists()


def test_the_panel_is_for_the_cohorts_facilitators_only(world):
    run = _running(world)
    url = reverse("cohorts:live_panel", args=[world.cohort.pk, run.pk])
    assert _client(world.facilitator).get(url).status_code == 200
    assert _client(world.learners[0]).get(url).status_code == 403
    assert _client(world.other_facilitator).get(url).status_code == 404
    assert _client(world.other_learner).get(url).status_code == 404
    # A run of another cohort is not reachable through this cohort's address.
    other = live.live_run_start(cohort=world.other_cohort, page=world.case, actor=world.other_facilitator)
    assert _client(world.facilitator).get(reverse("cohorts:live_panel", args=[world.cohort.pk, other.pk])).status_code == 404


ACTIONS = {
    "reveal": {}, "poll-open": None, "poll-close": {}, "breakout-start": {"minutes": "5"},
    "breakout-message": {"text": "Cinq minutes"}, "breakout-end": {}, "debrief": {}, "pin": {"answer": "1"},
    "unpin": {"answer": "1"}, "end": {},
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_control_refuses_learners_and_other_cohorts_and_changes_nothing(world, action):
    run = _running(world)
    data = ACTIONS[action] if ACTIONS[action] is not None else {"block_id": world.d1["id"], "minutes": "3"}
    url = reverse("cohorts:live_action", args=[world.cohort.pk, run.pk, action])
    for user, code in ((world.learners[0], 403), (world.other_facilitator, 404), (world.other_learner, 404)):
        assert _client(user).post(url, data).status_code == code
    assert Client().post(url, data).status_code == 302  # to the login page
    assert LiveRun.objects.get(pk=run.pk).last_seq == 1 and run.events.count() == 1
    assert _client(world.facilitator).get(url).status_code == 405


def test_an_unknown_control_is_not_found(world):
    run = _running(world)
    assert _client(world.facilitator).post(reverse("cohorts:live_action", args=[world.cohort.pk, run.pk, "explode"])).status_code == 404


def test_a_whole_session_through_the_forms_and_what_a_learner_sees_on_reload(world):
    run = _running(world)
    fac = _client(world.facilitator)
    learner = world.learners[0]
    learner_client = _client(learner)

    def act(action, **data):
        response = fac.post(reverse("cohorts:live_action", args=[world.cohort.pk, run.pk, action]), data, follow=True)
        assert response.status_code == 200
        return response.content.decode()

    page = learner_client.get(world.case.url).content.decode()
    assert "Séance en direct" in page and 'data-live-socket="/ws/live/%d/"' % run.pk in page
    assert "Qui doit porter la filière" not in page  # episode 2 closed
    assert "est révélé à tous" in act("reveal")
    page = learner_client.get(world.case.url).content.decode()
    assert "Qui doit porter la filière gériatrique du GHT ?" in page  # a reload shows it, no script needed
    assert 'data-live-seq="2"' in page

    act("poll-open", block_id=world.d1["id"], minutes="3")
    page = learner_client.get(world.case.url).content.decode()
    assert "Vote :" in page and reverse("cohorts:live_answer", args=[world.cohort.pk, run.pk]) in page
    answer_url = reverse("cohorts:live_answer", args=[world.cohort.pk, run.pk])
    assert _client(world.other_learner).post(answer_url, {"option_id": world.option(world.d1, 0)}).status_code == 404
    assert fac.post(answer_url, {"option_id": world.option(world.d1, 0)}).status_code == 403
    for i, person in enumerate(world.learners):
        response = _client(person).post(answer_url, {"option_id": world.option(world.d1, 0), "rationale": f"Parce que {i}", "named": "on"})
        assert response.status_code == 302 and response["Location"].endswith("#live-banner")
    assert DecisionAnswer.objects.filter(block_id=world.d1["id"]).count() == 3
    assert "Votre réponse : L&#x27;établissement support" in learner_client.get(world.case.url).content.decode()
    panel = fac.get(reverse("cohorts:live_panel", args=[world.cohort.pk, run.pk])).content.decode()
    assert "3 réponses" in panel

    act("poll-close")
    page = learner_client.get(world.case.url).content.decode()
    assert "Résultat du vote" in page and "Ensemble" in page

    act("breakout-start", minutes="10")
    act("breakout-message", text="Encore cinq minutes")
    group_room = learner_client.get(world.case.url).content.decode()
    assert "Rejoindre le salon de mon groupe" in group_room and "Encore cinq minutes" in group_room
    from rooms.models import Room

    room = Room.objects.get(kind=Room.Kind.GROUP, group=world.groups[0])
    room_page = learner_client.get(reverse("rooms:room_detail", args=[room.pk])).content.decode()
    assert "Quels indicateurs suivre ensemble" in room_page and "data-ends-at" in room_page
    assert "Encore cinq minutes" in room_page  # the facilitator's message, in the room itself too
    act("breakout-end")
    assert "Retour en plénière" in learner_client.get(reverse("rooms:room_detail", args=[room.pk])).content.decode()

    act("debrief")
    assert "Ce que les équipes ont retenu." in learner_client.get(world.case.url).content.decode()
    first = DecisionAnswer.objects.filter(block_id=world.d1["id"]).order_by("pk").first()
    act("pin", answer=str(first.pk))
    page = learner_client.get(world.case.url).content.decode()
    assert "Justifications à discuter" in page and first.rationale in page

    summary_page = act("end")
    assert "Bilan de séance en direct" in summary_page and "La crise des urgences" in summary_page
    page = learner_client.get(world.case.url).content.decode()
    assert "Séance en direct" not in page and "Qui doit porter la filière" in page  # over; what was revealed stays
    pdf = fac.get(reverse("cohorts:live_summary_export", args=[world.cohort.pk, run.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    for user, code in ((learner, 403), (world.other_facilitator, 404)):
        assert _client(user).get(reverse("cohorts:live_summary", args=[world.cohort.pk, run.pk])).status_code == code
        assert _client(user).get(reverse("cohorts:live_summary_export", args=[world.cohort.pk, run.pk])).status_code == code


def test_the_panel_and_the_learners_case_page_cost_the_same_queries_with_3_or_15_learners(world):
    run = _running(world)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    live.live_breakout_start(run=run, actor=world.facilitator, minutes=5)
    fac, learner = _client(world.facilitator), _client(world.learners[0])
    panel = reverse("cohorts:live_panel", args=[world.cohort.pk, run.pk])

    def counts():
        count_queries(fac, panel), count_queries(learner, world.case.url)  # warm per-process caches
        return count_queries(fac, panel), count_queries(learner, world.case.url)

    few = counts()
    _twelve_more_voters(world, run)
    many = counts()
    assert many == few, (few, many)
    assert few[0] <= 30 and few[1] <= 25, few


# --- The light refresh of the case page (live_regions) ------------------------------------------

import re  # noqa: E402


def _regions_url(world, run, **params) -> str:
    return reverse("cohorts:live_regions", args=[world.cohort.pk, run.pk])


def _keys(html: str) -> dict[str, str]:
    """{element id: data-live-key} of the live parts a page shows (as live.js reads them)."""
    return dict(re.findall(r'id="([^"]+)"[^>]*? data-live-region data-live-key="([^"]*)"', html))


def _refresh(client, world, run, page_html: str):
    have = [f"{region}~{key}" for region, key in _keys(page_html).items()]
    return client.get(_regions_url(world, run), {"page": world.case.pk, "have": have})


def test_the_light_refresh_is_for_the_runs_participants_only(world):
    run = _running(world)
    url = _regions_url(world, run)
    assert Client().get(url).status_code == 302  # to the login page
    assert _client(world.other_learner).get(url).status_code == 404
    assert _client(world.other_facilitator).get(url).status_code == 404
    assert _client(world.learners[0]).get(url).status_code == 200
    assert _client(world.facilitator).get(url).status_code == 200
    # A run of another cohort is not reachable through this cohort's address.
    other = live.live_run_start(cohort=world.other_cohort, page=world.case, actor=world.other_facilitator)
    assert _client(world.learners[0]).get(_regions_url(world, other)).status_code == 404
    # A group's run: a learner of the cohort outside that group is refused too.
    live.live_run_end(run=run, actor=world.facilitator)
    extra = add_learner(world.cohort, profession="nurse")
    group_run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator, group=world.groups[0])
    assert _client(extra).get(_regions_url(world, group_run)).status_code == 404
    assert _client(world.learners[0]).get(_regions_url(world, group_run)).status_code == 200
    # Another page than the run's case (or a translation of it) is not rendered through it.
    assert _client(world.learners[0]).get(_regions_url(world, group_run), {"page": world.programme.pk}).status_code == 404


def test_the_light_refresh_sends_the_revealed_episode_and_the_banner_and_only_placeholders_for_the_rest(world):
    run = _running(world)
    client = _client(world.learners[0])
    page = client.get(world.case.url).content.decode()
    assert "Qui doit porter la filière" not in page
    live.live_reveal_next(run=run, actor=world.facilitator)
    html = _refresh(client, world, run, page).content.decode()
    assert "<html" not in html and 'id="live-banner"' in html and 'data-live-seq="2"' in html
    ep1, ep2, ep3 = (f"live-episode-{e['id']}" for e in (world.ep1, world.ep2, world.ep3))
    # The newly revealed episode comes with its decision point's form, as the case page renders it.
    assert "Qui doit porter la filière gériatrique du GHT ?" in html and "Valider mon choix" in html
    assert re.search(rf'id="{ep1}" data-live-region data-live-key="[^"]+" data-live-same', html)
    assert re.search(rf'id="{ep3}" data-live-region data-live-key="[^"]+" data-live-same', html)
    assert not re.search(rf'id="{ep2}"[^>]*data-live-same', html)
    # What it sends is what a reload shows.
    reloaded = _keys(client.get(world.case.url).content.decode())
    assert _keys(html)[ep2] == reloaded[ep2] and _keys(html)["live-banner"] == reloaded["live-banner"]
    # Nothing changed since: every part comes back as a placeholder.
    html = _refresh(client, world, run, client.get(world.case.url).content.decode()).content.decode()
    assert html.count("data-live-same") == 5  # three episodes, the debrief, the outline
    # Once the run is over, the refresh has no banner (live.js removes it); what was revealed stays.
    live.live_run_end(run=run, actor=world.facilitator)
    html = client.get(_regions_url(world, run), {"page": world.case.pk}).content.decode()
    assert 'id="live-banner"' not in html and "Qui doit porter la filière" in html


def test_after_a_poll_closes_the_refresh_updates_how_the_cohort_chose_in_the_decision_block(world):
    run = _running(world)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    first = world.learners[0]
    live.live_poll_answer(run=run, user=first, option_id=world.option(world.d1, 0), rationale="Seul·e")
    client = _client(first)
    page = client.get(world.case.url).content.decode()  # answered alone so far: too few to show the choices
    assert "s'afficheront à partir de 3 réponses" in page and "3 réponses, par métier" not in page
    for person in world.learners[1:]:
        live.live_poll_answer(run=run, user=person, option_id=world.option(world.d1, 1))
    live.live_poll_close(run=run, actor=world.facilitator)
    html = _refresh(client, world, run, page).content.decode()
    ep2 = f"live-episode-{world.ep2['id']}"
    assert not re.search(rf'id="{ep2}"[^>]*data-live-same', html)
    block = html[html.index(f'id="{ep2}"'):]
    block = block[: block.index('id="live-', 10)] if 'id="live-' in block[10:] else block
    assert "3 réponses, par métier" in block and "s'afficheront à partir de 3 réponses" not in block


def test_the_light_refresh_costs_the_same_few_queries_with_3_or_15_learners(world):
    run = _running(world)
    live.live_reveal_next(run=run, actor=world.facilitator)
    live.live_poll_open(run=run, actor=world.facilitator, block_id=world.d1["id"], minutes=3)
    live.live_breakout_start(run=run, actor=world.facilitator, minutes=5)
    learner = _client(world.learners[0])
    page = learner.get(world.case.url).content.decode()
    have = [f"{region}~{key}" for region, key in _keys(page).items()]
    url = _regions_url(world, run) + "?" + "&".join([f"page={world.case.pk}"] + [f"have={h}" for h in have])

    def counts():
        count_queries(learner, url)  # warm per-process caches
        return count_queries(learner, url), count_queries(learner, world.case.url)

    few = counts()
    _twelve_more_voters(world, run)
    many = counts()
    assert many[0] == few[0], (few, many)
    # The case page's own queries (its visibility state, the learner's records, the banner) and three
    # more: the run, the reader's part in it, the page.
    assert few[0] <= few[1] + 3 and few[0] <= 16, few


# --- The cohort page: scheduled sessions and the run going on ------------------------------------


def test_the_cohort_page_offers_a_scheduled_session_to_its_facilitators_and_the_run_going_on_to_its_members(world):
    from datetime import timedelta

    from django.utils import timezone

    from cohorts.services import live_session_create

    soon = timezone.now() + timedelta(minutes=10)
    session = live_session_create(cohort=world.cohort, title="Séance GHT", starts_at=soon, ends_at=soon + timedelta(hours=1),
                                  place="Rennes")
    url = reverse("cohorts:cohort_detail", args=[world.cohort.pk])
    start = f'{reverse("cohorts:live_list", args=[world.cohort.pk])}?session={session.pk}'
    assert start in _client(world.facilitator).get(url).content.decode()
    learner_page = _client(world.learners[0]).get(url).content.decode()
    assert "Séance GHT" in learner_page and start not in learner_page  # learners do not drive
    assert "Séance en direct en cours" not in learner_page
    assert _client(world.learners[0]).get(start).status_code == 403
    assert _client(world.other_learner).get(url).status_code == 404
    # The live page the link leads to has the session chosen in its form.
    form = _client(world.facilitator).get(start).content.decode()
    assert f'<option value="{session.pk}" selected>' in form

    # A run of the whole cohort going on: its members are invited to join it on the case page.
    run = live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator, live_session=session)
    learner_page = _client(world.learners[0]).get(url).content.decode()
    assert "Séance en direct en cours — rejoindre" in learner_page and f'href="{world.case.url}"' in learner_page
    facilitator_page = _client(world.facilitator).get(url).content.decode()
    assert reverse("cohorts:live_panel", args=[world.cohort.pk, run.pk]) in facilitator_page
    assert start not in facilitator_page  # one run at a time
    assert "Séance en direct en cours — rejoindre" not in facilitator_page

    # A group's run: only that group's learners are invited.
    live.live_run_end(run=run, actor=world.facilitator)
    outsider = add_learner(world.cohort, profession="nurse")
    live.live_run_start(cohort=world.cohort, page=world.case, actor=world.facilitator, group=world.groups[0])
    assert "Séance en direct en cours — rejoindre" in _client(world.learners[0]).get(url).content.decode()
    assert "Séance en direct en cours — rejoindre" not in _client(outsider).get(url).content.decode()


def _twelve_more_voters(world, run) -> None:
    """Twelve more learners of three professions join the run and answer its open poll."""
    for i in range(12):
        person = add_learner(world.cohort, profession=("director", "nurse", "regulator")[i % 3])
        live.live_attendance_join(run=run, user=person)
        live.live_poll_answer(run=run, user=person, option_id=world.option(world.d1, i % 3), rationale="Oui")
