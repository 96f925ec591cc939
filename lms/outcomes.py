"""Reads for the programme owner's report (Wagtail admin › Rapports › Bilan des programmes):
completion, time to complete, self-assessed change per competency by profession, and what other
apps add (cohorts, cross-profession interaction) through hooks. lms never imports cohorts or rooms.

Privacy rule, applied here and nowhere else: a figure about fewer than `MINIMUM_GROUP` people is
never shown. Professions under the threshold are pooled as "other professions" when the pool
reaches it; when the pool is still too small, the "all professions" figure is withheld as well,
since it minus the professions shown would give the pool's figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import mean, median

from django.utils.translation import gettext as _
from wagtail import hooks

from accounts.choices import Profession
from lms.models import Enrolment, ModuleFeedback, SelfAssessment
from lms.selectors import self_assessment_framework

MINIMUM_GROUP = 5
ALL = "all"
POOLED = "pooled"
# `fn(programme_page) -> list[{"id": int, "name": str, "user_ids": set[int]}]`: the cohorts of a
# programme and their learners (registered by cohorts), for the per-cohort view.
OUTCOMES_COHORTS_HOOK = "outcomes_cohorts"
# `fn(programme_page, user_ids: set[int] | None) -> list[{"label": str, "value": str, "people": int}]`:
# cross-profession interaction in rooms and live sessions (registered by the apps that hold them).
OUTCOMES_INTERACTION_HOOK = "outcomes_interaction"


@dataclass
class Group:
    key: str  # a profession code, POOLED or ALL
    label: str
    people: int


@dataclass
class CompetencyChange:
    name: str
    slug: str
    by_group: dict[str, dict] = field(default_factory=dict)  # group key → {"people", "before", "end", "change"}


@dataclass
class OutcomesReport:
    enrolled: int
    completed: int | None  # None: withheld (fewer than MINIMUM_GROUP enrolled)
    median_days_to_complete: float | None
    groups: list[Group]  # the groups whose change figures are shown, in order
    changes: list[CompetencyChange]
    assessed: int  # learners with both "before" and "end" (shown only when ≥ MINIMUM_GROUP)
    interaction: list[dict]
    surveys: list[dict] = field(default_factory=list)  # per module with ≥ MINIMUM_GROUP answers

    @property
    def completion_rate(self) -> int | None:
        if self.completed is None or not self.enrolled:
            return None
        return round(100 * self.completed / self.enrolled)


def outcome_groups(professions: dict[int, str]) -> list[Group]:
    """The groups figures may be shown for, from {user id: profession}: each profession with at least
    MINIMUM_GROUP people, the pool of the others when it reaches the threshold too, and "all" unless a
    pool under the threshold would be revealed by subtraction. A pure function (tested directly)."""
    counts = defaultdict(int)
    for code in professions.values():
        counts[code or Profession.OTHER] += 1
    labels = dict(Profession.choices)
    shown = [Group(code, str(labels.get(code, code)), n) for code, n in sorted(counts.items()) if n >= MINIMUM_GROUP]
    pooled = sum(n for n in counts.values() if n < MINIMUM_GROUP)
    total = sum(counts.values())
    groups = list(shown)
    if pooled >= MINIMUM_GROUP and shown:
        groups.append(Group(POOLED, _("Autres métiers (regroupés)"), pooled))
    if total >= MINIMUM_GROUP and (pooled == 0 or pooled >= MINIMUM_GROUP):
        groups.append(Group(ALL, _("Tous métiers"), total))
    return groups


def _members(group: Group, professions: dict[int, str]) -> set[int]:
    if group.key == ALL:
        return set(professions)
    if group.key == POOLED:
        counts = defaultdict(int)
        for code in professions.values():
            counts[code or Profession.OTHER] += 1
        return {uid for uid, code in professions.items() if counts[code or Profession.OTHER] < MINIMUM_GROUP}
    return {uid for uid, code in professions.items() if (code or Profession.OTHER) == group.key}


def _one(values: list[float]) -> float:
    return round(mean(values), 2)


def outcomes_report(*, programme, user_ids: set[int] | None = None) -> OutcomesReport:
    """The report for a programme, over every learner or over `user_ids` (one cohort). Four queries
    whatever the number of learners: enrolments, framework, assessments, module feedback (plus the
    interaction hooks'). Written answers come without name or profession, in random order."""
    enrolments = Enrolment.objects.filter(programme_id=programme.pk)
    assessments = SelfAssessment.objects.filter(
        programme_id=programme.pk, moment__in=[SelfAssessment.Moment.BEFORE, SelfAssessment.Moment.END]
    )
    if user_ids is not None:
        enrolments = enrolments.filter(user_id__in=user_ids)
        assessments = assessments.filter(user_id__in=user_ids)
    rows = list(enrolments.values_list("user_id", "enrolled_at", "completed_at"))
    enrolled = len(rows)
    done = [(start, end) for _uid, start, end in rows if end is not None]
    durations = [(end - start).total_seconds() / 86400 for start, end in done]

    framework = self_assessment_framework(programme=programme)
    levels: dict[int, dict[str, dict]] = defaultdict(dict)
    professions: dict[int, str] = {}
    for user_id, moment, answer, profession in assessments.values_list("user_id", "moment", "levels", "profession"):
        levels[user_id][moment] = answer
        if moment == SelfAssessment.Moment.BEFORE or user_id not in professions:
            professions[user_id] = profession  # the profession when the learner started
    paired = {uid: p for uid, p in professions.items() if len(levels[uid]) == 2}
    groups = outcome_groups(paired)
    changes = []
    for competency in framework:
        change = CompetencyChange(name=competency.name, slug=competency.slug)
        for group in groups:
            pairs = [
                (levels[uid]["before"][competency.slug], levels[uid]["end"][competency.slug])
                for uid in _members(group, paired)
                if competency.slug in levels[uid]["before"] and competency.slug in levels[uid]["end"]
            ]
            if len(pairs) >= MINIMUM_GROUP:
                before, end = [b for b, _e in pairs], [e for _b, e in pairs]
                change.by_group[group.key] = {
                    "people": len(pairs), "before": _one(before), "end": _one(end),
                    "change": _one([e - b for b, e in pairs]),
                }
        changes.append(change)

    feedback = ModuleFeedback.objects.filter(programme_id=programme.pk)
    if user_ids is not None:
        feedback = feedback.filter(user_id__in=user_ids)
    by_module: dict[int, dict] = {}
    for module_id, title, usefulness, relevance, change_text, comment in feedback.order_by("module__path", "?").values_list(
        "module_id", "module__title", "usefulness", "relevance", "change_text", "comment"
    ):
        entry = by_module.setdefault(module_id, {"module": title, "usefulness": [], "relevance": [], "texts": []})
        entry["usefulness"].append(usefulness)
        entry["relevance"].append(relevance)
        entry["texts"].extend(text for text in (change_text, comment) if text)
    surveys = [
        {"module": e["module"], "people": len(e["usefulness"]), "usefulness": _one(e["usefulness"]),
         "relevance": _one(e["relevance"]), "texts": e["texts"]}
        for e in by_module.values() if len(e["usefulness"]) >= MINIMUM_GROUP
    ]

    interaction = []
    for fn in hooks.get_hooks(OUTCOMES_INTERACTION_HOOK):
        interaction.extend(row for row in fn(programme, user_ids) or [] if row.get("people", 0) >= MINIMUM_GROUP)
    return OutcomesReport(
        enrolled=enrolled,
        completed=len(done) if enrolled >= MINIMUM_GROUP else None,
        median_days_to_complete=round(median(durations), 1) if len(durations) >= MINIMUM_GROUP else None,
        groups=groups,
        changes=changes,
        assessed=len(paired),
        interaction=interaction,
        surveys=surveys,
    )


def outcomes_cohorts(*, programme) -> list[dict]:
    """The programme's cohorts with their learners, from the app that holds cohorts ([] without it)."""
    cohorts = []
    for fn in hooks.get_hooks(OUTCOMES_COHORTS_HOOK):
        cohorts.extend(fn(programme) or [])
    return cohorts


def outcomes_csv_rows(report: OutcomesReport, *, scope: str) -> list[list]:
    """The report as CSV rows (one per competency and shown group), withheld figures left out."""
    labels = {group.key: group.label for group in report.groups}
    rows = []
    for change in report.changes:
        for key, figures in change.by_group.items():
            rows.append([scope, change.name, labels[key], figures["people"], Decimal(str(figures["before"])),
                         Decimal(str(figures["end"])), Decimal(str(figures["change"]))])
    return rows
