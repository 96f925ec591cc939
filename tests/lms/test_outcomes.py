"""The programme owner's report (Wagtail admin): completion, time to complete, self-assessed change
per competency by profession, per cohort, chart and CSV; never a figure about fewer than five people;
only for holders of the `lms.view_outcomes` permission."""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from cms.models import Competency
from lms import outcomes
from lms.models import Enrolment, SelfAssessment
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import make_course
from tests.queries import page_queries

pytestmark = pytest.mark.django_db

URL = "/admin/outcomes/"


@pytest.fixture
def course():
    course = make_course(title="Piloter la coopération")
    course.programme.competencies.set(list(
        Competency.objects.filter(locale__language_code="fr", slug__in=["cooperation", "conflict-management"])
    ))
    course.programme.save()
    return course


def assessed(course, profession: str, *, before: int, end: int, user=None, days: int = 20):
    """A learner who enrolled `days` ago, finished, and answered "before" and "end" (stored as the
    services would have stored them)."""
    user = user or make_user(profession=profession)
    now = timezone.now()
    enrolment, _new = Enrolment.objects.get_or_create(user=user, programme_id=course.programme.pk)
    Enrolment.objects.filter(pk=enrolment.pk).update(enrolled_at=now - timedelta(days=days), completed_at=now)
    for moment, level in (("before", before), ("end", end)):
        SelfAssessment.objects.create(user=user, programme_id=course.programme.pk, moment=moment,
                                      levels={"cooperation": level, "conflict-management": level}, profession=profession)
    return user


def owner():
    user = make_user(roles=(Role.EDITOR,))
    group, _new = Group.objects.get_or_create(name="Responsables de programme")
    group.permissions.add(Permission.objects.get(codename="view_outcomes"),
                          Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    return user


# --- The rule of five --------------------------------------------------------------------------


def _keys(professions):
    return [(g.key, g.people) for g in outcomes.outcome_groups(dict(enumerate(professions)))]


def test_a_profession_under_five_is_hidden_and_so_is_the_total_that_would_reveal_it():
    assert _keys(["physician"] * 5 + ["nurse"] * 4) == [("physician", 5)]


def test_professions_under_five_are_pooled_when_the_pool_reaches_five():
    assert _keys(["physician"] * 5 + ["nurse"] * 3 + ["director"] * 2) == [("physician", 5), ("pooled", 5), ("all", 10)]


def test_everyone_under_five_per_profession_shows_only_the_total():
    assert _keys(["physician"] * 3 + ["nurse"] * 3) == [("all", 6)]
    assert _keys(["nurse"] * 4) == []


def test_the_report_shows_change_for_five_physicians_and_nothing_about_four_nurses(course):
    for _ in range(5):
        assessed(course, "physician", before=1, end=3)
    for _ in range(4):
        assessed(course, "nurse", before=2, end=2)
    report = outcomes.outcomes_report(programme=course.programme)
    assert [g.key for g in report.groups] == ["physician"]
    cooperation = next(c for c in report.changes if c.slug == "cooperation")
    assert cooperation.by_group == {"physician": {"people": 5, "before": 1.0, "end": 3.0, "change": 2.0}}
    assert report.enrolled == 9 and report.completed == 9 and report.completion_rate == 100
    assert report.median_days_to_complete == 20.0


def test_completion_and_duration_are_withheld_under_five_learners(course):
    for _ in range(4):
        assessed(course, "physician", before=1, end=2)
    report = outcomes.outcomes_report(programme=course.programme)
    assert report.completed is None and report.median_days_to_complete is None and report.groups == []
    assert all(not c.by_group for c in report.changes)


# --- The admin page ----------------------------------------------------------------------------


def test_the_owner_sees_chart_table_and_no_figure_about_the_four_nurses(client, course):
    for _ in range(5):
        assessed(course, "physician", before=1, end=3)
    for _ in range(4):
        assessed(course, "nurse", before=2, end=2)
    client.force_login(owner())
    response = client.get(URL, {"programme": course.programme.pk})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "chart--hbar" in page and "Médecin" in page and "1.0 → 3.0 (+2.0)" in page.replace(",", ".")
    assert "Infirmier" not in page.split('id="outcomes-change"')[1].split("</section>")[0]
    assert "Tous métiers" not in page
    assert "Aucune mesure des échanges entre métiers" in page  # no app reports interaction in lms alone


def test_the_csv_holds_the_shown_groups_only(client, course):
    for _ in range(5):
        assessed(course, "physician", before=2, end=4)
    for _ in range(3):
        assessed(course, "nurse", before=1, end=1)
    client.force_login(owner())
    response = client.get(URL, {"programme": course.programme.pk, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Périmètre", "Compétence", "Métier"]
    assert {row[2] for row in rows[1:]} == {"Médecin"} and {row[3] for row in rows[1:]} == {"5"}
    assert {row[4] for row in rows[1:]} == {"2"} and {row[5] for row in rows[1:]} == {"4"} and {row[6] for row in rows[1:]} == {"2"}


def test_the_cohort_view_counts_only_that_cohorts_learners(client, course):
    cohort = make_cohort(programme=course.programme, name="Promotion Bretagne")
    for _ in range(5):
        assessed(course, "director", before=1, end=4, user=add_learner(cohort, profession="director"))
    for _ in range(5):
        assessed(course, "director", before=2, end=2)  # self-enrolled, outside the cohort
    overall = outcomes.outcomes_report(programme=course.programme)
    assert overall.changes[0].by_group["director"]["change"] == 1.5
    cohorts = outcomes.outcomes_cohorts(programme=course.programme)
    assert [c["name"] for c in cohorts] == ["Promotion Bretagne"]
    client.force_login(owner())
    page = html.unescape(client.get(URL, {"programme": course.programme.pk, "cohort": cohorts[0]["id"]}).content.decode())
    assert "Promotion Bretagne" in page and "1.0 → 4.0 (+3.0)" in page.replace(",", ".")


@pytest.mark.parametrize("who", ["anonymous", "learner", "editor", "reviewer"])
def test_people_without_the_permission_are_refused(client, course, who):
    for _ in range(5):
        assessed(course, "physician", before=1, end=3)
    if who != "anonymous":
        roles = {"learner": (Role.LEARNER,), "editor": (Role.EDITOR,), "reviewer": (Role.REVIEWER,)}[who]
        client.force_login(make_user(roles=roles))
    response = client.get(URL, {"programme": course.programme.pk})
    assert response.status_code in (302, 403)
    assert b"chart--hbar" not in response.content
    csv_response = client.get(URL, {"programme": course.programme.pk, "format": "csv"})
    assert csv_response.status_code in (302, 403) and not csv_response.get("Content-Type", "").startswith("text/csv")


def test_a_superuser_reads_the_report(client, course):
    client.force_login(make_user(is_superuser=True, is_staff=True, roles=(Role.ADMIN,)))
    assert client.get(URL, {"programme": course.programme.pk}).status_code == 200


def test_the_report_keeps_its_query_count_from_ten_to_sixty_learners(client, course):
    cohort = make_cohort(programme=course.programme)
    for index in range(10):
        assessed(course, ["physician", "nurse"][index % 2], before=1, end=2, user=add_learner(cohort))
    client.force_login(owner())
    url = f"{URL}?programme={course.programme.pk}"
    client.get(url)
    small = page_queries(client, url)
    for index in range(50):
        assessed(course, ["physician", "nurse", "director", "regulator", "other"][index % 5], before=2, end=3,
                 user=add_learner(cohort))
    large = page_queries(client, url)
    assert large == small, (small, large)
    # Wagtail admin frame (session, user, permissions, menu) + programmes, cohorts, enrolments, framework,
    # assessments, module feedback, and the rooms' cross-profession talk (three)
    assert small.warm <= 18, small
