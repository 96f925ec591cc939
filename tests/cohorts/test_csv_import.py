"""Bulk invitations from real CSV files: separators, encodings, and every kind of bad row."""

from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.models import Invitation
from cohorts.services import invitation_import_csv
from tests.factories_cohorts import make_cohort

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def _import(cohort, name):
    facilitator = cohort.memberships.get(role="facilitator").user
    return invitation_import_csv(cohort=cohort, data=(DATA / name).read_bytes(), invited_by=facilitator)


def test_a_comma_separated_utf8_file_invites_every_row():
    cohort = make_cohort()
    report = _import(cohort, "comma_utf8.csv")
    assert report.errors == []
    assert sorted(Invitation.objects.filter(cohort=cohort).values_list("email", "profession", "level")) == [
        ("julie.marchand@ars-test.fr", "regulator", "region"),
        ("karim.benali@chu-test.fr", "physician", "team"),
        ("sophie.leroy@chu-test.fr", "director", "establishment"),
    ]


@pytest.mark.parametrize("name", ["semicolon_utf8_bom.csv", "semicolon_latin1.csv"])
def test_a_french_spreadsheet_export_is_read_with_its_accents(name):
    cohort = make_cohort()
    report = _import(cohort, name)
    assert report.errors == []
    rows = {i.email: i for i in Invitation.objects.filter(cohort=cohort)}
    assert len(rows) == 4
    helene = rows["helene.lefevre@ch-test.fr"]
    assert (helene.name, helene.profession, helene.level) == ("Hélène Lefèvre", "physician", "establishment")
    assert rows["francois.gueguen@ch-test.fr"].name == "François Guéguen"
    assert rows["francois.gueguen@ch-test.fr"].profession == "nurse"
    assert rows["francois.gueguen@ch-test.fr"].level == "team"
    assert rows["agnes.le-bihan@ars-test.fr"].profession == "regulator"
    assert rows["noemie.rousseau@ght-test.fr"].organisation == "GHT Rance Émeraude"


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_are_imported(django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        report = _import(cohort, "bad_rows.csv")
    assert sorted(Invitation.objects.filter(cohort=cohort).values_list("email", flat=True)) == [
        "neuf@ars-test.fr", "valide.un@chu-test.fr",
    ]
    assert len(mail.outbox) == 2
    reasons = {error.line: error.reason for error in report.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "e-mail invalide" in reasons[3]
    assert "Métier inconnu" in reasons[4] and "Astronaute" in reasons[4]
    assert "double" in reasons[5] and "ligne 2" in reasons[5]
    assert "incomplète" in reasons[6]
    assert "encodage" in reasons[7]
    assert "Niveau inconnu" in reasons[8]
    assert "Nom manquant" in reasons[9]


def test_a_file_without_a_required_column_imports_nothing_and_says_which():
    cohort = make_cohort()
    report = _import(cohort, "missing_column.csv")
    assert not Invitation.objects.exists()
    assert len(report.errors) == 1
    assert report.errors[0].line == 1
    assert "métier" in report.errors[0].reason


def test_a_file_in_an_unreadable_encoding_imports_nothing():
    cohort = make_cohort()
    report = _import(cohort, "utf16.csv")
    assert not Invitation.objects.exists()
    assert report.file_error
    assert "Encodage" in report.errors[0].reason


def test_rows_already_invited_or_members_are_reported_not_duplicated():
    cohort = make_cohort()
    _import(cohort, "comma_utf8.csv")
    report = _import(cohort, "comma_utf8.csv")
    assert Invitation.objects.filter(cohort=cohort).count() == 3
    assert [error.line for error in report.errors] == [2, 3, 4]
    assert all("déjà en attente" in error.reason for error in report.errors)


def test_rows_beyond_capacity_are_reported():
    cohort = make_cohort(capacity=2)
    report = _import(cohort, "comma_utf8.csv")
    assert Invitation.objects.filter(cohort=cohort).count() == 2
    assert [error.line for error in report.errors] == [4]
    assert "complète" in report.errors[0].reason


def test_the_import_page_lists_each_bad_line(client):
    cohort = make_cohort()
    client.force_login(cohort.memberships.get(role="facilitator").user)
    upload = SimpleUploadedFile("promotion.csv", (DATA / "bad_rows.csv").read_bytes(), content_type="text/csv")
    response = client.post(reverse("cohorts:invitation_import", args=[cohort.pk]), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Résultat de l&#x27;import" in page or "Résultat de l'import" in page
    assert "Astronaute" in page and "<td>7</td>" in page
    assert Invitation.objects.filter(cohort=cohort).count() == 2


def test_a_learner_cannot_import_invitations(client):
    cohort = make_cohort(learners=1)
    client.force_login(cohort.memberships.get(role="learner").user)
    upload = SimpleUploadedFile("promotion.csv", (DATA / "comma_utf8.csv").read_bytes(), content_type="text/csv")
    response = client.post(reverse("cohorts:invitation_import", args=[cohort.pk]), {"file": upload})
    assert response.status_code == 403
    assert not Invitation.objects.exists()
