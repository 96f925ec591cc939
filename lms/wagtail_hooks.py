"""lms completes cms's case pages through the hooks cms defines (see docs/architecture.md)."""

from wagtail import hooks

from lms import selectors, services
from lms.context import add_to_case_page_context


@hooks.register("case_state")
def fill_answered_decisions(state) -> None:
    """The learner's answered decision points open the episodes gated on them, and, for a learner
    following the programme alone, the facilitator's gates and the debrief
    (`services.self_paced_case_state`: one query, the enrolment).

    The answers are read with everything else the learner recorded on the page and the pages of
    the programme they completed, in one query (`selectors.page_records_for_learner`), kept on the
    state (`lms_records`) with the enrolment so the page context does not fetch them again."""
    user = state.user
    if not user.is_authenticated:
        state.lms_records = selectors.PageRecords()
        return
    page = state.source_page
    programme = selectors.programme_for_page(page=page)
    structure = selectors.programme_structure(programme=programme) if programme else None
    state.lms_records = selectors.page_records_for_learner(
        user=user, page=page, outline=state.outline, programme_page_ids=structure.page_ids if structure else ()
    )
    state.answered_decision_ids |= set(state.lms_records.answers)
    services.self_paced_case_state(state)


@hooks.register("case_page_context")
def add_learning_records(request, page, state, context) -> None:
    """Add the learner's records and the forms' action URLs (`lms`, `block_actions`, `records`)."""
    add_to_case_page_context(request=request, page=page, state=state, context=context)
