"""Reads of published content, for cms templates and for the apps that record learning (lms, cohorts).

`case_outline(page)` is the one reader of block ids: lms stores answers against the ids it
returns and checks submitted option ids against them.
"""

import zlib
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from wagtail.models import Page

from cms import content_cache
from cms.locales import default_language, in_language, locale_ids, reader_language
from cms.models import CaseStudyPage, Competency, LessonPage, ModulePage, Profession, ProgrammePage
from config.sanitize import plain_text

# Blocks whose text never leaves the facilitator's view.
PRIVATE_BLOCKS = frozenset({"facilitator_notes", "debrief"})


@dataclass(frozen=True)
class OptionSpec:
    id: str
    label: str
    correct: bool = False
    feedback: str = ""


@dataclass(frozen=True)
class DecisionPointSpec:
    id: str
    question: str
    options: tuple[OptionSpec, ...]
    rationale_required: bool
    episode_id: str | None


@dataclass(frozen=True)
class QuizQuestionSpec:
    id: str
    question: str
    kind: str  # "single" | "multiple"
    options: tuple[OptionSpec, ...]
    episode_id: str | None


@dataclass(frozen=True)
class PromptSpec:
    id: str
    kind: str  # "reflection_prompt" | "worksheet" | "discussion_prompt"
    text: str
    template_kind: str = ""
    episode_id: str | None = None


@dataclass(frozen=True)
class EpisodeSpec:
    id: str
    index: int
    title: str
    gate: str
    decision_ids_before: tuple[str, ...]


@dataclass
class CaseOutline:
    """Everything about a page's body that learning records need, in body order."""

    episodes: list[EpisodeSpec] = field(default_factory=list)
    decision_points: list[DecisionPointSpec] = field(default_factory=list)
    quiz_questions: list[QuizQuestionSpec] = field(default_factory=list)
    reflection_prompts: list[PromptSpec] = field(default_factory=list)
    worksheets: list[PromptSpec] = field(default_factory=list)
    discussion_prompts: list[PromptSpec] = field(default_factory=list)
    role_brief_professions: list[str] = field(default_factory=list)
    has_debrief: bool = False

    def decision_point(self, block_id: str) -> DecisionPointSpec | None:
        return next((spec for spec in self.decision_points if spec.id == block_id), None)

    def quiz_question(self, block_id: str) -> QuizQuestionSpec | None:
        return next((spec for spec in self.quiz_questions if spec.id == block_id), None)

    def prompt(self, block_id: str) -> PromptSpec | None:
        return next(
            (spec for spec in [*self.reflection_prompts, *self.worksheets] if spec.id == block_id), None
        )


def _options(list_value, *, with_answers: bool) -> tuple[OptionSpec, ...]:
    specs = []
    for bound in list_value.bound_blocks:
        value = bound.value
        specs.append(
            OptionSpec(
                id=str(bound.id),
                label=value.get("label", ""),
                correct=bool(value.get("correct")) if with_answers else False,
                feedback=value.get("feedback", "") if with_answers else "",
            )
        )
    return tuple(specs)


def _walk(stream, outline: CaseOutline, episode_id: str | None) -> None:
    for child in stream:
        kind, value, block_id = child.block_type, child.value, str(child.id)
        if kind == "decision_point":
            outline.decision_points.append(
                DecisionPointSpec(
                    id=block_id,
                    question=value["question"],
                    options=_options(value["options"], with_answers=False),
                    rationale_required=bool(value["rationale_required"]),
                    episode_id=episode_id,
                )
            )
        elif kind == "quiz_question":
            outline.quiz_questions.append(
                QuizQuestionSpec(
                    id=block_id,
                    question=value["question"],
                    kind=value["kind"],
                    options=_options(value["options"], with_answers=True),
                    episode_id=episode_id,
                )
            )
        elif kind == "reflection_prompt":
            outline.reflection_prompts.append(
                PromptSpec(id=block_id, kind=kind, text=plain_text(str(value["prompt"])), episode_id=episode_id)
            )
        elif kind == "worksheet":
            outline.worksheets.append(
                PromptSpec(
                    id=block_id, kind=kind, text=value["title"], template_kind=value["template_kind"],
                    episode_id=episode_id,
                )
            )
        elif kind == "discussion_prompt":
            outline.discussion_prompts.append(
                PromptSpec(id=block_id, kind=kind, text=plain_text(str(value["prompt"])), episode_id=episode_id)
            )
        elif kind == "role_brief":
            if value["profession"] not in outline.role_brief_professions:
                outline.role_brief_professions.append(value["profession"])
        elif kind == "debrief":
            outline.has_debrief = True
        elif kind == "episode":
            outline.episodes.append(
                EpisodeSpec(
                    id=block_id,
                    index=len(outline.episodes),
                    title=value["title"],
                    gate=value["gate"],
                    decision_ids_before=tuple(spec.id for spec in outline.decision_points),
                )
            )
            _walk(value["content"], outline, block_id)


def case_outline(page) -> CaseOutline:
    """The answerable blocks of a case study or lesson (`page.specific`), with their stable ids."""
    outline = CaseOutline()
    body = getattr(page, "body", None)
    if body is not None:
        _walk(body, outline, None)
    return outline


def source_page(page):
    """The page learners' records are kept under: its translation in the site's default language
    (French), or the page itself when it is in that language or has no such translation.

    A learner who switches to English reads the English translation of a case but answers the
    same case: lms, cms (perspectives) and cohorts (dates, rooms) key their data on this page,
    so nothing is lost or counted twice from one language to the other. Translations keep their
    block ids, so answers match the blocks in either language."""
    default_locale_id = locale_ids().get(default_language())
    if page.locale_id == default_locale_id or page.pk is None:
        return page

    def build():
        source = Page.objects.filter(translation_key=page.translation_key, locale_id=default_locale_id).first()
        return source.specific if source is not None else None

    return content_cache.cached("source-page", (page.pk,), build) or page


def live_case_outline(page) -> CaseOutline:
    """`case_outline` of the page as published, from the content cache (walking a body costs
    milliseconds). Never for a preview or a revision: those have their own body."""
    return content_cache.cached("case-outline", (page.pk,), lambda: case_outline(page))


def public_text(stream) -> str:
    """The learner-visible text of a body, for the search index: never notes or debriefs."""
    parts: list[str] = []

    def collect(value) -> None:
        if hasattr(value, "raw_data") and hasattr(value, "__iter__") and not isinstance(value, (str, dict)):
            for child in value:
                if getattr(child, "block_type", None) in PRIVATE_BLOCKS:
                    continue
                collect(getattr(child, "value", child))
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
        elif isinstance(value, str):
            parts.append(value)
        elif value is not None and hasattr(value, "source"):
            parts.append(plain_text(value.source))

    collect(stream)
    return " ".join(part for part in parts if part)


# --- Catalogue --------------------------------------------------------------

DURATIONS = {
    # code: (lowest hours included, highest hours excluded)
    "short": (0, 7),
    "medium": (7, 21),
    "long": (21, 10_000),
}


def catalogue_entries(
    *, profession: str = "", level: str = "", competency: str = "", duration: str = "", language: str = ""
) -> list:
    """The live programmes in the reader's language, falling back to the default language, filtered.

    One programme appears once (`cms.locales.in_language`), in the default language's tree order.
    Costs a fixed number of queries.
    """
    default_id = locale_ids().get(default_language())
    default_path = Page.objects.filter(translation_key=OuterRef("translation_key"), locale_id=default_id).values("path")
    programmes = (
        in_language(ProgrammePage.objects.live().public(), language=language)
        .annotate(source_path=Coalesce(Subquery(default_path[:1]), F("path")))
        .select_related("locale")
        .prefetch_related(
            Prefetch("audience_professions", queryset=Profession.objects.order_by("code")),
            Prefetch("competencies", queryset=Competency.objects.order_by("name")),
        )
        .order_by("source_path")
    )
    entries = list(programmes)
    if profession:
        entries = [p for p in entries if any(item.code == profession for item in p.audience_professions.all())]
    if level:
        entries = [p for p in entries if level in (p.audience_levels or [])]
    if competency:
        entries = [p for p in entries if any(item.slug == competency for item in p.competencies.all())]
    if duration in DURATIONS:
        low, high = DURATIONS[duration]
        entries = [p for p in entries if low <= float(p.hours) < high]
    return entries


# --- Search -----------------------------------------------------------------


def search_pages(*, query: str, limit: int = 30) -> list:
    """Live, public programmes, modules, cases and lessons matching `query`, best first.

    The index only holds learner-visible text (`public_text`): never notes or debriefs.
    """
    query = (query or "").strip()
    if not query:
        return []
    results = (
        Page.objects.live()
        .public()
        .type(ProgrammePage, ModulePage, CaseStudyPage, LessonPage)
        .specific()
        .search(query)
    )
    return _one_translation_each(list(results[: limit * 2]))[:limit]


def _one_translation_each(pages: list) -> list:
    """Keep one page per translation group: the reader's language, else the default one, else the first hit.

    Search results cannot be filtered by a subquery (`cms.locales.in_language`); the same rule, on a list."""
    ids = locale_ids()
    rank = {ids.get(reader_language()): 0, ids.get(default_language()): 1}
    chosen: dict = {}
    for page in pages:
        current = chosen.get(page.translation_key)
        if current is None or rank.get(page.locale_id, 9) < rank.get(current.locale_id, 9):
            chosen[page.translation_key] = page
    keep = {id(page) for page in chosen.values()}
    return [page for page in pages if id(page) in keep]


# --- Live-refreshed parts of a case page (`static/js/live.js`, cohorts' `live_regions` view) -------


def part_region_id(part) -> str:
    """The element id of a case part refreshed in place during a live session: an episode or the debrief."""
    return f"live-episode-{part.child.id}" if part.kind == "episode" else "live-debrief"


def part_live_key(*, part, state, records) -> str:
    """A short fingerprint of what a case part shows its reader (`data-live-key`): it changes when,
    and only when, the part's HTML would — the part opened or its closed reason changed, the debrief
    showing every role brief, and for each decision point of an open episode the reader's answer and
    the size of "how your cohort chose" (`records[block id]["distribution"]`, from the hook). A live
    page swaps a part whose key differs; the light refresh renders only those."""
    pieces = [part.kind, part.is_open]
    if part.kind == "episode":
        episode_id = str(part.child.id)
        pieces += [part.reason, part.opens_at and part.opens_at.isoformat(), state.sees_all_briefs]
        if part.is_open:
            for spec in state.outline.decision_points:
                if spec.episode_id != episode_id:
                    continue
                record = (records or {}).get(spec.id) or {}
                distribution = record.get("distribution")
                pieces += [spec.id in state.answered_decision_ids, record.get("choice"),
                           getattr(distribution, "total", None), getattr(distribution, "visible", None)]
    return f"{zlib.crc32(repr(pieces).encode()):08x}"


def outline_live_key(parts) -> str:
    """The case outline's fingerprint: which parts are open."""
    return "".join("1" if part.is_open else "0" for part in parts if part.kind in ("episode", "debrief"))
