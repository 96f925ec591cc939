"""What a case study or lesson page shows of the learner's records, built once per request.

lms fills, through cms's `case_page_context` hook, what cms's block templates read (see
`cms/models.py`): `block_actions` ({block id: URL} where an answer is posted; no URL, no form)
and `records` ({block id: what the learner already recorded}); and `lms` (enrolment, progress,
"mark as done"), read by `templates/lms/blocks/page_progress.html` and `base.html`.
"""

from __future__ import annotations

from django.urls import reverse

from config.sanitize import html_to_text
from lms import selectors, services


def _decisions(*, user, page, programme, outline, answers, enrolled, actions, records) -> None:
    distributions, peers = {}, None
    if any(spec.id in answers for spec in outline.decision_points):
        peers = selectors.peer_user_ids(user=user, programme=programme)  # None: everyone enrolled
        distributions = selectors.decision_distributions_for_page(page=page, programme=programme, user_ids=peers)
    for spec in outline.decision_points:
        answer = answers.get(spec.id)
        if answer is None:
            if enrolled:
                actions[spec.id] = reverse("lms:decision_submit", args=[page.pk, spec.id])
            continue
        records[spec.id] = {
            "choice": answer.option_id,
            "rationale": answer.rationale,
            "distribution": selectors.distribution_view(
                raw=distributions.get(spec.id, {}), options=spec.options, over_cohort=peers is not None
            ),
        }


def _reflections(*, reflections, page, outline, enrolled, actions, records) -> None:
    for spec in outline.reflection_prompts:
        if enrolled:
            actions[spec.id] = reverse("lms:reflection_submit", args=[page.pk, spec.id])
        reflection = reflections.get(spec.id)
        if reflection is not None and (reflection.draft_html or reflection.latest_html):
            records[spec.id] = {
                "text": html_to_text(reflection.draft_html or reflection.latest_html),
                "detail_url": reverse("lms:reflection_detail", args=[reflection.pk]),
            }


def _worksheets(*, sheets, page, outline, enrolled, actions, records) -> None:
    for spec in outline.worksheets:
        if enrolled:
            actions[spec.id] = reverse("lms:worksheet_save", args=[page.pk, spec.id])
        sheet = sheets.get(spec.id)
        if sheet is not None:
            records[spec.id] = {"fields": sheet.data, "print_url": reverse("lms:worksheet_detail", args=[sheet.pk])}


def _quiz(*, attempts, page, outline, enrolled, actions, records) -> None:
    """The quiz is answered one question at a time: forms while an attempt is open or may start; the
    choices of the attempt in progress, or of the last one once the quiz is passed or out of attempts."""
    current = next((a for a in attempts if not a.is_complete), None)
    completed = [a for a in attempts if a.is_complete]
    may_start = current is None and len(completed) < page.quiz_max_attempts and not any(a.passed for a in completed)
    shown = current or (completed[-1] if completed and not may_start else None)
    for question in outline.quiz_questions:
        if enrolled and (current is not None or may_start):
            actions[question.id] = reverse("lms:quiz_answer", args=[page.pk, question.id])
        if shown is not None and question.id in shown.answers:
            records[question.id] = {"choices": shown.answers[question.id]}


def case_page_context(*, request, page, state) -> dict:
    """`lms`, `block_actions` and `records` of a case study or lesson for the requesting learner.

    Queries: distributions (1), the visit (≤1). The programme and its structure are cached; the
    enrolment and the learner's records on the page (answers, reflections, worksheets, quiz attempts,
    completed pages of the programme: `selectors.page_records_for_learner`) were read by the
    `case_state` hook (`state.lms_enrolment`, `state.lms_records`). None of these grows with the data."""
    user = request.user
    outline = state.outline
    programme = selectors.programme_for_page(page=page)
    if hasattr(state, "lms_enrolment"):  # read by the `case_state` hook (`services.self_paced_case_state`)
        enrolment = state.lms_enrolment
    else:
        enrolment = selectors.enrolment_get(user=user, programme=programme) if programme else None
    enrolled = enrolment is not None and enrolment.is_active
    lms = {
        "enrolled": enrolled,
        "programme": programme,
        "enrol_url": reverse("lms:enrol", args=[programme.pk]) if programme else "",
    }
    actions: dict[str, str] = {}
    records: dict[str, dict] = {}
    context = {"lms": lms, "block_actions": actions, "records": records}
    if not user.is_authenticated or programme is None or getattr(request, "is_preview", False):
        return context

    blocks = {"page": page, "outline": outline, "enrolled": enrolled, "actions": actions, "records": records}
    written = getattr(state, "lms_records", None)
    if written is None:  # a state built without lms's `case_state` hook
        written = selectors.page_records_for_learner(user=user, page=page, outline=outline)
    _decisions(user=user, programme=programme, answers=written.answers, **blocks)
    if outline.reflection_prompts:
        _reflections(reflections=written.reflections, **blocks)
    if outline.worksheets:
        _worksheets(sheets=written.worksheets, **blocks)
    if outline.quiz_questions:
        _quiz(attempts=written.quiz_attempts, **blocks)

    structure = selectors.programme_structure(programme=programme)
    progress = selectors.programme_progress(
        programme=programme, user=user, structure=structure, completed=written.completed_page_ids
    )
    lms["progress"] = progress
    lms["programme_title"] = structure.title  # in the reader's language
    lms["page_id"] = page.pk  # the page records are kept under (the original of a translation)
    lms["percent"] = round(100 * progress["fraction"])
    lms["completed"] = page.pk in progress["completed_page_ids"]
    module = next((m for m in structure.modules if page.pk in {p.pk for p in m.pages}), None)
    if module is not None:
        lms["module"] = module.page
        lms["module_progress"] = progress["modules"][module.id]
        lms["module_percent"] = round(100 * progress["modules"][module.id]["fraction"])
    if services.page_needs_mark_done(outline):
        lms["mark_done_url"] = reverse("lms:mark_done", args=[page.pk])
    if enrolled:
        services.enrolment_visit(enrolment=enrolment, page=page)
    return context


def add_to_case_page_context(*, request, page, state, context) -> None:
    """Fill `context` for the case/lesson templates. A translation shows the records of its
    default-language original (`state.source_page`)."""
    built = case_page_context(request=request, page=state.source_page or page, state=state)
    context["lms"] = built["lms"]
    context.setdefault("block_actions", {}).update(built["block_actions"])
    context.setdefault("records", {}).update(built["records"])
