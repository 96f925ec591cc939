"""DPC participation attestations: issued with the certificate of a DPC programme, holding the
organisation and action, the hours by kind, the RPPS number; verifiable by code; the RPPS number
checked (Luhn) and asked for by the profile while a DPC programme needs it."""

import html
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from accounts.validators import luhn_valid, validate_rpps
from lms import selectors, services
from lms.export import user_data_export
from lms.models import Certificate, DpcAttestation
from tests.factories import make_user
from tests.factories_lms import complete_case, make_course
from tests.queries import page_queries

pytestmark = pytest.mark.django_db

RPPS = "10003456786"  # 11 digits, Luhn-valid


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def dpc_course(**fields):
    values = {
        "hours": Decimal("12.5"), "dpc_action_number": "99992500012", "dpc_organisation_number": "9999",
        "dpc_action_kind": "integrated", "dpc_orientation": "Coordination des parcours de santé complexes",
    }
    values.update(fields)
    return make_course(**values)


def finish(course, user) -> Certificate:
    services.enrolment_create(user=user, programme=course.programme)
    complete_case(user=user, course=course)
    services.page_mark_done(user=user, page=course.lesson)
    return Certificate.objects.get(user=user, programme_id=course.programme.pk)


def test_completing_a_dpc_programme_issues_the_certificate_and_the_participation_attestation():
    certificate = finish(dpc_course(), make_user(rpps=RPPS))
    attestation = certificate.dpc_attestation
    assert attestation.code != certificate.code and len(attestation.code) == 16
    assert attestation.online_hours == Decimal("12.5") and attestation.live_hours == 0
    assert attestation.total_hours == Decimal("12.5")
    assert certificate.rpps == RPPS and certificate.dpc_action_kind == "Programme intégré"


def test_a_programme_without_dpc_fields_gets_a_certificate_and_no_attestation():
    finish(make_course(), make_user())
    assert Certificate.objects.count() == 1 and DpcAttestation.objects.count() == 0


def test_the_certificate_is_issued_once_with_one_attestation():
    course, learner = dpc_course(), make_user()
    certificate = finish(course, learner)
    enrolment = selectors.enrolment_get(user=learner, programme=course.programme)
    assert services.certificate_issue(enrolment=enrolment).pk == certificate.pk
    assert DpcAttestation.objects.count() == 1


@pytest.mark.parametrize("counts", [True, False])
def test_live_hours_are_zero_when_no_app_reports_live_sessions_whatever_the_flag(counts):
    # No function is registered under the `dpc_live_hours` hook in lms alone: attended live hours are 0.
    course = dpc_course(dpc_live_sessions_count=counts)
    learner = make_user()
    assert selectors.dpc_live_hours(user=learner, programme=course.programme) == Decimal("0")
    attestation = finish(course, learner).dpc_attestation
    assert attestation.live_hours == 0 and attestation.total_hours == Decimal("12.5")


def test_live_hours_are_not_asked_of_the_hook_when_the_programme_does_not_count_them(monkeypatch):
    # The flag decides before any hook runs: a programme that does not count live sessions never
    # asks for them (the hook registry is not even read).
    from wagtail import hooks

    asked = []
    monkeypatch.setattr(hooks, "get_hooks", lambda name: asked.append(name) or [])
    course = dpc_course(dpc_live_sessions_count=False)
    selectors.dpc_live_hours(user=make_user(), programme=course.programme)
    assert "dpc_live_hours" not in asked
    course.programme.dpc_live_sessions_count = True
    selectors.dpc_live_hours(user=make_user(), programme=course.programme)
    assert "dpc_live_hours" in asked


def test_the_attestation_pdf_holds_organisation_action_kind_orientation_hours_dates_rpps_and_code(client):
    learner = make_user(first_name="Claire", last_name="Dumont", rpps=RPPS)
    certificate = finish(dpc_course(), learner)
    attestation = certificate.dpc_attestation
    client.force_login(learner)
    response = client.get(reverse("lms:dpc_attestation_pdf", args=[attestation.code]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ["Claire Dumont", RPPS, "99992500012", "9999", "Programme intégré",
                     "Coordination des parcours de santé complexes", "Heures en ligne", "12,5 h",
                     "Heures de sessions en direct suivies", "0 h", attestation.code, certificate.code,
                     f"/certificates/{attestation.code}/"]:
        assert expected in text, expected
    assert "du " in text and str(certificate.completed_on.year) in text


def test_the_attestation_pdf_says_when_no_rpps_number_was_given(client):
    learner = make_user()
    attestation = finish(dpc_course(), learner).dpc_attestation
    client.force_login(learner)
    text = pdf_text(client.get(reverse("lms:dpc_attestation_pdf", args=[attestation.code])).content)
    assert "N° RPPS" in text and "non renseigné" in text


def test_nobody_else_downloads_a_learners_attestation(client):
    attestation = finish(dpc_course(), make_user()).dpc_attestation
    url = reverse("lms:dpc_attestation_pdf", args=[attestation.code])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(make_user(is_staff=True, is_superuser=True))
    assert client.get(url).status_code == 404


def test_the_attestation_code_verifies_publicly_with_its_dpc_facts_and_nothing_private(client):
    learner = make_user(first_name="Inès", last_name="Roux", rpps=RPPS, email="ines@example.org")
    certificate = finish(dpc_course(), learner)
    response = client.get(reverse("lms:certificate_verify", args=[certificate.dpc_attestation.code.lower()]))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Attestation valide" in page and "Attestation de participation DPC" in page
    assert "Inès Roux" in page and "99992500012" in page and "9999" in page and "Heures en ligne" in page
    assert RPPS not in page and "ines@example.org" not in page
    certificate_page = html.unescape(client.get(reverse("lms:certificate_verify", args=[certificate.code])).content.decode())
    assert "Certificat de réalisation" in certificate_page and "Attestation valide" in certificate_page
    # Each page names the other document, so a DPC body holding either code sees both are valid.
    assert certificate.dpc_attestation.code in certificate_page and certificate.code in page
    assert RPPS not in certificate_page and "ines@example.org" not in certificate_page


def test_a_certificate_without_dpc_fields_names_no_other_document(client):
    certificate = finish(make_course(), make_user())
    page = html.unescape(client.get(reverse("lms:certificate_verify", args=[certificate.code])).content.decode())
    assert "Attestation valide" in page and "Délivré avec" not in page


def test_the_dashboard_links_the_attestation_and_keeps_its_query_count(client):
    learner = make_user()
    client.force_login(learner)
    first = make_course()
    finish(first, learner)
    url = reverse("lms:dashboard")
    client.get(url)
    small = page_queries(client, url)
    attestation = finish(dpc_course(), learner).dpc_attestation
    large = page_queries(client, url)
    page = client.get(url).content.decode()
    assert reverse("lms:dpc_attestation_pdf", args=[attestation.code]) in page
    assert large == small


def test_the_data_export_holds_the_attestation():
    learner = make_user()
    attestation = finish(dpc_course(), learner).dpc_attestation
    data = user_data_export(user=learner)
    assert data["dpc_attestations"][0]["code"] == attestation.code
    assert data["dpc_attestations"][0]["online_hours"] == "12.5"


# --- The RPPS number --------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["10003456786", "10101010105", "10000000009"])
def test_luhn_valid_rpps_numbers_pass(number):
    validate_rpps(number)
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["10003456787", "10003456768", "1000345678", "1000345678A"])
def test_a_mistyped_rpps_number_is_refused(number):
    with pytest.raises(ValidationError):
        validate_rpps(number)


def _profile(**overrides):
    data = {"first_name": "Karim", "last_name": "Haddad", "profession": "physician", "level": "establishment",
            "organisation": "CHU de Rennes", "language": "fr", "rpps": RPPS}
    data.update(overrides)
    return data


def test_the_profile_refuses_an_rpps_number_whose_check_digit_is_wrong_and_changes_nothing(client):
    user = make_user(organisation="CH de Vitré")
    client.force_login(user)
    response = client.post("/accounts/profile/", _profile(rpps="1000 3456 787", organisation="Changé"))
    assert response.status_code == 400
    assert "clé de contrôle" in html.unescape(response.content.decode())
    user.refresh_from_db()
    assert user.rpps == "" and user.organisation == "CH de Vitré"
    assert client.post("/accounts/profile/", _profile()).status_code == 302
    user.refresh_from_db()
    assert user.rpps == RPPS


def test_the_profile_asks_for_the_rpps_number_while_a_dpc_programme_needs_it(client):
    course = dpc_course(title="Piloter un GHT")
    learner = make_user()
    client.force_login(learner)
    assert "rpps-needed" not in client.get("/accounts/profile/").content.decode()
    services.enrolment_create(user=learner, programme=course.programme)
    page = html.unescape(client.get("/accounts/profile/").content.decode())
    assert 'id="rpps-needed"' in page and "Piloter un GHT" in page
    learner.rpps = RPPS
    learner.save(update_fields=["rpps"])
    assert "rpps-needed" not in client.get("/accounts/profile/").content.decode()


def test_the_profile_does_not_ask_for_the_rpps_number_for_a_programme_without_dpc(client):
    learner = make_user()
    services.enrolment_create(user=learner, programme=make_course().programme)
    client.force_login(learner)
    assert "rpps-needed" not in client.get("/accounts/profile/").content.decode()


def test_every_pdf_of_the_platform_opens_with_the_one_letterhead():
    """Certificate, DPC attestation, transcript and the live-session summary (cohorts) all start with
    `lms.pdf.letterhead`: the name and what the platform is, then the document's own title."""
    from cohorts.pdf import live_summary_pdf
    from lms import pdf

    learner = make_user(first_name="Inès", last_name="Roux", rpps=RPPS)
    certificate = finish(dpc_course(), learner)
    summary = {
        "case": "Dix jours de tension", "cohort": "Promotion A", "group": "", "attendance_total": 5,
        "started_at": "2026-03-10T18:00:00+00:00", "ended_at": "2026-03-10T19:30:00+00:00",
        "attendance": [["Médecin", 5]], "reveals": [], "polls": [], "breakouts": [], "timeline": [],
    }
    documents = {
        "Attestation de formation": pdf.certificate_pdf(certificate, verify_url="https://example.org/v/"),
        "Attestation de participation": pdf.dpc_attestation_pdf(
            certificate.dpc_attestation, verify_url="https://example.org/a/", certificate_verify_url="https://example.org/v/"),
        "Relevé de formation": pdf.transcript_pdf(user=learner, rows=selectors.transcript_rows(user=learner)),
        "Bilan de séance en direct": live_summary_pdf(summary),
    }
    for title, content in documents.items():
        text = " ".join(pdf_text(content).split())
        assert text.startswith("Passerelles Formation continue des managers du système de santé"), title
        assert title in text
        assert PdfReader(io.BytesIO(content)).metadata.author == "Passerelles"
    # The transcript's dates and hours are written as people read them.
    transcript = pdf_text(documents["Relevé de formation"])
    assert "module terminé le" in transcript and not re.search(r"terminé le \d{4}-\d\d-\d\d", transcript)
    assert "12,5 h" in transcript
