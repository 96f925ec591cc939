"""Views of live case sessions: thin — find the run, check who asks, call one service, redirect.

Like every cohort page: people outside the cohort get 404 (the run's existence is not disclosed),
its learners get 403 on the facilitators' pages. Every control is a plain POST form, so the panel
works without JavaScript; `static/js/live.js` only refreshes what changed when a step is broadcast.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cms.models import CaseStudyPage
from cms.selectors import outline_live_key, source_page
from cohorts import live_selectors, live_services, selectors, services
from cohorts.live_selectors import LEARNER
from cohorts.models import CohortGroup, LiveRun, LiveSession
from cohorts.pdf import live_summary_pdf
from cohorts.views import _cohort_for_facilitator, _cohort_for_member, _errors


def _run_for_facilitator(request, pk: int, run_id: int) -> LiveRun:
    cohort = _cohort_for_facilitator(request, pk)
    run = get_object_or_404(LiveRun.objects.select_related("page", "group", "cohort__programme"), pk=run_id, cohort=cohort)
    return run


@login_required
def live_list(request, pk: int):
    """The cohort's live sessions: the one going on, those kept, and the form that starts one."""
    cohort = _cohort_for_facilitator(request, pk)
    if request.method == "POST":
        page = selectors.cohort_case(cohort=cohort, page_id=_int(request.POST.get("page")))
        group = CohortGroup.objects.filter(cohort=cohort, pk=_int(request.POST.get("group"))).first()
        session = LiveSession.objects.filter(cohort=cohort, pk=_int(request.POST.get("session"))).first()
        try:
            run = live_services.live_run_start(cohort=cohort, page=page, actor=request.user, group=group, live_session=session)
        except ValidationError as error:
            _errors(request, error)
            return redirect("cohorts:live_list", cohort.pk)
        messages.success(request, _("La séance en direct a commencé : les participant·es la voient sur la page du cas."))
        return redirect("cohorts:live_panel", cohort.pk, run.pk)
    return render(request, "cohorts/live/list.html", {
        "cohort": cohort, "facilitates": True,
        "runs": live_selectors.live_runs_for_cohort(cohort_id=cohort.pk),
        "cases": list(CaseStudyPage.objects.live().descendant_of(cohort.programme).order_by("path")),
        "groups": list(cohort.groups.all()),
        "sessions": selectors.live_sessions_for_cohort(cohort=cohort),
        "chosen_session": _int(request.GET.get("session")),  # from the cohort page's scheduled session
        "may_start": services.cohort_allows(cohort, "live"),
        "refusal": services.COHORT_RULES["live"][1],
    })


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
def live_panel(request, pk: int, run_id: int):
    """The facilitator's control panel: the case's steps, presence, the poll filling, the timeline."""
    run = _run_for_facilitator(request, pk, run_id)
    if run.ended_at is not None:
        return redirect("cohorts:live_summary", run.cohort_id, run.pk)
    groups = [run.group] if run.group_id else list(run.cohort.groups.all())
    links = selectors.room_links(groups=groups)["groups"]
    return render(request, "cohorts/live/panel.html", {
        "cohort": run.cohort, "facilitates": True, **live_selectors.live_panel(run=run),
        "case_url": run.page.url, "group_rooms": [(g.name, links[g.pk]) for g in groups if links.get(g.pk)],
        "poll_minutes": 3, "breakout_minutes": 10,
    })


def _reveal(run, request):
    event = live_services.live_reveal_next(run=run, actor=request.user)
    return _("« %(title)s » est révélé à tous.") % {"title": event.data["title"]}


def _poll_open(run, request):
    live_services.live_poll_open(run=run, actor=request.user, block_id=request.POST.get("block_id", ""),
                                 minutes=request.POST.get("minutes"))
    return _("Le vote est ouvert.")


def _poll_close(run, request):
    live_services.live_poll_close(run=run, actor=request.user)
    return _("Le vote est clos : son résultat est montré à tous.")


def _breakout_start(run, request):
    live_services.live_breakout_start(run=run, actor=request.user, minutes=request.POST.get("minutes"))
    return _("Les groupes sont partis dans leurs salons.")


def _breakout_message(run, request):
    live_services.live_breakout_message(run=run, actor=request.user, text=request.POST.get("text", ""))
    return _("Message envoyé à tous les salons de groupe.")


def _breakout_end(run, request):
    live_services.live_breakout_end(run=run, actor=request.user)
    return _("Les groupes sont rappelés en plénière.")


def _debrief(run, request):
    live_services.live_debrief_open(run=run, actor=request.user)
    return _("Le débriefing est ouvert pour tous.")


def _pin(run, request):
    live_services.live_pin(run=run, actor=request.user, answer_id=request.POST.get("answer"))
    return _("Justification épinglée.")


def _unpin(run, request):
    live_services.live_pin(run=run, actor=request.user, answer_id=request.POST.get("answer"), pinned=False)
    return _("Justification retirée.")


def _end(run, request):
    live_services.live_run_end(run=run, actor=request.user)
    return _("La séance est terminée ; son bilan est conservé.")


LIVE_ACTIONS = {
    "reveal": _reveal, "poll-open": _poll_open, "poll-close": _poll_close,
    "breakout-start": _breakout_start, "breakout-message": _breakout_message, "breakout-end": _breakout_end,
    "debrief": _debrief, "pin": _pin, "unpin": _unpin, "end": _end,
}


@login_required
@require_POST
def live_action(request, pk: int, run_id: int, action: str):
    """One control of the panel (`LIVE_ACTIONS`), through its service; back to the panel with a notice."""
    run = _run_for_facilitator(request, pk, run_id)
    step = LIVE_ACTIONS.get(action)
    if step is None:
        raise Http404
    try:
        notice = step(run, request)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, notice)
    if action == "end":
        return redirect("cohorts:live_summary", run.cohort_id, run.pk)
    return redirect(reverse("cohorts:live_panel", args=[run.cohort_id, run.pk]) + "#live-controls")


@login_required
@require_POST
def live_answer(request, pk: int, run_id: int):
    """A learner's answer to the poll open now, from the banner's plain form (the script sends the
    same over the socket)."""
    cohort, facilitates = _cohort_for_member(request, pk)
    run = get_object_or_404(LiveRun.objects.select_related("page", "cohort__programme"), pk=run_id, cohort=cohort)
    if live_selectors.live_run_role(run=run, user=request.user) != LEARNER:
        raise PermissionDenied(_("Ce vote est réservé aux participant·es de la séance."))
    try:
        live_services.live_poll_answer(
            run=run, user=request.user, option_id=request.POST.get("option_id", ""),
            rationale=request.POST.get("rationale", ""), named=request.POST.get("named") == "on",
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Votre réponse est enregistrée."))
    return redirect(run.page.url + "#live-banner")


@never_cache
@login_required
@require_GET
def live_regions(request, pk: int, run_id: int):
    """The parts of the case page that a live step may change, for this reader only: the banner, and
    each episode, the debrief and the outline whose `data-live-key` differs from the one the page
    holds (`?have=<element id>~<key>`, sent by `static/js/live.js`); a part unchanged comes back as
    an empty placeholder, so the script knows it is still there. Same context as the case page
    (`page.get_context`: the visibility state, the learner's records, the banner) and the same
    templates, without the rest of the page. `?page=` is the case page being read (a translation of
    the run's case). People outside the run get 404, like every cohort page."""
    run = get_object_or_404(LiveRun, pk=run_id, cohort_id=pk)
    if live_selectors.live_run_role(run=run, user=request.user) is None:
        raise Http404
    page = get_object_or_404(CaseStudyPage.objects.live(), pk=_int(request.GET.get("page")) or run.page_id)
    if page.pk != run.page_id and source_page(page).pk != run.page_id:
        raise Http404
    context = page.get_context(request)
    have = dict(value.split("~", 1) for value in request.GET.getlist("have") if "~" in value)
    context["regions"] = live_selectors.case_regions(parts=context["parts"], state=context["state"],
                                                     records=context.get("records"), have=have)
    context["outline_same"] = have.get("live-outline") == outline_live_key(context["parts"])
    if context.get("live") and context["live"]["run"].pk != run.pk:
        context["live"] = None  # another run of the reader's cohorts: this one is over
    return render(request, "cohorts/live/regions.html", context)


@login_required
def live_summary(request, pk: int, run_id: int):
    """What was kept of an ended session, for the cohort's facilitators."""
    run = _run_for_facilitator(request, pk, run_id)
    if run.ended_at is None:
        return redirect("cohorts:live_panel", run.cohort_id, run.pk)
    return render(request, "cohorts/live/summary.html", {"cohort": run.cohort, "facilitates": True, "run": run,
                                                         "summary": live_selectors.live_summary_display(run.summary or {})})


@login_required
def live_summary_export(request, pk: int, run_id: int):
    run = _run_for_facilitator(request, pk, run_id)
    if run.ended_at is None or not run.summary:
        raise Http404
    response = HttpResponse(live_summary_pdf(run.summary), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="seance-en-direct-{run.pk}.pdf"'
    return response
