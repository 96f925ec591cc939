"""What a given user may see of a case study: the single gate every view of a case goes through.

cms computes defaults (staff and facilitators see everything; no cohort means debrief closed
and scheduled episodes closed). Other apps complete the state through Wagtail hooks named
`case_state`: a hook is called as `fn(state)` and may set any field of `CaseState`
(cohorts sets `episode_opens_at`, `debrief_open`, `is_facilitator`; lms sets
`answered_decision_ids`). https://docs.wagtail.org/en/stable/reference/hooks.html
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

    @property
    def sees_all_briefs(self) -> bool:
        return self.is_facilitator or self.debrief_open

    def episode_is_open(self, episode_id: str) -> bool:
        if self.is_facilitator:
            return True
        spec = next((e for e in self.outline.episodes if e.id == episode_id), None)
        if spec is None:
            return False
        if spec.gate == EpisodeGate.OPEN:
            return True
        if spec.gate == EpisodeGate.AFTER_DECISIONS:
            return set(spec.decision_ids_before) <= self.answered_decision_ids
        opens_at = self.episode_opens_at.get(episode_id)
        return opens_at is not None and opens_at <= timezone.now()

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
