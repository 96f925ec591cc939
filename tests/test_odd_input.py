"""Odd input never answers 500: NUL bytes in paths (404) and query strings (400), numbers that are
not numbers, over-long CSV fields and invalid dates (form errors)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.blocks.struct_block import StructBlockValidationError

from cohorts.models import Invitation
from tests.factories import make_user
from tests.factories_cohorts import make_cohort, make_programme
from tests.rooms.factories import make_room_with_members

pytestmark = pytest.mark.django_db


# On PostgreSQL (which refuses NUL in text) the two certificate paths answered 500 before
# config.middleware.RejectNulBytesMiddleware; SQLite answered 404 already.
@pytest.mark.parametrize("path", ["/certificates/%00/", "/learn/certificates/%00.pdf", "/cohorts/%00/", "/%00/", "/rooms/1%00/"])
def test_a_nul_byte_in_the_path_answers_404(client, path):
    client.force_login(make_user())
    assert client.get(path).status_code == 404
    client.logout()
    assert client.get(path).status_code in (302, 404)  # login pages send anonymous visitors to the login form


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "%00=1", "case=%00"])
def test_a_nul_byte_in_the_query_string_answers_400(client, query):
    client.force_login(make_user())
    assert client.get(f"/search/?{query}").status_code == 400
    assert client.get(f"/dashboard/?{query}").status_code == 400


@pytest.mark.parametrize("before", ["²", "1" * 40, "-1", "1e3", ""])
def test_a_room_page_with_an_odd_before_parameter_shows_the_latest_messages(client, before):
    room, _facilitator, (alice, _bob) = make_room_with_members()
    client.force_login(alice)
    assert client.get(reverse("rooms:room_detail", args=[room.pk]), {"before": before}).status_code == 200


@pytest.mark.parametrize("case", ["²", "9" * 40, "-1", "x"])
def test_the_facilitator_dashboard_with_an_odd_case_parameter_still_answers(client, case):
    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1), learners=1)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    assert client.get(reverse("cohorts:dashboard", args=[cohort.pk]), {"case": case}).status_code == 200


def test_a_csv_with_one_field_over_128_kib_is_refused_with_a_clear_error_and_invites_nobody(client):
    cohort = make_cohort()
    client.force_login(cohort.memberships.get(role="facilitator").user)
    data = ("email;nom;métier\nanne@example.org;Anne;médecin\nbob@example.org;" + "B" * 140_000 + ";médecin\n").encode()
    response = client.post(
        reverse("cohorts:invitation_import", args=[cohort.pk]),
        {"file": SimpleUploadedFile("invitations.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 200
    assert "dépasse 128 Kio" in response.content.decode()
    assert not Invitation.objects.filter(cohort=cohort).exists()


def test_an_exhibit_table_with_a_cell_over_128_kib_is_a_block_error():
    from cms.blocks import ExhibitTableBlock

    value = ExhibitTableBlock().to_python(
        {"caption": "Activité", "data": "Année;Séjours\n2024;" + "9" * 140_000, "source": "PMSI", "chart": "none"}
    )
    with pytest.raises(StructBlockValidationError) as error:
        ExhibitTableBlock().clean(value)
    assert "128 Kio" in str(error.value.block_errors["data"])


@pytest.mark.parametrize("day", ["2026-02-30", "2026-13-01", "99999-01-01", "0000-00-00", "0001-01-01", "9999-12-31", "2026-01-01\x00"])
def test_a_cohort_form_with_an_invalid_date_shows_a_form_error(client, day):
    facilitator = make_cohort().memberships.get(role="facilitator").user
    programme = make_programme()
    client.force_login(facilitator)
    response = client.post(reverse("cohorts:cohort_create"), {
        "programme": programme.pk, "name": "Promo", "starts_on": day, "ends_on": "2026-12-01", "language": "fr",
        "capacity": 20, "status": "draft", "join_policy": "invitation",
    })
    assert response.status_code == 200
    assert response.context["form"].errors.get("starts_on")


@pytest.mark.parametrize("moment", ["2026-02-30T10:00", "9999-12-31T23:59", "0001-01-01T00:00", "demain"])
def test_a_schedule_with_an_invalid_date_is_refused_without_an_error_page(client, moment):
    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1))
    client.force_login(cohort.memberships.get(role="facilitator").user)
    url = reverse("cohorts:schedule_edit", args=[cohort.pk])
    formset = client.get(url).context["formset"]
    data = {"schedule-TOTAL_FORMS": len(formset.forms), "schedule-INITIAL_FORMS": len(formset.forms)}
    for index, form in enumerate(formset.forms):
        data[f"schedule-{index}-part"] = form["part"].value()
        data[f"schedule-{index}-opens_at"] = moment
    response = client.post(url, data)
    assert response.status_code == 400
    assert any(form.errors.get("opens_at") for form in response.context["formset"].forms)


def test_a_live_session_in_year_one_is_a_form_error(client):
    cohort = make_cohort()
    client.force_login(cohort.memberships.get(role="facilitator").user)
    response = client.post(reverse("cohorts:live_session_create", args=[cohort.pk]), {
        "title": "Séance", "starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T02:00", "place": "Salle 2",
    })
    assert response.status_code in (200, 302, 400)
    assert not cohort.live_sessions.exists()


def test_the_invitation_import_still_reads_an_ordinary_file(client):
    cohort = make_cohort()
    client.force_login(cohort.memberships.get(role="facilitator").user)
    data = io.BytesIO("email;nom;métier\nanne@example.org;Anne;médecin\n".encode())
    response = client.post(
        reverse("cohorts:invitation_import", args=[cohort.pk]),
        {"file": SimpleUploadedFile("invitations.csv", data.getvalue(), content_type="text/csv")},
    )
    assert response.status_code == 200
    assert Invitation.objects.filter(cohort=cohort, email="anne@example.org").exists()
