"""Journeys 2 and 4 (issue 12), on one server with the demo: a facilitator runs a whole cohort,
and a learner joins the demo's running cohort through an invitation and takes part.

E-mails are read where the server sends them (through the tasks queue) with `sent_emails`."""

import re
from datetime import date, timedelta

import pytest

from tests.e2e.browser import DEMO_PASSWORD, axe_check, login, mail_text, sent_emails

pytestmark = [pytest.mark.e2e]

PASSWORD = "Coop3ration-territoriale"


def _link(server, to: str) -> str:
    """The path of the last invitation link mailed to `to`."""
    messages = sent_emails(server, to=to)
    assert messages, f"no e-mail to {to}"
    return re.search(r"https?://[^/\s]+(/invitations/[\w-]+/)", mail_text(messages[-1])).group(1)


def _accept_and_sign_up(page, server, email: str, *, first: str, last: str, organisation: str) -> None:
    """Follow the invitation link, check the pre-filled signup, create the account; lands in the cohort."""
    from playwright.sync_api import expect

    page.goto(_link(server, email))
    axe_check(page, label="invitation")
    page.get_by_role("link", name="Créer mon compte").click()
    for selector, value in (("#id_email", email), ("#id_first_name", first), ("#id_last_name", last),
                            ("#id_organisation", organisation)):
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator("main")).not_to_contain_text("Un lien de confirmation vous sera envoyé")
    axe_check(page, label="signup from an invitation")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cohorts/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("Bienvenue dans la promotion")


def _answer_and_reflect(page, case_url: str, *, rationale: str, reflection: str) -> str:
    """On the case page: answer the first open decision with a rationale, then send a reflection;
    returns the reflection's page."""
    from playwright.sync_api import expect

    page.goto(case_url)
    decision = page.locator("form.decision-point__form").first
    decision.locator("input[name=option_id]").first.check()
    decision.locator("textarea[name=rationale]").fill(rationale)
    decision.get_by_role("button", name="Valider mon choix").click()
    page.wait_for_load_state()
    expect(page.locator(".decision-point .quote").first).to_contain_text(rationale)
    form = page.locator("section.reflection form").first
    form.locator("textarea[name=text]").fill(reflection)
    form.get_by_role("button").click()
    page.wait_for_load_state()
    history = page.locator("section.reflection").first.get_by_role("link", name="Historique des versions")
    return history.get_attribute("href")


def test_journey_2_a_facilitator_runs_a_whole_cohort(demo_server, new_page):
    from playwright.sync_api import expect

    urls = demo_server.urls
    facilitator = new_page(demo_server)
    login(facilitator, urls["facilitator"], DEMO_PASSWORD)

    # Creates the cohort (a region of its own: Normandie).
    facilitator.goto("/cohorts/new/")
    axe_check(facilitator, label="new cohort")
    facilitator.locator("#id_programme").select_option(label="Manager la coopération en santé")
    facilitator.fill("#id_name", "Promotion Normandie 2027")
    facilitator.fill("#id_region", "Normandie")
    facilitator.fill("#id_starts_on", (date.today() - timedelta(days=1)).isoformat())
    facilitator.fill("#id_ends_on", (date.today() + timedelta(days=90)).isoformat())
    facilitator.fill("#id_capacity", "1")
    facilitator.select_option("#id_status", "running")
    facilitator.get_by_role("button", name="Créer la promotion").click()
    expect(facilitator.locator("main")).to_contain_text("Une promotion compte au moins 2 places.")
    facilitator.fill("#id_capacity", "12")
    facilitator.get_by_role("button", name="Créer la promotion").click()
    facilitator.wait_for_url(re.compile(r"/cohorts/\d+/invitations/$"))
    cohort_path = facilitator.url.split("invitations/")[0].split(demo_server.http)[-1]

    # Invites one person, then a CSV file with bad lines: each is reported with its line.
    facilitator.fill("#id_email", "nadia.benali@ch-caen.test")
    facilitator.fill("#id_name", "Nadia Benali")
    facilitator.select_option("#id_profession", "nurse")
    facilitator.fill("#id_organisation", "CH de Caen")
    facilitator.select_option("#id_level", "team")
    facilitator.get_by_role("button", name="Envoyer l'invitation").click()
    expect(facilitator.locator(".messages")).to_contain_text("Invitation envoyée à nadia.benali@ch-caen.test")
    example = facilitator.locator("pre.csv-example").inner_text()
    assert example.startswith("e-mail;nom;métier")
    csv_file = (example.strip() + "\npas-une-adresse;Jean Faux;Médecin;CHU de Caen;Équipe\n"
                "paul.roux@ars-normandie.test;Paul Roux;Astronaute;ARS Normandie;Région\n")
    facilitator.set_input_files("#id_file", files=[{"name": "promotion.csv", "mimeType": "text/csv", "buffer": csv_file.encode()}])
    facilitator.get_by_role("button", name="Importer").click()
    report = facilitator.locator(".import-report")
    expect(report).to_contain_text("2 invitations envoyées")
    expect(report.locator("tbody tr")).to_have_count(2)
    expect(report.locator("tbody tr").nth(0)).to_contain_text("4")
    expect(report.locator("tbody tr").nth(0)).to_contain_text("Adresse e-mail invalide")
    expect(report.locator("tbody tr").nth(1)).to_contain_text("Métier inconnu : « Astronaute »")
    axe_check(facilitator, label="invitations with an import report")

    # The invitee accepts through the link of the e-mail sent by the queue: details pre-filled.
    learner = new_page(demo_server)
    _accept_and_sign_up(learner, demo_server, "nadia.benali@ch-caen.test", first="Nadia", last="Benali", organisation="CH de Caen")
    assert learner.url.endswith(cohort_path)
    axe_check(learner, label="cohort page of a new learner")
    # Mid-case: one decision answered, one reflection sent.
    _answer_and_reflect(learner, urls["case"], rationale="La sortie se prépare avec la CPTS dès l'entrée.",
                        reflection="Je retiens qu'il faut associer la ville avant la sortie.")

    # Forms the groups, schedules an episode.
    facilitator.goto(cohort_path + "groups/")
    facilitator.fill("#id_size", "2")
    facilitator.get_by_role("button", name="Former les groupes").click()
    expect(facilitator.locator(".messages")).to_contain_text("Les groupes sont formés")
    axe_check(facilitator, label="groups")
    facilitator.goto(cohort_path + "schedule/")
    opens = (date.today() + timedelta(days=7)).isoformat() + "T09:00"
    facilitator.locator("tr.schedule-row--episode input[name$='-opens_at']").first.fill(opens)
    facilitator.get_by_role("button", name="Enregistrer le calendrier").click()
    expect(facilitator.locator(".messages")).to_contain_text("Le calendrier de la promotion est enregistré.")
    axe_check(facilitator, label="schedule")

    # Reads the progress matrix with the learner mid-case, comments the reflection.
    facilitator.goto(cohort_path + "dashboard/")
    expect(facilitator.locator("main")).to_contain_text("Nadia Benali")
    axe_check(facilitator, label="dashboard, learner mid-case")
    facilitator.get_by_role("link", name=re.compile("Nadia Benali —")).first.click()
    facilitator.locator("form textarea[name=body]").fill("Très juste : qui appelez-vous en premier ?")
    facilitator.locator("form textarea[name=body]").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(facilitator.locator(".messages")).to_contain_text("Commentaire publié")
    axe_check(facilitator, label="reflection with a comment")

    # Announces.
    facilitator.goto(cohort_path + "dashboard/")
    facilitator.fill("#id_subject", "Première classe virtuelle")
    facilitator.fill("#id_body", "Rendez-vous jeudi à 18 h.")
    facilitator.locator("form[action$='/announcements/']").get_by_role("button", name="Envoyer").click()
    expect(facilitator.locator(".messages")).to_contain_text("Annonce envoyée à 1 personne(s).")

    # Releases the debrief, from its confirmation page.
    facilitator.get_by_role("link", name=re.compile("Ouvrir le débriefing")).first.click()
    expect(facilitator.locator("main")).to_contain_text("1 apprenant·e pourra le lire")
    axe_check(facilitator, label="debrief confirmation")
    facilitator.get_by_role("button", name="Oui, ouvrir le débriefing").click()
    expect(facilitator.locator(".messages")).to_contain_text("est ouvert à la promotion")

    # Closes the cohort, confirmed: no Bretagne community is offered to a Normandie cohort.
    facilitator.goto(cohort_path + "edit/")
    facilitator.get_by_role("link", name="Clore la promotion…").click()
    expect(facilitator.locator("main")).to_contain_text("Aucune communauté de pratique ne correspond")
    expect(facilitator.locator("main")).to_contain_text("2 invitations en attente ne pourront plus être acceptées")
    axe_check(facilitator, label="close confirmation")
    facilitator.get_by_role("button", name="Oui, clore la promotion").click()
    expect(facilitator.locator(".cohort-meta")).to_contain_text("Terminée")

    # The closed cohort refuses a new invitation, and a pending invitee gets a clear message.
    facilitator.goto(cohort_path + "invitations/")
    expect(facilitator.locator("main")).to_contain_text("elle n'accepte plus d'invitation")
    expect(facilitator.get_by_role("button", name="Envoyer l'invitation")).to_have_count(0)
    axe_check(facilitator, label="invitations of a closed cohort")
    late = new_page(demo_server)
    late.goto(_link(demo_server, "claire.martin@chu-exemple.fr"))
    expect(late.locator("main")).to_contain_text("est terminée")
    expect(late.get_by_role("button", name="Rejoindre la promotion")).to_have_count(0)
    expect(late.get_by_role("link", name="Créer mon compte")).to_have_count(0)
    axe_check(late, label="invitation of a closed cohort")


def test_journey_4_a_cohort_learner_joins_and_takes_part(demo_server, new_page):
    from playwright.sync_api import expect

    urls = demo_server.urls
    facilitator = new_page(demo_server)
    login(facilitator, urls["facilitator"], DEMO_PASSWORD, next=urls["cohort"] + "invitations/")
    facilitator.fill("#id_email", "louis.marec@ch-quimper.test")
    facilitator.fill("#id_name", "Louis Marec")
    facilitator.select_option("#id_profession", "physician")
    facilitator.fill("#id_organisation", "CH de Quimper")
    facilitator.select_option("#id_level", "establishment")
    facilitator.get_by_role("button", name="Envoyer l'invitation").click()
    expect(facilitator.locator(".messages")).to_contain_text("Invitation envoyée")

    # Accepts the invitation (details pre-filled) and lands in the cohort.
    learner = new_page(demo_server)
    _accept_and_sign_up(learner, demo_server, "louis.marec@ch-quimper.test", first="Louis", last="Marec", organisation="CH de Quimper")
    assert learner.url.endswith(urls["cohort"])
    expect(learner.locator("main")).to_contain_text("Louis Marec")

    # Reads their brief (a physician's), answers with a rationale, sees the cohort's distribution.
    learner.goto(urls["case"])
    brief = learner.locator(".role-brief[data-profession=physician]").first
    if brief.get_attribute("role") == "tabpanel":  # every brief is shown, as tabs, once the debrief is open
        learner.locator(f"[role=tab][aria-controls='{brief.get_attribute('id')}']").click()
    expect(brief).to_be_visible()
    axe_check(learner, label="case, physician's brief")
    reflection_path = _answer_and_reflect(
        learner, urls["case"], rationale="Le médecin traitant doit être prévenu avant la sortie.",
        reflection="La coordination commence bien avant la sortie.",
    )
    expect(learner.locator(".decision-point").first).to_contain_text("promotion")
    axe_check(learner, label="case after answering")

    # The facilitator comments the reflection (the demo dashboard lists more than fit: opened
    # directly); the learner is notified by e-mail and reads it.
    facilitator.goto(reflection_path)
    facilitator.locator("form textarea[name=body]").fill("Bonne intuition : et l'IPA ?")
    facilitator.locator("form textarea[name=body]").locator("xpath=ancestor::form").get_by_role("button").click()
    expect(facilitator.locator(".messages")).to_contain_text("Commentaire publié")
    notice = sent_emails(demo_server, to="louis.marec@ch-quimper.test")[-1]
    link = re.search(r"https?://[^/\s]+(/learn/reflections/\d+/)", mail_text(notice)).group(1)
    assert link == reflection_path
    learner.goto(link)
    expect(learner.locator("main")).to_contain_text("Bonne intuition : et l'IPA ?")
    axe_check(learner, label="reflection with the facilitator's comment")
