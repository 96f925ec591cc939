"""The demo shows outcomes: `seed_demo` leaves a closed cohort of twenty learners, five of each of four
professions, who finished the programme, so that the owner's report shows the self-assessed change per
competency for each of the four professions, survey results, certificates and DPC attestations; the
running cohort has only "before" answers (nobody in it has finished)."""

import io

import pytest
from django.core.management import call_command
from wagtail.models import Locale

from accounts.models import User
from cms.models import FeedbackForm, ModulePage, ProgrammePage
from cohorts import demo as cohorts_demo
from cohorts.models import Cohort
from lms import outcomes
from lms.models import Certificate, DpcAttestation, Enrolment, SelfAssessment

pytestmark = pytest.mark.django_db

PROFESSIONS = {"director", "physician", "regulator", "nurse"}


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())


def _programme():
    return ProgrammePage.objects.get(slug=cohorts_demo.PROGRAMME_SLUG, locale__language_code="fr")


def test_the_owner_report_shows_a_change_per_competency_for_each_of_four_professions(demo):
    report = outcomes.outcomes_report(programme=_programme())
    shown = {group.key for group in report.groups}
    assert PROFESSIONS | {outcomes.ALL} <= shown
    assert report.assessed == 20 and report.completed == 20
    for code in PROFESSIONS:
        figures = [change.by_group[code] for change in report.changes]
        assert len(figures) == len(report.changes) >= 5
        assert all(f["people"] >= outcomes.MINIMUM_GROUP for f in figures)
        assert max(f["change"] for f in figures) >= 1  # a visible change…
    # …that differs by profession: each profession's largest gain is on a different competency.
    top = {code: max(report.changes, key=lambda c: c.by_group[code]["change"]).slug for code in PROFESSIONS}
    assert len(set(top.values())) == 4, top
    assert len(report.surveys) == ModulePage.objects.child_of(_programme()).live().count()
    assert all(survey["people"] >= 5 and survey["texts"] for survey in report.surveys)
    _the_closed_cohort_has_five_of_each_profession_and_its_own_report()


def _the_closed_cohort_has_five_of_each_profession_and_its_own_report():
    cohort = Cohort.objects.get(name=cohorts_demo.PAST_COHORT_NAME)
    assert cohort.status == Cohort.Status.CLOSED and cohort.ends_on < cohort.created_at.date()
    entry = next(c for c in outcomes.outcomes_cohorts(programme=_programme()) if c["id"] == cohort.pk)
    professions = list(User.objects.filter(pk__in=entry["user_ids"]).values_list("profession", flat=True))
    assert {code: professions.count(code) for code in set(professions)} == {code: 5 for code in PROFESSIONS}
    report = outcomes.outcomes_report(programme=_programme(), user_ids=entry["user_ids"])
    assert PROFESSIONS <= {group.key for group in report.groups}
    assert report.median_days_to_complete is not None and report.median_days_to_complete > 30
    # Each of them finished, with a certificate and a DPC attestation dated in the past.
    certificates = Certificate.objects.filter(user_id__in=entry["user_ids"], programme=_programme())
    assert certificates.count() == 20 and certificates.filter(cohort_name=cohort.name).count() == 20
    assert DpcAttestation.objects.filter(certificate__in=certificates).count() == 20
    assert all(c.completed_on <= cohort.ends_on for c in certificates)
    # They talked across professions in their room while the cohort ran: the report shows it for them.
    from rooms.selectors import programme_interaction

    rows = programme_interaction(programme_id=_programme().pk, user_ids=set(entry["user_ids"]))
    assert rows[0]["value"] == "9" and rows[0]["people"] >= outcomes.MINIMUM_GROUP
    assert rows[1]["value"].startswith("8 sur 8")  # every reply goes to someone of another profession


def test_the_running_cohort_has_only_before_answers_the_modules_a_survey_and_the_owner_page_four_professions(
    demo, client
):
    running = Cohort.objects.get(name=cohorts_demo.COHORT_NAME)
    learners = running.memberships.filter(role="learner").values_list("user_id", flat=True)
    assert not Enrolment.objects.filter(user_id__in=learners, completed_at__isnull=False).exists()
    assert set(SelfAssessment.objects.filter(user_id__in=learners).values_list("moment", flat=True)) == {"before"}
    survey = FeedbackForm.objects.get(name__startswith="Questionnaire de fin de module", locale__language_code="fr")
    assert survey.get_translation(Locale.objects.get(language_code="en")).usefulness_question == "Was this module useful to you?"
    for module in ModulePage.objects.filter(feedback_form__isnull=False).select_related("feedback_form", "locale"):
        assert module.feedback_form.locale_id == module.locale_id
    assert ModulePage.objects.filter(feedback_form__isnull=True).count() == 0
    # The owner's page (here an administrator's) names the four professions.
    admin = User.objects.get(email="admin@passerelles.test")
    client.force_login(admin)
    response = client.get("/admin/outcomes/", {"programme": _programme().pk})
    assert response.status_code == 200
    body = response.content.decode()
    for label in ("Direction", "Médecin", "Régulation", "Soins infirmiers"):
        assert label in body, label
