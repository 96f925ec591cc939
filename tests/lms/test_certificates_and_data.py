"""Certificates, transcripts, the learner dashboard, "your data" (export and erasure), and IDOR checks."""

import csv
import html
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from accounts.choices import Profession
from accounts.models import User
from cms import content_cache
from cohorts.models import Invitation
from cohorts.services import invitation_create
from lms import selectors, services
from lms.models import Certificate, DecisionAnswer, Enrolment, QuizAttempt, Reflection, Worksheet
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import complete_case, make_course
from tests.personal_data import read_export
from tests.queries import PageQueries, page_queries

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def course():
    return make_course(
        hours=Decimal("10.5"), dpc_action_number="12345678901", dpc_action_kind="FC", dpc_organisation_number="9876"
    )


def finish(course, user):
    services.enrolment_create(user=user, programme=course.programme)
    complete_case(user=user, course=course)
    services.page_mark_done(user=user, page=course.lesson)
    return Certificate.objects.get(user=user, programme_id=course.programme.pk)


def test_the_certificate_pdf_names_the_learner_hours_dpc_action_and_code(client, course):
    learner = make_user(first_name="Karim", last_name="Haddad", rpps="10003456786")
    certificate = finish(course, learner)
    client.force_login(learner)
    response = client.get(reverse("lms:certificate_pdf", args=[certificate.code]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Karim Haddad" in text
    assert "10,5 heures" in text or "10.5 heures" in text
    assert certificate.code in text
    assert "10003456786" in text and "12345678901" in text
    assert f"/certificates/{certificate.code}/" in text


def test_another_user_cannot_download_someone_elses_certificate(client, course):
    certificate = finish(course, make_user())
    client.force_login(make_user())
    assert client.get(reverse("lms:certificate_pdf", args=[certificate.code])).status_code == 404


def test_the_public_verification_page_confirms_a_valid_code_and_nothing_private(client, course):
    learner = make_user(first_name="Inès", last_name="Roux", rpps="10009999995", email="ines@example.org")
    certificate = finish(course, learner)
    response = client.get(reverse("lms:certificate_verify", args=[certificate.code]))
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Attestation valide" in page and "Inès Roux" in page and course.programme.title in page
    assert "ines@example.org" not in page and "10009999995" not in page


def test_the_verification_page_says_an_unknown_code_is_invalid(client):
    response = client.get(reverse("lms:certificate_verify", args=["ZZZZZZZZZZZZZZZZ"]))
    assert response.status_code == 404
    assert "Code inconnu" in response.content.decode()


def test_transcripts_list_completed_modules_and_hours_in_pdf_and_csv(client, course):
    learner = make_user(first_name="Nathalie", last_name="Moreau")
    certificate = finish(course, learner)
    client.force_login(learner)
    text = pdf_text(client.get(reverse("lms:transcript_pdf")).content)
    assert "Nathalie Moreau" in text and course.module.title in text and certificate.code in text
    raw = client.get(reverse("lms:transcript_csv")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    assert rows[1][1] == course.module.title
    assert rows[-1][3] == "10.5" and rows[-1][4] == certificate.code


def _transcript_queries(learner) -> PageQueries:
    """The queries of `transcript_rows`, with the content cache just emptied and then filled."""
    content_cache.content_changed()
    with CaptureQueriesContext(connection) as cold:
        selectors.transcript_rows(user=learner)
    with CaptureQueriesContext(connection) as warm:
        rows = selectors.transcript_rows(user=learner)
    return PageQueries(cold=len(cold), warm=len(warm)), rows


def test_the_transcript_reads_the_same_queries_for_one_programme_or_three(course):
    learner = make_user()
    finish(course, learner)
    one, rows_one = _transcript_queries(learner)
    for _ in range(2):
        finish(make_course(), learner)
    three, rows_three = _transcript_queries(learner)
    assert len(rows_three) == 3 * len(rows_one) and {row["code"] for row in rows_three if row["code"]}
    assert three == one
    # enrolments, certificates, completions; cold: the programme structures too, in one query
    assert one == PageQueries(cold=4, warm=3), one


@pytest.mark.parametrize("name", ["lms:transcript_csv", "lms:transcript_pdf"])
def test_the_transcript_downloads_keep_a_fixed_query_count(client, course, name):
    learner = make_user()
    finish(course, learner)
    client.force_login(learner)
    url = reverse(name)
    client.get(url)
    small = page_queries(client, url)
    for _ in range(2):
        finish(make_course(), learner)
    large = page_queries(client, url)
    assert large == small
    # session, user, and the transcript's own (see above)
    assert small.warm <= 5 and small.cold <= 6, small


def test_the_dashboard_shows_progress_next_step_and_hours(client, course):
    learner = make_user(first_name="Sophie")
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    page = html.unescape(client.get(reverse("lms:dashboard")).content.decode())
    assert "Bonjour Sophie" in page and course.programme.title in page and course.case.title in page
    assert 'value="0"' in page


def test_the_dashboard_shows_the_panels_of_the_other_apps(client, course):
    """The `dashboard_panels` hook, through the real panels: rooms lists the learner's rooms."""
    learner = make_user()
    client.force_login(learner)
    assert "Mes salons" not in client.get(reverse("lms:dashboard")).content.decode()
    add_learner(make_cohort(programme=course.programme, name="Promotion Panneaux"), user=learner)
    page = html.unescape(client.get(reverse("lms:dashboard")).content.decode())
    assert "Mes salons" in page and "Promotion Panneaux" in page


def _fill(course, *, learners: int):
    users = []
    for index in range(learners):
        user = make_user(profession=Profession.values[index % 5])
        services.enrolment_create(user=user, programme=course.programme)
        services.decision_answer_submit(user=user, page=course.case, block_id=course.ids.decision1,
                                        option_id=course.ids.decision1_options[0], rationale="r")
        users.append(user)
    return users


def test_the_dashboard_keeps_a_fixed_query_count(client):
    first, second = make_course(), make_course()
    learner = make_user()
    services.enrolment_create(user=learner, programme=first.programme)
    client.force_login(learner)
    url = reverse("lms:dashboard")
    client.get(url)
    small = page_queries(client, url)
    services.enrolment_create(user=learner, programme=second.programme)
    complete_case(user=learner, course=first)
    services.page_mark_done(user=learner, page=first.lesson)
    _fill(second, learners=5)
    large = page_queries(client, url)
    assert second.programme.title in client.get(url).content.decode()
    assert large == small
    # BENCHMARKS.md: ≤ 10 queries, the cohorts panels (deadlines, live sessions, rooms) included.
    assert small.warm <= 10 and small.cold <= 13, small


def test_the_programme_progress_page_keeps_a_fixed_query_count(client, course, django_assert_max_num_queries):
    learner = make_user()
    services.enrolment_create(user=learner, programme=course.programme)
    client.force_login(learner)
    url = reverse("lms:programme_progress", args=[course.programme.pk])
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    _fill(course, learners=6)
    complete_case(user=learner, course=course)
    with django_assert_max_num_queries(12) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_export_contains_every_kind_of_record(client, course):
    learner = make_user(first_name="Julien", profession=Profession.REGULATOR)
    finish(course, learner)
    services.worksheet_save(user=learner, page=course.case, block_id=course.ids.worksheet, data={"problem": "Délais"})
    add_learner(make_cohort(programme=course.programme, name="Promotion Julien"), user=learner)

    client.force_login(learner)
    data, page = read_export(client.get(reverse("lms:my_data_export")))
    assert data["profile"]["first_name"] == "Julien"
    for key in ["enrolments", "completed_pages", "decision_answers", "reflections", "quiz_attempts", "worksheets", "certificates"]:
        assert data[key], key
    # What the other apps hold, through their real hooks (tests/cohorts/test_personal_data.py has the detail).
    assert [row["cohort__name"] for row in data["cohorts"]] == ["Promotion Julien"]
    assert data["reflections"][0]["versions"][0]["body_html"] == "<p>Ma réflexion.</p>"
    # The readable page shows the same records, the written texts as (sanitised) HTML.
    assert "Promotion Julien" in page and "<p>Ma réflexion.</p>" in page and "Délais" in page
    assert "<script" not in page and "style=" not in page and "http" not in page


def test_deleting_the_account_leaves_no_personal_data_and_keeps_statistics(client, course):
    learner = make_user(first_name="Sophie", last_name="Lefèvre", email="sophie@example.org", rpps="10001112225",
                        profession=Profession.DIRECTOR, organisation="GHT Haute-Bretagne")
    finish(course, learner)
    services.worksheet_save(user=learner, page=course.case, block_id=course.ids.worksheet, data={"problem": "Délais"})
    cohort = make_cohort(programme=course.programme)
    invitation_create(cohort=cohort, email="sophie@example.org", name="Sophie Lefèvre",
                      invited_by=cohort.memberships.get(role="facilitator").user)
    client.force_login(learner)
    refused = client.post(reverse("lms:account_delete"), {"confirm": "wrong@example.org"})
    assert refused.status_code == 400
    assert User.objects.get(pk=learner.pk).email == "sophie@example.org"
    assert Invitation.objects.filter(email="sophie@example.org").exists()
    response = client.post(reverse("lms:account_delete"), {"confirm": "sophie@example.org"})
    assert response.status_code == 302
    # The other apps erased their part through their real hooks (cohorts: the invitation naming her).
    assert not Invitation.objects.filter(email="sophie@example.org").exists()
    user = User.objects.get(pk=learner.pk)
    assert not user.is_active and not user.has_usable_password()
    assert user.display_name == "Ancien·ne participant·e"  # how their messages are now signed
    for value in [user.email, user.first_name, user.last_name, user.rpps, user.organisation]:
        assert "sophie" not in value.lower() and "lefèvre" not in value.lower() and "10001112225" not in value
    assert not Reflection.objects.filter(user=user).exists()
    assert not Worksheet.objects.filter(user=user).exists()
    assert not Certificate.objects.filter(user=user).exists()
    answers = DecisionAnswer.objects.filter(user=user)
    assert answers.count() == 2 and set(answers.values_list("rationale", flat=True)) == {""}
    assert set(answers.values_list("profession", flat=True)) == {"director"}
    assert Enrolment.objects.filter(user=user).exists()
    # Logged out, and the old password no longer works.
    assert client.get(reverse("lms:dashboard")).status_code == 302
    assert not client.login(email="sophie@example.org", password="correct-horse-battery")


def test_no_learner_reads_another_learners_records_by_changing_an_id(client, course):
    owner, intruder = make_user(), make_user()
    for user in (owner, intruder):
        services.enrolment_create(user=user, programme=course.programme)
    certificate = finish(course, owner)
    services.worksheet_save(user=owner, page=course.case, block_id=course.ids.worksheet, data={"problem": "Secret"})
    reflection = Reflection.objects.get(user=owner)
    worksheet = Worksheet.objects.get(user=owner)
    client.force_login(intruder)
    for url in [
        reverse("lms:reflection_detail", args=[reflection.pk]),
        reverse("lms:worksheet_detail", args=[worksheet.pk]),
        reverse("lms:certificate_pdf", args=[certificate.code]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("lms:reflection_comment", args=[reflection.pk]), {"body": "x"}).status_code == 404
    assert not reflection.comments.exists()
    # The export of the intruder carries none of the owner's records.
    data, _page = read_export(client.get(reverse("lms:my_data_export")))
    assert not data["reflections"] and not data["worksheets"] and not data["certificates"]
    # Writes act only on the writer's own records, whatever ids are posted.
    client.post(reverse("lms:worksheet_save", args=[course.case.pk, course.ids.worksheet]), {"problem": "Mien"})
    worksheet.refresh_from_db()
    assert worksheet.data["problem"] == "Secret"
    client.force_login(owner)
    assert client.get(reverse("lms:worksheet_detail", args=[worksheet.pk])).status_code == 200
    assert QuizAttempt.objects.filter(user=intruder).count() == 0
