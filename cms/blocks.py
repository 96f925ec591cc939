"""StreamField blocks of case studies and lessons.

Every block that a learner answers (decision point, reflection prompt, quiz question,
worksheet) is identified by its StreamField block id, a UUID that Wagtail keeps stable
across revisions; options inside a decision point or quiz question are identified by their
ListBlock item ids. `cms.selectors.case_outline` is the one reader of these ids for other apps.
https://docs.wagtail.org/en/stable/reference/streamfield/blocks.html
"""

import csv
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock

from accounts.choices import Profession

RICH_TEXT_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link", "blockquote"]


class EpisodeGate:
    OPEN = "open"
    AFTER_DECISIONS = "after_decisions"
    SCHEDULED = "scheduled"
    CHOICES = [
        (OPEN, _("Ouvert à tous dès le début")),
        (AFTER_DECISIONS, _("Après les points de décision qui précèdent")),
        (SCHEDULED, _("À la date fixée par l'animateur·rice de la promotion")),
    ]


class WorksheetTemplate:
    FIVE_WHYS = "five_whys"
    ISHIKAWA = "ishikawa"
    STAKEHOLDER_MAP = "stakeholder_map"
    A3 = "a3"
    CHOICES = [
        (FIVE_WHYS, _("5 pourquoi")),
        (ISHIKAWA, _("Diagramme d'Ishikawa (causes-effet)")),
        (STAKEHOLDER_MAP, _("Carte des parties prenantes")),
        (A3, _("Rapport A3")),
    ]
    # The structured fields a learner fills in, per template: (key, label).
    FIELDS = {
        FIVE_WHYS: [
            ("problem", _("Problème constaté")),
            ("why1", _("Pourquoi ? (1)")),
            ("why2", _("Pourquoi ? (2)")),
            ("why3", _("Pourquoi ? (3)")),
            ("why4", _("Pourquoi ? (4)")),
            ("why5", _("Pourquoi ? (5)")),
            ("root_cause", _("Cause racine retenue")),
            ("action", _("Action proposée")),
        ],
        ISHIKAWA: [
            ("effect", _("Effet étudié")),
            ("people", _("Personnes (main-d'œuvre)")),
            ("methods", _("Méthodes")),
            ("environment", _("Milieu")),
            ("equipment", _("Matériel")),
            ("materials", _("Matières (consommables, médicaments)")),
            ("management", _("Management")),
        ],
        STAKEHOLDER_MAP: [
            ("high_power_high_interest", _("Fort pouvoir, fort intérêt : associer étroitement")),
            ("high_power_low_interest", _("Fort pouvoir, faible intérêt : tenir satisfaits")),
            ("low_power_high_interest", _("Faible pouvoir, fort intérêt : tenir informés")),
            ("low_power_low_interest", _("Faible pouvoir, faible intérêt : surveiller")),
            ("strategy", _("Stratégie de coopération")),
        ],
        A3: [
            ("background", _("Contexte")),
            ("current_state", _("Situation actuelle")),
            ("goal", _("Objectif")),
            ("analysis", _("Analyse des causes")),
            ("countermeasures", _("Contre-mesures")),
            ("plan", _("Plan d'action (qui, quoi, quand)")),
            ("follow_up", _("Suivi et indicateurs")),
        ],
    }


class RoleBriefBlock(blocks.StructBlock):
    """What one profession knows of the case: shown to learners of that profession."""

    profession = blocks.ChoiceBlock(
        choices=Profession.choices, label=_("Métier"), help_text=_("Le métier qui reçoit ce dossier.")
    )
    title = blocks.CharBlock(label=_("Titre"), help_text=_("Par exemple : « Le dossier de la directrice »."))
    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Contenu"))

    class Meta:
        icon = "user"
        label = _("Dossier de rôle")
        description = _("Ce que sait un métier : montré aux seul·es apprenant·es de ce métier.")
        template = "blocks/role_brief.html"


class DecisionOptionBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Option"))

    class Meta:
        icon = "radio-full"
        label = _("Option")


class DecisionPointBlock(blocks.StructBlock):
    """A choice the learner commits to, with a rationale, before seeing the expert commentary."""

    question = blocks.CharBlock(label=_("Question"))
    context = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, required=False, label=_("Éléments de contexte"))
    options = blocks.ListBlock(
        # A new decision point starts with its two empty options: born with one, it showed
        # the editor the red "minimum 2" error before anything was typed.
        DecisionOptionBlock(), min_num=2, default=[{"label": ""}, {"label": ""}], label=_("Options"),
    )
    rationale_required = blocks.BooleanBlock(
        required=False, default=True, label=_("Justification obligatoire"),
        help_text=_("L'apprenant·e doit expliquer son choix avant de valider."),
    )
    expert_commentary = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, label=_("Commentaire d'expert"),
        help_text=_("Affiché seulement après que l'apprenant·e a validé sa réponse."),
    )

    class Meta:
        icon = "help"
        label = _("Point de décision")
        description = _("Une question à options ; l'apprenant·e justifie son choix avant le commentaire d'expert.")
        template = "blocks/decision_point.html"

    def clean(self, value):
        if len([option for option in value.get("options") or [] if option.get("label")]) < 2:
            raise StructBlockValidationError(
                block_errors={"options": ValidationError(_("Un point de décision a au moins deux options."))}
            )
        return super().clean(value)


def parse_table(data: str) -> list[list[str]]:
    """Rows of a table typed as lines of cells separated by ';' (or tabs, pasted from a spreadsheet)."""
    text = (data or "").strip()
    if not text:
        return []
    delimiter = "\t" if "\t" in text.splitlines()[0] else ";"
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]


def parse_number(cell: str) -> float | None:
    """A French or English number ('1 234,5', '12%', '3.5'), or None."""
    cleaned = cell.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("%", "").replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


class ExhibitTableBlock(blocks.StructBlock):
    """A data table that can also be drawn as a chart from the same data."""

    caption = blocks.CharBlock(label=_("Légende"))
    data = blocks.TextBlock(
        label=_("Données"),
        help_text=_(
            "Une ligne par rangée, cellules séparées par « ; » (ou collées depuis un tableur). "
            "La première ligne porte les en-têtes ; pour un graphique, la première colonne porte "
            "les libellés et les autres des nombres."
        ),
    )
    source = blocks.CharBlock(label=_("Source"), help_text=_("Par exemple : « PMSI 2024, ATIH »."))
    chart = blocks.ChoiceBlock(
        choices=[("none", _("Tableau seul")), ("bar", _("Barres")), ("line", _("Courbe"))],
        default="none", label=_("Graphique"),
    )

    class Meta:
        icon = "table"
        label = _("Pièce : tableau de données")
        description = _("Un tableau avec légende et source, dessinable en graphique.")
        template = "blocks/exhibit_table.html"

    def clean(self, value):
        errors = {}
        try:
            rows = parse_table(value.get("data"))
        except csv.Error:  # a cell over the csv module's 128 KiB limit
            raise StructBlockValidationError(
                block_errors={"data": ValidationError(_("Une cellule dépasse 128 Kio : raccourcissez-la."))}
            ) from None
        if len(rows) < 2:
            errors["data"] = ValidationError(_("Le tableau a besoin d'une ligne d'en-têtes et d'au moins une ligne."))
        else:
            width = len(rows[0])
            for number, row in enumerate(rows[1:], start=2):
                if len(row) != width:
                    errors["data"] = ValidationError(
                        _("Ligne %(line)d : %(found)d cellules au lieu de %(expected)d (comme les en-têtes).")
                        % {"line": number, "found": len(row), "expected": width}
                    )
                    break
            if "data" not in errors and value.get("chart") != "none":
                for number, row in enumerate(rows[1:], start=2):
                    bad = [cell for cell in row[1:] if parse_number(cell) is None]
                    if bad:
                        errors["data"] = ValidationError(
                            _("Ligne %(line)d : « %(cell)s » n'est pas un nombre ; un graphique ne peut pas le tracer.")
                            % {"line": number, "cell": bad[0]}
                        )
                        break
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return super().clean(value)


class ExhibitImageBlock(blocks.StructBlock):
    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(required=False, label=_("Légende"))
    source = blocks.CharBlock(required=False, label=_("Source"))

    class Meta:
        icon = "image"
        label = _("Pièce : image")
        description = _("Une image de la médiathèque, avec texte alternatif.")
        template = "blocks/exhibit_image.html"

    def clean(self, value):
        image_value = value.get("image")
        if image_value is not None and not getattr(image_value, "decorative", False):
            if not (getattr(image_value, "contextual_alt_text", "") or "").strip():
                raise StructBlockValidationError(
                    block_errors={"image": ValidationError(_("Une image doit avoir un texte alternatif."))}
                )
        return super().clean(value)


class ExhibitDocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    description = blocks.CharBlock(required=False, label=_("Description"))

    class Meta:
        icon = "doc-full"
        label = _("Pièce : document")
        description = _("Un document à télécharger (PDF, tableur…).")
        template = "blocks/exhibit_document.html"


class ReflectionPromptBlock(blocks.StructBlock):
    prompt = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Consigne"))

    class Meta:
        icon = "edit"
        label = _("Consigne de réflexion")
        description = _("Une question ouverte ; la réponse reste privée.")
        template = "blocks/reflection_prompt.html"


class QuizOptionBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Réponse"))
    correct = blocks.BooleanBlock(required=False, label=_("Bonne réponse"))
    feedback = blocks.CharBlock(required=False, label=_("Retour affiché pour cette réponse"))

    class Meta:
        icon = "tick"
        label = _("Réponse possible")


class QuizQuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"))
    kind = blocks.ChoiceBlock(
        choices=[("single", _("Une seule réponse")), ("multiple", _("Plusieurs réponses"))],
        default="single", label=_("Type"),
    )
    options = blocks.ListBlock(
        QuizOptionBlock(),  # starts with two empty answers, like a decision point's options
        min_num=2, default=[{"label": "", "correct": False, "feedback": ""}] * 2, label=_("Réponses possibles"),
    )

    class Meta:
        icon = "list-ul"
        label = _("Question de quiz")
        description = _("Une question à choix unique ou multiple, avec un retour par réponse.")
        template = "blocks/quiz_question.html"

    def clean(self, value):
        options = value.get("options") or []
        correct = [option for option in options if option.get("correct")]
        if not correct:
            raise StructBlockValidationError(
                block_errors={"options": ValidationError(_("Cochez au moins une bonne réponse."))}
            )
        if value.get("kind") == "single" and len(correct) > 1:
            raise StructBlockValidationError(
                block_errors={"options": ValidationError(_("Une question à réponse unique n'a qu'une bonne réponse."))}
            )
        return super().clean(value)


class WorksheetBlock(blocks.StructBlock):
    template_kind = blocks.ChoiceBlock(choices=WorksheetTemplate.CHOICES, label=_("Outil"))
    title = blocks.CharBlock(label=_("Titre"))
    instructions = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, required=False, label=_("Consignes"))

    class Meta:
        icon = "clipboard-list"
        label = _("Fiche de résolution de problème")
        description = _("5 pourquoi, Ishikawa, carte des parties prenantes ou rapport A3.")
        template = "blocks/worksheet.html"


class DiscussionPromptBlock(blocks.StructBlock):
    prompt = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Question à débattre"))

    class Meta:
        icon = "comment"
        label = _("Question pour le salon")
        description = _("Une question à débattre dans le salon du cas.")
        template = "blocks/discussion_prompt.html"


class DebriefBlock(blocks.StructBlock):
    """Hidden until the facilitator or the schedule opens it."""

    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Débriefing"))

    class Meta:
        icon = "openquote"
        label = _("Débriefing")
        description = _("Caché jusqu'à son ouverture par l'animateur·rice ou le calendrier.")
        template = "blocks/debrief.html"


class FacilitatorNotesBlock(blocks.StructBlock):
    """Teaching notes: never rendered for a learner, in any view, feed, API or search index."""

    body = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Notes pédagogiques"))

    class Meta:
        icon = "warning"
        label = _("Notes pour l'animateur·rice")
        description = _("Jamais montrées aux apprenant·es, ni indexées par la recherche.")
        template = "blocks/facilitator_notes.html"


class ContentStreamBlock(blocks.StreamBlock):
    """Blocks that may stand inside an episode or in a lesson."""

    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, label=_("Texte"), template="blocks/text.html", icon="pilcrow")
    role_brief = RoleBriefBlock()
    decision_point = DecisionPointBlock()
    exhibit_table = ExhibitTableBlock()
    exhibit_image = ExhibitImageBlock()
    exhibit_document = ExhibitDocumentBlock()
    reflection_prompt = ReflectionPromptBlock()
    quiz_question = QuizQuestionBlock()
    worksheet = WorksheetBlock()
    discussion_prompt = DiscussionPromptBlock()


class EpisodeBlock(blocks.StructBlock):
    """A part of the case revealed in order, behind a gate."""

    title = blocks.CharBlock(label=_("Titre de l'épisode"))
    gate = blocks.ChoiceBlock(
        choices=EpisodeGate.CHOICES, default=EpisodeGate.OPEN, label=_("Ouverture"),
        help_text=_("Quand l'épisode devient visible pour l'apprenant·e."),
    )
    content = ContentStreamBlock(label=_("Contenu"))

    class Meta:
        icon = "folder-open-inverse"
        label = _("Épisode")
        description = _("Une partie du cas, révélée selon son ouverture.")
        template = "blocks/episode.html"


class CaseBodyBlock(blocks.StreamBlock):
    """The ordered body of a case study."""

    episode = EpisodeBlock()
    debrief = DebriefBlock()
    facilitator_notes = FacilitatorNotesBlock()


class LessonBodyBlock(ContentStreamBlock):
    """A lesson: the same teaching blocks, without role briefs or episodes, plus notes."""

    role_brief = None
    facilitator_notes = FacilitatorNotesBlock()
