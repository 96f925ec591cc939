"""Builders for learning-record tests: a small programme tree with a case study and lessons."""

import itertools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from wagtail.models import Page

_counter = itertools.count(1)


def _id() -> str:
    return str(uuid.uuid4())


def _options(labels, correct=()) -> list[dict]:
    return [
        {"type": "item", "id": _id(), "value": {"label": label, "correct": index in correct, "feedback": f"Retour {label}"}}
        for index, label in enumerate(labels)
    ]


def decision_block(*, question="Que faites-vous ?", labels=("Option A", "Option B", "Option C"), rationale_required=True):
    return {
        "type": "decision_point",
        "id": _id(),
        "value": {
            "question": question,
            "context": "",
            "options": [{"type": "item", "id": o["id"], "value": {"label": o["value"]["label"]}} for o in _options(labels)],
            "rationale_required": rationale_required,
            "expert_commentary": "<p>Commentaire d'expert : associer les équipes.</p>",
        },
    }


def reflection_block(*, prompt="<p>Qu'auriez-vous fait ?</p>"):
    return {"type": "reflection_prompt", "id": _id(), "value": {"prompt": prompt}}


def quiz_block(*, question="Qui pilote le GHT ?", labels=("L'établissement support", "L'ARS"), correct=(0,), kind="single"):
    return {"type": "quiz_question", "id": _id(), "value": {"question": question, "kind": kind, "options": _options(labels, correct)}}


def worksheet_block(*, template_kind="five_whys", title="Les 5 pourquoi des urgences"):
    return {"type": "worksheet", "id": _id(), "value": {"template_kind": template_kind, "title": title, "instructions": ""}}


def episode_block(*, title="Épisode", gate="open", content=()):
    return {"type": "episode", "id": _id(), "value": {"title": title, "gate": gate, "content": list(content)}}


def _add(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def make_catalogue() -> Page:
    from cms.models import CataloguePage, HomePage

    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = root.add_child(instance=HomePage(title="Accueil", slug=f"accueil-{next(_counter)}"))
    catalogue = CataloguePage.objects.first()
    if catalogue is None:
        catalogue = home.add_child(instance=CataloguePage(title="Catalogue", slug="catalogue"))
    return catalogue


def make_programme(*, title="Manager la coopération", hours=Decimal("14.0"), open_enrolment=True, **fields):
    from cms.models import ProgrammePage

    n = next(_counter)
    return _add(
        make_catalogue(),
        ProgrammePage(
            title=title, slug=f"programme-{n}", summary="Résumé.", objectives="<p>Objectifs.</p>", hours=hours,
            open_enrolment=open_enrolment, **fields,
        ),
    )


def make_module(*, programme, title="Module 1"):
    from cms.models import ModulePage

    return _add(programme, ModulePage(title=title, slug=f"module-{next(_counter)}", objectives="<p>Objectifs.</p>"))


def make_case(*, module, body, title="Cas : les urgences saturées", **fields):
    from cms.models import CaseStudyPage

    return _add(
        module,
        CaseStudyPage(title=title, slug=f"cas-{next(_counter)}", setting="chu", problem="<p>Le problème.</p>", body=body, **fields),
    )


def make_lesson(*, module, body=(), title="Leçon : la coopération", **fields):
    from cms.models import LessonPage

    return _add(module, LessonPage(title=title, slug=f"lecon-{next(_counter)}", body=list(body), **fields))


@dataclass
class CaseIds:
    episode1: str
    episode2: str
    decision1: str
    decision1_options: list[str]
    decision2: str
    decision2_options: list[str]
    reflection: str
    worksheet: str
    quiz_questions: list[str] = field(default_factory=list)
    quiz_correct: dict = field(default_factory=dict)
    quiz_wrong: dict = field(default_factory=dict)


@dataclass
class Course:
    programme: Page
    module: Page
    case: Page
    lesson: Page
    ids: CaseIds


def make_course(*, hours=Decimal("14.0"), open_enrolment=True, quiz=True, **programme_fields) -> Course:
    """A programme with one module holding a two-episode case (decisions, reflection, worksheet, quiz)
    and a plain lesson completed by "mark as done"."""
    programme = make_programme(hours=hours, open_enrolment=open_enrolment, **programme_fields)
    module = make_module(programme=programme)
    d1, d2 = decision_block(), decision_block(question="Et maintenant ?")
    r1, w1 = reflection_block(), worksheet_block()
    quiz_blocks = [quiz_block(), quiz_block(question="Que signifie CPTS ?", labels=("Communauté professionnelle territoriale de santé", "Centre de prévention"))] if quiz else []
    ep1 = episode_block(title="La crise", content=[d1, r1, w1])
    ep2 = episode_block(title="La suite", gate="after_decisions", content=[d2, *quiz_blocks])
    case = make_case(module=module, body=[ep1, ep2, {"type": "debrief", "id": _id(), "value": {"body": "<p>Débrief.</p>"}}])
    lesson = make_lesson(module=module)
    ids = CaseIds(
        episode1=ep1["id"], episode2=ep2["id"],
        decision1=d1["id"], decision1_options=[o["id"] for o in d1["value"]["options"]],
        decision2=d2["id"], decision2_options=[o["id"] for o in d2["value"]["options"]],
        reflection=r1["id"], worksheet=w1["id"],
        quiz_questions=[q["id"] for q in quiz_blocks],
        quiz_correct={q["id"]: [o["id"] for o in q["value"]["options"] if o["value"]["correct"]] for q in quiz_blocks},
        quiz_wrong={q["id"]: [o["id"] for o in q["value"]["options"] if not o["value"]["correct"]][:1] for q in quiz_blocks},
    )
    return Course(programme=programme, module=module, case=case, lesson=lesson, ids=ids)


def complete_case(*, user, course: Course) -> None:
    """Do everything the case's rule asks, through the services."""
    from lms import services

    ids = course.ids
    services.decision_answer_submit(user=user, page=course.case, block_id=ids.decision1, option_id=ids.decision1_options[0], rationale="Parce que.")
    services.decision_answer_submit(user=user, page=course.case, block_id=ids.decision2, option_id=ids.decision2_options[1], rationale="Ensuite.")
    services.reflection_submit(user=user, page=course.case, block_id=ids.reflection, html="<p>Ma réflexion.</p>")
    if ids.quiz_questions:
        answer_quiz(user=user, page=course.case, answers=ids.quiz_correct)


def answer_quiz(*, user, page, answers: dict[str, list[str]]):
    """One attempt at the page's quiz, a question at a time as the quiz blocks post it; the scored attempt."""
    from lms import services

    attempt = None
    for block_id, option_ids in answers.items():
        attempt, _created = services.quiz_answer_submit(user=user, page=page, block_id=block_id, option_ids=option_ids)
    return attempt
