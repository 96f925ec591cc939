"""Waiting reflections (issue 12, defect 14): the dashboard links every waiting reflection through a
paginated list of its own; the reflection page shows the question and goes to the previous and next."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lms import services as lms
from lms.models import Reflection
from tests.factories_cohorts import add_learner, make_cohort, make_facilitator
from tests.factories_lms import make_course
from tests.queries import page_queries

pytestmark = pytest.mark.django_db

QUESTION = "Qu'auriez-vous fait ?"  # tests.factories_lms.reflection_block's prompt


def _cohort_with_reflections(n: int):
    """n learners, each sent the case's reflection, a minute apart (oldest first)."""
    course = make_course()
    cohort = make_cohort(programme=course.programme)
    start = timezone.now() - timedelta(hours=1)
    for i in range(n):
        learner = add_learner(cohort, profession="nurse", first_name=f"Ada{i:02d}", last_name=f"Zed{i:02d}")
        lms.reflection_submit(user=learner, page=course.case, block_id=course.ids.reflection, html=f"<p>Texte {i}</p>")
        Reflection.objects.filter(user=learner).update(submitted_at=start + timedelta(minutes=i))
    facilitator = cohort.memberships.get(role="facilitator").user
    ordered = list(Reflection.objects.filter(user__cohort_memberships__cohort=cohort).order_by("submitted_at", "pk"))
    return course, cohort, facilitator, ordered


def test_the_dashboard_links_the_full_list_instead_of_a_plain_count(client):
    _course, cohort, facilitator, _ordered = _cohort_with_reflections(12)
    client.force_login(facilitator)
    page = client.get(reverse("cohorts:dashboard", args=[cohort.pk])).content.decode()
    section = page[page.index('id="reflections-title"'):]
    assert section.count("/learn/reflections/") == 10
    assert "autre(s)" not in section
    assert f'href="{reverse("cohorts:reflections_waiting", args=[cohort.pk])}">Voir les 12 réflexions en attente</a>' in section
    assert '<span class="stat__value">12</span> réflexions à commenter' in page


def test_the_list_is_paginated_and_its_query_count_does_not_grow(client):
    _course, small, facilitator, _ordered = _cohort_with_reflections(3)
    client.force_login(facilitator)
    small_counts = page_queries(client, reverse("cohorts:reflections_waiting", args=[small.pk]))

    _course, large, facilitator, ordered = _cohort_with_reflections(30)
    client.force_login(facilitator)
    url = reverse("cohorts:reflections_waiting", args=[large.pk])
    assert page_queries(client, url) == small_counts
    assert small_counts.cold <= 7
    first = client.get(url).content.decode()
    assert first.count("/learn/reflections/") == 25 and "Page 1 sur 2" in first and 'href="?page=2"' in first
    second = client.get(url + "?page=2").content.decode()
    assert second.count("/learn/reflections/") == 5
    assert f"/learn/reflections/{ordered[-1].pk}/?cohort={large.pk}" in second
    assert client.get(url + "?page=99").status_code == 200  # the last page, not an error


def test_the_list_is_refused_to_learners_and_hidden_from_outsiders(client):
    _course, cohort, _facilitator, ordered = _cohort_with_reflections(2)
    url = reverse("cohorts:reflections_waiting", args=[cohort.pk])
    client.force_login(ordered[0].user)
    assert client.get(url).status_code == 403
    client.force_login(make_facilitator())
    assert client.get(url).status_code == 404


def test_the_reflection_page_shows_the_question_and_goes_through_the_waiting_ones(client):
    _course, cohort, facilitator, ordered = _cohort_with_reflections(3)
    client.force_login(facilitator)
    first, second, third = ordered

    def detail(reflection):
        return reverse("lms:reflection_detail", args=[reflection.pk]) + f"?cohort={cohort.pk}"

    page = client.get(detail(second)).content.decode()
    assert QUESTION.replace("'", "&#x27;") in page and "La question posée" in page
    assert f'href="{detail(first)}" rel="prev"' in page and f'href="{detail(third)}" rel="next"' in page
    assert "2 sur 3 en attente" in page
    assert 'rel="prev"' not in client.get(detail(first)).content.decode()

    # Commenting keeps the way through: back on the page, "next" goes on to the third.
    response = client.post(reverse("lms:reflection_comment", args=[second.pk]),
                           {"body": "Bien vu.", "cohort": str(cohort.pk)})
    assert response.status_code == 302 and response["Location"] == detail(second)
    page = client.get(detail(second)).content.decode()
    assert f'href="{detail(third)}" rel="next"' in page and "Commentée · 2 autres en attente" in page


def test_no_navigation_for_a_cohort_the_viewer_does_not_facilitate(client):
    _course, cohort, _facilitator, ordered = _cohort_with_reflections(2)
    other = make_cohort(programme=cohort.programme)
    other_facilitator = other.memberships.get(role="facilitator").user
    add_learner(other, user=ordered[0].user)  # the learner is in both; this facilitator may read them
    client.force_login(other_facilitator)
    page = client.get(reverse("lms:reflection_detail", args=[ordered[0].pk]) + f"?cohort={cohort.pk}")
    assert page.status_code == 200
    assert 'class="pager"' not in page.content.decode()


def test_the_learner_sees_the_question_but_no_facilitator_navigation(client):
    _course, cohort, _facilitator, ordered = _cohort_with_reflections(2)
    client.force_login(ordered[0].user)
    page = client.get(reverse("lms:reflection_detail", args=[ordered[0].pk]) + f"?cohort={cohort.pk}").content.decode()
    assert "La question posée" in page and 'class="pager"' not in page
