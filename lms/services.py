"""Writes on learning records. Views, the cohorts app and management commands all call these.

Every write on a page goes through `learner_access`: the learner must be enrolled in the
page's programme and the block's episode must be open for them; otherwise `LearningError`
(`NOT_ALLOWED`) and nothing is stored. Bad input raises `LearningError` (`INVALID`) before any
row is written. Services know nothing of HTTP: `lms.views` maps each code to a response.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.models import Page

from accounts.i18n import in_recipient_language
from accounts.mail import email_enqueue
from cms.access import CaseState, case_state
from cms.blocks import WorksheetTemplate
from cms.models import CaseStudyPage, LessonPage, ModulePage, ProgrammePage
from cms.selectors import case_outline, source_page
from config.sanitize import clean_html, plain_text
from lms import selectors
from lms.models import (
    Certificate,
    DecisionAnswer,
    DpcAttestation,
    Enrolment,
    ModuleFeedback,
    PageCompletion,
    QuizAttempt,
    Reflection,
    ReflectionComment,
    ReflectionVersion,
    SelfAssessment,
    Worksheet,
)

MAX_RATIONALE = 4000
MAX_REFLECTION = 30000
MAX_COMMENT = 5000
MAX_WORKSHEET_FIELD = 5000
CERTIFICATE_COHORT_HOOK = "certificate_cohort_name"


class LearningError(Exception):
    """A refused write, raised before anything is stored: `code` says what kind of refusal (views map
    it to a response), `message` says why, translated into the active language."""

    INVALID = "invalid"  # the input breaks a rule: an unknown option, a text too long, a locked answer
    NOT_ALLOWED = "not_allowed"  # not for this user: not enrolled, episode not open yet, not a facilitator
    NOT_FOUND = "not_found"  # no such live programme, page or block

    def __init__(self, message: str, *, code: str = INVALID):
        super().__init__(message)
        self.message = message
        self.code = code


# --- Enrolment -----------------------------------------------------------------------------


@transaction.atomic
def enrolment_create(*, user: AbstractBaseUser, programme, source: str = "self") -> Enrolment:
    """Enrol `user` in `programme`; a second call returns the active enrolment, re-activates a left one."""
    if source not in Enrolment.Source.values:
        raise LearningError(_("Origine d'inscription inconnue."))
    try:
        with transaction.atomic():
            enrolment, created = Enrolment.objects.get_or_create(
                user=user, programme_id=programme.pk, defaults={"source": source}
            )
    except IntegrityError:  # a concurrent call won the race
        enrolment, created = Enrolment.objects.get(user=user, programme_id=programme.pk), False
    if not created and enrolment.status != Enrolment.Status.ACTIVE:
        enrolment.status = Enrolment.Status.ACTIVE
        enrolment.left_at = None
        if source == Enrolment.Source.COHORT:
            enrolment.source = source
        enrolment.save(update_fields=["status", "left_at", "source"])
    elif not created and source == Enrolment.Source.COHORT and enrolment.source != source:
        enrolment.source = source
        enrolment.save(update_fields=["source"])
    return enrolment


def enrolment_self_enrol(*, user, programme) -> Enrolment:
    """Self-enrolment: only in a live programme open to it."""
    if not programme.live:
        raise LearningError(_("Ce programme n'est pas publié."), code=LearningError.NOT_FOUND)
    existing = selectors.enrolment_get(user=user, programme=programme)
    if not programme.open_enrolment and existing is None:
        raise LearningError(
            _("Ce programme est réservé aux promotions : l'inscription se fait sur invitation."), code=LearningError.NOT_ALLOWED
        )
    return enrolment_create(user=user, programme=programme, source=Enrolment.Source.SELF)


def enrolment_leave(*, user, programme) -> Enrolment:
    """Leave a programme: the records stay, the programme leaves the dashboard."""
    enrolment = Enrolment.objects.filter(user=user, programme_id=programme.pk).first()
    if enrolment is None or enrolment.status != Enrolment.Status.ACTIVE:
        raise LearningError(_("Vous n'êtes pas inscrit·e à ce programme."))
    enrolment.status = Enrolment.Status.LEFT
    enrolment.left_at = timezone.now()
    enrolment.save(update_fields=["status", "left_at"])
    return enrolment


# --- Access to a page ----------------------------------------------------------------------


@dataclass
class LearnerAccess:
    user: AbstractBaseUser
    page: Page  # specific CaseStudyPage or LessonPage
    programme: Page
    enrolment: Enrolment
    state: CaseState


def learning_page_get(*, page_id: int) -> Page:
    """A live case study or lesson, or LearningError 404. For a translation, its default-language
    original, under which records are kept (`cms.selectors.source_page`)."""
    page = Page.objects.live().filter(pk=page_id).specific().first()
    if page is None or not isinstance(page, (CaseStudyPage, LessonPage)):
        raise LearningError(_("Cette page n'existe pas ou n'est pas publiée."), code=LearningError.NOT_FOUND)
    return source_page(page)


def learner_access(*, user, page: Page, episode_id: str | None = None, episode_ids=()) -> LearnerAccess:
    """Check that `user` may record work on `page` (and in the given episodes), or raise LearningError 403."""
    if not user.is_authenticated:
        raise LearningError(_("Connectez-vous pour enregistrer votre travail."), code=LearningError.NOT_ALLOWED)
    programme = selectors.programme_for_page(page=page)
    enrolment = selectors.enrolment_get(user=user, programme=programme) if programme else None
    if enrolment is None or not enrolment.is_active:
        raise LearningError(
            _("Vous n'êtes pas inscrit·e au programme de cette page : inscrivez-vous pour enregistrer vos réponses."),
            code=LearningError.NOT_ALLOWED,
        )
    state = case_state(user=user, page=page)
    for episode in {episode_id, *episode_ids} - {None}:
        if not state.episode_is_open(episode):
            raise LearningError(_("Cet épisode du cas n'est pas encore ouvert pour vous."), code=LearningError.NOT_ALLOWED)
    return LearnerAccess(user=user, page=page, programme=programme, enrolment=enrolment, state=state)


# --- Following a programme alone ----------------------------------------------------------


def self_paced_case_state(state: CaseState) -> None:
    """A case for a learner who follows its programme alone (`selectors.follows_alone`) and is
    enrolled: nobody will set a cohort's dates, so the learner's own progress opens the case.
    `state.self_paced` makes an episode "at the facilitator's date" open once the decision points
    before it are answered (`cms.access.CaseState.gate_holds`); the debrief opens once every decision
    point of the case is answered and every episode is open. Run by lms's `case_state` hook after
    the learner's answers are on the state; leaves the enrolment on it (`state.lms_enrolment`)
    for the page context."""
    user = state.user
    programme = selectors.programme_for_page(page=state.source_page)
    enrolment = selectors.enrolment_get(user=user, programme=programme) if programme else None
    state.lms_enrolment = enrolment
    if enrolment is None or not enrolment.is_active or state.is_facilitator:
        return
    if not selectors.follows_alone(user=user, programme=programme):
        return
    state.self_paced = True
    outline = state.outline
    decisions_answered = {spec.id for spec in outline.decision_points} <= state.answered_decision_ids
    if decisions_answered and all(state.episode_is_open(episode.id) for episode in outline.episodes):
        state.debrief_open = True


# --- Completion ----------------------------------------------------------------------------


def page_needs_mark_done(outline) -> bool:
    """A page with nothing to answer is completed by "mark as done"."""
    return not (outline.decision_points or outline.reflection_prompts or outline.quiz_questions)


def page_rule_holds(*, user, page, outline) -> bool:
    """All decision points answered, all reflections submitted, quiz passed (each when the page has them)."""
    if page_needs_mark_done(outline):
        return False
    decision_ids = {spec.id for spec in outline.decision_points}
    if decision_ids:
        answered = set(
            DecisionAnswer.objects.filter(user=user, page_id=page.pk, block_id__in=decision_ids).values_list(
                "block_id", flat=True
            )
        )
        if answered != decision_ids:
            return False
    prompt_ids = {spec.id for spec in outline.reflection_prompts}
    if prompt_ids:
        submitted = set(
            Reflection.objects.filter(
                user=user, page_id=page.pk, block_id__in=prompt_ids, submitted_at__isnull=False
            ).values_list("block_id", flat=True)
        )
        if submitted != prompt_ids:
            return False
    if outline.quiz_questions and not QuizAttempt.objects.filter(user=user, page_id=page.pk, passed=True).exists():
        return False
    return True


def page_completion_refresh(*, access: LearnerAccess, reason: str = PageCompletion.Reason.RULE) -> bool:
    """Record the page as complete when its rule holds (or when marked done), then the programme."""
    user, page = access.user, access.page
    if reason == PageCompletion.Reason.RULE and not page_rule_holds(user=user, page=page, outline=access.state.outline):
        return False
    _completion, created = PageCompletion.objects.get_or_create(
        user=user, page_id=page.pk, defaults={"programme_id": access.programme.pk, "reason": reason}
    )
    if created:
        programme_completion_refresh(enrolment=access.enrolment)
    return True


def programme_completion_refresh(*, enrolment: Enrolment) -> Certificate | None:
    """When every page of the programme is complete, mark the enrolment complete and issue the certificate."""
    progress = selectors.programme_progress_for_users(programme=enrolment.programme, user_ids=[enrolment.user_id])
    if not progress[enrolment.user_id]["completed"]:
        return None
    if enrolment.completed_at is None:
        enrolment.completed_at = timezone.now()
        enrolment.save(update_fields=["completed_at"])
    return certificate_issue(enrolment=enrolment)


@transaction.atomic
def page_mark_done(*, user, page) -> bool:
    """"Mark as done", for pages with nothing to answer; refused on pages that have a rule."""
    access = learner_access(user=user, page=page)
    if not page_needs_mark_done(access.state.outline):
        raise LearningError(
            _("Cette page se termine en répondant à ses activités (décisions, réflexions, quiz).")
        )
    return page_completion_refresh(access=access, reason=PageCompletion.Reason.MARKED)


# --- Decision points -----------------------------------------------------------------------


@transaction.atomic
def decision_answer_submit(
    *, user, page, block_id: str, option_id: str, rationale: str
) -> tuple[DecisionAnswer, bool]:
    """Store the learner's choice once. Returns (answer, created); an identical retry returns the
    stored answer; a different one on a locked point is refused (400)."""
    outline = case_outline(page)
    outline_spec = outline.decision_point(block_id)
    if outline_spec is None:
        raise LearningError(_("Ce point de décision n'existe pas sur cette page."), code=LearningError.NOT_FOUND)
    access = learner_access(user=user, page=page, episode_id=outline_spec.episode_id)
    rationale = (rationale or "").strip()
    if option_id not in {option.id for option in outline_spec.options}:
        raise LearningError(_("Cette option n'existe pas pour ce point de décision."))
    if outline_spec.rationale_required and not rationale:
        raise LearningError(_("Expliquez votre choix avant de valider : la justification est obligatoire."))
    if len(rationale) > MAX_RATIONALE:
        raise LearningError(_("La justification est trop longue (%(max)d caractères au plus).") % {"max": MAX_RATIONALE})

    existing = DecisionAnswer.objects.filter(user=user, page_id=page.pk, block_id=block_id).first()
    if existing is None:
        try:
            with transaction.atomic():
                answer = DecisionAnswer.objects.create(
                    user=user, page_id=page.pk, block_id=block_id, option_id=option_id,
                    rationale=rationale, profession=user.profession or "",
                )
        except IntegrityError:  # the same learner's other request stored first
            existing = DecisionAnswer.objects.get(user=user, page_id=page.pk, block_id=block_id)
        else:
            access.state.answered_decision_ids.add(block_id)
            page_completion_refresh(access=access)
            return answer, True
    if existing.option_id == option_id and existing.rationale == rationale:
        return existing, False
    raise LearningError(_("Votre réponse à ce point de décision est déjà validée : elle ne peut plus être modifiée."))


# --- Reflections ---------------------------------------------------------------------------


def _reflection_html(html: str) -> str:
    """Sanitise; plain text typed without markup becomes paragraphs."""
    text = html or ""
    if "<" not in text:
        paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
        text = "".join("<p>" + escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return str(clean_html(text, profile="rich"))


def _reflection_prompt(page, block_id: str):
    spec = next((p for p in case_outline(page).reflection_prompts if p.id == block_id), None)
    if spec is None:
        raise LearningError(_("Cette consigne de réflexion n'existe pas sur cette page."), code=LearningError.NOT_FOUND)
    return spec


def _reflection_for(user, page, block_id: str) -> Reflection:
    try:
        with transaction.atomic():
            reflection, _created = Reflection.objects.get_or_create(user=user, page_id=page.pk, block_id=block_id)
    except IntegrityError:
        reflection = Reflection.objects.get(user=user, page_id=page.pk, block_id=block_id)
    return reflection


@transaction.atomic
def reflection_draft_save(*, user, page, block_id: str, html: str) -> Reflection:
    """Keep the text being written (sanitised), so a closed tab loses nothing."""
    spec = _reflection_prompt(page, block_id)
    learner_access(user=user, page=page, episode_id=spec.episode_id)
    if len(html or "") > MAX_REFLECTION:
        raise LearningError(_("Le texte est trop long (%(max)d caractères au plus).") % {"max": MAX_REFLECTION})
    reflection = _reflection_for(user, page, block_id)
    reflection.draft_html = _reflection_html(html)
    reflection.draft_saved_at = timezone.now()
    reflection.save(update_fields=["draft_html", "draft_saved_at"])
    return reflection


@transaction.atomic
def reflection_submit(*, user, page, block_id: str, html: str) -> tuple[ReflectionVersion, bool]:
    """Submit a version (kept as sent). Re-sending the same text as the latest version stores nothing new."""
    spec = _reflection_prompt(page, block_id)
    access = learner_access(user=user, page=page, episode_id=spec.episode_id)
    if len(html or "") > MAX_REFLECTION:
        raise LearningError(_("Le texte est trop long (%(max)d caractères au plus).") % {"max": MAX_REFLECTION})
    body = _reflection_html(html)
    if not plain_text(body):
        raise LearningError(_("Votre réflexion est vide : écrivez quelques lignes avant de l'envoyer."))
    reflection = Reflection.objects.select_for_update().get(pk=_reflection_for(user, page, block_id).pk)
    latest = reflection.versions.order_by("-number").first()
    if latest is not None and latest.body_html == body:
        return latest, False
    try:
        with transaction.atomic():
            version = ReflectionVersion.objects.create(
                reflection=reflection, number=(latest.number + 1) if latest else 1, body_html=body
            )
    except IntegrityError:
        return reflection.versions.order_by("-number").first(), False
    reflection.submitted_at = version.submitted_at
    reflection.draft_html = body
    reflection.draft_saved_at = version.submitted_at
    reflection.save(update_fields=["submitted_at", "draft_html", "draft_saved_at"])
    page_completion_refresh(access=access)
    return version, True


def reflection_comment_add(*, author, reflection: Reflection, html: str) -> ReflectionComment:
    """A facilitator of the learner's cohort comments a reflection; the learner reads it."""
    if author.pk == reflection.user_id or not selectors.can_read_learner_work(
        viewer=author, learner_id=reflection.user_id
    ):
        raise LearningError(_("Seul·e un·e animateur·rice de la promotion de l'apprenant·e peut commenter."), code=LearningError.NOT_ALLOWED)
    if reflection.submitted_at is None:
        raise LearningError(_("Cette réflexion n'a pas encore été envoyée."))
    if len(html or "") > MAX_COMMENT:
        raise LearningError(_("Le commentaire est trop long (%(max)d caractères au plus).") % {"max": MAX_COMMENT})
    body = _reflection_html(html)
    if not plain_text(body):
        raise LearningError(_("Le commentaire est vide."))
    comment = ReflectionComment.objects.create(reflection=reflection, author=author, body_html=body)
    _reflection_comment_notify(comment)
    return comment


def _reflection_comment_notify(comment: ReflectionComment) -> None:
    """Tell the learner by e-mail, in their language, that a facilitator commented (sent after commit)."""
    reflection = comment.reflection
    learner = reflection.user
    link = settings.SITE_URL.rstrip("/") + reverse("lms:reflection_detail", args=[reflection.pk])
    with in_recipient_language(user=learner, fallback=settings.LANGUAGE_CODE):
        author = comment.author.display_name
        subject = _("%(name)s a commenté votre réflexion") % {"name": author}
        body = render_to_string("lms/emails/reflection_comment.txt", {
            "author": author, "page": reflection.page.title, "text": plain_text(comment.body_html), "link": link,
        })
    email_enqueue(to=learner.email, subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body=body)


# --- Quizzes -------------------------------------------------------------------------------


def quiz_score(*, questions, answers: dict[str, list[str]]) -> int:
    """Percent of questions whose selected options are exactly the correct ones."""
    if not questions:
        return 0
    right = sum(
        1 for q in questions if set(answers.get(q.id, [])) == {o.id for o in q.options if o.correct}
    )
    return round(100 * right / len(questions))


def _quiz_validate(question, chosen: list[str]) -> list[str]:
    chosen = [option_id for option_id in chosen if option_id]
    valid = {option.id for option in question.options}
    if not chosen:
        raise LearningError(_("Répondez à toutes les questions : « %(q)s » est sans réponse.") % {"q": question.question})
    if not set(chosen) <= valid:
        raise LearningError(_("Une réponse envoyée n'existe pas pour la question « %(q)s ».") % {"q": question.question})
    if question.kind == "single" and len(set(chosen)) != 1:
        raise LearningError(_("Une seule réponse est attendue pour « %(q)s ».") % {"q": question.question})
    return sorted(set(chosen))


def _quiz_finish(*, attempt: QuizAttempt, questions, page, access: LearnerAccess) -> None:
    attempt.score = quiz_score(questions=questions, answers=attempt.answers)
    attempt.passed = attempt.score >= page.quiz_pass_threshold
    attempt.completed_at = timezone.now()
    attempt.save(update_fields=["answers", "score", "passed", "completed_at"])
    if attempt.passed:
        page_completion_refresh(access=access)


def _quiz_can_start(*, user, page) -> int:
    """The number of the next attempt, or LearningError when the quiz is passed or attempts are used up."""
    attempts = list(QuizAttempt.objects.filter(user=user, page_id=page.pk).values_list("passed", flat=True))
    if any(attempts):
        raise LearningError(_("Vous avez déjà réussi ce quiz."))
    if len(attempts) >= page.quiz_max_attempts:
        raise LearningError(
            _("Vous avez utilisé vos %(max)d tentatives pour ce quiz.") % {"max": page.quiz_max_attempts}
        )
    return len(attempts) + 1


@transaction.atomic
def quiz_answer_submit(*, user, page, block_id: str, option_ids: list[str]) -> tuple[QuizAttempt, bool]:
    """Answer one question of the current attempt (opening one when needed); the attempt is scored
    when its last question is answered. Re-sending the same answer stores nothing; a different one
    for a question already answered in this attempt is refused (400)."""
    questions = case_outline(page).quiz_questions
    question = next((q for q in questions if q.id == block_id), None)
    if question is None:
        raise LearningError(_("Cette question n'existe pas sur cette page."), code=LearningError.NOT_FOUND)
    access = learner_access(user=user, page=page, episode_id=question.episode_id)
    chosen = _quiz_validate(question, option_ids)
    attempt = (
        QuizAttempt.objects.select_for_update()
        .filter(user=user, page_id=page.pk).order_by("-number").first()
    )
    if attempt is not None and block_id in attempt.answers:
        if not attempt.is_complete:
            if attempt.answers[block_id] == chosen:
                return attempt, False
            raise LearningError(_("Vous avez déjà répondu à cette question dans cette tentative."))
        retried = (
            attempt.last_block_id == block_id and attempt.answers[block_id] == chosen
            and (timezone.now() - attempt.completed_at).total_seconds() < 120
        )
        if retried:  # the request that completed the attempt, sent again
            return attempt, False
    if attempt is None or attempt.is_complete:
        number = _quiz_can_start(user=user, page=page)
        try:
            with transaction.atomic():
                attempt = QuizAttempt.objects.create(user=user, page_id=page.pk, number=number, answers={})
        except IntegrityError:
            attempt = QuizAttempt.objects.select_for_update().get(user=user, page_id=page.pk, number=number)
            if block_id in attempt.answers:
                return attempt, False
    attempt.answers = {**attempt.answers, block_id: chosen}
    attempt.last_block_id = block_id
    attempt.save(update_fields=["answers", "last_block_id"])
    if all(q.id in attempt.answers for q in questions):
        _quiz_finish(attempt=attempt, questions=questions, page=page, access=access)
    return attempt, True


# --- Worksheets ----------------------------------------------------------------------------


@transaction.atomic
def worksheet_save(*, user, page, block_id: str, data: dict[str, str]) -> Worksheet:
    """Save the worksheet's fields (plain text, escaped when shown); unknown fields are refused."""
    spec = next((w for w in case_outline(page).worksheets if w.id == block_id), None)
    if spec is None:
        raise LearningError(_("Cette fiche n'existe pas sur cette page."), code=LearningError.NOT_FOUND)
    learner_access(user=user, page=page, episode_id=spec.episode_id)
    keys = [key for key, _label in WorksheetTemplate.FIELDS.get(spec.template_kind, [])]
    unknown = set(data) - set(keys)
    if unknown:
        raise LearningError(_("Champ de fiche inconnu."))
    values = {}
    for key in keys:
        value = (data.get(key) or "").replace("\r\n", "\n").strip()
        if len(value) > MAX_WORKSHEET_FIELD:
            raise LearningError(
                _("Un champ dépasse %(max)d caractères.") % {"max": MAX_WORKSHEET_FIELD}
            )
        values[key] = value
    try:
        with transaction.atomic():
            worksheet, _created = Worksheet.objects.get_or_create(
                user=user, page_id=page.pk, block_id=block_id,
                defaults={"template_kind": spec.template_kind, "title": spec.text[:255], "data": values},
            )
    except IntegrityError:
        worksheet, _created = Worksheet.objects.get(user=user, page_id=page.pk, block_id=block_id), False
    if not _created:
        worksheet.data = values
        worksheet.template_kind = spec.template_kind
        worksheet.title = spec.text[:255]
        worksheet.save(update_fields=["data", "template_kind", "title", "updated_at"])
    return worksheet


# --- Certificates --------------------------------------------------------------------------


def _cohort_name(user, programme) -> str:
    for fn in hooks.get_hooks(CERTIFICATE_COHORT_HOOK):
        name = fn(user, programme)
        if name:
            return str(name)
    return ""


@transaction.atomic
def certificate_issue(*, enrolment: Enrolment) -> Certificate:
    """Issue the programme's certificate once, freezing the facts it certifies; for a programme with
    DPC fields, the participation attestation with it (`dpc_attestation_issue`)."""
    existing = Certificate.objects.filter(user_id=enrolment.user_id, programme_id=enrolment.programme_id).first()
    if existing is not None:
        return existing
    programme = ProgrammePage.objects.get(pk=enrolment.programme_id)
    user = enrolment.user
    structure = selectors.programme_structure(programme=programme)
    completions = dict(
        PageCompletion.objects.filter(user=user, page_id__in=structure.page_ids).values_list("page_id", "completed_at")
    )
    modules = []
    for module in structure.modules:
        dates = [completions[p.pk] for p in module.pages if p.pk in completions]
        if module.pages and len(dates) == len(module.pages):
            modules.append({"title": module.page.title, "completed_on": timezone.localdate(max(dates)).isoformat()})
    completed_at = enrolment.completed_at or timezone.now()
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                user=user,
                programme=programme,
                learner_name=user.get_full_name() or user.email,
                rpps=user.rpps or "",
                programme_title=programme.title,
                hours=programme.hours,
                competencies=[c.name for c in programme.competencies.all()],
                modules=modules,
                cohort_name=_cohort_name(user, programme),
                dpc_action_number=programme.dpc_action_number,
                dpc_organisation_number=programme.dpc_organisation_number,
                dpc_action_kind=programme.get_dpc_action_kind_display() if programme.dpc_action_kind else "",
                dpc_orientation=programme.dpc_orientation,
                started_on=timezone.localdate(enrolment.enrolled_at),
                completed_on=timezone.localdate(completed_at),
            )
    except IntegrityError:
        return Certificate.objects.get(user_id=enrolment.user_id, programme_id=enrolment.programme_id)
    if programme.has_dpc:
        dpc_attestation_issue(certificate=certificate, programme=programme)
    return certificate


def dpc_attestation_issue(*, certificate: Certificate, programme: ProgrammePage) -> DpcAttestation:
    """The DPC participation attestation of `certificate`, once: the programme's hours as online hours
    and, when the programme counts them (`dpc_live_sessions_count`), the live-session hours the
    learner attended (`selectors.dpc_live_hours`)."""
    attestation, _created = DpcAttestation.objects.get_or_create(
        certificate=certificate,
        defaults={
            "online_hours": programme.hours,
            "live_hours": selectors.dpc_live_hours(user=certificate.user, programme=programme),
        },
    )
    return attestation


# --- Competency self-assessment ------------------------------------------------------------


@transaction.atomic
def self_assessment_submit(*, user, programme, moment: str, levels: dict[str, str]) -> SelfAssessment:
    """Store the learner's levels (1 to 4, one per competency of the programme) for one moment, once.
    Refused, with nothing stored, when the moment is not open for them (`selectors.
    self_assessment_open_moments`), already answered, or when a level is missing or out of the scale."""
    if moment not in SelfAssessment.Moment.values:
        raise LearningError(_("Ce moment d'auto-positionnement n'existe pas."), code=LearningError.NOT_FOUND)
    enrolment = selectors.enrolment_get(user=user, programme=programme)
    if enrolment is None:
        raise LearningError(_("Vous n'êtes pas inscrit·e à ce programme."), code=LearningError.NOT_ALLOWED)
    done = set(SelfAssessment.objects.filter(user=user, programme_id=programme.pk).values_list("moment", flat=True))
    if moment in done:
        raise LearningError(_("Vous avez déjà répondu à ce questionnaire : vos réponses sont enregistrées."))
    if moment not in selectors.self_assessment_open_moments(enrolment=enrolment, done=done):
        raise LearningError(_("Ce questionnaire n'est pas encore ouvert pour vous."), code=LearningError.NOT_ALLOWED)
    framework = selectors.self_assessment_framework(programme=programme)
    if not framework:
        raise LearningError(_("Ce programme n'a pas de compétences à évaluer."), code=LearningError.NOT_FOUND)
    stored = {}
    for competency in framework:
        value = str(levels.get(competency.slug) or "")
        if not value.isdigit() or int(value) not in competency.SCALE:
            raise LearningError(
                _("Choisissez un niveau de 1 à 4 pour « %(name)s ».") % {"name": competency.name}
            )
        stored[competency.slug] = int(value)
    if set(levels) - set(stored):
        raise LearningError(_("Une compétence envoyée n'appartient pas à ce programme."))
    try:
        with transaction.atomic():
            return SelfAssessment.objects.create(
                user=user, programme_id=programme.pk, moment=moment, levels=stored, profession=user.profession or ""
            )
    except IntegrityError:  # the same learner's other tab stored first
        raise LearningError(_("Vous avez déjà répondu à ce questionnaire : vos réponses sont enregistrées.")) from None


def self_assessment_reminders_send(*, now=None) -> int:
    """Queue the "three months later" reminder for every learner due (`selectors.
    self_assessment_reminders_due`), once each, in their language, with the link to the form.
    Returns how many were queued. Run daily by `manage.py self_assessment_reminders`."""
    now = now or timezone.now()
    count = 0
    for enrolment in selectors.self_assessment_reminders_due(now=now):
        with transaction.atomic():
            claimed = Enrolment.objects.filter(pk=enrolment.pk, later_reminder_sent_at__isnull=True).update(
                later_reminder_sent_at=now
            )
            if not claimed:  # another run got there first
                continue
            learner = enrolment.user
            link = settings.SITE_URL.rstrip("/") + reverse(
                "lms:self_assessment_form", args=[enrolment.programme_id, SelfAssessment.Moment.LATER]
            )
            with in_recipient_language(user=learner, fallback=settings.LANGUAGE_CODE):
                subject = _("Trois mois après « %(title)s » : où en êtes-vous ?") % {"title": enrolment.programme.title}
                body = render_to_string("lms/emails/self_assessment_later.txt", {
                    "name": learner.first_name or learner.display_name, "title": enrolment.programme.title, "link": link,
                })
            email_enqueue(to=learner.email, subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body=body)
        count += 1
    return count


# --- Module feedback -----------------------------------------------------------------------

MAX_FEEDBACK_TEXT = 2000


def module_feedback_get_form(*, user, module_id: int):
    """(module, programme, form) for a learner who finished the module, or LearningError: 404 for no
    live module or no survey on it, 403 when not enrolled or the module is not finished yet."""
    module = ModulePage.objects.live().filter(pk=module_id).select_related("feedback_form").first()
    if module is None or module.feedback_form is None:
        raise LearningError(_("Ce module n'a pas de questionnaire."), code=LearningError.NOT_FOUND)
    module = source_page(module)
    programme = selectors.programme_for_page(page=module)
    enrolment = selectors.enrolment_get(user=user, programme=programme) if programme else None
    if enrolment is None or not enrolment.is_active:
        raise LearningError(_("Vous n'êtes pas inscrit·e à ce programme."), code=LearningError.NOT_ALLOWED)
    node = next((m for m in selectors.programme_structure(programme=programme).modules if m.page.pk == module.pk), None)
    page_ids = {p.pk for p in node.pages} if node else set()
    done = set(PageCompletion.objects.filter(user=user, page_id__in=page_ids).values_list("page_id", flat=True))
    if not page_ids or done != page_ids:
        raise LearningError(_("Terminez le module avant de donner votre avis."), code=LearningError.NOT_ALLOWED)
    return module, programme, module.feedback_form


def _rating(value, label) -> int:
    value = str(value or "").strip()
    if not value.isdigit() or not 1 <= int(value) <= 5:
        raise LearningError(_("Choisissez une note de 1 à 5 pour « %(q)s ».") % {"q": label})
    return int(value)


@transaction.atomic
def module_feedback_submit(*, user, module_id: int, data: dict) -> ModuleFeedback:
    """Store the learner's answer to a module's survey, once; refused with nothing stored when a
    rating is missing or out of 1–5, a text is too long, or the learner may not answer."""
    module, programme, form = module_feedback_get_form(user=user, module_id=module_id)
    if ModuleFeedback.objects.filter(user=user, module_id=module.pk).exists():
        raise LearningError(_("Vous avez déjà donné votre avis sur ce module. Merci !"))
    usefulness = _rating(data.get("usefulness"), form.usefulness_question)
    relevance = _rating(data.get("relevance"), form.relevance_question)
    texts = {}
    for name in ("change_text", "comment"):
        text = (data.get(name) or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_FEEDBACK_TEXT:
            raise LearningError(_("Une réponse dépasse %(max)d caractères.") % {"max": MAX_FEEDBACK_TEXT})
        texts[name] = text
    try:
        with transaction.atomic():
            return ModuleFeedback.objects.create(
                user=user, module_id=module.pk, programme_id=programme.pk, usefulness=usefulness,
                relevance=relevance, profession=user.profession or "", **texts,
            )
    except IntegrityError:
        raise LearningError(_("Vous avez déjà donné votre avis sur ce module. Merci !")) from None


# --- Visits --------------------------------------------------------------------------------


def enrolment_visit(*, enrolment: Enrolment, page) -> None:
    """Remember the last page opened, for "resume where I left off" (at most one write per few minutes)."""
    now = timezone.now()
    if (
        enrolment.last_page_id == page.pk
        and enrolment.last_visited_at
        and (now - enrolment.last_visited_at).total_seconds() < 300
    ):
        return
    Enrolment.objects.filter(pk=enrolment.pk).update(last_page_id=page.pk, last_visited_at=now)
    enrolment.last_page_id, enrolment.last_visited_at = page.pk, now
