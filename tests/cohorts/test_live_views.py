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
    for i in range(12):
        person = add_learner(world.cohort, profession=("director", "nurse", "regulator")[i % 3])
        live.live_attendance_join(run=run, user=person)
        live.live_poll_answer(run=run, user=person, option_id=world.option(world.d1, i % 3), rationale="Oui")
    many = counts()
    assert many == few, (few, many)
    assert few[0] <= 30 and few[1] <= 25, few
