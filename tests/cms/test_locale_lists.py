"""Lists of programmes, pages and snippets show each one once, in the reader's language, falling
back to French (`cms.locales.in_language`) — issue 12, #22."""

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.models import Locale

from accounts.choices import Role
from cms.forms import CatalogueFilterForm
from cms.models import Competency, ProgrammePage
from cohorts.forms import CohortForm
from lms.selectors import open_programmes_for
from tests.factories import make_user
from tests.factories_cms import make_case, make_module, make_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def english():
    return Locale.objects.get(language_code="en")


def translate(page, english, title):
    copy = page.copy_for_translation(english, copy_parents=True).specific
    copy.title = title
    copy.save_revision().publish()
    return type(copy).objects.get(pk=copy.pk)


@pytest.fixture
def programmes(english):
    """Two open programmes, the first with an English copy."""
    translated = make_programme(title="Manager la coopération")
    copy = translate(translated, english, "Managing cooperation")
    only_french = make_programme(title="Conduire un projet")
    return translated, copy, only_french


def test_open_programmes_list_each_programme_once_in_the_readers_language(programmes):
    translated, copy, only_french = programmes
    learner = make_user()
    with translation.override("fr"):
        assert [p.title for p in open_programmes_for(user=learner, exclude=[])] == ["Manager la coopération", "Conduire un projet"]
    with translation.override("en"):
        titles = [p.title for p in open_programmes_for(user=learner, exclude=[])]
        assert sorted(titles) == ["Conduire un projet", "Managing cooperation"]
        # A followed programme (enrolments are on the French original) is not offered in English either.
        assert [p.title for p in open_programmes_for(user=learner, exclude=[translated.pk])] == ["Conduire un projet"]


def test_the_french_dashboard_does_not_offer_the_english_copy(client, programmes):
    client.force_login(make_user())
    html = client.get(reverse("lms:dashboard")).content.decode()
    assert "Manager la coopération" in html and "Managing cooperation" not in html


def test_the_cohort_form_lists_each_programme_once_and_keeps_the_cohort_on_the_original(programmes):
    translated, copy, only_french = programmes
    facilitator = make_user(roles=(Role.FACILITATOR,))
    with translation.override("fr"):
        labels = [label for value, label in CohortForm(user=facilitator).fields["programme"].choices if value]
        assert labels == ["Conduire un projet", "Manager la coopération"]
    with translation.override("en"):
        form = CohortForm(user=facilitator)
        labels = [label for value, label in form.fields["programme"].choices if value]
        assert sorted(labels) == ["Conduire un projet", "Managing cooperation"]
        form = CohortForm({
            "programme": copy.pk, "name": "Promo", "starts_on": "2026-01-05", "ends_on": "2026-03-05",
            "language": "en", "capacity": 20, "status": "draft", "join_policy": "invitation",
        }, user=facilitator)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["programme"].pk == translated.pk  # records stay on the French original


def test_the_catalogue_competency_filter_lists_each_competency_once():
    with translation.override("en"):
        labels = [label for value, label in CatalogueFilterForm().fields["competency"].choices if value]
    assert "Cooperation" in labels and "Coopération" not in labels
    assert len(labels) == Competency.objects.filter(locale__language_code="fr").count()


def test_the_case_editor_offers_the_snippets_of_the_pages_language_only(client, english):
    client.force_login(make_user(roles=(Role.ADMIN,)))  # editors' rights start at the French home
    case = make_case()
    html = client.get(reverse("wagtailadmin_pages:edit", args=[case.pk])).content.decode()
    assert "Coopération" in html and "Cooperation" not in html
    assert ">Soins infirmiers" in html and ">Nursing / nurse manager" not in html  # the professions field too
    copy = translate(case, english, "A case")
    html = client.get(reverse("wagtailadmin_pages:edit", args=[copy.pk])).content.decode()
    assert "Cooperation" in html and "Coopération" not in html
    assert ">Nursing / nurse manager" in html and ">Soins infirmiers" not in html


def test_a_page_copied_for_translation_points_at_the_snippets_of_its_language(english):
    programme = make_programme(competencies=("cooperation", "problem-solving"))
    copy = ProgrammePage.objects.get(pk=programme.copy_for_translation(english, copy_parents=True).pk)
    assert {c.locale_id for c in copy.competencies.all()} == {english.pk}
    assert {c.slug for c in copy.competencies.all()} == {"cooperation", "problem-solving"}
    assert {p.locale_id for p in copy.audience_professions.all()} == {english.pk}
    revision_copy = copy.get_latest_revision_as_object()
    assert {c.locale_id for c in revision_copy.competencies.all()} == {english.pk}


def test_a_certificate_names_its_programme_in_the_readers_language(client, programmes):
    from datetime import date

    from lms.models import Certificate

    translated, copy, only_french = programmes
    learner = make_user()
    certificate = Certificate.objects.create(
        user=learner, programme=translated, learner_name="Léa Martin", programme_title=translated.title,
        hours=14, started_on=date(2026, 1, 5), completed_on=date(2026, 3, 5),
    )
    verify = reverse("lms:certificate_verify", args=[certificate.code])
    assert "Manager la coopération" in client.get(verify).content.decode()
    client.cookies["django_language"] = "en"
    assert "Managing cooperation" in client.get(verify).content.decode()
    client.force_login(learner)
    html = client.get(reverse("lms:dashboard")).content.decode()
    assert "Managing cooperation" in html and "Manager la coopération" not in html
