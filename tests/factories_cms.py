"""Builders of cms pages for tests: programmes, modules, case studies (with every block type), lessons.

Other apps' tests import these; keep the names and keyword arguments stable.
The texts below are markers that tests look for (or must never find) in HTML and search results.
"""

import io
import itertools
import uuid

from django.core.files.base import ContentFile
from wagtail.models import Locale, Page

from cms.blocks import EpisodeGate

_counter = itertools.count(1)

BODY_WORD = "palimpseste"  # in the first episode's text: learners see it, search finds it
NOTES_SECRET = "tisanecachee"  # only in facilitator notes
DEBRIEF_SECRET = "zebulondebrief"  # only in the debrief
COMMENTARY_SECRET = "commentairexpert"  # only in decision points' expert commentary
SCHEDULED_SECRET = "episodeprogramme"  # only in the scheduled (third) episode
GATED_SECRET = "episodeconditionnel"  # only in the episode that opens after decisions


def brief_marker(profession: str) -> str:
    """The word only present in the role brief of `profession`."""
    return f"dossier{profession}secret"


def _id() -> str:
    return str(uuid.uuid4())


def _item(value: dict) -> dict:
    return {"type": "item", "value": value, "id": _id()}


def catalogue_page():
    """The catalogue page created by cms' data migration (French)."""
    from cms.models import CataloguePage

    return CataloguePage.objects.filter(locale=Locale.get_default()).order_by("path").first()


def text_block(text: str) -> dict:
    return {"type": "text", "value": f"<p>{text}</p>", "id": _id()}


def role_brief_block(profession: str, *, title: str | None = None, text: str = "") -> dict:
    return {
        "type": "role_brief",
        "value": {
            "profession": profession,
            "title": title or f"Dossier {profession}",
            "body": f"<p>{text or 'Vos contraintes dans ce cas.'} {brief_marker(profession)}</p>",
        },
        "id": _id(),
    }


def decision_point_block(question: str = "Que décidez-vous ?", options=("Option A", "Option B", "Option C"),
                         rationale_required: bool = True) -> dict:
    return {
        "type": "decision_point",
        "value": {
            "question": question,
            "context": "<p>Vous disposez de deux semaines.</p>",
            "options": [_item({"label": label}) for label in options],
            "rationale_required": rationale_required,
            "expert_commentary": f"<p>Les experts privilégient la concertation. {COMMENTARY_SECRET}</p>",
        },
        "id": _id(),
    }


def exhibit_table_block(chart: str = "bar", data: str | None = None) -> dict:
    return {
        "type": "exhibit_table",
        "value": {
            "caption": "Durée moyenne de séjour par service",
            "data": data or "Service;2023;2024\nMédecine interne;7,2;6,8\nGériatrie;11,5;12,1\nChirurgie;4,9;4,6",
            "source": "PMSI, ATIH",
            "chart": chart,
        },
        "id": _id(),
    }


def reflection_prompt_block(text: str = "Qu'auriez-vous fait à la place de la cadre de santé ?") -> dict:
    return {"type": "reflection_prompt", "value": {"prompt": f"<p>{text}</p>"}, "id": _id()}


def quiz_question_block(kind: str = "single") -> dict:
    options = [
        _item({"label": "L'ARS", "correct": True, "feedback": "Oui : elle autorise les activités de soins."}),
        _item({"label": "La CPAM", "correct": kind == "multiple", "feedback": "Elle finance, sans autoriser."}),
        _item({"label": "Le conseil départemental", "correct": False, "feedback": "Il autorise les EHPAD avec l'ARS."}),
    ]
    return {
        "type": "quiz_question",
        "value": {"question": "Qui autorise une activité de soins ?", "kind": kind, "options": options},
        "id": _id(),
    }


def worksheet_block(template_kind: str = "five_whys") -> dict:
    return {
        "type": "worksheet",
        "value": {"template_kind": template_kind, "title": "Analyse des causes", "instructions": "<p>Remontez aux causes.</p>"},
        "id": _id(),
    }


def discussion_prompt_block() -> dict:
    return {"type": "discussion_prompt", "value": {"prompt": "<p>Comment associer la ville au projet ?</p>"}, "id": _id()}


def make_image(*, title: str = "Carte du territoire", alt: str = "Carte des établissements du GHT"):
    """A small PNG image in the Wagtail image library."""
    from PIL import Image as PILImage
    from wagtail.images.models import Image

    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), (11, 94, 107)).save(buffer, format="PNG")
    return Image.objects.create(title=title, file=ContentFile(buffer.getvalue(), name="carte.png"), description=alt)


def make_document(*, title: str = "Rapport d'activité 2024"):
    from wagtail.documents.models import Document

    return Document.objects.create(title=title, file=ContentFile(b"Rapport", name="rapport.txt"))


def exhibit_image_block(image, *, alt: str = "Carte des établissements du GHT", decorative: bool = False) -> dict:
    return {
        "type": "exhibit_image",
        "value": {
            "image": {"image": image.pk, "alt_text": alt, "decorative": decorative},
            "caption": "Le territoire du GHT",
            "source": "ARS, 2024",
        },
        "id": _id(),
    }


def exhibit_document_block(document) -> dict:
    return {
        "type": "exhibit_document",
        "value": {"document": document.pk, "description": "Le rapport complet"},
        "id": _id(),
    }


def episode_block(title: str, content: list[dict], gate: str = EpisodeGate.OPEN) -> dict:
    return {"type": "episode", "value": {"title": title, "gate": gate, "content": content}, "id": _id()}


def debrief_block(text: str = "Ce que ce cas enseigne.") -> dict:
    return {"type": "debrief", "value": {"body": f"<p>{text} {DEBRIEF_SECRET}</p>"}, "id": _id()}


def facilitator_notes_block(text: str = "Laissez le débat s'installer.") -> dict:
    return {"type": "facilitator_notes", "value": {"body": f"<p>{text} {NOTES_SECRET}</p>"}, "id": _id()}


def case_body(*, professions=("director", "physician", "nurse"), media: bool = False, extra_text_blocks: int = 0) -> list:
    """A case body with every block type: three episodes (open, after decisions, scheduled),
    a debrief and facilitator notes. `media` adds an image and a document exhibit."""
    first = [
        text_block(f"Le lundi matin, la situation se tend. {BODY_WORD}"),
        *[role_brief_block(code) for code in professions],
        exhibit_table_block(),
        decision_point_block(),
        reflection_prompt_block(),
        quiz_question_block(),
        worksheet_block(),
        discussion_prompt_block(),
        *[text_block(f"Complément {n}.") for n in range(extra_text_blocks)],
    ]
    if media:
        first += [exhibit_image_block(make_image()), exhibit_document_block(make_document())]
    return [
        episode_block("Le signal d'alerte", first),
        episode_block(
            "La réunion de crise",
            [text_block(f"Deux semaines plus tard. {GATED_SECRET}"), decision_point_block("Et maintenant ?")],
            gate=EpisodeGate.AFTER_DECISIONS,
        ),
        episode_block("Six mois après", [text_block(f"Le bilan. {SCHEDULED_SECRET}")], gate=EpisodeGate.SCHEDULED),
        debrief_block(),
        facilitator_notes_block(),
    ]


def _add(parent, page, *, live: bool):
    page.live = live
    parent.add_child(instance=page)
    if live:
        page.save_revision().publish()
    else:
        page.save_revision()
    return page


def make_programme(*, parent=None, title: str | None = None, professions=("director", "physician", "nurse", "regulator"),
                   levels=("establishment", "region"), competencies=("cooperation",), hours=14, live: bool = True,
                   **fields):
    """A programme under the catalogue, aimed at `professions` (codes) and tagged with `competencies` (slugs)."""
    from cms.models import Competency, Profession, ProgrammePage

    n = next(_counter)
    parent = parent or catalogue_page()
    fields.setdefault("summary", "Apprendre à coopérer entre direction, médecins, soignants et ARS.")
    fields.setdefault("objectives", "<ul><li>Comprendre les logiques de chaque métier.</li></ul>")
    page = ProgrammePage(
        title=title or f"Programme {n}", slug=f"programme-{n}", hours=hours, audience_levels=list(levels), **fields
    )
    page.audience_professions = list(Profession.objects.filter(locale=parent.locale, code__in=professions))
    page.competencies = list(Competency.objects.filter(locale=parent.locale, slug__in=competencies))
    return _add(parent, page, live=live)


def make_module(*, programme=None, title: str | None = None, minutes: int = 120, live: bool = True, **fields):
    from cms.models import ModulePage

    n = next(_counter)
    programme = programme or make_programme()
    fields.setdefault("objectives", "<p>Analyser une situation de coopération.</p>")
    page = ModulePage(title=title or f"Module {n}", slug=f"module-{n}", estimated_minutes=minutes, **fields)
    return _add(programme, page, live=live)


def make_case(*, module=None, title: str | None = None, body: list | None = None, media: bool = False,
              professions=("director", "physician", "nurse"), live: bool = True, **fields):
    """A case study with every block type (see `case_body`), under `module` (created when omitted)."""
    from cms.models import CaseStudyPage

    n = next(_counter)
    module = module or make_module()
    fields.setdefault("setting", "chu")
    fields.setdefault("problem", "<p>Un service de médecine manque d'infirmier·es chaque été.</p>")
    fields.setdefault("stakeholders", "<p>La direction, le chef de service, la cadre de santé, l'ARS.</p>")
    page = CaseStudyPage(title=title or f"Cas {n}", slug=f"cas-{n}", **fields)
    page.body = body if body is not None else case_body(professions=professions, media=media)
    return _add(module, page, live=live)


def make_lesson(*, module=None, title: str | None = None, body: list | None = None, live: bool = True, **fields):
    """A lesson with text, an exhibit, a quiz, a reflection, a worksheet and facilitator notes."""
    from cms.models import LessonPage

    n = next(_counter)
    module = module or make_module()
    fields.setdefault("summary", "Les bases de la gestion de projet à l'hôpital.")
    page = LessonPage(title=title or f"Leçon {n}", slug=f"lecon-{n}", **fields)
    page.body = body if body is not None else [
        text_block(f"Un projet se cadre avant de se conduire. {BODY_WORD}"),
        exhibit_table_block(chart="line"),
        quiz_question_block(),
        reflection_prompt_block(),
        worksheet_block("a3"),
        decision_point_block(),
        discussion_prompt_block(),
        facilitator_notes_block(),
    ]
    return _add(module, page, live=live)


def page_tree_root():
    return Page.get_first_root_node()
