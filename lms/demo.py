"""Demo learning records: the demo learners enrolled in the demo programme, with a few answers.

Idempotent: records are created once (services refuse or return the existing ones on a second
run). The cohorts demo adds the cohort's other learners afterwards, and a cohort that finished the
programme (`completed_cohort_seed`), whose records give the owner's report its figures by profession.
"""

from django.db import transaction
from wagtail.models import Page

from accounts.models import User
from cms.models import ProgrammePage
from cms.selectors import case_outline
from lms import selectors, services
from lms.models import (
    Certificate,
    DecisionAnswer,
    DpcAttestation,
    Enrolment,
    ModuleFeedback,
    PageCompletion,
    QuizAttempt,
    Reflection,
    ReflectionVersion,
    SelfAssessment,
)

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


def self_assessments_seed(*, programme, learners, moments=(SelfAssessment.Moment.BEFORE,)) -> int:
    """The running demo cohort's self-assessments: "before" only, since nobody in it has finished the
    programme (the completed cohort, `completed_cohort_seed`, has "before" and "end"). Created once per
    learner and moment; an "end" answer stored by an earlier version of the demo for a learner who has
    not finished is removed, so the owner's report only pairs learners who did. Returns how many were
    created."""
    slugs = [c.slug for c in selectors.self_assessment_framework(programme=programme)]
    SelfAssessment.objects.filter(
        user__in=learners, programme_id=programme.pk, moment=SelfAssessment.Moment.END,
        user__enrolments__programme_id=programme.pk, user__enrolments__completed_at__isnull=True,
    ).delete()
    created = 0
    for index, learner in enumerate(learners):
        start = SELF_ASSESSMENT_START.get(learner.profession, 1)
        gains = SELF_ASSESSMENT_GAINS.get(learner.profession, {})
        before = {slug: min(4, start + (index + position) % 2) for position, slug in enumerate(slugs)}
        end = {slug: min(4, before[slug] + gains.get(slug, 0)) for slug in slugs}
        for moment, levels in ((SelfAssessment.Moment.BEFORE, before), (SelfAssessment.Moment.END, end)):
            if moment not in moments:
                continue
            _assessment, new = SelfAssessment.objects.get_or_create(
                user=learner, programme_id=programme.pk, moment=moment,
                defaults={"levels": levels, "profession": learner.profession},
            )
            created += new
    return created


# --- A cohort that finished the programme ----------------------------------------------------
# Where each profession of the completed cohort stood before the programme (1 to 4 per competency)
# and what the programme moved for it, so that the owner's report shows a change that differs by
# profession: directors discover the patient pathway, physicians team coaching and conflicts,
# regulators cooperation with those who deliver care, nurse managers data and projects.
COMPLETED_BEFORE = {
    "director": {"team-coaching": 2, "cooperation": 2, "data-informed-decisions": 3, "project-management": 3,
                 "conflict-management": 2, "patient-pathway": 1, "problem-solving": 2},
    "physician": {"team-coaching": 1, "cooperation": 2, "data-informed-decisions": 2, "project-management": 1,
                  "conflict-management": 1, "patient-pathway": 3, "problem-solving": 2},
    "regulator": {"team-coaching": 1, "cooperation": 1, "data-informed-decisions": 3, "project-management": 2,
                  "conflict-management": 1, "patient-pathway": 2, "problem-solving": 2},
    "nurse": {"team-coaching": 3, "cooperation": 2, "data-informed-decisions": 1, "project-management": 2,
              "conflict-management": 2, "patient-pathway": 2, "problem-solving": 2},
}
COMPLETED_GAINS = {
    "director": {"patient-pathway": 2, "cooperation": 1, "conflict-management": 1, "team-coaching": 1},
    "physician": {"team-coaching": 2, "conflict-management": 2, "project-management": 1, "cooperation": 1},
    "regulator": {"cooperation": 2, "conflict-management": 1, "patient-pathway": 1, "team-coaching": 1},
    "nurse": {"data-informed-decisions": 2, "project-management": 1, "problem-solving": 1, "cooperation": 1},
}
# Module survey: (usefulness, relevance) around which each profession answered, and what they wrote.
COMPLETED_FEEDBACK = {
    "director": ((5, 4), [
        "Inviter les présidents de CPTS au comité de direction du GHT une fois par trimestre.",
        "Construire le prochain projet d'établissement à partir de trois parcours patients, pas des services.",
        "Demander au DIM un indicateur de durée de séjour par parcours avant chaque arbitrage de lits.",
    ]),
    "physician": ((4, 5), [
        "Tenir un staff mensuel avec les cadres sur l'organisation, pas seulement sur les patients.",
        "Essayer la méthode des 5 pourquoi au prochain événement indésirable du service.",
        "Proposer aux IPA de l'équipe de co-animer la réunion de coordination avec la ville.",
    ]),
    "regulator": ((4, 4), [
        "Associer un cadre de santé et un médecin du terrain au comité de suivi du contrat d'objectifs.",
        "Présenter les données d'activité aux établissements avant la décision, pas après.",
        "Tester une visite conjointe ARS–CPTS avant d'instruire la prochaine demande d'autorisation.",
    ]),
    "nurse": ((5, 5), [
        "Lire le tableau de bord du pôle avec mon équipe chaque mois et en tirer une action.",
        "Rédiger une fiche A3 sur les sorties tardives et la présenter à la direction des soins.",
        "Demander à participer au groupe de travail du GHT sur la gestion des lits.",
    ]),
}
COMPLETED_COMMENTS = [
    "Les échanges avec les autres métiers ont été le plus utile : on comprend enfin les contraintes de l'ARS.",
    "Un peu dense pour une semaine de garde ; prévoir plus de temps entre deux épisodes.",
    "Le cas était très proche de ce que nous vivons : merci.",
    "J'aurais aimé une séance en présentiel de plus.",
]
COMPLETED_REFLECTION = (
    "<p>Ce que je retiens : la coopération se prépare avant la crise. Je vais {action}</p>"
)


def _when(start, end, fraction: float):
    return start + (end - start) * max(0.0, min(1.0, fraction))


def completed_cohort_seed(*, programme, learners, started, finished) -> dict[str, int]:
    """Learning records of `learners` (enrolled already) who went through the whole programme between
    `started` and `finished` (aware datetimes in the past): every page complete with its decisions,
    reflections and a passed quiz, the programme complete with its certificate and DPC attestation,
    "before" and "end" self-assessments, and an answer to each module's survey. Stored directly (with
    the dates they would carry) rather than replayed through the services, which keeps `seed_demo`
    fast; certificates go through `services.certificate_issue`. Run once, on a cohort the demo has
    just created. Returns counts by kind."""
    structure = selectors.programme_structure(programme=programme)
    specific = {page.pk: page for page in Page.objects.filter(pk__in=structure.page_ids).specific()}
    outlines = {pk: case_outline(page) for pk, page in specific.items()}
    modules = structure.modules
    slugs = [c.slug for c in selectors.self_assessment_framework(programme=programme)]
    span = len(modules) + 1
    answers, reflections, versions_text, quizzes, completions, feedback, assessments = [], [], [], [], [], [], []
    finished_at = {}
    for index, learner in enumerate(learners):
        code = learner.profession if learner.profession in COMPLETED_BEFORE else "nurse"
        pace = (index % 4) * 0.02  # some finish a few days later than others
        for m, module in enumerate(modules):
            done_at = _when(started, finished, (m + 1) / span + pace)
            for offset, ref in enumerate(module.pages):
                outline = outlines[ref.pk]
                at = done_at - (len(module.pages) - offset) * (finished - started) / (span * 12)
                for k, spec in enumerate(outline.decision_points):
                    option = spec.options[(index + k + offset) % len(spec.options)]
                    answers.append(DecisionAnswer(
                        user=learner, page_id=ref.pk, block_id=spec.id, option_id=option.id,
                        rationale=RATIONALE_BANK[(index + k) % len(RATIONALE_BANK)], profession=learner.profession,
                        submitted_at=at,
                    ))
                for k, spec in enumerate(outline.reflection_prompts):
                    action = COMPLETED_FEEDBACK[code][1][(index + k + offset) % 3]
                    action = action[0].lower() + action[1:]  # "Je vais inviter les présidents de CPTS…"
                    reflections.append(Reflection(user=learner, page_id=ref.pk, block_id=spec.id, submitted_at=at,
                                                  created_at=at))
                    versions_text.append(COMPLETED_REFLECTION.format(action=action))
                if outline.quiz_questions:
                    quizzes.append(QuizAttempt(
                        user=learner, page_id=ref.pk, number=1, score=100, passed=True, submitted_at=at, completed_at=at,
                        answers={q.id: [o.id for o in q.options if o.correct] for q in outline.quiz_questions},
                    ))
                completions.append(PageCompletion(
                    user=learner, page_id=ref.pk, programme_id=programme.pk, completed_at=at,
                    reason=PageCompletion.Reason.MARKED if _is_plain(outline) else PageCompletion.Reason.RULE,
                ))
            (usefulness, relevance), changes = COMPLETED_FEEDBACK[code]
            feedback.append(ModuleFeedback(
                user=learner, module_id=module.page.pk, programme_id=programme.pk, profession=learner.profession,
                usefulness=max(1, usefulness - (index + m) % 3 // 2), relevance=max(1, relevance - (index * m) % 2),
                change_text=changes[(index + m) % len(changes)],
                comment=COMPLETED_COMMENTS[(index + m) % len(COMPLETED_COMMENTS)] if (index + m) % 3 == 0 else "",
                submitted_at=done_at,
            ))
        finished_at[learner.pk] = _when(started, finished, 1 - 0.5 / span + pace)
        before = {}
        end = {}
        for position, slug in enumerate(slugs):
            base = COMPLETED_BEFORE[code].get(slug, 2)
            before[slug] = max(1, min(4, base + ((index + 2 * position) % 3) - 1))
            gain = COMPLETED_GAINS[code].get(slug, 0)
            if gain and (index + position) % 3 == 0:
                gain -= 1  # not everyone moved as much
            end[slug] = max(1, min(4, before[slug] + gain))
        assessments.append(SelfAssessment(user=learner, programme_id=programme.pk, moment=SelfAssessment.Moment.BEFORE,
                                          levels=before, profession=learner.profession,
                                          submitted_at=started + (finished - started) / 40))
        assessments.append(SelfAssessment(user=learner, programme_id=programme.pk, moment=SelfAssessment.Moment.END,
                                          levels=end, profession=learner.profession,
                                          submitted_at=finished_at[learner.pk] + (finished - started) / 80))

    # auto_now_add fields take "now" on insert: the dates are written back afterwards.
    for model, rows, fields in (
        (DecisionAnswer, answers, ["submitted_at"]),
        (Reflection, reflections, ["created_at"]),
        (QuizAttempt, quizzes, ["submitted_at"]),
        (PageCompletion, completions, ["completed_at"]),
        (ModuleFeedback, feedback, ["submitted_at"]),
        (SelfAssessment, assessments, ["submitted_at"]),
    ):
        dates = [{name: getattr(row, name) for name in fields} for row in rows]
        model.objects.bulk_create(rows)
        for row, values in zip(rows, dates, strict=True):
            for name, value in values.items():
                setattr(row, name, value)
        model.objects.bulk_update(rows, fields, batch_size=500)
    stored = ReflectionVersion.objects.bulk_create([
        ReflectionVersion(reflection=reflection, number=1, body_html=text)
        for reflection, text in zip(reflections, versions_text, strict=True)
    ])
    for version in stored:
        version.submitted_at = version.reflection.submitted_at
    ReflectionVersion.objects.bulk_update(stored, ["submitted_at"], batch_size=500)

    enrolments = {e.user_id: e for e in Enrolment.objects.filter(programme_id=programme.pk, user__in=learners)}
    certificates = 0
    for learner in learners:
        enrolment = enrolments[learner.pk]
        enrolment.enrolled_at, enrolment.completed_at = started, finished_at[learner.pk]
        enrolment.last_visited_at = finished_at[learner.pk]
        enrolment.save(update_fields=["enrolled_at", "completed_at", "last_visited_at"])
        certificate = services.certificate_issue(enrolment=enrolment)
        Certificate.objects.filter(pk=certificate.pk).update(issued_at=finished_at[learner.pk])
        DpcAttestation.objects.filter(certificate=certificate).update(issued_at=finished_at[learner.pk])
        certificates += 1
    return {"pages": len(completions), "answers": len(answers), "reflections": len(reflections),
            "certificates": certificates, "self_assessments": len(assessments), "feedback": len(feedback)}


def _is_plain(outline) -> bool:
    return services.page_needs_mark_done(outline)


RATIONALE_BANK = [
    "Je privilégie l'option qui réunit les acteurs du parcours avant toute décision.",
    "C'est la seule option tenable avec les effectifs dont nous disposons cet hiver.",
    "Les données du DIM montrent que le problème est en aval : c'est là qu'il faut agir.",
    "L'ARS peut accompagner cette option dans le contrat d'objectifs, les autres non.",
    "Je pars des équipes de nuit : ce sont elles qui porteront la réorganisation.",
]
