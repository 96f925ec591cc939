"""Demo cohorts: a running interprofessional cohort on the demo programme, its groups,
schedule, live sessions, learning records at various stages, and one community of practice; and a
closed cohort whose twenty learners (five of each of four professions) finished the programme, so
that the programme owner's report has figures by profession (`lms.demo.completed_cohort_seed`).

Idempotent: every row is looked up before it is created; learning records go through lms's
services, which return the stored record on a repeated call.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.choices import Level, Profession, Role
from accounts.demo import DEMO_PASSWORD
from accounts.validators import luhn_valid
from accounts.models import User
from cms.blocks import EpisodeGate
from cms.models import CaseStudyPage, LessonPage, ModulePage, ProgrammePage
from cms.selectors import case_outline
from cohorts.models import (
    Announcement,
    Cohort,
    Community,
    CommunityMembership,
    Invitation,
    LiveSession,
    hash_token,
    new_token,
)
from cohorts.services import (
    announcement_send,
    cohort_create,
    cohort_member_add,
    community_create,
    groups_form,
    live_session_create,
    schedule_save,
)
from lms import demo as lms_demo
from lms import services as lms

PROGRAMME_SLUG = "manager-la-cooperation-en-sante"
COHORT_NAME = "Promotion Bretagne 2026-2027"
COMMUNITY_SLUG = "parcours-diabete-bretagne"
FACILITATOR_EMAIL = "animatrice@passerelles.test"
DEMO_LEARNERS = [
    "directrice@passerelles.test", "medecin@passerelles.test", "cadre@passerelles.test",
    "ars@passerelles.test", "pharmacien@passerelles.test",
]
# email, first name, last name, profession, level, organisation, region, interests
EXTRA_LEARNERS = [
    ("yann.legoff@passerelles.test", "Yann", "Le Goff", Profession.DIRECTOR, Level.ESTABLISHMENT, "CH de Saint-Brieuc", "Bretagne", "direction commune, projet médico-soignant de GHT"),
    ("louise.quere@passerelles.test", "Louise", "Quéré", Profession.DIRECTOR, Level.ESTABLISHMENT, "CH de Saint-Brieuc", "Bretagne", "direction des soins, attractivité"),
    ("maelle.kerbrat@passerelles.test", "Maëlle", "Kerbrat", Profession.NURSE, Level.TEAM, "CHU de Brest", "Bretagne", "pratique avancée, maladies chroniques"),
    ("erwan.lebihan@passerelles.test", "Erwan", "Le Bihan", Profession.NURSE, Level.ESTABLISHMENT, "CHU de Rennes", "Bretagne", "cadre supérieur de santé, pôle médecine"),
    ("fatou.diallo@passerelles.test", "Fatou", "Diallo", Profession.NURSE, Level.TEAM, "CH de Fougères", "Bretagne", "coordination ville-hôpital"),
    ("thomas.guillou@passerelles.test", "Thomas", "Guillou", Profession.PHYSICIAN, Level.ESTABLISHMENT, "GHBS Lorient", "Bretagne", "chefferie de pôle, diabétologie"),
    ("sylvie.jaouen@passerelles.test", "Sylvie", "Jaouen", Profession.PHYSICIAN, Level.TEAM, "CPTS du Pays de Redon", "Bretagne", "exercice coordonné, soins primaires"),
    ("anne-sophie.leroux@passerelles.test", "Anne-Sophie", "Le Roux", Profession.REGULATOR, Level.REGION, "ARS Bretagne", "Bretagne", "parcours, contractualisation"),
    ("marc.pichon@passerelles.test", "Marc", "Pichon", Profession.REGULATOR, Level.NATION, "Direction générale de l'offre de soins", "Île-de-France", "organisation territoriale des soins"),
    ("gwenaelle.tanguy@passerelles.test", "Gwenaëlle", "Tanguy", Profession.OTHER, Level.ESTABLISHMENT, "CH de Morlaix", "Bretagne", "pharmacie clinique, conciliation médicamenteuse"),
    ("ronan.cadiou@passerelles.test", "Ronan", "Cadiou", Profession.OTHER, Level.REGION, "Structure régionale d'appui Bretagne", "Bretagne", "qualité, expérience patient"),
]
# The cohort that finished the programme: five people of each of four professions (the owner's report
# shows no figure about fewer than five).
PAST_COHORT_NAME = "Promotion Pays de la Loire 2026"
PAST_LEARNERS = [
    ("helene.brochard@passerelles.test", "Hélène", "Brochard", Profession.DIRECTOR, Level.ESTABLISHMENT, "CHU de Nantes", "Pays de la Loire", "direction des parcours, territoire"),
    ("olivier.marchand@passerelles.test", "Olivier", "Marchand", Profession.DIRECTOR, Level.ESTABLISHMENT, "CH du Mans", "Pays de la Loire", "direction commune, GHT Sarthe"),
    ("celine.rabiller@passerelles.test", "Céline", "Rabiller", Profession.DIRECTOR, Level.ESTABLISHMENT, "CH de Cholet", "Pays de la Loire", "direction des soins, qualité"),
    ("benoit.gautreau@passerelles.test", "Benoît", "Gautreau", Profession.DIRECTOR, Level.ESTABLISHMENT, "EHPAD public de Challans", "Pays de la Loire", "médico-social, filière gériatrique"),
    ("agnes.papin@passerelles.test", "Agnès", "Papin", Profession.DIRECTOR, Level.REGION, "GHT de la Mayenne", "Pays de la Loire", "stratégie de groupe, finances"),
    ("vincent.chupin@passerelles.test", "Vincent", "Chupin", Profession.PHYSICIAN, Level.ESTABLISHMENT, "CHU d'Angers", "Pays de la Loire", "président de CME, gériatrie"),
    ("laure.giraudeau@passerelles.test", "Laure", "Giraudeau", Profession.PHYSICIAN, Level.TEAM, "CH de La Roche-sur-Yon", "Pays de la Loire", "urgences, gestion des lits"),
    ("mehdi.bensaid@passerelles.test", "Mehdi", "Bensaïd", Profession.PHYSICIAN, Level.TEAM, "Maison de santé de Saint-Nazaire", "Pays de la Loire", "médecine générale, exercice coordonné"),
    ("clemence.hervouet@passerelles.test", "Clémence", "Hervouet", Profession.PHYSICIAN, Level.ESTABLISHMENT, "CHU de Nantes", "Pays de la Loire", "cheffe de pôle, cardiologie"),
    ("francois.bouvier@passerelles.test", "François", "Bouvier", Profession.PHYSICIAN, Level.TEAM, "CPTS Loire-Authion", "Pays de la Loire", "coordination médicale, soins non programmés"),
    ("isabelle.maindron@passerelles.test", "Isabelle", "Maindron", Profession.REGULATOR, Level.REGION, "ARS Pays de la Loire", "Pays de la Loire", "offre de soins hospitalière"),
    ("damien.pohu@passerelles.test", "Damien", "Pohu", Profession.REGULATOR, Level.REGION, "ARS Pays de la Loire — délégation de la Sarthe", "Pays de la Loire", "animation territoriale, CPTS"),
    ("sandrine.leveque@passerelles.test", "Sandrine", "Lévêque", Profession.REGULATOR, Level.REGION, "CPAM de Loire-Atlantique", "Pays de la Loire", "accompagnement des professionnels de santé"),
    ("nicolas.ferrand@passerelles.test", "Nicolas", "Ferrand", Profession.REGULATOR, Level.NATION, "Direction générale de l'offre de soins", "Île-de-France", "financement des parcours"),
    ("aurelie.josse@passerelles.test", "Aurélie", "Josse", Profession.REGULATOR, Level.REGION, "ARS Pays de la Loire", "Pays de la Loire", "autorisations, SMR"),
    ("karine.blanchet@passerelles.test", "Karine", "Blanchet", Profession.NURSE, Level.ESTABLISHMENT, "CHU d'Angers", "Pays de la Loire", "cadre supérieure de santé, pôle médecine"),
    ("jerome.boisseau@passerelles.test", "Jérôme", "Boisseau", Profession.NURSE, Level.TEAM, "CH du Mans", "Pays de la Loire", "cadre de santé, réanimation"),
    ("marion.tessier@passerelles.test", "Marion", "Tessier", Profession.NURSE, Level.TEAM, "Clinique Jules-Verne, Nantes", "Pays de la Loire", "cadre de santé, chirurgie ambulatoire"),
    ("sophie.nguyen@passerelles.test", "Sophie", "Nguyen", Profession.NURSE, Level.TEAM, "CH de Saint-Nazaire", "Pays de la Loire", "infirmière en pratique avancée, pathologies chroniques"),
    ("yannick.renou@passerelles.test", "Yannick", "Renou", Profession.NURSE, Level.ESTABLISHMENT, "CH de Laval", "Pays de la Loire", "coordination des soins, gestion des lits"),
]
PENDING_INVITATIONS = [
    ("morgane.le-floch@ch-exemple.fr", "Morgane Le Floch", Profession.NURSE, Level.TEAM, "CH de Quimper"),
    ("paul.henaff@ars-exemple.fr", "Paul Hénaff", Profession.REGULATOR, Level.REGION, "ARS Bretagne"),
]
RATIONALES = [
    "Je privilégie ce qui réunit les acteurs autour du parcours plutôt qu'une décision prise seul·e.",
    "C'est l'option la plus réaliste au regard des moyens du GHT et du calendrier de l'ARS.",
    "Sans données partagées, toute autre décision reviendrait à arbitrer à l'aveugle.",
    "Je pars des équipes de terrain : ce sont elles qui porteront le changement.",
]
REFLECTIONS = [
    "<p>Ce cas m'a rappelé que la coopération se construit avant la crise : dans mon établissement, nous n'avons jamais réuni la ville et l'hôpital sur le parcours du patient diabétique.</p>",
    "<p>J'ai mesuré à quel point nos indicateurs sont pensés par structure et non par parcours. Je vais proposer à la CPTS un tableau de bord commun.</p>",
    "<p>En tant que cadre, je me suis reconnue dans la difficulté à faire remonter les signaux faibles. Le point de vue du régulateur m'a aidée à comprendre ses contraintes.</p>",
]


def _aware(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _learners(stdout, rows=None, *, demo_accounts=True):
    learner_group, _created = Group.objects.get_or_create(name=Role.LEARNER.value)
    password = ""
    people = list(User.objects.filter(email__in=DEMO_LEARNERS).order_by("email")) if demo_accounts else []
    for email, first, last, profession, level, organisation, region, interests in EXTRA_LEARNERS if rows is None else rows:
        user, created = User.objects.get_or_create(email=email, defaults={
            "first_name": first, "last_name": last, "profession": profession, "level": level,
            "organisation": organisation, "region": region, "interests": interests,
            "in_directory": True, "share_region": True, "share_interests": True,
        })
        if created:
            # One hash for every demo learner (they share the public demo password): hashing is slow
            # by design, and the demo creates thirty of them.
            password = password or make_password(DEMO_PASSWORD)
            user.password = password
            user.save(update_fields=["password"])
        user.groups.add(learner_group)
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        people.append(user)
    return people


def _schedule(cohort, programme, today: date) -> None:
    rows = []
    modules = list(ModulePage.objects.child_of(programme).live().order_by("path"))
    for index, module in enumerate(modules):
        opens = today + timedelta(days=-28 + 21 * index)
        due = opens + timedelta(days=20)
        rows.append({"page": module, "label": module.title, "opens_at": _aware(opens), "due_at": _aware(due, 18)})
        for case in CaseStudyPage.objects.child_of(module).live().order_by("path"):
            outline = case_outline(case)
            row = {"page": case, "label": case.title, "opens_at": None, "due_at": _aware(due, 18)}
            if outline.has_debrief:
                row["debrief_opens_at"] = _aware(due + timedelta(days=1))
            rows.append(row)
            for position, episode in enumerate(outline.episodes):
                if episode.gate == EpisodeGate.SCHEDULED:
                    rows.append({"page": case, "episode_id": episode.id, "label": f"{case.title} — {episode.title}",
                                 "opens_at": _aware(opens + timedelta(days=3 + 4 * position))})
    schedule_save(cohort=cohort, items=rows)


def _records(cohort, programme, learners, facilitator, stdout) -> int:
    """Answers, reflections and completions at various stages, through lms's services."""
    modules = list(ModulePage.objects.child_of(programme).live().order_by("path"))
    stored = 0
    for index, learner in enumerate(learners):
        stage = index % 5  # 0: not started … 4: two modules and more
        pages = []
        for module in modules[: 1 + (stage >= 4)]:
            pages.extend(p.specific for p in module.get_children().live().order_by("path"))
        budget = {0: 0, 1: 1, 2: 2, 3: len(pages), 4: len(pages)}[stage]
        for offset, page in enumerate(pages[:budget]):
            try:
                if isinstance(page, LessonPage) and not case_outline(page).quiz_questions:
                    lms.page_mark_done(user=learner, page=page)
                    stored += 1
                    continue
                outline = case_outline(page)
                for k, spec in enumerate(outline.decision_points):
                    option = spec.options[(index + k + offset) % len(spec.options)]
                    lms.decision_answer_submit(user=learner, page=page, block_id=spec.id, option_id=option.id,
                                               rationale=RATIONALES[(index + k) % len(RATIONALES)])
                    stored += 1
                for k, spec in enumerate(outline.reflection_prompts):
                    version, created = lms.reflection_submit(user=learner, page=page, block_id=spec.id,
                                                             html=REFLECTIONS[(index + k) % len(REFLECTIONS)])
                    stored += 1
                    if created and index % 3 == 0:
                        lms.reflection_comment_add(
                            author=facilitator, reflection=version.reflection,
                            html="<p>Merci pour cette analyse : pensez à la partager avec votre groupe lors de la classe virtuelle.</p>",
                        )
                for question in outline.quiz_questions:
                    lms.quiz_answer_submit(user=learner, page=page, block_id=question.id,
                                           option_ids=[o.id for o in question.options if o.correct])
            except Exception as error:  # a closed episode, an exhausted quiz…: the demo goes on
                if error.__class__.__name__ not in {"LearningError", "ValidationError", "PermissionDenied"}:
                    raise
    return stored


def _fictitious_rpps(n: int) -> str:
    """A made-up RPPS number for the demo: 11 digits (10 99999 and a counter) with a valid Luhn key."""
    body = f"1099999{n:03d}"
    return next(body + key for key in "0123456789" if luhn_valid(body + key))


def _past_cohort(programme, facilitator, today: date, stdout) -> None:
    """The closed cohort that went through the whole programme (created once; left alone after)."""
    if Cohort.objects.filter(programme=programme, name=PAST_COHORT_NAME).exists():
        return
    starts_on, ends_on = today - timedelta(days=330), today - timedelta(days=150)
    cohort = cohort_create(
        programme=programme, name=PAST_COHORT_NAME, starts_on=starts_on, ends_on=ends_on, created_by=facilitator,
        capacity=24, status=Cohort.Status.RUNNING, join_policy=Cohort.JoinPolicy.INVITATION, region="Pays de la Loire",
    )
    learners = _learners(stdout, PAST_LEARNERS, demo_accounts=False)
    for n, learner in enumerate(learners):
        if learner.profession in (Profession.PHYSICIAN, Profession.NURSE) and not learner.rpps:
            learner.rpps = _fictitious_rpps(n)  # printed on their DPC attestations
            learner.save(update_fields=["rpps"])
        cohort_member_add(cohort=cohort, user=learner)
    groups_form(cohort=cohort, size=5, seed=2025)
    counts = lms_demo.completed_cohort_seed(
        programme=programme, learners=learners, started=_aware(starts_on), finished=_aware(ends_on - timedelta(days=10), 18),
    )
    # Closed as its facilitator would have done months ago, without today's e-mails to its members.
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.CLOSED)
    stdout.write(
        f"Demo closed cohort: « {cohort.name} », {len(learners)} learners who finished the programme "
        f"({counts['certificates']} certificates, {counts['self_assessments']} self-assessments, "
        f"{counts['feedback']} module survey answers)."
    )


def seed(*, stdout) -> None:
    programme = ProgrammePage.objects.filter(slug=PROGRAMME_SLUG).order_by("pk").first()
    if programme is None:
        stdout.write(f"Demo cohort: programme « {PROGRAMME_SLUG} » absent (run the cms demo first); nothing done.")
        return
    facilitator = User.objects.filter(email=FACILITATOR_EMAIL).first()
    if facilitator is None:
        stdout.write("Demo cohort: facilitator account absent; nothing done.")
        return
    today = timezone.localdate()
    cohort = Cohort.objects.filter(programme=programme, name=COHORT_NAME).first()
    if cohort is None:
        cohort = cohort_create(
            programme=programme, name=COHORT_NAME, starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=120), created_by=facilitator, capacity=24,
            status=Cohort.Status.RUNNING, join_policy=Cohort.JoinPolicy.INVITATION, region="Bretagne",
        )
        _schedule(cohort, programme, today)
    learners = _learners(stdout)
    for learner in learners:
        cohort_member_add(cohort=cohort, user=learner)
    if not cohort.groups.exists():
        groups_form(cohort=cohort, size=4, seed=2026)
    if not LiveSession.objects.filter(cohort=cohort).exists():
        start = _aware(today + timedelta(days=5), 18)
        live_session_create(cohort=cohort, title="Classe virtuelle : le parcours du patient diabétique",
                            starts_at=start, ends_at=start + timedelta(hours=1, minutes=30),
                            video_url="https://visio.passerelles.test/promotion-bretagne")
        start = _aware(today + timedelta(days=33), 9)
        live_session_create(cohort=cohort, title="Séminaire en présentiel : conduire la coopération dans le GHT",
                            starts_at=start, ends_at=start + timedelta(hours=7), place="EHESP, Rennes — salle Louis-Pasteur")
    for email, name, profession, level, organisation in PENDING_INVITATIONS:
        Invitation.objects.get_or_create(cohort=cohort, email=email, defaults={
            "name": name, "profession": profession, "level": level, "organisation": organisation,
            "token_hash": hash_token(new_token()), "expires_at": timezone.now() + timedelta(days=10),
            "invited_by": facilitator, "sent_count": 1, "last_sent_at": timezone.now(),
        })
    records = _records(cohort, programme, learners, facilitator, stdout)
    records += lms_demo.self_assessments_seed(programme=programme, learners=learners)
    if not Announcement.objects.filter(cohort=cohort).exists():
        announcement_send(
            cohort=cohort, author=facilitator, subject="Bienvenue dans la promotion Bretagne",
            body=("Bonjour à toutes et à tous,\n\nVous êtes seize, de cinq métiers et de tous les niveaux, de l'unité de soins "
                  "à l'administration centrale. Votre groupe est formé : prenez le temps de vous présenter dans son salon "
                  "avant la classe virtuelle.\n\nClaire"),
        )
    _past_cohort(programme, facilitator, today, stdout)
    community = Community.objects.filter(slug=COMMUNITY_SLUG).first()
    if community is None:
        community = community_create(
            name="Parcours patient diabète en Bretagne", slug=COMMUNITY_SLUG, region="Bretagne",
            theme=("Coordonner la ville, l'hôpital et l'ARS autour des personnes vivant avec un diabète : "
                   "repérage, éducation thérapeutique, rôle des IPA et des CPTS, indicateurs de parcours partagés."),
            programmes=[programme], moderators=[facilitator],
        )
    for learner in learners[5:9]:
        CommunityMembership.objects.get_or_create(community=community, user=learner)
    stdout.write(
        f"Demo cohort: « {cohort.name} », {len(learners)} learners in {cohort.groups.count()} groups, "
        f"{records} learning records, community « {community.name} »."
    )
