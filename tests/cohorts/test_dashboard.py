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
from cohorts.selectors.cohorts import cohort_dashboard
from cohorts.services.cohorts import announcement_send, groups_form, schedule_save
from tests.factories_cohorts import make_cohort, make_programme

pytestmark = pytest.mark.django_db


def _dashboard_queries(client, django_assert_max_num_queries, *, learners, modules, bound):
    programme = make_programme(modules=modules, cases_per_module=1)
    cohort = make_cohort(programme=programme, learners=learners)
    groups_form(cohort=cohort, size=5, seed=0)
    client.force_login(cohort.memberships.get(role="facilitator").user)
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
    programme = make_programme(modules=2)
    cohort = make_cohort(programme=programme, learners=3)
    data = cohort_dashboard(cohort=cohort)
    first_module = data["modules"][0]
    schedule_save(cohort=cohort, items=[{"page": first_module, "label": "M1", "due_at": timezone.now() - timedelta(days=1)}])
    data = cohort_dashboard(cohort=cohort)
    assert data["late_learners"] == 3
    assert all(row.cells[0].state == "late" and row.cells[1].state == "todo" for row in data["rows"])


def test_progress_export_is_a_spreadsheet_ready_csv(client):
    programme = make_programme(modules=3)
    cohort = make_cohort(programme=programme, learners=4)
    client.force_login(cohort.memberships.get(role="facilitator").user)
    response = client.get(reverse("cohorts:progress_export", args=[cohort.pk]))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["nom", "email", "métier"] and len(rows[0]) == 6 + 3 + 1
    assert len(rows) == 1 + 4


def test_decision_charts_draw_one_bar_per_profession(monkeypatch):
    from cms.selectors import case_outline
    from cohorts.selectors import cohorts as selectors

    programme = make_programme(modules=1, cases_per_module=1)
    cohort = make_cohort(programme=programme, learners=2)
    case = cohort_dashboard(cohort=cohort)["case"]
    spec = case_outline(case).decision_points[0]
    first, second = (o.id for o in spec.options)
    monkeypatch.setattr(selectors, "_lms_distributions", lambda **kw: {
        spec.id: {"physician": {first: 3, second: 1}, "nurse": {second: 2}},
    })
    charts = cohort_dashboard(cohort=cohort)["charts"]
    bars = {bar.code: bar for bar in charts[0].bars}
    assert set(bars) == {"physician", "nurse"}
    assert [s["percent"] for s in bars["physician"].segments] == [75, 25]
    assert bars["physician"].segments[1]["x"] == bars["physician"].segments[0]["width"]
    assert charts[0].answers == 6


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
