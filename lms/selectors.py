"""Reads of learning records: programme structures and progress, enrolments, decision distributions,
a learner's reflections on a page, the dashboard, certificates and the transcript.

Every function here runs a fixed number of queries whatever the size of the data: callers (the
dashboard, case pages, the transcript, the cohorts facilitator dashboard) rely on that, and the
query-count tests in tests/lms hold them to it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Iterable

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext
from wagtail import hooks
from wagtail.models import Page, Site

from accounts.choices import Profession
from accounts.models import User
from cms import content_cache
from cms.locales import default_language, in_language, locale_ids, reader_language, title_in_language, translation_in
from cms.models import Competency, ModulePage, ProgrammePage
from cms.selectors import case_outline, source_page
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
    Worksheet,
)

PEER_USER_IDS_HOOK = "peer_user_ids"
CAN_READ_LEARNER_WORK_HOOK = "can_read_learner_work"
REFLECTION_NAVIGATION_HOOK = "reflection_navigation"
# `fn(user, programme_page) -> Decimal`: hours of live sessions of the programme the user attended
# (registered by the app that runs live sessions; see `dpc_live_hours`).
DPC_LIVE_HOURS_HOOK = "dpc_live_hours"
DISTRIBUTION_MINIMUM = 3  # fewer answers than this and nobody sees the figures


# --- Programme structure -------------------------------------------------------------------


@dataclass(frozen=True)
class PageRef:
    """What lists of pages need (title, URL, tree position), without building Wagtail Page objects."""

    id: int
    title: str
    path: str
    depth: int
    url_path: str
    content_type_id: int
    learning: bool = False  # a case study or a lesson
    roots: "_SiteRoots | None" = field(default=None, compare=False, repr=False)
    translation_key: str = field(default="", compare=False, repr=False)

    @property
    def pk(self) -> int:
        return self.id

    @property
    def url(self) -> str | None:
        """Computed on first use only: pages listed without links cost no site look-up."""
        return _relative_url(self.url_path, self.roots.get() if self.roots else [])


class _SiteRoots:
    """Wagtail's site root paths, fetched once for a whole list of pages, and only if a URL is asked for."""

    def __init__(self):
        self._value = None

    def get(self):
        if self._value is None:
            self._value = Site.get_site_root_paths()  # cached by Wagtail
        return self._value


@dataclass
class ModuleNode:
    page: PageRef
    pages: list[PageRef] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.page.pk


@dataclass
class ProgrammeStructure:
    """The live modules of a programme and their case studies and lessons, in tree order."""

    programme: Page
    modules: list[ModuleNode] = field(default_factory=list)
    title: str = ""  # the programme's title in the reader's language

    @property
    def pages(self) -> list[PageRef]:
        return [page for module in self.modules for page in module.pages]

    @property
    def page_ids(self) -> list[int]:
        return [page.pk for page in self.pages]


def _relative_url(url_path: str, roots) -> str | None:
    """The page's URL as Wagtail serves it (`Page.get_url` without a host), from the cached site roots."""
    for root in roots:
        if url_path.startswith(root.root_path):
            return "/" + url_path[len(root.root_path):]
    return None


_TREE_FIELDS = ("id", "title", "path", "depth", "url_path", "content_type_id")
LEARNING_PAGE_TYPES = {("cms", "casestudypage"), ("cms", "lessonpage")}


def _tree_rows(filter_q: Q) -> list[PageRef]:
    """Pages under `filter_q`, learning pages flagged from a join on content types (no ContentType cache
    to warm up, so the query count is the same on a cold and a warm process)."""
    roots = _SiteRoots()
    rows = Page.objects.live().filter(filter_q).order_by("path").values_list(
        *_TREE_FIELDS, "content_type__app_label", "content_type__model", "translation_key"
    )
    return [
        PageRef(*row[:6], learning=(row[6], row[7]) in LEARNING_PAGE_TYPES, roots=roots, translation_key=str(row[8]))
        for row in rows
    ]


def _structure_from_rows(programme, rows: list[PageRef], title: str = "") -> ProgrammeStructure:
    structure = ProgrammeStructure(programme=programme, title=title or programme.title)
    current: ModuleNode | None = None
    for ref in rows:  # the programme's subtree, two levels deep, in tree order (`_subtree_q`)
        if ref.depth == programme.depth + 1:
            current = ModuleNode(page=ref)
            structure.modules.append(current)
        elif current is not None and ref.depth == programme.depth + 2 and ref.path.startswith(current.page.path):
            if ref.learning:
                current.pages.append(ref)
    return structure


def _subtree_q(programme) -> Q:
    return Q(path__startswith=programme.path, depth__gt=programme.depth, depth__lte=programme.depth + 2)


def programme_structures(*, programmes: list[Page]) -> dict[int, ProgrammeStructure]:
    """{programme id: its modules (depth +1) and their learning pages (depth +2)}, kept in cms's
    content cache until an editor changes a page; the programmes not cached yet cost one query
    together (two for a reader of another language than the default: the titles of the
    translations, with their URLs, so lists read in the reader's language while records stay on
    the originals)."""
    language = translation.get_language() or settings.LANGUAGE_CODE

    def build_missing(keys: list[str]) -> dict[str, tuple[list[PageRef], str]]:
        wanted = [programme for programme in programmes if f"{programme.pk}-{language}" in keys]
        path_filter = Q()
        for programme in wanted:
            path_filter |= _subtree_q(programme)
        rows = _tree_rows(path_filter)
        translated: dict[str, tuple[str, str]] = {}  # translation key: (title, URL path) in `language`
        if language != settings.LANGUAGE_CODE:
            translation_keys = {ref.translation_key for ref in rows} | {str(p.translation_key) for p in wanted}
            translated = {
                str(key): (title, url_path)
                for key, title, url_path in Page.objects.live()
                .filter(translation_key__in=translation_keys, locale__language_code=language)
                .values_list("translation_key", "title", "url_path")
            }
        result = {}
        for programme in wanted:
            refs = [
                replace(ref, title=translated[ref.translation_key][0], url_path=translated[ref.translation_key][1])
                if ref.translation_key in translated else ref
                for ref in rows if ref.path.startswith(programme.path)
            ]
            title = translated.get(str(programme.translation_key), (programme.title, ""))[0]
            result[f"{programme.pk}-{language}"] = (refs, title)
        return result

    cached = content_cache.cached_many(
        "programme-tree", [f"{programme.pk}-{language}" for programme in programmes], build_missing
    )
    return {
        programme.pk: _structure_from_rows(programme, *cached[f"{programme.pk}-{language}"])
        for programme in programmes
    }


def programme_structure(*, programme: Page) -> ProgrammeStructure:
    """One programme's structure (see `programme_structures`)."""
    return programme_structures(programmes=[programme])[programme.pk]


def programme_for_page(*, page: Page):
    """The programme a case study, lesson or module belongs to (for a translation: its original's,
    where the learner is enrolled), or None. One query per content generation."""
    def build():
        original = source_page(page)  # a translation belongs to its original's programme
        steps = Page.steplen
        ancestor_paths = [original.path[: steps * depth] for depth in range(1, original.depth + 1)]
        return ProgrammePage.objects.filter(path__in=ancestor_paths).first()

    return content_cache.cached("programme-of", (page.pk,), build)


# --- Progress ------------------------------------------------------------------------------


def _progress_from(structure: ProgrammeStructure, completed_page_ids: set[int]) -> dict:
    modules = {}
    total = done = 0
    for module in structure.modules:
        ids = [page.pk for page in module.pages]
        module_done = sum(1 for page_id in ids if page_id in completed_page_ids)
        total += len(ids)
        done += module_done
        modules[module.id] = {
            "fraction": (module_done / len(ids)) if ids else 0.0,
            "completed": bool(ids) and module_done == len(ids),
            "done": module_done,
            "total": len(ids),
        }
    return {
        "modules": modules,
        "fraction": (done / total) if total else 0.0,
        "completed": total > 0 and done == total,
        "done": done,
        "total": total,
    }


def programme_progress_for_users(*, programme: Page, user_ids: Iterable[int]) -> dict[int, dict]:
    """Per user: {"modules": {module id: {"fraction", "completed", "done", "total"}}, "fraction",
    "completed", "done", "total"}. Two queries, whatever the number of users and pages."""
    user_ids = list(user_ids)
    structure = programme_structure(programme=programme)
    completed: dict[int, set[int]] = defaultdict(set)
    if user_ids and structure.page_ids:
        rows = PageCompletion.objects.filter(user_id__in=user_ids, page_id__in=structure.page_ids).values_list(
            "user_id", "page_id"
        )
        for user_id, page_id in rows:
            completed[user_id].add(page_id)
    return {user_id: _progress_from(structure, completed[user_id]) for user_id in user_ids}


def programme_progress(
    *, programme: Page, user, structure: ProgrammeStructure | None = None, completed: set[int] | None = None
) -> dict:
    """One learner's progress, with the completed page ids (for per-page ticks); `completed` when the
    caller has read them already (`page_records_for_learner`)."""
    structure = structure or programme_structure(programme=programme)
    if completed is None:
        completed = set(
            PageCompletion.objects.filter(user=user, page_id__in=structure.page_ids).values_list("page_id", flat=True)
        ) if user.is_authenticated else set()
    progress = _progress_from(structure, completed)
    progress["completed_page_ids"] = completed
    progress["structure"] = structure
    progress["next_page"] = next((page for page in structure.pages if page.pk not in completed), None)
    return progress


# --- Activities (what a facilitator's progress matrix measures) -----------------------------


@dataclass(frozen=True)
class PageActivities:
    """What a learner has to do on one case study or lesson: the same activities as the page's
    completion rule (`lms.services.page_rule_holds`): each decision point answered, each reflection
    prompt sent, the quiz passed (one activity, when the page has one); a page with none of these
    counts one activity, "marked as done"."""

    decision_ids: frozenset
    prompt_ids: frozenset
    has_quiz: bool

    @property
    def total(self) -> int:
        return (len(self.decision_ids) + len(self.prompt_ids) + int(self.has_quiz)) or 1


def page_outlines(page_ids: list[int]) -> dict:
    """{page id: its `CaseOutline`}, kept in cms's content cache (the same entries as
    `cms.selectors.live_case_outline`); the pages not cached yet are read together (one query per
    page type)."""
    def build_missing(keys: list[int]) -> dict[int, object]:
        return {page.pk: case_outline(page) for page in Page.objects.filter(pk__in=keys).specific()}

    return content_cache.cached_many("case-outline", list(page_ids), build_missing) if page_ids else {}


def _page_activities(page_ids: list[int]) -> dict[int, PageActivities]:
    """{page id: its activities} (`page_outlines`)."""
    outlines = page_outlines(page_ids)
    return {
        page_id: PageActivities(
            decision_ids=frozenset(spec.id for spec in outline.decision_points),
            prompt_ids=frozenset(spec.id for spec in outline.reflection_prompts),
            has_quiz=bool(outline.quiz_questions),
        )
        for page_id, outline in outlines.items()
    }


def activity_progress_for_users(*, programme: Page, user_ids: Iterable[int]) -> dict[int, dict]:
    """Per user: {"modules": {module id: {"done", "total", "fraction"}}, "done", "total", "fraction"},
    counting activities (`PageActivities`) rather than finished pages, so that a learner halfway
    through a case shows halfway. A completed page counts all its activities as done (completion is
    kept once reached, even if the page gained a question since). Four queries (plus the outlines not
    cached yet), whatever the number of users, modules and pages."""
    user_ids = list(user_ids)
    structure = programme_structure(programme=programme)
    page_ids = structure.page_ids
    activities = _page_activities(page_ids)
    done: dict[tuple[int, int], int] = defaultdict(int)  # (user id, page id): activities done
    completed: set[tuple[int, int]] = set()
    if user_ids and page_ids:
        completed = set(
            PageCompletion.objects.filter(user_id__in=user_ids, page_id__in=page_ids).values_list("user_id", "page_id")
        )
        for user_id, page_id, block_id in DecisionAnswer.objects.filter(
            user_id__in=user_ids, page_id__in=page_ids
        ).values_list("user_id", "page_id", "block_id"):
            if page_id in activities and block_id in activities[page_id].decision_ids:
                done[user_id, page_id] += 1
        for user_id, page_id, block_id in Reflection.objects.filter(
            user_id__in=user_ids, page_id__in=page_ids, submitted_at__isnull=False
        ).values_list("user_id", "page_id", "block_id"):
            if page_id in activities and block_id in activities[page_id].prompt_ids:
                done[user_id, page_id] += 1
        for user_id, page_id in QuizAttempt.objects.filter(
            user_id__in=user_ids, page_id__in=page_ids, passed=True
        ).values_list("user_id", "page_id").distinct():
            if page_id in activities and activities[page_id].has_quiz:
                done[user_id, page_id] += 1
    empty = PageActivities(frozenset(), frozenset(), False)
    result = {}
    for user_id in user_ids:
        modules, user_done, user_total = {}, 0, 0
        for module in structure.modules:
            module_done = module_total = 0
            for page in module.pages:
                total = activities.get(page.pk, empty).total
                module_total += total
                module_done += total if (user_id, page.pk) in completed else min(done[user_id, page.pk], total)
            modules[module.id] = {
                "done": module_done, "total": module_total,
                "fraction": module_done / module_total if module_total else 0.0,
            }
            user_done += module_done
            user_total += module_total
        result[user_id] = {
            "modules": modules, "done": user_done, "total": user_total,
            "fraction": user_done / user_total if user_total else 0.0,
        }
    return result


# --- Enrolment -----------------------------------------------------------------------------


def enrolment_get(*, user, programme) -> Enrolment | None:
    if not user.is_authenticated:
        return None
    return Enrolment.objects.filter(user=user, programme_id=programme.pk).first()


# --- Decision points -----------------------------------------------------------------------


def peer_user_ids(*, user, programme) -> Iterable[int] | None:
    """The learners whose answers make "how your cohort chose" (ids, or a query of ids to use inside
    another query); None means every enrolled learner."""
    for fn in hooks.get_hooks(PEER_USER_IDS_HOOK):
        result = fn(user, programme)
        if result is not None:
            return result
    return None


def follows_alone(*, user, programme) -> bool:
    """Whether `user` follows `programme` at their own pace: the programme is open to
    self-enrolment and the user is in none of its cohorts, so no facilitator opens its dated parts
    (`lms.services.self_paced_case_state`). True for a visitor of an open programme (what they
    would get by enrolling). No query once the page view has read the user's cohorts."""
    if not programme.open_enrolment:
        return False
    return not user.is_authenticated or peer_user_ids(user=user, programme=programme) is None


def _peer_filter(*, programme, user_ids) -> Q:
    if user_ids is None:
        return Q(
            user_id__in=Enrolment.objects.filter(programme_id=programme.pk, status=Enrolment.Status.ACTIVE).values(
                "user_id"
            )
        )
    return Q(user_id__in=user_ids if isinstance(user_ids, QuerySet) else list(user_ids))


def decision_distributions_for_page(*, page, programme, user_ids) -> dict[str, dict[str, dict[str, int]]]:
    """Raw counts for every decision point of a page: {block id: {profession: {option id: n}}}. One query."""
    answers = DecisionAnswer.objects.filter(page_id=page.pk).filter(_peer_filter(programme=programme, user_ids=user_ids))
    result: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in answers.values("block_id", "profession", "option_id").annotate(n=Count("id")).order_by():
        result[row["block_id"]][row["profession"] or Profession.OTHER][row["option_id"]] = row["n"]
    return result


def count_is_shown(n: int) -> bool:
    """Whether a number of answers may be shown, to learners and facilitators alike: never below
    DISTRIBUTION_MINIMUM, so that nobody's choice can be recognised."""
    return n >= DISTRIBUTION_MINIMUM


@dataclass
class DistributionRow:
    label: str
    profession: str
    total: int
    counts: list[tuple[str, str, int, int]]  # (option id, option label, count, percent)


@dataclass
class DistributionView:
    """What anyone may see of how others chose: shown only from DISTRIBUTION_MINIMUM answers."""

    visible: bool
    total: int
    overall: DistributionRow | None = None
    rows: list[DistributionRow] = field(default_factory=list)
    # (profession, label) of the professions with fewer answers than the minimum: named, never counted.
    small: list[tuple[str, str]] = field(default_factory=list)
    # Whose answers these are: the learner's cohort, or (False) everyone enrolled in the programme.
    over_cohort: bool = True


def distribution_view(*, raw: dict[str, dict[str, int]], options, over_cohort: bool = True) -> DistributionView:
    """Counts by profession, without names. A profession below the minimum is merged into "other
    professions together"; the merged row is shown only from the minimum too.

    The overall row minus the rows shown must not give away a hidden remainder (one nurse's answer
    is "everyone" minus "the directors"): while the merged answers are too few to be shown, the
    smallest profession shown is merged with them. So what is hidden is always none or at least
    the minimum."""
    total = sum(sum(counts.values()) for counts in raw.values())
    if not count_is_shown(total):
        return DistributionView(visible=False, total=total, over_cohort=over_cohort)

    def row(label: str, profession: str, counts: dict[str, int]) -> DistributionRow:
        n = sum(counts.values())
        return DistributionRow(
            label=label,
            profession=profession,
            total=n,
            counts=[
                (option.id, option.label, counts.get(option.id, 0), round(100 * counts.get(option.id, 0) / n) if n else 0)
                for option in options
            ],
        )

    labels = dict(Profession.choices)
    by_profession: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for profession, counts in raw.items():  # a profession no longer offered counts as "other"
        for option_id, n in counts.items():
            by_profession[profession if profession in labels else Profession.OTHER][option_id] += n
    answered = [(p, dict(by_profession[p])) for p in Profession.values if sum(by_profession.get(p, {}).values())]
    shown = [(profession, counts) for profession, counts in answered if count_is_shown(sum(counts.values()))]
    small = [(profession, counts) for profession, counts in answered if not count_is_shown(sum(counts.values()))]
    merged_profiles = list(small)
    merged_total = sum(sum(counts.values()) for _p, counts in merged_profiles)
    while merged_total and not count_is_shown(merged_total) and shown:
        smallest = min(shown, key=lambda item: sum(item[1].values()))
        shown.remove(smallest)
        merged_profiles.append(smallest)
        merged_total += sum(smallest[1].values())

    overall: dict[str, int] = defaultdict(int)
    merged: dict[str, int] = defaultdict(int)
    for _profession, counts in answered:
        for option_id, n in counts.items():
            overall[option_id] += n
    for _profession, counts in merged_profiles:
        for option_id, n in counts.items():
            merged[option_id] += n
    rows = [row(str(labels[profession]), profession, counts) for profession, counts in shown]
    if shown and count_is_shown(merged_total):  # with no profession row, "the others" would be everyone again
        rows.append(row(gettext("Autres métiers réunis"), "", merged))
    return DistributionView(
        visible=True, total=total, overall=row(gettext("Ensemble"), "", overall), rows=rows,
        small=[(profession, str(labels[profession])) for profession, _counts in small], over_cohort=over_cohort,
    )


# --- Learner work (reflections, worksheets) -------------------------------------------------


def reflection_question(*, reflection: Reflection) -> str:
    """The prompt the learner answered, as plain text, in the reader's language when the page has a
    copy in it (a translation keeps the block ids), else as written ("" if the block was removed since)."""
    page_ids = [translation_in(reflection.page).pk, reflection.page_id]
    outlines = page_outlines(page_ids)
    for page_id in page_ids:
        spec = outlines[page_id].prompt(reflection.block_id) if page_id in outlines else None
        if spec:
            return spec.text
    return ""


def reflection_navigation(*, viewer, reflection: Reflection, params) -> dict | None:
    """Links through a list of reflections the viewer came from (the `reflection_navigation` hook:
    a cohort's waiting reflections), or None. `params` are the page's query parameters."""
    for fn in hooks.get_hooks(REFLECTION_NAVIGATION_HOOK):
        navigation = fn(viewer, reflection, params)
        if navigation:
            return navigation
    return None


def can_read_learner_work(*, viewer, learner_id: int) -> bool:
    """The learner themself, or a facilitator of one of their cohorts (cohorts' hook)."""
    if not viewer.is_authenticated:
        return False
    if viewer.pk == learner_id:
        return True
    learner = User(pk=learner_id)
    return any(fn(viewer, learner) for fn in hooks.get_hooks(CAN_READ_LEARNER_WORK_HOOK))


@dataclass
class PageRecords:
    """What a learner recorded on one page, and which pages of its programme they completed
    (`page_records_for_learner`)."""

    answers: dict[str, DecisionAnswer] = field(default_factory=dict)
    reflections: dict[str, Reflection] = field(default_factory=dict)
    worksheets: dict[str, Worksheet] = field(default_factory=dict)
    quiz_attempts: list[QuizAttempt] = field(default_factory=list)  # by number
    completed_page_ids: set[int] = field(default_factory=set)


def page_records_for_learner(*, user, page, outline, programme_page_ids: Iterable[int] = ()) -> PageRecords:
    """The learner's decision answers, reflections (each with `latest_html`, the body of its last
    submitted version, or None), worksheets and quiz attempts on `page`, for the kinds of block the page
    has (`outline`), and which of `programme_page_ids` they completed: one query (UNION ALL), however
    many kinds; none when there is nothing to read.

    A case page needs all of these on every view; read apart they were five queries. Written in SQL
    because building the same UNION with the ORM's typed NULLs cost more Python than the five queries
    it replaced; the rows come back as model instances carrying only the fields the page reads."""
    if not user.is_authenticated:
        return PageRecords()
    table = {model: model._meta.db_table for model in (DecisionAnswer, Reflection, ReflectionVersion, Worksheet, QuizAttempt, PageCompletion)}
    mine = "user_id = %s AND page_id = %s"
    # Columns: kind, pk, block id, JSON as text, number, passed, complete, text, second text. The
    # first part's NULLs are typed: PostgreSQL would take an untyped NULL there for text.
    nulls = "CAST(NULL AS TEXT), CAST(NULL AS INTEGER), CAST(NULL AS INTEGER), CAST(NULL AS INTEGER)"
    parts, params = [], []
    if outline.decision_points:
        parts.append(f"SELECT 'a', id, block_id, {nulls}, option_id, rationale FROM {table[DecisionAnswer]} WHERE {mine}")
        params += [user.pk, page.pk]
    if outline.reflection_prompts:
        latest = (f"SELECT v.body_html FROM {table[ReflectionVersion]} v WHERE v.reflection_id = r.id "
                  "ORDER BY v.number DESC LIMIT 1")
        parts.append(f"SELECT 'r', r.id, r.block_id, {nulls}, r.draft_html, ({latest}) "
                     f"FROM {table[Reflection]} r WHERE r.{mine.replace(' AND ', ' AND r.')}")
        params += [user.pk, page.pk]
    if outline.worksheets:
        parts.append(f"SELECT 'w', id, block_id, CAST(data AS TEXT), CAST(NULL AS INTEGER), CAST(NULL AS INTEGER), "
                     f"CAST(NULL AS INTEGER), CAST(NULL AS TEXT), CAST(NULL AS TEXT) FROM {table[Worksheet]} WHERE {mine}")
        params += [user.pk, page.pk]
    if outline.quiz_questions:
        parts.append(f"SELECT 'q', id, '', CAST(answers AS TEXT), number, CASE WHEN passed THEN 1 ELSE 0 END, "
                     "CASE WHEN completed_at IS NULL THEN 0 ELSE 1 END, CAST(NULL AS TEXT), CAST(NULL AS TEXT) "
                     f"FROM {table[QuizAttempt]} WHERE {mine}")
        params += [user.pk, page.pk]
    programme_page_ids = [int(page_id) for page_id in programme_page_ids]
    if programme_page_ids:
        parts.append(f"SELECT 'c', id, '', CAST(NULL AS TEXT), page_id, CAST(NULL AS INTEGER), CAST(NULL AS INTEGER), "
                     f"CAST(NULL AS TEXT), CAST(NULL AS TEXT) FROM {table[PageCompletion]} "
                     f"WHERE user_id = %s AND page_id IN ({', '.join(['%s'] * len(programme_page_ids))})")
        params += [user.pk, *programme_page_ids]
    records = PageRecords()
    if not parts:
        return records
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    for kind, pk, block_id, data, number, passed, complete, text, text2 in rows:
        if kind == "a":
            records.answers[block_id] = DecisionAnswer(
                pk=pk, user_id=user.pk, page_id=page.pk, block_id=block_id, option_id=text, rationale=text2 or "")
        elif kind == "r":
            reflection = Reflection(pk=pk, user_id=user.pk, page_id=page.pk, block_id=block_id, draft_html=text or "")
            reflection.latest_html = text2
            records.reflections[block_id] = reflection
        elif kind == "w":
            records.worksheets[block_id] = Worksheet(
                pk=pk, user_id=user.pk, page_id=page.pk, block_id=block_id, data=json.loads(data))
        elif kind == "q":
            # `completed_at` only says whether the attempt is complete (`QuizAttempt.is_complete`).
            records.quiz_attempts.append(QuizAttempt(
                pk=pk, user_id=user.pk, page_id=page.pk, number=number, answers=json.loads(data), passed=bool(passed),
                completed_at=timezone.now() if complete else None))
        else:
            records.completed_page_ids.add(number)
    records.quiz_attempts.sort(key=lambda attempt: attempt.number)
    return records


# --- Dashboard and certificates ------------------------------------------------------------


def _certificates():
    """Certificates with `title`: the programme's title in the reader's language, else as issued."""
    return Certificate.objects.annotate(
        title=Coalesce(title_in_language("programme__translation_key"), F("programme_title"))
    )


def certificate_list_for_learner(*, user) -> list[Certificate]:
    """The learner's certificates, each with its DPC attestation when it has one (same query)."""
    return list(_certificates().filter(user=user).select_related("dpc_attestation").order_by("-completed_on"))


def certificate_by_code(*, code: str) -> tuple[Certificate | None, DpcAttestation | None]:
    """What a verification code names: a certificate (attestation None; its own DPC attestation, when
    it has one, comes with it as `certificate.dpc_attestation`, so the page names both documents) or
    a DPC attestation with its certificate; (None, None) for an unknown code. One or two queries."""
    code = code.strip().upper()
    certificate = _certificates().filter(code=code).select_related("dpc_attestation").first()
    if certificate is not None:
        return certificate, None
    attestation = DpcAttestation.objects.filter(code=code).first()
    if attestation is None:
        return None, None
    return _certificates().get(pk=attestation.certificate_id), attestation


def dpc_live_hours(*, user, programme) -> Decimal:
    """The hours of live sessions `user` attended in `programme` that count toward DPC: 0 unless the
    programme says live sessions count; else the sum of what the `dpc_live_hours` hook's functions
    (`fn(user, programme_page) -> Decimal`, registered by the app that runs live sessions) return,
    0 when none is registered. Rounded to the tenth of an hour the attestation prints."""
    if not programme.dpc_live_sessions_count:
        return Decimal("0")
    total = sum((Decimal(fn(user, programme) or 0) for fn in hooks.get_hooks(DPC_LIVE_HOURS_HOOK)), Decimal("0"))
    return max(total, Decimal("0")).quantize(Decimal("0.1"))


def hours_earned(certificates: list[Certificate]) -> Decimal:
    return sum((c.hours for c in certificates), Decimal("0"))


def dashboard_programmes(*, user) -> list[dict]:
    """The learner's active programmes with progress and next step. Two queries in all (three when an
    editor has just changed a programme)."""
    enrolments = list(
        Enrolment.objects.filter(user=user, status=Enrolment.Status.ACTIVE)
        .select_related("programme")
        .order_by(F("last_visited_at").desc(nulls_last=True), "-enrolled_at")
    )
    if not enrolments:
        return []
    structures = programme_structures(programmes=[e.programme for e in enrolments])
    all_page_ids = [pid for s in structures.values() for pid in s.page_ids]
    completed = set(
        PageCompletion.objects.filter(user=user, page_id__in=all_page_ids).values_list("page_id", flat=True)
    )
    result = []
    for enrolment in enrolments:
        structure = structures[enrolment.programme_id]
        progress = _progress_from(structure, completed)
        pages = structure.pages
        resume = next((p for p in pages if p.pk == enrolment.last_page_id and p.pk not in completed), None)
        next_page = resume or next((page for page in pages if page.pk not in completed), None)
        result.append(
            {
                "enrolment": enrolment,
                "programme": enrolment.programme,
                "progress": progress,
                "percent": round(100 * progress["fraction"]),
                "structure": structure,
                "next_page": next_page,
                "completed_page_ids": completed,
            }
        )
    return result


def open_programmes_for(*, user, exclude: list[int], limit: int = 3) -> list:
    """A few live programmes open to self-enrolment that the learner does not follow, each once in
    the reader's language (`cms.locales.in_language`); `exclude` holds the followed programmes'
    ids (records are on the default-language pages). No query while the content cache holds the list."""
    language = reader_language()

    def build():
        originals = ProgrammePage.objects.filter(
            translation_key=OuterRef("translation_key"), locale_id=locale_ids().get(default_language())
        ).values("pk")
        return list(
            in_language(ProgrammePage.objects.live().public().filter(open_enrolment=True), language=language)
            .annotate(source_id=Coalesce(Subquery(originals[:1]), F("pk"), output_field=IntegerField()))
            .only("id", "title", "slug", "url_path", "summary", "hours", "path", "depth", "locale_id")
            .order_by("path")
        )

    excluded = set(exclude)
    return [programme for programme in content_cache.cached("open-programmes", (language,), build)
            if programme.source_id not in excluded][:limit]


def transcript_rows(*, user) -> list[dict]:
    """Completed modules of every programme the learner followed, with the hours of completed programmes.

    Three queries whatever the number of programmes (enrolments, certificates, completions), and one
    more for all the programme structures the content cache does not hold yet."""
    enrolments = list(Enrolment.objects.filter(user=user).select_related("programme").order_by("enrolled_at"))
    if not enrolments:
        return []
    certificates = {c.programme_id: c for c in Certificate.objects.filter(user=user)}
    structures = programme_structures(programmes=[e.programme for e in enrolments])
    completions = dict(
        PageCompletion.objects.filter(
            user=user, page_id__in=[page_id for s in structures.values() for page_id in s.page_ids]
        ).values_list("page_id", "completed_at")
    )
    rows = []
    for enrolment in enrolments:
        programme = enrolment.programme
        for module in structures[programme.pk].modules:
            dates = [completions[p.pk] for p in module.pages if p.pk in completions]
            if module.pages and len(dates) == len(module.pages):
                rows.append({
                    "programme": programme.title,
                    "module": module.page.title,
                    "completed_on": timezone.localdate(max(dates)).isoformat(),
                    "hours": "",
                    "code": "",
                })
        certificate = certificates.get(programme.pk)
        if certificate is not None:
            rows.append({
                "programme": programme.title,
                "module": "",
                "completed_on": certificate.completed_on.isoformat(),
                "hours": str(certificate.hours),
                "code": certificate.code,
            })
    return rows


def dpc_programme_titles_for_learner(*, user) -> list[str]:
    """Titles of the DPC programmes (with an action number) `user` actively follows. One query."""
    return list(
        Enrolment.objects.filter(user=user, status=Enrolment.Status.ACTIVE)
        .exclude(programme__dpc_action_number="")
        .order_by("programme__title")
        .values_list("programme__title", flat=True)
    )


# --- Competency self-assessment ------------------------------------------------------------

SELF_ASSESSMENT_LATER_DAYS = 90  # "three months after" the end of the programme


def self_assessment_framework(*, programme) -> list:
    """The programme's competencies, each once, in the reader's language (French when not
    translated), with their scale (`Competency.anchors`). One query."""
    keys = programme.competencies.values("translation_key")
    return list(in_language(Competency.objects.filter(translation_key__in=keys)).order_by("name"))


def self_assessment_open_moments(*, enrolment, done: set[str], now=None) -> list[str]:
    """The moments the learner may answer now: "before" until the programme is complete, "end"
    once it is, "later" from three months after; each once."""
    if enrolment is None:
        return []
    now = now or timezone.now()
    completed = enrolment.completed_at
    moments = []
    if completed is None and enrolment.is_active:
        moments.append(SelfAssessment.Moment.BEFORE)
    if completed is not None:
        moments.append(SelfAssessment.Moment.END)
        if now >= completed + timedelta(days=SELF_ASSESSMENT_LATER_DAYS):
            moments.append(SelfAssessment.Moment.LATER)
    return [moment for moment in moments if moment not in done]


def self_assessment_profile(*, user, programme) -> dict:
    """The learner's own before / end / later levels for the programme, as rows for the chart and the
    table, and the moments they may answer now. Three queries (enrolment, framework, assessments)."""
    enrolment = enrolment_get(user=user, programme=programme)
    framework = self_assessment_framework(programme=programme)
    assessments = {a.moment: a.levels for a in SelfAssessment.objects.filter(user=user, programme_id=programme.pk)}
    moments = [m for m in SelfAssessment.Moment if m in assessments]
    rows = [
        {"competency": competency, "levels": [assessments[m].get(competency.slug) for m in moments]}
        for competency in framework
    ]
    return {
        "enrolment": enrolment,
        "framework": framework,
        "moments": moments,
        "rows": rows,
        "open_moments": self_assessment_open_moments(enrolment=enrolment, done=set(assessments)),
    }


def self_assessment_reminders_due(*, now=None) -> QuerySet:
    """Enrolments completed at least three months ago whose learner has neither answered the "later"
    self-assessment nor been reminded, in programmes that have competencies."""
    now = now or timezone.now()
    answered = SelfAssessment.objects.filter(
        user_id=OuterRef("user_id"), programme_id=OuterRef("programme_id"), moment=SelfAssessment.Moment.LATER
    )
    return (
        Enrolment.objects.filter(
            status=Enrolment.Status.ACTIVE,
            completed_at__lte=now - timedelta(days=SELF_ASSESSMENT_LATER_DAYS),
            later_reminder_sent_at__isnull=True,
            user__is_active=True,
            programme__competencies__isnull=False,
        )
        .exclude(Exists(answered))
        .distinct()
        .select_related("user", "programme")
    )


# --- Module feedback -----------------------------------------------------------------------


def module_feedback_given(*, user, module) -> bool:
    return ModuleFeedback.objects.filter(user=user, module_id=module.pk).exists()


def module_feedback_status(*, user, module_ids: list[int]) -> dict[int, bool]:
    """{module id: whether the learner answered its survey} for the modules that have one. One query."""
    if not module_ids:
        return {}
    given = ModuleFeedback.objects.filter(user_id=user.pk, module_id=OuterRef("pk"))
    return dict(
        ModulePage.objects.filter(pk__in=module_ids, feedback_form__isnull=False)
        .annotate(given=Exists(given)).values_list("pk", "given")
    )


def xapi_activity_url(*, page_id: int, request=None) -> str | None:
    """The current URL of the page an xAPI activity id names (`lms.xapi.activity_id`: by page id, so it
    survives moves and new slugs), or None when no live page without view restrictions has that id:
    the redirect then says nothing a visitor could not see on the site. One query (plus Wagtail's
    site lookup, cached)."""
    page = Page.objects.live().public().filter(pk=page_id).first()
    if page is None:
        return None
    return page.get_url(request=request)
