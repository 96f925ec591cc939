"""Issue 12, facilitator seams: what each cohort status allows (defect 8), capacity (10), confirmation
of irreversible steps (11), signup from an invitation (12), the CSV help's example (13) and which
communities a closing cohort offers (17)."""

import re
from datetime import timedelta
from itertools import product

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts import selectors, services
from cohorts.models import Cohort, CohortGroup, CohortMembership, CommunityInvitation, Invitation, ScheduleItem
from tests.factories import make_user
from tests.factories_accounts import signup_data
from tests.factories_cohorts import add_learner, make_case, make_cohort, make_facilitator, make_module, make_programme

pytestmark = pytest.mark.django_db

STATUSES = [value for value, _ in Cohort.Status.choices]
ALLOWED = {("draft", "open"), ("draft", "running"), ("draft", "closed"), ("open", "running"), ("open", "closed"),
           ("running", "open"), ("running", "closed")}


def _facilitator(cohort):
    return cohort.memberships.get(role="facilitator").user


def _text(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def _invite(cohort, email="nadia@ch-test.fr", **fields):
    fields.setdefault("name", "Nadia Nouvelle")
    return services.invitation_create(cohort=cohort, email=email, invited_by=_facilitator(cohort), **fields)


def _token(message) -> str:
    return re.search(r"/invitations/([\w-]+)/", message.body).group(1)


# --- Defect 8: states and transitions ---------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(a, b) for a, b in product(STATUSES, STATUSES) if a != b])
def test_every_status_change_is_allowed_or_refused_as_the_table_says(start, end):
    cohort = make_cohort(status=start)
    if (start, end) in ALLOWED:
        services.cohort_update(cohort=cohort, data={"status": end})
        assert Cohort.objects.get(pk=cohort.pk).status == end
    else:
        with pytest.raises(ValidationError):
            services.cohort_update(cohort=cohort, data={"status": end})
        assert Cohort.objects.get(pk=cohort.pk).status == start


def _closed_cohort_with_everything():
    programme = make_programme()
    case = make_case(module=make_module(programme=programme))
    cohort = make_cohort(programme=programme, learners=3, status="open", join_policy="approval")
    invitation = _invite(cohort)
    requester = make_user()
    request = services.cohort_join_request(cohort=cohort, user=requester)
    services.groups_form(cohort=cohort, size=2)
    services.cohort_close(cohort=cohort)
    cohort.refresh_from_db()
    return cohort, case, invitation, request


def test_a_closed_cohort_refuses_every_action_that_changes_it():
    cohort, case, invitation, request = _closed_cohort_with_everything()
    facilitator = _facilitator(cohort)
    learner_id = cohort.memberships.filter(role="learner").first().user_id
    group = cohort.groups.first()
    now = timezone.now()
    refused = {
        "invite": lambda: _invite(cohort, email="autre@ch-test.fr"),
        "resend": lambda: services.invitation_resend(invitation=invitation),
        "accept": lambda: services.invitation_accept(invitation=invitation, user=make_user(email="nadia@ch-test.fr")),
        "member add": lambda: services.cohort_member_add(cohort=cohort, user=make_user()),
        "join request": lambda: services.cohort_join_request(cohort=cohort, user=make_user()),
        "approve": lambda: services.cohort_join_approve(membership=request),
        "form groups": lambda: services.groups_form(cohort=cohort, size=2),
        "move": lambda: services.group_member_move(cohort=cohort, user_id=learner_id, group=group),
        "schedule": lambda: services.schedule_save(cohort=cohort, items=[{"page": case, "opens_at": now}]),
        "session": lambda: services.live_session_create(cohort=cohort, title="x", starts_at=now, ends_at=now + timedelta(hours=1), place="Caen"),
        "debrief": lambda: services.debrief_release(cohort=cohort, case_page=case),
        "announce": lambda: services.announcement_send(cohort=cohort, author=facilitator, subject="s", body="b"),
        "edit": lambda: services.cohort_update(cohort=cohort, data={"name": "Autre nom"}),
        "close again": lambda: services.cohort_close(cohort=cohort),
    }
    for name, action in refused.items():
        with pytest.raises(ValidationError, match="terminée|n'accepte|ouverte ou en cours"):
            action()
            pytest.fail(f"{name} was allowed in a closed cohort")
    report = services.invitation_import_csv(cohort=cohort, data=services.CSV_EXAMPLE.encode(), invited_by=facilitator)
    assert not report.created and report.file_error
    assert Invitation.objects.filter(cohort=cohort).count() == 1
    assert not ScheduleItem.objects.filter(cohort=cohort).exists()
    assert cohort.memberships.filter(status="active", role="learner").count() == 3
    assert Cohort.objects.get(pk=cohort.pk).name != "Autre nom"


def test_a_draft_cohort_prepares_but_releases_no_debrief_and_takes_no_request():
    programme = make_programme()
    case = make_case(module=make_module(programme=programme))
    cohort = make_cohort(programme=programme, status="draft", join_policy="approval")
    _invite(cohort)  # invitations may go out before it opens
    add_learner(cohort)
    with pytest.raises(ValidationError, match="ouverte ou en cours"):
        services.debrief_release(cohort=cohort, case_page=case)
    with pytest.raises(ValidationError, match="demandes"):
        services.cohort_join_request(cohort=cohort, user=make_user())
    services.cohort_update(cohort=cohort, data={"status": "open"})
    cohort.refresh_from_db()
    assert services.cohort_join_request(cohort=cohort, user=make_user()).status == "pending"
    assert services.debrief_release(cohort=cohort, case_page=case).debrief_opens_at


def test_the_invitation_of_a_closed_cohort_says_so_and_offers_no_join_button(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cohort)
    token = _token(mail.outbox[-1])
    services.cohort_close(cohort=cohort)
    for who in (None, make_user(email="nadia@ch-test.fr")):
        if who:
            client.force_login(who)
        response = client.get(reverse("cohorts:invitation_accept", args=[token]))
        assert response.status_code == 410
        text = _text(response)
        assert "est terminée" in text and "Rejoindre la promotion" not in text and "Créer mon compte" not in text
        assert client.post(reverse("cohorts:invitation_accept", args=[token])).status_code == 410
    assert not cohort.memberships.filter(role="learner").exists()


def test_signing_up_through_the_invitation_of_a_cohort_closed_meanwhile_does_not_welcome(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cohort)
    token = _token(mail.outbox[-1])
    client.get(reverse("cohorts:invitation_accept", args=[token]))
    services.cohort_close(cohort=cohort)
    response = client.post(reverse("account_signup"), signup_data(email="nadia@ch-test.fr"), follow=True)
    text = _text(response)
    assert "Bienvenue dans la promotion" not in text and "n'accepte plus de participant" in text
    assert not cohort.memberships.filter(user__email="nadia@ch-test.fr").exists()


def test_a_closed_cohorts_invitation_page_has_no_forms_and_refuses_a_post(client):
    cohort = make_cohort()
    services.cohort_close(cohort=cohort)
    client.force_login(_facilitator(cohort))
    page = client.get(reverse("cohorts:invitation_list", args=[cohort.pk]))
    assert "Envoyer l'invitation" not in page.content.decode() and "elle n'accepte plus d'invitation" in _text(page)
    response = client.post(reverse("cohorts:invitation_list", args=[cohort.pk]), {"email": "tard@ch-test.fr"})
    assert "elle n'accepte plus d'invitation" in _text(response)
    assert not Invitation.objects.filter(cohort=cohort).exists()


# --- Defect 10: capacity -------------------------------------------------------------------------


def _form_data(cohort, **overrides):
    data = {"programme": cohort.programme_id, "name": cohort.name, "region": "", "starts_on": "2026-09-01",
            "ends_on": "2027-06-30", "language": "fr", "capacity": 24, "status": cohort.status, "join_policy": "invitation"}
    data.update(overrides)
    return data


def test_a_cohort_of_one_place_is_refused_with_a_clear_message(client):
    facilitator = make_facilitator()
    programme = make_programme()
    client.force_login(facilitator)
    cohort = Cohort(programme=programme, name="Promo", status="draft")
    response = client.post(reverse("cohorts:cohort_create"), _form_data(cohort, capacity=1, programme=programme.pk))
    assert response.status_code == 200
    assert "Une promotion compte au moins 2 places." in _text(response)
    assert not Cohort.objects.filter(name="Promo").exists()


def test_a_capacity_below_the_learners_already_in_is_refused(client):
    cohort = make_cohort(learners=9, capacity=12)
    _invite(cohort)
    client.force_login(_facilitator(cohort))
    response = client.post(reverse("cohorts:cohort_edit", args=[cohort.pk]), _form_data(cohort, capacity=5))
    assert response.status_code == 200
    assert "La capacité (5) est inférieure aux places déjà prises : 9 apprenant·e(s) et 1 invitation(s) en attente" in _text(response)
    assert Cohort.objects.get(pk=cohort.pk).capacity == 12
    with pytest.raises(ValidationError):
        services.cohort_update(cohort=cohort, data={"capacity": 9})  # 9 learners + 1 pending invitation
    services.cohort_update(cohort=cohort, data={"capacity": 10})
    assert Cohort.objects.get(pk=cohort.pk).capacity == 10


def test_closing_is_not_offered_in_the_settings_form(client):
    cohort = make_cohort()
    client.force_login(_facilitator(cohort))
    page = client.get(reverse("cohorts:cohort_edit", args=[cohort.pk]))
    options = [o["value"] for o in BeautifulSoup(page.content, "html.parser").select("#id_status option")]
    assert options == ["open", "running"]
    client.post(reverse("cohorts:cohort_edit", args=[cohort.pk]), _form_data(cohort, status="closed"))
    assert Cohort.objects.get(pk=cohort.pk).status == "running"


# --- Defect 11: confirmation steps ----------------------------------------------------------------


def test_closing_asks_for_confirmation_with_a_summary_of_consequences(client):
    cohort = make_cohort(learners=3, region="Bretagne")
    _invite(cohort)
    services.community_create(name="Diabète en Bretagne", slug="diabete-bzh", theme="t", region="Bretagne", programmes=[cohort.programme])
    client.force_login(_facilitator(cohort))
    url = reverse("cohorts:cohort_close", args=[cohort.pk])
    page = client.get(url)
    text = _text(page)
    assert "définitive" in text and "1 invitation en attente ne pourra plus être acceptée" in text
    assert "3 apprenant·es et les animateur·rices seront invités à rejoindre : « Diabète en Bretagne » (Bretagne)" in text
    assert "onclick" not in page.content.decode() and "confirm(" not in page.content.decode()
    client.post(url)  # the old one-click form: no longer closes
    assert Cohort.objects.get(pk=cohort.pk).status == "running"
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    assert Cohort.objects.get(pk=cohort.pk).status == "closed"


def test_releasing_a_debrief_asks_for_confirmation(client):
    programme = make_programme()
    case = make_case(module=make_module(programme=programme))
    cohort = make_cohort(programme=programme, learners=2)
    client.force_login(_facilitator(cohort))
    url = reverse("cohorts:debrief_release", args=[cohort.pk, case.pk])
    dashboard = client.get(reverse("cohorts:dashboard", args=[cohort.pk]) + f"?case={case.pk}")
    assert f'href="{url}"' in dashboard.content.decode()
    text = _text(client.get(url))
    assert "2 apprenant·es pourront le lire" in text and "2 apprenant·es n'ont pas encore répondu" in text
    client.post(url)
    assert not ScheduleItem.objects.filter(cohort=cohort, debrief_opens_at__isnull=False).exists()
    client.post(url, {"confirm": "yes"})
    assert ScheduleItem.objects.get(cohort=cohort, page_id=case.pk).debrief_opens_at


def test_forming_groups_again_asks_for_confirmation_the_first_time_does_not(client):
    cohort = make_cohort(learners=6)
    client.force_login(_facilitator(cohort))
    url = reverse("cohorts:group_list", args=[cohort.pk])
    assert client.post(url, {"size": 3, "seed": 0}).status_code == 302
    first = set(CohortGroup.objects.filter(cohort=cohort).values_list("pk", flat=True))
    assert len(first) == 2
    page = client.post(url, {"size": 2, "seed": 1})
    assert "Les 2 groupes actuels sont supprimés, avec leurs salons et leurs messages" in _text(page)
    assert set(CohortGroup.objects.filter(cohort=cohort).values_list("pk", flat=True)) == first
    assert client.post(url, {"size": 2, "seed": 1, "confirm": "yes"}).status_code == 302
    assert CohortGroup.objects.filter(cohort=cohort).count() == 3


# --- Defect 12: signup from an invitation ----------------------------------------------------------


def test_signup_from_an_invitation_is_prefilled_verified_and_lands_in_the_cohort(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cohort, name="Nadia Ben Salah", profession="nurse", level="team", organisation="CH de Vitré")
    token = _token(mail.outbox[-1])
    invitation_page = client.get(reverse("cohorts:invitation_accept", args=[token]))
    signup_link = BeautifulSoup(invitation_page.content, "html.parser").find("a", string=re.compile("Créer mon compte"))["href"]
    page = client.get(signup_link)
    soup = BeautifulSoup(page.content, "html.parser")
    assert soup.select_one("#id_email")["value"] == "nadia@ch-test.fr"
    assert soup.select_one("#id_first_name")["value"] == "Nadia"
    assert soup.select_one("#id_last_name")["value"] == "Ben Salah"
    assert soup.select_one("#id_organisation")["value"] == "CH de Vitré"
    assert soup.select_one("#id_profession option[selected]")["value"] == "nurse"
    assert soup.select_one("#id_level option[selected]")["value"] == "team"
    assert "Un lien de confirmation vous sera envoyé" not in _text(page)
    # The person submits what was filled in, with a password.
    data = {field["name"]: field.get("value", "") for field in soup.select("main form input") if field.get("name")}
    data.update(profession="nurse", level="team", language="fr", password1="un-mot-de-passe-solide",
                password2="un-mot-de-passe-solide")
    response = client.post(signup_link, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cohorts:cohort_detail", args=[cohort.pk])
    assert "Bienvenue dans la promotion" in _text(response)
    user = User.objects.get(email="nadia@ch-test.fr")
    assert (user.first_name, user.last_name, user.organisation) == ("Nadia", "Ben Salah", "CH de Vitré")
    assert cohort.memberships.filter(user=user, role="learner", status="active").exists()


def test_an_ordinary_signup_still_says_a_confirmation_link_will_be_sent(client):
    assert "Un lien de confirmation vous sera envoyé" in _text(client.get(reverse("account_signup")))


def test_an_existing_account_logging_in_from_the_invitation_lands_in_the_cohort(client, django_capture_on_commit_callbacks):
    cohort = make_cohort()
    make_user(email="nadia@ch-test.fr", password="correct-horse-battery")
    with django_capture_on_commit_callbacks(execute=True):
        _invite(cohort)
    path = reverse("cohorts:invitation_accept", args=[_token(mail.outbox[-1])])
    client.get(path)
    response = client.post(reverse("account_login") + f"?next={path}",
                           {"login": "nadia@ch-test.fr", "password": "correct-horse-battery", "next": path}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cohorts:cohort_detail", args=[cohort.pk])


# --- Defect 13: the CSV example ---------------------------------------------------------------------


def test_the_csv_example_shown_on_the_page_imports_as_it_is(client):
    cohort = make_cohort()
    client.force_login(_facilitator(cohort))
    page = client.get(reverse("cohorts:invitation_list", args=[cohort.pk]))
    example = BeautifulSoup(page.content, "html.parser").select_one("pre.csv-example").get_text()
    assert example.splitlines()[0].startswith("e-mail;nom;métier")
    upload = SimpleUploadedFile("exemple.csv", example.encode("utf-8"), content_type="text/csv")
    response = client.post(reverse("cohorts:invitation_import", args=[cohort.pk]), {"file": upload})
    assert "Colonne(s) manquante(s)" not in _text(response)
    assert sorted(Invitation.objects.filter(cohort=cohort).values_list("email", "profession", "level")) == [
        ("claire.martin@chu-exemple.fr", "nurse", "team"), ("yann.le-goff@ars-exemple.fr", "regulator", "region"),
    ]


def test_a_file_without_header_is_read_in_the_documented_column_order():
    cohort = make_cohort()
    data = "claire.martin@chu-exemple.fr;Claire Martin;Cadre de santé;CHU de Rennes;Équipe\nx@y.fr;X;Médecin\n"
    report = services.invitation_import_csv(cohort=cohort, data=data.encode(), invited_by=_facilitator(cohort))
    assert [i.email for i in report.created] == ["claire.martin@chu-exemple.fr"]
    assert [(e.line, e.reason[:16]) for e in report.errors] == [(2, "Ligne incomplète")]


# --- Defect 17: which communities a closing cohort offers -----------------------------------------------


def test_a_cohort_is_offered_only_the_communities_of_its_programme_and_region(django_capture_on_commit_callbacks):
    programme = make_programme()
    bretagne = services.community_create(name="Diabète en Bretagne", slug="bzh", theme="t", region="Bretagne", programmes=[programme])
    national = services.community_create(name="Directions des soins", slug="national", theme="t", programmes=[programme])
    normandie_elsewhere = services.community_create(name="Normandie, autre programme", slug="nor", theme="t", region="Normandie")
    normandie = make_cohort(programme=programme, learners=2, region="normandie")
    bzh = make_cohort(programme=programme, learners=1, region="BRETAGNE")
    assert selectors.cohort_communities(cohort=normandie) == [national]
    assert selectors.cohort_communities(cohort=bzh) == [bretagne, national]
    with django_capture_on_commit_callbacks(execute=True):
        services.cohort_close(cohort=normandie)
    invited = set(CommunityInvitation.objects.values_list("community__slug", flat=True))
    assert invited == {"national"} and normandie_elsewhere.pk
    assert not any("Bretagne" in message.subject for message in mail.outbox)


def test_a_normandie_cohort_is_offered_no_community_when_none_matches(client):
    programme = make_programme()
    services.community_create(name="Diabète en Bretagne", slug="bzh", theme="t", region="Bretagne", programmes=[programme])
    cohort = make_cohort(programme=programme, learners=2, region="Normandie")
    client.force_login(_facilitator(cohort))
    text = _text(client.get(reverse("cohorts:cohort_close", args=[cohort.pk])))
    assert "Aucune communauté de pratique ne correspond" in text and "Bretagne" not in text
    client.post(reverse("cohorts:cohort_close", args=[cohort.pk]), {"confirm": "yes"})
    assert not CommunityInvitation.objects.exists()
    assert CohortMembership.objects.filter(cohort=cohort).count() == 3


# --- Journey 4: a facilitator's comment reaches the learner ------------------------------------------


def test_a_facilitators_comment_on_a_reflection_is_mailed_to_the_learner(django_capture_on_commit_callbacks):
    from lms import services as lms_services
    from tests.factories_lms import make_course

    course = make_course()
    cohort = make_cohort(programme=course.programme)
    learner = add_learner(cohort, email="louis@ch-test.fr", first_name="Louis", last_name="Marec")
    reflection = lms_services.reflection_submit(user=learner, page=course.case, block_id=course.ids.reflection,
                                                html="<p>Mon texte</p>")[0].reflection
    with django_capture_on_commit_callbacks(execute=True):
        lms_services.reflection_comment_add(author=_facilitator(cohort), reflection=reflection, html="<p>Et l'IPA ?</p>")
    message = mail.outbox[-1]
    assert message.to == ["louis@ch-test.fr"] and "a commenté votre réflexion" in message.subject
    assert "Et l'IPA ?" in message.body
    assert reverse("lms:reflection_detail", args=[reflection.pk]) in message.body


def test_the_django_admin_shows_a_closed_cohort_read_only_and_checks_capacity(client):
    cohort = make_cohort(learners=3)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    url = f"/django-admin/cohorts/cohort/{cohort.pk}/change/"
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    data = {f["name"]: f.get("value", "") for f in soup.select("#cohort_form input") if f.get("name") and f.get("type") != "checkbox"}
    data.update({s["name"]: (s.select_one("option[selected]") or {"value": ""})["value"] for s in soup.select("#cohort_form select")})
    data.update(capacity="2")
    response = client.post(url, data)
    assert response.status_code == 200 and "La capacité (2) est inférieure" in _text(response)
    services.cohort_close(cohort=cohort)
    page = client.get(url)
    assert page.status_code == 200 and not BeautifulSoup(page.content, "html.parser").select("#id_name")
