"""lms completes cms's case pages through the hooks cms defines (see docs/architecture.md)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import AdminOnlyMenuItem

from lms import admin_views, selectors, services
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


@hooks.register("rpps_needed_for")
def dpc_programmes_needing_rpps(user) -> list[str]:
    """The profile asks for the RPPS number while the person follows a DPC programme (one query)."""
    return selectors.dpc_programme_titles_for_learner(user=user)


@hooks.register("register_admin_urls")
def outcomes_admin_urls():
    return [path("outcomes/", admin_views.outcomes_report, name="lms_outcomes")]


class OutcomesMenuItem(AdminOnlyMenuItem):
    """Shown to whoever may read the report (the `lms.view_outcomes` permission)."""

    def is_shown(self, request):
        return request.user.has_perm(admin_views.PERMISSION)


@hooks.register("register_reports_menu_item")
def outcomes_menu_item():
    return OutcomesMenuItem(_("Bilan des programmes"), reverse("lms_outcomes"), icon_name="chart-line", order=900)
