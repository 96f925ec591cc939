"""What a given user may see of a case study: the single gate every view of a case goes through.

cms computes defaults (staff and facilitators see everything; no cohort means debrief closed
and scheduled episodes closed). Other apps complete the state through Wagtail hooks named
`case_state`: a hook is called as `fn(state)` and may set any field of `CaseState`
(cohorts sets `episode_opens_at`, `debrief_open`, `is_facilitator`; lms sets
`answered_decision_ids`, and `self_paced` and `debrief_open` for a learner who follows the
programme outside any cohort: `lms.services.self_paced_case_state`).
https://docs.wagtail.org/en/stable/reference/hooks.html

Episodes open in body order: an episode is open when its own gate holds *and* the episode before
it is open, so a date (or a gate already met) never opens the end of a case while an earlier
episode is still closed (`CaseState.episode_is_open`).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from wagtail import hooks

from accounts.backends import can_access_admin
from cms.blocks import EpisodeGate
from cms.models import CasePerspective
from cms.selectors import CaseOutline, case_outline, source_page

CASE_STATE_HOOK = "case_state"


@dataclass
class CaseState:
    user: object
    page: object
    outline: CaseOutline
    # The page records are kept under (`cms.selectors.source_page`): `page` itself, or its
    # default-language original when `page` is a translation. Hooks key their data on it.
    source_page: object = None
    is_facilitator: bool = False
    debrief_open: bool = False
    perspective: str = ""  # the profession whose role brief this learner reads
    episode_opens_at: dict[str, datetime] = field(default_factory=dict)
    answered_decision_ids: set[str] = field(default_factory=set)
    preview_profession: str = ""  # set by the admin preview "as a given profession"
    # A learner with no cohort for the programme (set by lms): nobody will set the facilitator's
    # dates, so an episode "at the facilitator's date" opens like one "after the decision points".
    self_paced: bool = False
    # Episodes a facilitator revealed during a live session (set by cohorts): open whatever their gate.
    revealed_episode_ids: set[str] = field(default_factory=set)

    @property
    def sees_all_briefs(self) -> bool:
        return self.is_facilitator or self.debrief_open

    def gate_holds(self, spec) -> bool:
        """Whether the episode's own gate is met, whatever the episodes before it."""
        if spec.gate == EpisodeGate.OPEN or spec.id in self.revealed_episode_ids:
            return True
        if spec.gate == EpisodeGate.AFTER_DECISIONS or self.self_paced:
            return set(spec.decision_ids_before) <= self.answered_decision_ids
        opens_at = self.episode_opens_at.get(spec.id)
        return opens_at is not None and opens_at <= timezone.now()

    def episode_is_open(self, episode_id: str) -> bool:
        """Open when its gate holds and every episode before it is open (episodes open in order)."""
        if self.is_facilitator:
            return True
        for spec in self.outline.episodes:
            if not self.gate_holds(spec):
                return False
            if spec.id == episode_id:
                return True
        return False

    def episode_waits_for_previous(self, episode_id: str) -> bool:
        """A closed episode whose own gate holds: it waits for an earlier episode to open."""
        spec = next((e for e in self.outline.episodes if e.id == episode_id), None)
        return spec is not None and self.gate_holds(spec) and not self.episode_is_open(episode_id)

    def brief_is_visible(self, profession: str) -> bool:
        return self.sees_all_briefs or profession == self.perspective


def is_content_staff(user) -> bool:
    """People who reach the Wagtail admin (editors, reviewers, admins): they read every part of a case.

    The same check as the page header's (read with the session's user, no query of its own).
    """
    return can_access_admin(user)


def learner_perspective(*, outline: CaseOutline, profession: str, chosen) -> str:
    """The profession whose brief a learner reads: their own when the case has a brief for it,
    else the one they chose in this case (`chosen()`, asked only then), else "" (they must choose)."""
    if not outline.role_brief_professions:
        return ""
    if profession in outline.role_brief_professions:
        return profession
    return chosen() or ""


def case_state(*, user, page, preview_profession: str = "", outline: CaseOutline | None = None) -> CaseState:
    """Build the visibility state of `page` (specific CaseStudyPage or LessonPage) for `user`.

    `preview_profession` is the admin preview "as a learner of this profession": the state of a
    learner of that profession who has answered every decision point and whose cohort has opened
    every dated episode, debrief still closed, no perspective chosen yet. It goes through the same
    rules as a real learner's (`learner_perspective`, `CaseState.episode_is_open`): a profession
    without a brief in the case gets the perspective chooser, as a real learner does.
    """
    state = CaseState(
        user=user, page=page, outline=outline or case_outline(page), preview_profession=preview_profession,
        source_page=source_page(page),
    )
    if preview_profession:
        state.perspective = learner_perspective(outline=state.outline, profession=preview_profession, chosen=lambda: "")
        state.answered_decision_ids = {spec.id for spec in state.outline.decision_points}
        now = timezone.now()
        state.episode_opens_at = {
            spec.id: now for spec in state.outline.episodes if spec.gate == EpisodeGate.SCHEDULED
        }
        return state
    if user.is_authenticated:
        # Content staff see every part; cohort facilitators are added by cohorts' hook.
        state.is_facilitator = is_content_staff(user)
        state.perspective = learner_perspective(
            outline=state.outline, profession=user.profession,
            chosen=lambda: CasePerspective.objects.filter(user=user, page_id=state.source_page.pk)
            .values_list("profession", flat=True).first(),
        )
    for fn in hooks.get_hooks(CASE_STATE_HOOK):
        fn(state)
    return state
