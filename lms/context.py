"""What a case study or lesson page shows of the learner's records: built once per request."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from lms import selectors, services
from lms.models import DecisionAnswer, PageCompletion, QuizAttempt, Worksheet


@dataclass
class QuizView:
    action: str
    questions: list
    attempts: list[QuizAttempt]  # completed attempts
    current: QuizAttempt | None  # an attempt being answered question by question
    max_attempts: int
    threshold: int
    next_number: int
    passed: bool
    last: QuizAttempt | None
    # per question of the last attempt: {"selected": set, "correct": bool, "feedback": [(label, text, correct)]}
    feedback: dict = field(default_factory=dict)

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_attempts - len(self.attempts))

    @property
    def can_attempt(self) -> bool:
        """A new attempt may start."""
        return self.attempts_left > 0 and not self.passed and self.current is None

    @property
    def can_answer(self) -> bool:
        return self.current is not None or self.can_attempt


def quiz_view(*, page, questions, attempts: list[QuizAttempt]) -> QuizView:
    current = next((a for a in attempts if not a.is_complete), None)
    attempts = [a for a in attempts if a.is_complete]
    last = attempts[-1] if attempts else None
    view = QuizView(
        action=reverse("lms:quiz_submit", args=[page.pk]),
        questions=questions,
        attempts=attempts,
        current=current,
        max_attempts=page.quiz_max_attempts,
        threshold=page.quiz_pass_threshold,
        next_number=len(attempts) + (2 if current else 1),
        passed=any(a.passed for a in attempts),
        last=last,
    )
    if last is not None:
        for question in questions:
            selected = set(last.answers.get(question.id, []))
            correct_ids = {o.id for o in question.options if o.correct}
            view.feedback[question.id] = {
                "selected": selected,
                "correct": selected == correct_ids,
                "options": [
                    {"label": o.label, "feedback": o.feedback, "correct": o.correct, "selected": o.id in selected}
                    for o in question.options
                ],
            }
    return view


def html_to_text(html: str) -> str:
    """Plain text of a stored reflection, for the plain textarea of the cms block template."""
    import re

    from config.sanitize import plain_text

    text = re.sub(r"</(p|blockquote|ul|ol)>", "\n\n", html or "")
    text = re.sub(r"<br\s*/?>", "\n", text)
    text = re.sub(r"<li>", "- ", text)
    text = re.sub(r"</li>", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", plain_text(text)).strip()


def cms_contract(*, lms: dict, page) -> tuple[dict, dict]:
    """`block_actions` and `records` in the shape the cms block templates read (see cms/models.py)."""
    actions: dict[str, str] = {}
    records: dict[str, dict] = {}
    enrolled = lms["enrolled"]
    for block_id, rec in lms["decisions"].items():
        if enrolled and not rec["locked"]:
            actions[block_id] = rec["action"]
        if rec["answer"] is not None:
            # `distribution`: render with {% include "lms/blocks/distribution.html" with distribution=record.distribution %}
            records[block_id] = {"choice": rec["answer"].option_id, "rationale": rec["answer"].rationale,
                                 "distribution": rec["distribution"]}
    for block_id, rec in lms["reflections"].items():
        if enrolled:
            actions[block_id] = rec["submit_url"]
        reflection = rec["reflection"]
        latest = rec["latest"]
        if reflection is not None and (reflection.draft_html or latest):
            text = reflection.draft_html or latest.body_html
            records[block_id] = {"text": html_to_text(text), "submitted": reflection.is_submitted,
                                 "versions": latest.number if latest else 0, "detail_url": rec["detail_url"]}
    for block_id, rec in lms["worksheets"].items():
        if enrolled:
            actions[block_id] = rec["action"]
        if rec["worksheet"] is not None:
            records[block_id] = {"fields": rec["worksheet"].data, "print_url": rec["print_url"]}
    quiz = lms["quiz"]
    if quiz is not None:
        current = quiz.current
        shown = None
        if current is not None:
            shown = current  # answers of the attempt in progress
        elif quiz.last is not None and not quiz.can_attempt:
            shown = quiz.last  # passed, or no attempt left: show the last attempt with its feedback
        for question in quiz.questions:
            if enrolled and quiz.can_answer:
                actions[question.id] = reverse("lms:quiz_answer", args=[page.pk, question.id])
            if shown is not None and question.id in shown.answers:
                records[question.id] = {"choices": shown.answers[question.id]}
    return actions, records


def case_page_lms_context(*, request, page, state) -> dict:
    """The `lms` context of a case study or lesson page for the requesting learner.

    Queries: programme (cached), enrolment (1), reflections with their last version and comments (≤2), worksheets (1),
    quiz attempts (1), programme structure and completions (2), distributions (1), the visit (≤1).
    Decision answers come from the `case_state` hook. None of these grows with the data."""
    user = request.user
    outline = state.outline
    programme = selectors.programme_for_page(page=page)
    enrolment = selectors.enrolment_get(user=user, programme=programme) if programme else None
    enrolled = enrolment is not None and enrolment.is_active
    lms = {
        "enrolled": enrolled,
        "enrolment": enrolment,
        "programme": programme,
        "enrol_url": reverse("lms:enrol", args=[programme.pk]) if programme else "",
        "decisions": {},
        "reflections": {},
        "worksheets": {},
        "quiz": None,
        "completed": False,
        "mark_done_url": "",
        "progress": None,
        "module_progress": None,
    }
    if not user.is_authenticated or programme is None or getattr(request, "is_preview", False):
        return lms

    answers: dict[str, DecisionAnswer] = getattr(state, "lms_answers", None)
    if answers is None:
        answers = {a.block_id: a for a in DecisionAnswer.objects.filter(user=user, page_id=page.pk)}

    distributions = {}
    if any(spec.id in answers for spec in outline.decision_points):
        peers = selectors.peer_user_ids(user=user, programme=programme)
        distributions = selectors.decision_distributions_for_page(page=page, programme=programme, user_ids=peers)
    for spec in outline.decision_points:
        answer = answers.get(spec.id)
        chosen = next((o for o in spec.options if answer and o.id == answer.option_id), None)
        lms["decisions"][spec.id] = {
            "spec": spec,
            "answer": answer,
            "chosen": chosen,
            "locked": answer is not None,
            "action": reverse("lms:decision_submit", args=[page.pk, spec.id]),
            "distribution": (
                selectors.distribution_view(raw=distributions.get(spec.id, {}), options=spec.options) if answer else None
            ),
        }

    if outline.reflection_prompts:
        reflections = selectors.reflections_for_page(user=user, page=page)
        for spec in outline.reflection_prompts:
            reflection = reflections.get(spec.id)
            lms["reflections"][spec.id] = {
                "spec": spec,
                "reflection": reflection,
                "latest": reflection.latest if reflection else None,  # the last submitted version
                "comments": reflection.comment_list if reflection else [],
                "draft_url": reverse("lms:reflection_draft", args=[page.pk, spec.id]),
                "submit_url": reverse("lms:reflection_submit", args=[page.pk, spec.id]),
                "detail_url": reverse("lms:reflection_detail", args=[reflection.pk]) if reflection else "",
                "storage_key": f"passerelles:reflection:{user.pk}:{page.pk}:{spec.id}",
            }

    if outline.worksheets:
        from cms.blocks import WorksheetTemplate

        sheets = {w.block_id: w for w in Worksheet.objects.filter(user=user, page_id=page.pk)}
        for spec in outline.worksheets:
            sheet = sheets.get(spec.id)
            data = sheet.data if sheet else {}
            lms["worksheets"][spec.id] = {
                "spec": spec,
                "worksheet": sheet,
                "fields": [
                    {"key": key, "label": label, "value": data.get(key, "")}
                    for key, label in WorksheetTemplate.FIELDS.get(spec.template_kind, [])
                ],
                "action": reverse("lms:worksheet_save", args=[page.pk, spec.id]),
                "print_url": reverse("lms:worksheet_detail", args=[sheet.pk]) if sheet else "",
            }

    if outline.quiz_questions:
        attempts = list(QuizAttempt.objects.filter(user=user, page_id=page.pk).order_by("number"))
        lms["quiz"] = quiz_view(page=page, questions=outline.quiz_questions, attempts=attempts)

    structure = selectors.programme_structure(programme=programme)
    progress = selectors.programme_progress(programme=programme, user=user, structure=structure)
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
    lms["completion_reason"] = PageCompletion.Reason
    return lms


def add_to_case_page_context(*, request, page, state, context) -> None:
    """Fill `context` for the case/lesson templates: `lms` (everything) plus cms's `block_actions` and `records`.

    A translation shows the records of its default-language original (`state.source_page`)."""
    page = state.source_page or page
    lms = case_page_lms_context(request=request, page=page, state=state)
    context["lms"] = lms
    actions, records = cms_contract(lms=lms, page=page)
    context.setdefault("block_actions", {}).update(actions)
    context.setdefault("records", {}).update(records)
