"""lms views: thin — parse, check who may do what, call a service or a selector, render.

Write views answer HTML forms with a redirect back to the block (and a message), and
`fetch` calls (Accept: application/json) with JSON. A refused write (`LearningError`) answers
400, 403 or 404 after its code (`REFUSAL_STATUS`) with a clear message, and stores nothing (the
services validate before writing).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail import hooks

from cms.blocks import WorksheetTemplate
from cms.charts import horizontal_bars_svg
from cms.rendering import block_notice_tag
from cms.models import ProgrammePage
from cms.locales import translation_in
from cms.selectors import source_page
from config.csv_export import csv_response
from lms import pdf, selectors, services
from lms.export import account_erase, user_data_archive
from lms.models import Certificate, DpcAttestation, Reflection, SelfAssessment, Worksheet
from lms.services import LearningError

DASHBOARD_PANELS_HOOK = "dashboard_panels"


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


REFUSAL_STATUS = {LearningError.INVALID: 400, LearningError.NOT_ALLOWED: 403, LearningError.NOT_FOUND: 404}


def _refuse(request, error: LearningError):
    status = REFUSAL_STATUS[error.code]
    if _wants_json(request):
        return JsonResponse({"ok": False, "code": error.code, "error": error.message}, status=status)
    return render(request, "lms/refused.html", {"message": error.message, "status": status}, status=status)


def _back(request, page, anchor: str = ""):
    """Back to the page in the reader's language (records are kept under the original)."""
    url = page.localized.get_url(request=request) or "/"
    return redirect(f"{url}#{anchor}" if anchor else url)


def _notify(request, level, text: str, block_id: str) -> None:
    """The answer to a form sent from a block: shown in that block, where the page lands."""
    messages.add_message(request, level, text, extra_tags=block_notice_tag(block_id))


def learning_write(view):
    """Login required, POST only; LearningError becomes a refusal page or JSON error."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _refuse(
                request, LearningError(_("Connectez-vous pour enregistrer votre travail."), code=LearningError.NOT_ALLOWED)
            )
        try:
            return view(request, *args, **kwargs)
        except LearningError as error:
            return _refuse(request, error)

    return require_POST(wrapper)


# --- Enrolment -----------------------------------------------------------------------------


def _programme_or_404(programme_id: int):
    """A live programme; for a translation, its original (where enrolments are kept)."""
    return source_page(get_object_or_404(ProgrammePage.objects.live(), pk=programme_id))


@learning_write
def enrol(request, programme_id: int):
    programme = _programme_or_404(programme_id)
    services.enrolment_self_enrol(user=request.user, programme=programme)
    messages.success(request, _("Vous êtes inscrit·e au programme « %(title)s ».") % {"title": programme.title})
    return redirect(reverse("lms:programme_progress", args=[programme.pk]))


@learning_write
def leave(request, programme_id: int):
    programme = _programme_or_404(programme_id)
    services.enrolment_leave(user=request.user, programme=programme)
    messages.success(
        request, _("Vous avez quitté le programme « %(title)s ». Vos travaux sont conservés.") % {"title": programme.title}
    )
    return redirect("lms:dashboard")


@login_required
@require_GET
def programme_progress(request, programme_id: int):
    programme = _programme_or_404(programme_id)
    enrolment = selectors.enrolment_get(user=request.user, programme=programme)
    progress = selectors.programme_progress(programme=programme, user=request.user)
    enrolled = enrolment is not None and enrolment.is_active
    feedback = selectors.module_feedback_status(
        user=request.user, module_ids=[m.page.pk for m in progress["structure"].modules] if enrolled else [],
    )
    return render(
        request,
        "lms/programme_progress.html",
        {
            "programme": programme,
            "programme_title": progress["structure"].title,  # in the reader's language
            "enrolment": enrolment,
            "enrolled": enrolled,
            "progress": progress,
            "percent": round(100 * progress["fraction"]),
            "modules": [
                {
                    "page": module.page,
                    "pages": [{"page": p, "done": p.pk in progress["completed_page_ids"]} for p in module.pages],
                    "progress": progress["modules"][module.id],
                    "percent": round(100 * progress["modules"][module.id]["fraction"]),
                    "feedback": feedback.get(module.page.pk),  # None: no survey; False: to answer; True: answered
                }
                for module in progress["structure"].modules
            ],
            "page_title": progress["structure"].title,
            "self_paced": selectors.follows_alone(user=request.user, programme=programme),
        },
    )


# --- Competency self-assessment ------------------------------------------------------------


def _self_assessment_chart(profile: dict, title: str):
    labels = dict(SelfAssessment.Moment.choices)
    series = [
        (str(labels[moment]), [row["levels"][index] for row in profile["rows"]])
        for index, moment in enumerate(profile["moments"])
    ]
    return horizontal_bars_svg(labels=[row["competency"].name for row in profile["rows"]], series=series,
                               title=title, low=0, high=4)


@login_required
@require_GET
def self_assessment(request, programme_id: int):
    """The learner's own before / end / later profile; nobody else's answers are ever shown here."""
    programme = _programme_or_404(programme_id)
    profile = selectors.self_assessment_profile(user=request.user, programme=programme)
    if profile["enrolment"] is None:
        return _refuse(request, LearningError(
            _("Inscrivez-vous au programme pour vous auto-positionner."), code=LearningError.NOT_ALLOWED))
    title = _("Mon auto-positionnement")
    labels = dict(SelfAssessment.Moment.choices)
    return render(request, "lms/self_assessment.html", {
        "programme": programme,
        "profile": profile,
        "moment_labels": [labels[m] for m in profile["moments"]],
        "open_moments": [(m, labels[m]) for m in profile["open_moments"]],
        "chart": _self_assessment_chart(profile, title) if profile["moments"] else "",
        "page_title": title,
    })


@login_required
@require_http_methods(["GET", "POST"])
def self_assessment_form(request, programme_id: int, moment: str):
    """The questionnaire of one moment (GET), and its answers (POST), stored once."""
    programme = _programme_or_404(programme_id)
    if moment not in SelfAssessment.Moment.values:
        raise Http404
    levels = {}
    error = ""
    if request.method == "POST":
        levels = {key.removeprefix("level-"): value for key, value in request.POST.items() if key.startswith("level-")}
        try:
            services.self_assessment_submit(user=request.user, programme=programme, moment=moment, levels=levels)
        except LearningError as refusal:
            if refusal.code != LearningError.INVALID:
                return _refuse(request, refusal)
            error = refusal.message
        else:
            messages.success(request, _("Votre auto-positionnement est enregistré."))
            return redirect(reverse("lms:self_assessment", args=[programme.pk]))
    profile = selectors.self_assessment_profile(user=request.user, programme=programme)
    if moment not in profile["open_moments"]:
        done = moment in profile["moments"]
        return _refuse(request, LearningError(
            _("Vous avez déjà répondu à ce questionnaire : vos réponses sont enregistrées.") if done
            else _("Ce questionnaire n'est pas encore ouvert pour vous."),
            code=LearningError.INVALID if done else LearningError.NOT_ALLOWED,
        ))
    return render(request, "lms/self_assessment_form.html", {
        "programme": programme,
        "moment": moment,
        "moment_label": dict(SelfAssessment.Moment.choices)[moment],
        "framework": [(c, str(levels.get(c.slug, ""))) for c in profile["framework"]],
        "error": error,
        "page_title": _("Auto-positionnement"),
    }, status=400 if error else 200)


# --- Module feedback -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def module_feedback(request, module_id: int):
    """The survey at the end of a module (GET), and the learner's answer (POST), stored once."""
    try:
        module, programme, form = services.module_feedback_get_form(user=request.user, module_id=module_id)
    except LearningError as error:
        return _refuse(request, error)
    error = ""
    if request.method == "POST":
        try:
            services.module_feedback_submit(user=request.user, module_id=module_id, data=request.POST)
        except LearningError as refusal:
            error = refusal.message
        else:
            messages.success(request, _("Merci : votre avis est enregistré."))
            return redirect(reverse("lms:programme_progress", args=[programme.pk]))
    return render(request, "lms/module_feedback.html", {
        "module": module, "programme": programme, "form": translation_in(form), "values": request.POST,
        "already": selectors.module_feedback_given(user=request.user, module=module), "error": error,
        "scale": [1, 2, 3, 4, 5], "page_title": _("Votre avis sur le module"),
    }, status=400 if error else 200)


# --- Answers -------------------------------------------------------------------------------


@learning_write
def decision_submit(request, page_id: int, block_id: str):
    page = services.learning_page_get(page_id=page_id)
    answer, created = services.decision_answer_submit(
        user=request.user, page=page, block_id=block_id,
        option_id=request.POST.get("option_id", ""),
        rationale=request.POST.get("rationale", ""),
    )
    if _wants_json(request):
        return JsonResponse({"ok": True, "created": created, "option": answer.option_id}, status=201 if created else 200)
    if created:
        _notify(request, messages.SUCCESS, _("Votre réponse est validée. Découvrez le commentaire d'expert."), block_id)
    return _back(request, page, f"block-{block_id}")


@learning_write
def reflection_draft(request, page_id: int, block_id: str):
    page = services.learning_page_get(page_id=page_id)
    reflection = services.reflection_draft_save(user=request.user, page=page, block_id=block_id, html=request.POST.get("text", ""))
    if _wants_json(request):
        return JsonResponse({"ok": True, "saved_at": reflection.draft_saved_at.isoformat()})
    _notify(request, messages.SUCCESS, _("Brouillon enregistré."), block_id)
    return _back(request, page, f"block-{block_id}")


@learning_write
def reflection_submit(request, page_id: int, block_id: str):
    page = services.learning_page_get(page_id=page_id)
    version, created = services.reflection_submit(user=request.user, page=page, block_id=block_id, html=request.POST.get("text", ""))
    if _wants_json(request):
        return JsonResponse({"ok": True, "created": created, "version": version.number}, status=201 if created else 200)
    if created:
        _notify(request, messages.SUCCESS, _("Votre réflexion est envoyée (version %(n)d).") % {"n": version.number}, block_id)
    return _back(request, page, f"block-{block_id}")


@learning_write
def quiz_answer(request, page_id: int, block_id: str):
    """One question of the current attempt (the cms quiz block posts one question at a time)."""
    page = services.learning_page_get(page_id=page_id)
    option_ids = request.POST.getlist("option_ids")
    attempt, created = services.quiz_answer_submit(user=request.user, page=page, block_id=block_id, option_ids=option_ids)
    if _wants_json(request):
        return JsonResponse(
            {"ok": True, "complete": attempt.is_complete, "score": attempt.score if attempt.is_complete else None,
             "passed": attempt.passed}, status=201 if created else 200,
        )
    if created and attempt.is_complete:
        if attempt.passed:
            _notify(request, messages.SUCCESS, _("Quiz réussi : %(score)d %%.") % {"score": attempt.score}, block_id)
        else:
            _notify(
                request, messages.WARNING, _("Quiz : %(score)d %%, en dessous du seuil de %(threshold)d %%. Réessayez.")
                % {"score": attempt.score, "threshold": page.quiz_pass_threshold}, block_id,
            )
    return _back(request, page, f"block-{block_id}")


@learning_write
def worksheet_save(request, page_id: int, block_id: str):
    page = services.learning_page_get(page_id=page_id)
    data = {key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"}
    worksheet = services.worksheet_save(user=request.user, page=page, block_id=block_id, data=data)
    if _wants_json(request):
        return JsonResponse({"ok": True, "id": worksheet.pk})
    _notify(request, messages.SUCCESS, _("Fiche enregistrée."), block_id)
    return _back(request, page, f"block-{block_id}")


@learning_write
def mark_done(request, page_id: int):
    page = services.learning_page_get(page_id=page_id)
    services.page_mark_done(user=request.user, page=page)
    messages.success(request, _("Page marquée comme faite."))
    return _back(request, page)


# --- Learner work seen by the learner and their facilitators ---------------------------------


def _readable_or_404(request, learner_id: int) -> None:
    # 404 rather than 403: another learner must not even learn that the record exists.
    if not selectors.can_read_learner_work(viewer=request.user, learner_id=learner_id):
        raise Http404


@login_required
@require_GET
def reflection_detail(request, pk: int):
    reflection = get_object_or_404(Reflection.objects.select_related("user", "page"), pk=pk)
    _readable_or_404(request, reflection.user_id)
    is_owner = reflection.user_id == request.user.pk
    return render(
        request,
        "lms/reflection_detail.html",
        {
            "reflection": reflection,
            "question": selectors.reflection_question(reflection=reflection),
            "navigation": None if is_owner else selectors.reflection_navigation(
                viewer=request.user, reflection=reflection, params=request.GET
            ),
            "versions": list(reflection.versions.all()),
            "comments": list(reflection.comments.select_related("author")),
            "is_owner": is_owner,
            "can_comment": not is_owner and reflection.submitted_at is not None,
            "page_title": _("Réflexion"),
        },
    )


@login_required
@require_POST
def reflection_comment(request, pk: int):
    reflection = get_object_or_404(Reflection, pk=pk)
    _readable_or_404(request, reflection.user_id)
    try:
        services.reflection_comment_add(author=request.user, reflection=reflection, html=request.POST.get("body", ""))
    except LearningError as error:
        return _refuse(request, error)
    messages.success(request, _("Commentaire publié : l'apprenant·e le verra avec sa réflexion."))
    url = reverse("lms:reflection_detail", args=[reflection.pk])
    cohort = request.POST.get("cohort", "")  # the list the facilitator came from (`reflection_navigation`)
    return redirect(f"{url}?cohort={cohort}" if cohort.isdigit() else url)


@login_required
@require_GET
def worksheet_detail(request, pk: int):
    worksheet = get_object_or_404(Worksheet.objects.select_related("user", "page"), pk=pk)
    _readable_or_404(request, worksheet.user_id)
    fields = [
        {"label": label, "value": worksheet.data.get(key, "")}
        for key, label in WorksheetTemplate.FIELDS.get(worksheet.template_kind, [])
    ]
    return render(
        request,
        "lms/worksheet_detail.html",
        {"worksheet": worksheet, "fields": fields, "page_title": worksheet.title, "is_owner": worksheet.user_id == request.user.pk,
         "lms": {"page": "worksheet"}},  # loads lms.js (the print button) and its strings
    )


# --- Dashboard -----------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    programmes = selectors.dashboard_programmes(user=request.user)
    # Programmes in progress first (most recently visited first), finished ones after.
    programmes.sort(key=lambda item: item["progress"]["completed"])
    certificates = selectors.certificate_list_for_learner(user=request.user)
    panels = []
    for fn in hooks.get_hooks(DASHBOARD_PANELS_HOOK):
        panels.extend(fn(request) or [])
    panels.sort(key=lambda panel: panel.get("order", 100))
    return render(
        request,
        "lms/dashboard.html",
        {
            "programmes": programmes,
            "resume": next((item for item in programmes if item["next_page"]), None),
            "certificates": certificates,
            "hours": selectors.hours_earned(certificates),
            "panels": panels,
            "suggestions": selectors.open_programmes_for(user=request.user, exclude=[p["programme"].pk for p in programmes]),
            "page_title": _("Mon tableau de bord"),
            "lms": {"page": "dashboard"},  # loads lms.js (clears unsent drafts of this device on logout)
        },
    )


# --- Certificates and transcript -----------------------------------------------------------


def _verify_url(request, record: Certificate | DpcAttestation) -> str:
    return request.build_absolute_uri(reverse("lms:certificate_verify", args=[record.code]))


@login_required
@require_GET
def certificate_pdf(request, code: str):
    certificate = get_object_or_404(Certificate, code=code, user=request.user)
    response = HttpResponse(pdf.certificate_pdf(certificate, verify_url=_verify_url(request, certificate)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-{certificate.code}.pdf"'
    return response


@login_required
@require_GET
def dpc_attestation_pdf(request, code: str):
    attestation = get_object_or_404(DpcAttestation.objects.select_related("certificate"), code=code,
                                    certificate__user=request.user)
    content = pdf.dpc_attestation_pdf(
        attestation, verify_url=_verify_url(request, attestation),
        certificate_verify_url=_verify_url(request, attestation.certificate),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-dpc-{attestation.code}.pdf"'
    return response


@never_cache
@require_GET
def certificate_verify(request, code: str):
    """Public: says whether a code (a certificate's or a DPC attestation's) is valid and shows only
    the facts the document itself carries, never the RPPS number or the e-mail address."""
    certificate, attestation = selectors.certificate_by_code(code=code)
    return render(
        request,
        "lms/certificate_verify.html",
        {"certificate": certificate, "attestation": attestation, "code": code,
         "page_title": _("Vérification d'attestation")},
        status=200 if certificate else 404,
    )


@require_GET
def xapi_activity(request, page_id: int, part: str = ""):
    """Public: an xAPI activity id (`<site>/xapi/activities/pages/<id>[/<part>]`) resolves to the page's
    current URL (302); 404 for an unknown, unpublished or restricted page."""
    url = selectors.xapi_activity_url(page_id=page_id, request=request)
    if url is None:
        raise Http404
    return redirect(url)


@login_required
@require_GET
def transcript_pdf(request):
    rows = selectors.transcript_rows(user=request.user)
    response = HttpResponse(pdf.transcript_pdf(user=request.user, rows=rows), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="releve-passerelles.pdf"'
    return response


@login_required
@require_GET
def transcript_csv(request):
    rows = selectors.transcript_rows(user=request.user)
    return csv_response(
        filename="releve-passerelles.csv",
        header=[_("Programme"), _("Module"), _("Terminé le"), _("Heures attestées"), _("Code de vérification")],
        rows=([row["programme"], row["module"], row["completed_on"], row["hours"], row["code"]] for row in rows),
    )


# --- Your data -----------------------------------------------------------------------------


@login_required
@require_GET
def my_data(request):
    return render(request, "lms/my_data.html", {"page_title": _("Mes données")})


@login_required
@require_GET
def my_data_export(request):
    response = HttpResponse(user_data_archive(user=request.user), content_type="application/zip")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="passerelles-mes-donnees-{stamp}.zip"'
    return response


@login_required
@require_POST
def account_delete(request):
    confirmation = (request.POST.get("confirm") or "").strip().lower()
    if confirmation != request.user.email.lower():
        return render(
            request,
            "lms/my_data.html",
            {"page_title": _("Mes données"),
             "delete_error": _("Recopiez exactement votre adresse e-mail pour confirmer la suppression.")},
            status=400,
        )
    user = request.user
    logout(request)
    account_erase(user=user)
    messages.success(request, _("Votre compte et vos données personnelles ont été supprimés."))
    return redirect("/")
