"""Room participation on the facilitator dashboard (issue 12, defect 15): bars compare messages per
person on one stated scale, so equal bars mean equal rates, and every count is pluralised."""

import pytest
from django.urls import reverse

from cohorts.selectors import CHART_WIDTH, cohort_dashboard, scale_maximum
from rooms.models import Room
from tests.factories_cohorts import add_learner, make_cohort
from tests.rooms.factories import post

pytestmark = pytest.mark.django_db


def _cohort(spec):
    """spec: {profession: (people, messages in all)}"""
    cohort = make_cohort()
    room = Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)
    for profession, (people, messages) in spec.items():
        learners = [add_learner(cohort, profession=profession) for _ in range(people)]
        for i in range(messages):
            post(room, learners[i % people], f"Message {i}")
    return cohort


def _bars(cohort):
    data = cohort_dashboard(cohort=cohort)
    return {entry["code"]: entry for entry in data["participation"]}, data["participation_scale"]


def test_bars_compare_rates_on_a_round_scale_not_raw_counts():
    # 0.2 and 0.3 messages per person: the second is not a full bar, the first not two-thirds of it.
    cohort = _cohort({"nurse": (10, 2), "physician": (10, 3)})
    bars, scale = _bars(cohort)
    assert scale == "0,5"
    assert bars["nurse"]["width"] == round(CHART_WIDTH * 0.2 / 0.5)
    assert bars["physician"]["width"] == round(CHART_WIDTH * 0.3 / 0.5) < CHART_WIDTH


def test_different_rates_never_read_the_same_figure():
    # 1 message for 3 people and 1 for 4: 0,33 and 0,25, not "0,3" twice under bars of different lengths.
    cohort = _cohort({"director": (3, 1), "nurse": (4, 1)})
    bars, _scale = _bars(cohort)
    assert (bars["director"]["per_person_label"], bars["nurse"]["per_person_label"]) == ("0,33", "0,25")


def test_equal_bars_mean_equal_rates():
    # 10 nurses wrote 10 messages, 1 director 1: the same rate, the same bar (raw counts drew 10 to 1).
    cohort = _cohort({"nurse": (10, 10), "director": (1, 1), "physician": (2, 1)})
    bars, scale = _bars(cohort)
    assert scale == "1"
    assert bars["nurse"]["width"] == bars["director"]["width"] == CHART_WIDTH
    assert bars["physician"]["width"] == CHART_WIDTH // 2


def test_a_small_scale_is_written_as_it_is():
    cohort = _cohort({"nurse": (25, 1)})  # 0,04 per person: the bar's end is 0,05, not "0,1"
    _bars_by_code, scale = _bars(cohort)
    assert scale == "0,05"


def test_scale_maximum_is_a_round_figure_just_above():
    assert [scale_maximum(v) for v in (0, 0.2, 0.3, 1, 1.2, 7, 12)] == [1, 0.2, 0.5, 1, 2, 10, 20]


def test_the_dashboard_says_one_message_and_one_person_in_the_singular(client):
    cohort = _cohort({"director": (1, 1), "nurse": (2, 3)})
    client.force_login(cohort.memberships.get(role="facilitator").user)
    page = client.get(reverse("cohorts:dashboard", args=[cohort.pk])).content.decode()
    section = page[page.index('id="participation-title"'):page.index('id="reflections-title"')]
    assert "1 messages" not in section and "1 message, soit 1 par personne" in section
    assert "(1 personne)" in section and "(2 personnes)" in section
    assert "3 messages, soit 1,5 par personne" in section
    assert "1 message, soit 0,33 par personne" not in section
    assert "une barre pleine vaut 2 par personne" in section
    assert "style=" not in section
    assert f'href="{reverse("rooms:cohort_rooms_insights", args=[cohort.pk])}"' in section
