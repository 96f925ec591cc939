"""The cohort's mix: diversity index on known mixes, and the warnings a facilitator sees."""

import math

import pytest
from django.urls import reverse

from cohorts.selectors import cohort_composition, composition_from_people, diversity_index
from tests.factories_cohorts import add_learner, make_cohort, make_programme


def test_one_profession_only_has_a_diversity_of_zero():
    assert diversity_index({"physician": 12}) == 0.0


def test_five_professions_in_equal_parts_have_a_diversity_of_one():
    assert diversity_index({"director": 3, "physician": 3, "nurse": 3, "regulator": 3, "other": 3}) == 1.0


def test_two_professions_in_equal_parts_have_log2_over_log5():
    assert diversity_index({"director": 4, "nurse": 4}) == pytest.approx(math.log(2) / math.log(5), abs=1e-4)


def test_an_unbalanced_mix_scores_below_a_balanced_one():
    unbalanced = diversity_index({"physician": 9, "nurse": 1, "director": 1, "regulator": 1})
    balanced = diversity_index({"physician": 3, "nurse": 3, "director": 3, "regulator": 3})
    assert 0 < unbalanced < balanced < 1
    assert balanced == pytest.approx(math.log(4) / math.log(5), abs=1e-4)


def test_an_empty_cohort_has_a_diversity_of_zero():
    assert diversity_index({}) == 0.0


def test_a_dominant_profession_and_a_missing_audience_profession_raise_warnings():
    people = [("physician", "team")] * 4 + [("nurse", "team"), ("director", "establishment")]
    composition = composition_from_people(people, audience_codes=["physician", "nurse", "director", "regulator"])
    assert composition.dominant_profession
    assert len(composition.warnings) == 2
    assert "Régulation" in composition.warnings[0]
    assert "plus de la moitié" in composition.warnings[1].lower()


def test_exactly_half_is_not_dominant():
    composition = composition_from_people([("physician", "")] * 2 + [("nurse", "")] * 2, audience_codes=[])
    assert composition.dominant_profession == ""
    assert composition.warnings == []


@pytest.mark.django_db
def test_the_cohort_page_shows_mix_index_and_warnings(client):
    programme = make_programme(audience=("director", "physician", "nurse", "regulator"))
    cohort = make_cohort(programme=programme)
    for _ in range(3):
        add_learner(cohort, profession="physician", level="team")
    add_learner(cohort, profession="nurse", level="team")
    composition = cohort_composition(cohort=cohort)
    assert composition.total == 4
    assert {row.code: row.count for row in composition.professions}["physician"] == 3
    assert {row.code: row.count for row in composition.levels}["team"] == 4
    client.force_login(cohort.memberships.get(role="facilitator").user)
    page = client.get(reverse("cohorts:cohort_detail", args=[cohort.pk])).content.decode()
    assert f"{composition.diversity:.2f}".replace(".", ",") in page or f"{composition.diversity:.2f}" in page
    assert "absents de la promotion" in page
    assert "Plus de la moitié" in page
