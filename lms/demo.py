"""Demo learning records: the demo learners enrolled in the demo programme, with a few answers.

Idempotent: records are created once (services refuse or return the existing ones on a second
run). The cohorts demo adds the cohort's other learners afterwards.
"""

from django.db import transaction
from wagtail.models import Page

from accounts.models import User
from cms.models import ProgrammePage
from cms.selectors import case_outline
from lms import selectors, services
from lms.models import SelfAssessment

DEMO_PROGRAMME_SLUG = "manager-la-cooperation-en-sante"
DEMO_LEARNERS = [
    "directrice@passerelles.test",
    "medecin@passerelles.test",
    "cadre@passerelles.test",
    "ars@passerelles.test",
    "pharmacien@passerelles.test",
]

# What each demo learner chose and wrote at the first decision points (option index, rationale).
RATIONALES = {
    "directrice@passerelles.test": (0, "Je réunis d'abord les chefs de pôle et les cadres : sans diagnostic partagé, "
                                       "toute mesure sur les lits d'aval sera vécue comme imposée."),
    "medecin@passerelles.test": (1, "Les urgentistes attendent un signal rapide ; je propose une cellule de gestion "
                                    "des lits dès cette semaine, évaluée dans un mois."),
    "cadre@passerelles.test": (0, "Les équipes de nuit doivent être associées : ce sont elles qui vivent les "
                                  "hospitalisations brancards."),
    "ars@passerelles.test": (2, "L'ARS peut accompagner via le contrat pluriannuel, à condition d'indicateurs "
                                "partagés à l'échelle du GHT."),
    "pharmacien@passerelles.test": (0, "Partir des parcours patients les plus fréquents permet d'objectiver les "
                                       "blocages sans désigner de coupable."),
}

REFLECTION_DRAFT = (
    "<p>Dans mon établissement, la tension sur l'aval des urgences revient chaque hiver. "
    "Ce cas me montre que la <strong>coopération</strong> commence par un diagnostic partagé :</p>"
    "<ul><li>réunir les chefs de pôle et la direction des soins ;</li>"
    "<li>objectiver les durées de séjour avec le DIM ;</li>"
    "<li>associer la CPTS pour les sorties.</li></ul>"
)


def seed(*, stdout) -> None:
    programme = ProgrammePage.objects.live().filter(slug=DEMO_PROGRAMME_SLUG).first()
    if programme is None:
        stdout.write("lms demo: demo programme not found, no enrolments created.")
        return
    structure = selectors.programme_structure(programme=programme)
    specific = {page.pk: page for page in Page.objects.filter(pk__in=structure.page_ids).specific()}
    pages = [specific[ref.pk] for ref in structure.pages]
    learners = list(User.objects.filter(email__in=DEMO_LEARNERS))
    answers = 0
    for learner in learners:
        services.enrolment_create(user=learner, programme=programme)
        option_index, rationale = RATIONALES.get(learner.email, (0, "Choix de démonstration."))
        # Plain lessons of the first module: done by everyone.
        first_module_pages = [specific[p.pk] for p in structure.modules[0].pages] if structure.modules else []
        for page in first_module_pages:
            outline = case_outline(page)
            if services.page_needs_mark_done(outline):
                _quietly(services.page_mark_done, user=learner, page=page)
        # The first case: the first decision point answered, a reflection in progress.
        case = next((p for p in pages if type(p).__name__ == "CaseStudyPage"), None)
        if case is None:
            continue
        outline = case_outline(case)
        if outline.decision_points:
            spec = outline.decision_points[0]
            option = spec.options[min(option_index, len(spec.options) - 1)]
            if _quietly(services.decision_answer_submit, user=learner, page=case, block_id=spec.id,
                        option_id=option.id, rationale=rationale):
                answers += 1
        if outline.reflection_prompts and learner.email == "directrice@passerelles.test":
            _quietly(services.reflection_draft_save, user=learner, page=case,
                     block_id=outline.reflection_prompts[0].id, html=REFLECTION_DRAFT)
    stdout.write(f"lms demo: {len(learners)} learners enrolled in « {programme.title} », {answers} decision answers.")


def _quietly(fn, **kwargs):
    """Run a service; a refusal (already locked, episode closed) is expected on a second run."""
    try:
        with transaction.atomic():
            return fn(**kwargs) or True
    except services.LearningError:
        return False


# Where each profession of the demo cohort starts (level 1 to 4) and what the programme moved most:
# the owner's view and each learner's profile show the change by profession.
SELF_ASSESSMENT_START = {"director": 2, "physician": 2, "nurse": 2, "regulator": 1, "other": 1}
SELF_ASSESSMENT_GAINS = {
    "director": {"cooperation": 1, "conflict-management": 2, "patient-pathway": 1},
    "physician": {"cooperation": 2, "team-coaching": 1, "conflict-management": 1},
    "nurse": {"data-informed-decisions": 2, "project-management": 1, "cooperation": 1},
    "regulator": {"patient-pathway": 2, "cooperation": 2, "problem-solving": 1},
    "other": {"problem-solving": 2, "cooperation": 1},
}


def self_assessments_seed(*, programme, learners) -> int:
    """The demo cohort's "before" and "end" self-assessments (stored as the learners would have
    answered them; the cohort is mid-programme, so "end" shows where the demo is heading). Created
    once per learner and moment. Returns how many were created."""
    slugs = [c.slug for c in selectors.self_assessment_framework(programme=programme)]
    created = 0
    for index, learner in enumerate(learners):
        start = SELF_ASSESSMENT_START.get(learner.profession, 1)
        gains = SELF_ASSESSMENT_GAINS.get(learner.profession, {})
        before = {slug: min(4, start + (index + position) % 2) for position, slug in enumerate(slugs)}
        end = {slug: min(4, before[slug] + gains.get(slug, 0)) for slug in slugs}
        for moment, levels in ((SelfAssessment.Moment.BEFORE, before), (SelfAssessment.Moment.END, end)):
            _assessment, new = SelfAssessment.objects.get_or_create(
                user=learner, programme_id=programme.pk, moment=moment,
                defaults={"levels": levels, "profession": learner.profession},
            )
            created += new
    return created
