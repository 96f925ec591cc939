"""Schedule: episode gates and debriefs follow the cohort's dates; hooks lms relies on; iCal."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from cms.access import case_state
from cms.selectors import case_outline
from cohorts.models import CalendarFeed, LiveSession, ScheduleItem
from cohorts.selectors import schedule_parts
from cohorts.services import debrief_release, live_session_create, schedule_save
from cohorts.wagtail_hooks import (
    cohort_can_read_learner_work,
    cohort_case_state,
    cohort_dashboard_panels,
    cohort_peer_user_ids,
)
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_case, make_cohort, make_module, make_programme
from tests.queries import page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    cohort = make_cohort()
    module = make_module(programme=cohort.programme)
    case = make_case(module=module, gates=("open", "scheduled"))
    learner = add_learner(cohort)
    scheduled = case_outline(case).episodes[1]
    return cohort, module, case, learner, scheduled


def _open(user, case, episode_id):
    return case_state(user=user, page=case).episode_is_open(episode_id)


def test_a_scheduled_episode_is_closed_without_a_date(setup):
    cohort, module, case, learner, episode = setup
    assert not _open(learner, case, episode.id)


def test_a_scheduled_episode_is_closed_before_its_date_and_open_after(setup):
    cohort, module, case, learner, episode = setup
    later = timezone.now() + timedelta(days=2)
    schedule_save(cohort=cohort, items=[{"page": case, "episode_id": episode.id, "label": "Épisode 2", "opens_at": later}])
    assert not _open(learner, case, episode.id)
    ScheduleItem.objects.filter(cohort=cohort, episode_id=episode.id).update(opens_at=timezone.now() - timedelta(minutes=1))
    assert _open(learner, case, episode.id)


def test_the_date_of_another_cohort_opens_nothing(setup):
    cohort, module, case, learner, episode = setup
    other = make_cohort(programme=cohort.programme)
    schedule_save(cohort=other, items=[{"page": case, "episode_id": episode.id, "opens_at": timezone.now() - timedelta(days=1)}])
    assert not _open(learner, case, episode.id)
    outsider = make_user()
    assert not _open(outsider, case, episode.id)


def test_facilitators_of_a_cohort_running_the_programme_see_everything(setup):
    cohort, module, case, learner, episode = setup
    facilitator = cohort.memberships.get(role="facilitator").user
    state = case_state(user=facilitator, page=case)
    assert state.is_facilitator and state.episode_is_open(episode.id)
    other_facilitator = make_cohort().memberships.get(role="facilitator").user
    assert not case_state(user=other_facilitator, page=case).is_facilitator


def test_the_debrief_opens_when_released_or_at_its_date(setup):
    cohort, module, case, learner, episode = setup
    assert not case_state(user=learner, page=case).debrief_open
    schedule_save(cohort=cohort, items=[{"page": case, "label": case.title, "debrief_opens_at": timezone.now() + timedelta(days=1)}])
    assert not case_state(user=learner, page=case).debrief_open
    debrief_release(cohort=cohort, case_page=case)
    assert case_state(user=learner, page=case).debrief_open


def test_the_case_state_hook_costs_two_queries_at_most(setup, django_assert_max_num_queries):
    cohort, module, case, learner, episode = setup
    schedule_save(cohort=cohort, items=[{"page": case, "episode_id": episode.id, "opens_at": timezone.now()}])
    state = case_state(user=learner, page=case)
    state.episode_opens_at.clear()
    with django_assert_max_num_queries(2):
        cohort_case_state(state)
    assert episode.id in state.episode_opens_at


def _schedule_form(client, cohort, dates: dict[str, dict[str, str]]) -> dict:
    """What the browser posts from the schedule page, with `dates` ({part key: {field: value}})
    typed into the lines they name."""
    page = BeautifulSoup(client.get(reverse("cohorts:schedule_edit", args=[cohort.pk])).content, "html.parser")
    form = page.find("form", class_="schedule-form")
    data = {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("name")}
    lines = {value: name.rsplit("-", 1)[0] for name, value in data.items() if name.endswith("-part")}
    for key, values in dates.items():
        for name, value in values.items():
            data[f"{lines[key]}-{name}"] = value
    return data


def _post_schedule(client, cohort, data):
    return client.post(reverse("cohorts:schedule_edit", args=[cohort.pk]), data)


@pytest.fixture
def facilitated(setup, client):
    cohort = setup[0]
    client.force_login(cohort.memberships.get(role="facilitator").user)
    return setup


def test_the_schedule_page_stores_module_and_episode_dates(facilitated, client):
    cohort, module, case, learner, episode = facilitated
    data = _schedule_form(client, cohort, {
        f"m{module.pk}": {"opens_at": "2026-03-01T09:00", "due_at": "2026-03-15T18:00"},
        f"e{case.pk}_{episode.id}": {"opens_at": "2026-03-08T09:00"},
        f"c{case.pk}": {"debrief_opens_at": "2026-03-20T09:00"},
    })
    assert _post_schedule(client, cohort, data).status_code == 302
    assert ScheduleItem.objects.get(cohort=cohort, page=module).due_at.day == 15
    assert ScheduleItem.objects.get(cohort=cohort, episode_id=episode.id).opens_at.day == 8
    assert ScheduleItem.objects.get(cohort=cohort, page=case, episode_id="").debrief_opens_at.day == 20
    # The page shows the stored dates; emptying a line removes its dates.
    again = _schedule_form(client, cohort, {f"m{module.pk}": {"opens_at": "", "due_at": ""}})
    assert "2026-03-08T09:00" in again.values()
    assert _post_schedule(client, cohort, again).status_code == 302
    assert not ScheduleItem.objects.filter(cohort=cohort, page=module).exists()
    assert ScheduleItem.objects.filter(cohort=cohort, episode_id=episode.id).exists()


def test_a_due_date_before_the_opening_is_refused_on_its_line_and_nothing_is_stored(facilitated, client):
    cohort, module, case, learner, episode = facilitated
    data = _schedule_form(client, cohort, {
        f"m{module.pk}": {"opens_at": "2026-03-10T09:00", "due_at": "2026-03-01T09:00"},
        f"c{case.pk}": {"opens_at": "2026-03-02T09:00"},
    })
    response = _post_schedule(client, cohort, data)
    assert response.status_code == 400
    page = BeautifulSoup(response.content, "html.parser")
    assert "L'échéance précède l'ouverture." in page.find("tr", class_="schedule-row--module").get_text()
    assert "Le calendrier n'est pas enregistré" in page.get_text()
    assert not ScheduleItem.objects.filter(cohort=cohort).exists()  # not even the valid case line


def test_an_unreadable_date_is_refused_with_a_message_and_nothing_is_stored(facilitated, client):
    cohort, module, case, learner, episode = facilitated
    data = _schedule_form(client, cohort, {
        f"m{module.pk}": {"opens_at": "le 10 mars"}, f"c{case.pk}": {"opens_at": "2026-03-02T09:00"},
    })
    response = _post_schedule(client, cohort, data)
    assert response.status_code == 400
    row = BeautifulSoup(response.content, "html.parser").find("tr", class_="schedule-row--module")
    assert "Saisissez une date et une heure valides." in row.get_text()
    assert row.find("input", attrs={"name": lambda n: n and n.endswith("opens_at")})["value"] == "le 10 mars"
    assert not ScheduleItem.objects.filter(cohort=cohort).exists()


@pytest.mark.parametrize("key", ["c999999", "e{case}_not-an-episode", "m{other}", "nonsense", ""])
def test_a_line_naming_no_part_of_the_programme_is_refused_and_nothing_is_stored(facilitated, client, key):
    cohort, module, case, learner, episode = facilitated
    other_module = make_module(programme=make_cohort().programme)  # a module of another programme
    data = _schedule_form(client, cohort, {f"m{module.pk}": {"opens_at": "2026-03-01T09:00"}})
    line = next(name for name, value in data.items() if value == f"c{case.pk}")
    data[line] = key.format(case=case.pk, other=other_module.pk)
    data[line.replace("-part", "-opens_at")] = "2026-03-02T09:00"
    response = _post_schedule(client, cohort, data)
    assert response.status_code == 400
    assert "ne correspond à aucune partie du programme" in response.content.decode()
    assert not ScheduleItem.objects.filter(cohort=cohort).exists()
    assert not ScheduleItem.objects.filter(page=other_module).exists()


def test_the_same_part_twice_is_refused_and_nothing_is_stored(facilitated, client):
    cohort, module, case, learner, episode = facilitated
    data = _schedule_form(client, cohort, {f"m{module.pk}": {"opens_at": "2026-03-01T09:00"}})
    line = next(name for name, value in data.items() if value == f"c{case.pk}")
    data[line] = f"m{module.pk}"
    data[line.replace("-part", "-opens_at")] = "2026-03-05T09:00"
    response = _post_schedule(client, cohort, data)
    assert response.status_code == 400
    assert "figure deux fois" in response.content.decode()
    assert not ScheduleItem.objects.filter(cohort=cohort).exists()


def test_a_tampered_or_missing_form_count_is_refused_without_an_error_page(facilitated, client):
    cohort, module, case, learner, episode = facilitated
    response = _post_schedule(client, cohort, {f"m{module.pk}_opens_at": "2026-03-01T09:00"})  # the old field names
    assert response.status_code == 400
    assert not ScheduleItem.objects.filter(cohort=cohort).exists()
    data = _schedule_form(client, cohort, {f"m{module.pk}": {"opens_at": "2026-03-01T09:00"}})
    data["schedule-TOTAL_FORMS"] = "5000"
    assert _post_schedule(client, cohort, data).status_code == 400
    assert not ScheduleItem.objects.filter(cohort=cohort).exists()


def test_schedule_save_checks_every_line_before_storing_any(setup):
    cohort, module, case, learner, episode = setup
    now = timezone.now()
    foreign = make_module(programme=make_cohort().programme)
    with pytest.raises(ValidationError) as refused:
        schedule_save(cohort=cohort, items=[
            {"page": module, "opens_at": now},
            {"page": case, "opens_at": now, "due_at": now - timedelta(days=1)},
            {"page": foreign, "opens_at": now},
        ])
    assert refused.value.message_dict == {
        1: ["L'échéance précède l'ouverture."],
        2: ["Cette page ne fait pas partie du programme de la promotion."],
    }
    assert not ScheduleItem.objects.exists()


def test_the_database_refuses_a_due_date_before_the_opening_whatever_the_path(setup):
    cohort, module, case, learner, episode = setup
    now = timezone.now()
    with pytest.raises(IntegrityError):
        ScheduleItem.objects.create(cohort=cohort, page=module, opens_at=now, due_at=now - timedelta(hours=1))


def test_a_live_session_that_ends_before_it_starts_is_refused_with_the_rules_message(setup, client):
    cohort, module, case, learner, episode = setup
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        live_session_create(cohort=cohort, title="À l'envers", starts_at=start, ends_at=start - timedelta(hours=1))
    assert refused.value.message_dict == {
        "__all__": ["La séance doit finir après son début."], "place": ["Indiquez un lieu ou un lien de visioconférence."],
    }
    client.force_login(cohort.memberships.get(role="facilitator").user)
    response = client.post(reverse("cohorts:live_session_create", args=[cohort.pk]), {
        "title": "À l'envers", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "place": "Rennes",
    })
    assert response.status_code == 400
    assert "La séance doit finir après son début." in response.content.decode()
    assert not LiveSession.objects.exists()
    with pytest.raises(IntegrityError):
        LiveSession.objects.create(cohort=cohort, title="x", starts_at=start, ends_at=start, place="Rennes")


def test_peers_are_the_learners_of_the_users_cohorts_of_that_programme(setup):
    cohort, module, case, learner, episode = setup
    peer = add_learner(cohort)
    stranger_cohort = make_cohort(programme=cohort.programme)
    stranger = add_learner(stranger_cohort)
    assert set(cohort_peer_user_ids(learner, cohort.programme)) == {learner.pk, peer.pk}
    assert stranger.pk not in set(cohort_peer_user_ids(learner, cohort.programme))
    assert cohort_peer_user_ids(make_user(), cohort.programme) is None


def test_only_facilitators_of_the_learners_cohort_read_their_work(setup):
    cohort, module, case, learner, episode = setup
    facilitator = cohort.memberships.get(role="facilitator").user
    other_facilitator = make_cohort().memberships.get(role="facilitator").user
    peer = add_learner(cohort)
    assert cohort_can_read_learner_work(facilitator, learner)
    assert not cohort_can_read_learner_work(other_facilitator, learner)
    assert not cohort_can_read_learner_work(peer, learner)


def test_the_dashboard_panel_lists_upcoming_deadlines_and_sessions(setup):
    cohort, module, case, learner, episode = setup
    soon = timezone.now() + timedelta(days=3)
    schedule_save(cohort=cohort, items=[{"page": module, "label": "Module 1", "due_at": soon}])
    live_session_create(cohort=cohort, title="Classe virtuelle", starts_at=soon, ends_at=soon + timedelta(hours=2),
                        video_url="https://visio.example.org/promo")
    request = RequestFactory().get("/dashboard/")
    request.user = learner
    panels = cohort_dashboard_panels(request)
    assert len(panels) == 1
    assert [i.label for i in panels[0]["context"]["schedule_items"]] == ["Module 1"]
    assert panels[0]["context"]["live_sessions"][0].title == "Classe virtuelle"
    request.user = make_user()
    assert cohort_dashboard_panels(request) == []


def test_the_ical_feed_of_a_learner_lists_dates_and_sessions_behind_a_secret(setup, client):
    cohort, module, case, learner, episode = setup
    soon = timezone.now() + timedelta(days=3)
    schedule_save(cohort=cohort, items=[{"page": module, "label": "Module 1", "opens_at": soon, "due_at": soon + timedelta(days=7)}])
    live_session_create(cohort=cohort, title="Séance de lancement", starts_at=soon, ends_at=soon + timedelta(hours=1),
                        place="EHESP, Rennes")
    client.force_login(learner)
    assert client.get(reverse("cohorts:calendar")).status_code == 200
    token = CalendarFeed.objects.get(user=learner).token
    client.logout()
    response = client.get(reverse("cohorts:calendar_feed", args=[token]))
    assert response["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(response.content).walk("VEVENT")]
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert len(events) == 3
    assert any("Séance de lancement" in s for s in summaries)
    assert any(s.startswith("Échéance : Module 1") for s in summaries)
    assert client.get(reverse("cohorts:calendar_feed", args=["pas-le-bon-jeton"])).status_code == 404


def test_the_dashboard_panel_costs_one_query_outside_cohorts_and_three_inside(setup, django_assert_max_num_queries):
    cohort, module, case, learner, episode = setup
    request = RequestFactory().get("/dashboard/")
    request.user = make_user()
    with django_assert_max_num_queries(1):
        assert cohort_dashboard_panels(request) == []
    request.user = learner
    with django_assert_max_num_queries(3):
        cohort_dashboard_panels(request)


# Measured: 8, cold or warm (session, user, cohort, role, stored dates, cases, modules, live sessions).
SCHEDULE_PAGE_BOUND = 8


def _schedule_page_queries(client, *, modules: int, cases: int, sessions: int):
    cohort = make_cohort(programme=make_programme(modules=modules, cases_per_module=cases))
    soon = timezone.now() + timedelta(days=2)
    parts = schedule_parts(cohort=cohort)
    schedule_save(cohort=cohort, items=[
        {"page": part.page, "episode_id": part.episode_id, "opens_at": soon, "due_at": soon + timedelta(days=7)}
        for part in parts
    ])
    for i in range(sessions):
        live_session_create(cohort=cohort, title=f"Séance {i}", starts_at=soon, ends_at=soon + timedelta(hours=1),
                            place="Rennes")
    client.force_login(cohort.created_by)
    url = reverse("cohorts:schedule_edit", args=[cohort.pk])
    client.get(url)  # warm per-process caches (content types, site)
    queries = page_queries(client, url)
    page = BeautifulSoup(client.get(url).content, "html.parser")
    assert len(page.select("tr.schedule-row")) == len(parts)
    return queries


def test_the_schedule_page_costs_the_same_for_a_short_or_a_long_programme(client):
    small = _schedule_page_queries(client, modules=1, cases=1, sessions=1)
    large = _schedule_page_queries(client, modules=5, cases=3, sessions=6)
    assert large == small, (small, large)
    assert small.cold <= SCHEDULE_PAGE_BOUND and small.warm <= SCHEDULE_PAGE_BOUND, small
