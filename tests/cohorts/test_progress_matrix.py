"""The facilitator's progress matrix and its CSV (issue 12, defects 9 and 18): a cell is the share of
the module's activities done, computed from the learning records, shown with its late marker next to
the figure; the export carries the same figures and human labels; the query count stays constant."""

import csv
import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cohorts.selectors import cohort_dashboard
from cohorts.services import schedule_save
from lms import services as lms
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import make_course
from tests.queries import page_queries

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def _mid_case(*, learners: int = 1):
    """A cohort on a course whose only module holds a case (2 decisions, 1 reflection, a quiz: 4
    activities) and a lesson (1 activity: mark as done); each learner answered the first decision
    and sent the reflection: 2 of 5."""
    course = make_course()
    cohort = make_cohort(programme=course.programme)
    people = []
    for i in range(learners):
        learner = add_learner(cohort, profession="nurse", level="team", first_name=f"Ada{i}", last_name=f"Zed{i}")
        lms.decision_answer_submit(user=learner, page=course.case, block_id=course.ids.decision1,
                                   option_id=course.ids.decision1_options[0], rationale="Parce que.")
        lms.reflection_submit(user=learner, page=course.case, block_id=course.ids.reflection, html="<p>Ma réflexion.</p>")
        people.append(learner)
    return course, cohort, people


def _facilitator(cohort):
    return cohort.memberships.get(role="facilitator").user


def test_a_learner_in_the_middle_of_a_case_shows_the_share_of_activities_done():
    _course, cohort, _people = _mid_case()
    row = cohort_dashboard(cohort=cohort)["rows"][0]
    cell = row.cells[0]
    assert (cell.done, cell.total, cell.percent, cell.state) == (2, 5, 40, "started")
    assert cell.figure == f"40{NBSP}%"
    assert row.overall == 40


def test_a_completed_page_counts_all_its_activities_and_the_quiz_counts_once_passed():
    from tests.factories_lms import answer_quiz

    course, cohort, (learner,) = _mid_case()
    lms.decision_answer_submit(user=learner, page=course.case, block_id=course.ids.decision2,
                               option_id=course.ids.decision2_options[0], rationale="Ensuite.")
    assert cohort_dashboard(cohort=cohort)["rows"][0].cells[0].done == 3
    answer_quiz(user=learner, page=course.case, answers=course.ids.quiz_correct)
    assert cohort_dashboard(cohort=cohort)["rows"][0].cells[0].done == 4
    lms.page_mark_done(user=learner, page=course.lesson)
    cell = cohort_dashboard(cohort=cohort)["rows"][0].cells[0]
    assert (cell.done, cell.state, cell.figure) == (5, "done", "✓")


def test_a_late_cell_shows_its_figure_with_the_late_marker_and_the_legend_matches(client):
    course, cohort, _people = _mid_case()
    schedule_save(cohort=cohort, items=[{"page": course.module, "label": "M1", "due_at": timezone.now() - timedelta(days=1)}])
    data = cohort_dashboard(cohort=cohort)
    cell = data["rows"][0].cells[0]
    assert cell.late and cell.state == "started" and cell.figure == f"40{NBSP}%"
    assert data["late_learners"] == 1
    client.force_login(_facilitator(cohort))
    page = client.get(reverse("cohorts:dashboard", args=[cohort.pk])).content.decode()
    assert (f'<span aria-hidden="true">40{NBSP}%</span><span class="cell__late" aria-hidden="true">!</span>'
            f'<span class="visually-hidden">40{NBSP}% des activités (2 sur 5) — en retard (échéance passée)</span>') in page
    legend = page[page.index('class="legend matrix-legend helptext"'):]
    legend = legend[:legend.index("</ul>")]
    assert "½" not in legend and f"67{NBSP}%" in legend and 'class="cell__late">!' in legend
    assert f'<td class="progress-matrix__total">40{NBSP}%</td>' in page


def test_the_csv_carries_the_same_figures_and_labels_in_the_active_language(client):
    course, cohort, _people = _mid_case()
    client.force_login(_facilitator(cohort))
    text = client.get(reverse("cohorts:progress_export", args=[cohort.pk])).content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    columns = dict(zip(header, row))
    assert columns[f"{course.module.title} (%)"] == "40" and columns["total (%)"] == "40"
    assert columns["métier"] == "Soins infirmiers / cadre de santé" and columns["métier (code)"] == "nurse"
    assert columns["niveau"] != "team" and columns["niveau (code)"] == "team"
    assert "nurse" not in row[:6] and "team" not in row[:6]

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = client.get(reverse("cohorts:progress_export", args=[cohort.pk])).content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    columns = dict(zip(header, row))
    assert columns["profession"] == "Nursing / nurse manager" and "nurse" in row[6:]


def test_the_matrix_query_count_does_not_grow_with_learners_and_their_records(client):
    _course, small, _people = _mid_case(learners=2)
    client.force_login(_facilitator(small))
    small_counts = page_queries(client, reverse("cohorts:dashboard", args=[small.pk]))
    _course, large, _people = _mid_case(learners=12)
    client.force_login(_facilitator(large))
    large_counts = page_queries(client, reverse("cohorts:dashboard", args=[large.pk]))
    assert large_counts == small_counts
    assert large_counts.warm <= 30
