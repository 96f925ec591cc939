"""Facilitator dashboard: a bounded number of queries whatever the size, late learners, export,
decision charts; announcements reach exactly the right people."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Announcement, GroupMembership
from cohorts.selectors import cohort_dashboard
from cohorts.services import announcement_send, groups_form, schedule_save
from tests.factories_cohorts import make_cohort, make_programme

pytestmark = pytest.mark.django_db


def _dashboard_queries(client, django_assert_max_num_queries, *, learners, modules, bound):
    programme = make_programme(modules=modules, cases_per_module=1)
    cohort = make_cohort(programme=programme, learners=learners)
    groups_form(cohort=cohort, size=5, seed=0)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    client.get(reverse("cohorts:dashboard", args=[cohort.pk]))  # warm per-process caches (content types, site)
    with django_assert_max_num_queries(bound) as captured:
        response = client.get(reverse("cohorts:dashboard", args=[cohort.pk]))
    assert response.status_code == 200
    return len(captured.captured_queries), response


DASHBOARD_QUERY_BOUND = 30


def test_the_dashboard_query_count_does_not_grow_with_learners_or_modules(client, django_assert_max_num_queries):
    small, _ = _dashboard_queries(client, django_assert_max_num_queries, learners=5, modules=2, bound=DASHBOARD_QUERY_BOUND)
    large, response = _dashboard_queries(client, django_assert_max_num_queries, learners=60, modules=12, bound=DASHBOARD_QUERY_BOUND)
    assert large == small
    page = response.content.decode()
    assert page.count('class="cell cell--') == 60 * 12


def test_learners_past_a_module_due_date_are_flagged_late():
    programme = make_programme(modules=2, cases_per_module=1)
    cohort = make_cohort(programme=programme, learners=3)
    data = cohort_dashboard(cohort=cohort)
    first_module = data["modules"][0]
    schedule_save(cohort=cohort, items=[{"page": first_module, "label": "M1", "due_at": timezone.now() - timedelta(days=1)}])
    data = cohort_dashboard(cohort=cohort)
    assert data["late_learners"] == 3
    assert all(row.cells[0].late and not row.cells[1].late for row in data["rows"])


def test_progress_export_is_a_spreadsheet_ready_csv(client):
    programme = make_programme(modules=3)
    cohort = make_cohort(programme=programme, learners=4)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    response = client.get(reverse("cohorts:progress_export", args=[cohort.pk]))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["nom", "e-mail", "métier"] and len(rows[0]) == 6 + 3 + 1 + 3
    assert len(rows) == 1 + 4


def _answer(cohort, professions_and_choices):
    """Cohort learners of these professions answer the first decision point of the first case."""
    from cms.selectors import case_outline
    from lms.services import decision_answer_submit
    from tests.factories_cohorts import add_learner

    case = cohort_dashboard(cohort=cohort)["case"]
    spec = case_outline(case).decision_points[0]
    for profession, choice in professions_and_choices:
        learner = add_learner(cohort, profession=profession)
        decision_answer_submit(user=learner, page=case, block_id=spec.id, option_id=spec.options[choice].id, rationale="")
    return spec


def test_decision_charts_draw_one_bar_per_profession():
    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1), learners=2)
    _answer(cohort, [("physician", 0)] * 3 + [("physician", 1), ("nurse", 0), ("nurse", 1), ("nurse", 1)])
    charts = cohort_dashboard(cohort=cohort)["charts"]
    bars = {bar.code: bar for bar in charts[0].bars if not bar.overall}
    assert set(bars) == {"physician", "nurse"}
    assert [s["percent"] for s in bars["physician"].segments] == [75, 25]
    assert bars["physician"].segments[1]["x"] == bars["physician"].segments[0]["width"]
    overall = charts[0].bars[-1]
    assert overall.overall and [s["count"] for s in overall.segments] == [4, 3]
    assert charts[0].answers == 7 and charts[0].small == []


def _decisions_section(html: str) -> str:
    return html[html.index('id="decisions-title"'):html.index('id="participation-title"')]


def test_the_dashboard_shows_no_count_below_three_answers_for_a_profession(client):
    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1))
    _answer(cohort, [("nurse", 0), ("nurse", 0), ("nurse", 1), ("physician", 0), ("physician", 1), ("physician", 1),
                     ("physician", 1), ("director", 1)])
    client.force_login(cohort.memberships.get(role="facilitator").user)
    section = _decisions_section(client.get(reverse("cohorts:dashboard", args=[cohort.pk])).content.decode())
    director = "Direction d&#x27;établissement"
    # The lone director is named with "moins de 3", never with a bar or a count…
    assert f'{director} <span class="muted">(moins de 3)</span>' in section
    assert f'aria-label="{director}' not in section and f"{director} <span class=\"muted\">(1)" not in section
    # …and cannot be worked out: merged with the nurses (the smallest row), "everyone" minus the rows is nothing.
    assert 'aria-label="Médecin : Réunir le pôle 25 %, Saisir l&#x27;ARS 75 %"' in section
    assert 'aria-label="Soins infirmiers' not in section
    assert "Autres métiers réunis <span class=\"muted\">(4)</span>" in section
    assert "Ensemble <span class=\"muted\">(8)</span>" in section
    assert "(8 réponses)" in section


def test_below_three_answers_in_all_the_dashboard_shows_no_figure(client):
    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1))
    _answer(cohort, [("director", 1), ("nurse", 0)])
    client.force_login(cohort.memberships.get(role="facilitator").user)
    section = _decisions_section(client.get(reverse("cohorts:dashboard", args=[cohort.pk])).content.decode())
    assert "(moins de 3 réponses)" in section
    assert "chart-bar" not in section and "2 réponses" not in section
    assert "Les choix s'affichent à partir de 3 réponses" in section


def test_the_dashboard_says_fewer_than_3_in_english(client):
    from django.conf import settings

    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1))
    _answer(cohort, [("nurse", 0), ("nurse", 1), ("nurse", 1), ("director", 0)])
    client.force_login(cohort.memberships.get(role="facilitator").user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    section = _decisions_section(client.get(reverse("cohorts:dashboard", args=[cohort.pk])).content.decode())
    assert "(fewer than 3)" in section and "(4 answers)" in section and "moins de" not in section


def test_the_progress_export_carries_no_count_of_answers(client):
    """The export is the progress matrix, one row per learner the facilitator already sees by name:
    no decision counts by profession, so there is nothing under the minimum to give away."""
    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1))
    spec = _answer(cohort, [("director", 1), ("nurse", 0), ("nurse", 0)])
    client.force_login(cohort.memberships.get(role="facilitator").user)
    text = client.get(reverse("cohorts:progress_export", args=[cohort.pk])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["nom", "e-mail", "métier", "niveau", "organisation", "groupe", "Module 1 (%)", "total (%)",
                       "modules en retard", "métier (code)", "niveau (code)"]
    assert len(rows) == 1 + 3
    assert not any(option.label in text for option in spec.options)


def test_another_facilitator_gets_neither_the_dashboard_nor_the_export(client):
    from tests.factories_cohorts import make_facilitator

    cohort = make_cohort(programme=make_programme(modules=1, cases_per_module=1))
    _answer(cohort, [("nurse", 0), ("nurse", 1), ("nurse", 1)])
    client.force_login(make_facilitator())
    assert client.get(reverse("cohorts:dashboard", args=[cohort.pk])).status_code in (403, 404)
    assert client.get(reverse("cohorts:progress_export", args=[cohort.pk])).status_code in (403, 404)


def test_a_cohort_announcement_reaches_every_member_but_not_other_cohorts(django_capture_on_commit_callbacks):
    cohort = make_cohort(learners=4)
    other = make_cohort(learners=2)
    facilitator = cohort.memberships.get(role="facilitator").user
    with django_capture_on_commit_callbacks(execute=True):
        announcement_send(cohort=cohort, author=facilitator, subject="Séance de jeudi", body="Pensez à lire le cas.\n\n<script>x</script>")
    recipients = {message.to[0] for message in mail.outbox}
    expected = set(cohort.memberships.filter(role="learner").values_list("user__email", flat=True))
    assert recipients == expected
    assert not recipients & set(other.memberships.values_list("user__email", flat=True))
    stored = Announcement.objects.get()
    assert "<script>" not in stored.body and stored.recipient_count == 4


def test_a_group_announcement_reaches_only_the_group_in_app_and_by_mail(client, django_capture_on_commit_callbacks):
    cohort = make_cohort(learners=6)
    one, two = groups_form(cohort=cohort, size=3, seed=0)
    facilitator = cohort.memberships.get(role="facilitator").user
    client.force_login(facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cohorts:announcement_create", args=[cohort.pk]),
                               {"group": one.pk, "subject": "Pour le groupe 1", "body": "Rendez-vous salle B."})
    assert response.status_code == 302
    group_emails = set(GroupMembership.objects.filter(group=one).values_list("user__email", flat=True))
    assert {m.to[0] for m in mail.outbox} == group_emails
    member_one = one.memberships.first().user
    member_two = two.memberships.first().user
    client.force_login(member_one)
    page = client.get(reverse("cohorts:cohort_detail", args=[cohort.pk])).content.decode()
    assert "Pour le groupe 1" in page and "<p>Rendez-vous salle B.</p>" in page
    client.force_login(member_two)
    assert "Pour le groupe 1" not in client.get(reverse("cohorts:cohort_detail", args=[cohort.pk])).content.decode()


def test_an_empty_announcement_is_refused_and_nothing_is_sent(client, django_capture_on_commit_callbacks):
    cohort = make_cohort(learners=2)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cohorts:announcement_create", args=[cohort.pk]), {"subject": "", "body": ""})
    assert not Announcement.objects.exists() and not mail.outbox
