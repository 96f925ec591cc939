"""Views of the cohort features: thin — parse, check who may do what, call a service, render.

Pages of a cohort answer 404 to people outside it (its existence is not disclosed) and 403
to its learners on facilitator pages.
"""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from icalendar import Calendar, Event

from accounts.audit import audit_record
from accounts.choices import Role
from accounts.models import SecurityEvent
from cohorts import live_selectors, selectors, services
from config.csv_export import csv_response
from cohorts.forms import (
    AnnouncementForm,
    CohortForm,
    GroupFormationForm,
    GroupMoveForm,
    InvitationForm,
    InvitationImportForm,
    LiveSessionForm,
    ScheduleFormSet,
)
from cohorts.grouping import Member, profession_mix
from cohorts.models import (
    Cohort,
    CohortMembership,
    Community,
    Invitation,
)


def _may_create_cohorts(user) -> bool:
    return user.is_superuser or user.has_role(Role.FACILITATOR)


def _cohort_for_member(request, pk: int) -> tuple[Cohort, bool]:
    """The cohort if the user is an active member (or a superuser), with whether they facilitate."""
    cohort = get_object_or_404(Cohort.objects.select_related("programme"), pk=pk)
    role = selectors.cohort_role(cohort=cohort, user=request.user)
    if role is None and not request.user.is_superuser:
        raise Http404
    return cohort, request.user.is_superuser or role == CohortMembership.Role.FACILITATOR


def _cohort_for_facilitator(request, pk: int) -> Cohort:
    cohort, facilitates = _cohort_for_member(request, pk)
    if not facilitates:
        raise PermissionDenied(_("Cette page est réservée aux animateur·rices de la promotion."))
    return cohort


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Cohorts ---------------------------------------------------------------------------------


@login_required
def cohort_list(request):
    cohorts = list(selectors.cohort_list_for_user(user=request.user).order_by("-starts_on", "name"))
    return render(request, "cohorts/cohort_list.html", {
        "cohorts": cohorts, "open_cohorts": selectors.cohort_list_open_to_requests(user=request.user),
        "pending_ids": selectors.cohort_ids_requested_by(user=request.user),
        "may_create": _may_create_cohorts(request.user),
    })


@login_required
def cohort_create(request):
    if not _may_create_cohorts(request.user):
        raise PermissionDenied(_("Seuls les animateur·rices créent des promotions."))
    form = CohortForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        co_facilitators = list(data.pop("co_facilitators", []))
        try:
            cohort = services.cohort_create(created_by=request.user, facilitators=co_facilitators, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("La promotion est créée. Invitez maintenant ses participant·es."))
            return redirect("cohorts:invitation_list", cohort.pk)
    return render(request, "cohorts/cohort_form.html", {"form": form})


@login_required
def cohort_edit(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    form = CohortForm(request.POST or None, instance=cohort, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("programme", "co_facilitators")}
        try:
            services.cohort_update(
                cohort=cohort, data=data, facilitators=list(form.cleaned_data["co_facilitators"]), editor=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("La promotion est enregistrée."))
            return redirect("cohorts:cohort_detail", cohort.pk)
    return render(request, "cohorts/cohort_form.html", {
        "form": form, "cohort": cohort, "may_close": services.cohort_allows(cohort, "close"),
    })


@login_required
def cohort_detail(request, pk: int):
    cohort, facilitates = _cohort_for_member(request, pk)
    learners = list(selectors.cohort_learners(cohort=cohort))
    groups = selectors.cohort_groups_with_members(cohort=cohort, visible_to=None if facilitates else request.user)
    room_links = selectors.room_links(cohort=cohort, groups=groups)
    now = timezone.now()
    context = {
        "cohort": cohort,
        "facilitates": facilitates,
        "facilitators": list(selectors.cohort_facilitators(cohort=cohort)),
        "members": [selectors.member_card(u) for u in learners],
        "groups": [
            {"group": g, "members": [selectors.member_card(u) for u in g.members],
             "room_url": room_links["groups"].get(g.pk, "")}
            for g in groups
        ],
        "composition": selectors.cohort_composition(cohort=cohort),
        "room_url": room_links["cohort"],
        "announcements": selectors.announcement_list_for_user(cohort=cohort, user=request.user),
        "schedule": selectors.schedule_for_cohort(cohort=cohort),
        "live_sessions": selectors.live_sessions_for_cohort(cohort=cohort, since=now, limit=5),
        "live_run": live_selectors.live_run_for_member(cohort_id=cohort.pk, user=request.user, facilitates=facilitates),
        "may_start_live": facilitates and services.cohort_allows(cohort, "live"),
        "now": now,
    }
    if facilitates:
        context["pending_requests"] = selectors.cohort_pending_requests(cohort=cohort)
    return render(request, "cohorts/cohort_detail.html", context)


@login_required
@require_POST
def cohort_join(request, pk: int):
    cohort = get_object_or_404(Cohort, pk=pk)
    try:
        services.cohort_join_request(cohort=cohort, user=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Votre demande est envoyée à l'animateur·rice de la promotion."))
    return redirect("cohorts:cohort_list")


@login_required
@require_POST
def membership_approve(request, pk: int, membership_id: int):
    cohort = _cohort_for_facilitator(request, pk)
    membership = get_object_or_404(CohortMembership, pk=membership_id, cohort=cohort)
    try:
        services.cohort_join_approve(membership=membership)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("%(name)s rejoint la promotion.") % {"name": membership.user.display_name})
    return redirect("cohorts:cohort_detail", cohort.pk)


def _confirmed(request) -> bool:
    """An irreversible step is taken only from its confirmation page (its form sends `confirm`)."""
    return request.method == "POST" and request.POST.get("confirm") == "yes"


@login_required
def cohort_close(request, pk: int):
    """Closing is final: a confirmation page says what it does; its form closes."""
    cohort = _cohort_for_facilitator(request, pk)
    if _confirmed(request):
        try:
            services.cohort_close(cohort=cohort)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("La promotion est terminée ; elle n'accepte plus personne."))
        return redirect("cohorts:cohort_detail", cohort.pk)
    return render(request, "cohorts/cohort_close_confirm.html", {
        "cohort": cohort, "facilitates": True, "may_close": services.cohort_allows(cohort, "close"),
        **selectors.cohort_close_summary(cohort=cohort),
    })


# --- Invitations -----------------------------------------------------------------------------


@login_required
def invitation_list(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(cohort=cohort, invited_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("cohorts:invitation_list", cohort.pk)
    return _render_invitations(request, cohort, form=form, import_form=InvitationImportForm())


def _render_invitations(request, cohort, *, form, import_form, report=None, status=200):
    invitations = list(selectors.invitation_list(cohort=cohort))
    now = timezone.now()
    for invitation in invitations:
        invitation.expired_now = invitation.status == Invitation.Status.PENDING and invitation.expires_at <= now
    counts = {status: sum(1 for i in invitations if i.status == status) for status in Invitation.Status.values}
    return render(request, "cohorts/invitation_list.html", {
        "cohort": cohort, "form": form, "import_form": import_form, "invitations": invitations,
        "counts": counts, "report": report, "facilitates": True, "csv_example": services.CSV_EXAMPLE,
        "may_invite": services.cohort_allows(cohort, "invite"),
        "closed_message": services.COHORT_RULES["invite"][1],
    }, status=status)


@login_required
@require_POST
def invitation_import(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    import_form = InvitationImportForm(request.POST, request.FILES)
    report = None
    if import_form.is_valid():
        report = services.invitation_import_csv(cohort=cohort, data=import_form.cleaned_data["file"].read(), invited_by=request.user)
        if report.created:
            messages.success(request, _("%(n)s invitation(s) envoyée(s).") % {"n": len(report.created)})
    return _render_invitations(request, cohort, form=InvitationForm(), import_form=import_form, report=report,
                               status=200 if import_form.is_valid() else 400)


@login_required
@require_POST
def invitation_resend(request, pk: int, invitation_id: int):
    cohort = _cohort_for_facilitator(request, pk)
    invitation = get_object_or_404(Invitation, pk=invitation_id, cohort=cohort)
    try:
        services.invitation_resend(invitation=invitation)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Invitation renvoyée à %(email)s ; l'ancien lien ne fonctionne plus.") % {"email": invitation.email})
    return redirect("cohorts:invitation_list", cohort.pk)


@login_required
@require_POST
def invitation_revoke(request, pk: int, invitation_id: int):
    cohort = _cohort_for_facilitator(request, pk)
    invitation = get_object_or_404(Invitation, pk=invitation_id, cohort=cohort)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Invitation de %(email)s annulée.") % {"email": invitation.email})
    return redirect("cohorts:invitation_list", cohort.pk)


def invitation_accept(request, token: str):
    """The link of an invitation mail: accept, or sign up / log in first and come back."""
    invitation = selectors.invitation_by_token(token=token)
    context = {"invitation": invitation, "token": token}
    if invitation is None:
        return render(request, "cohorts/invitation_accept.html", {**context, "problem": "invalid"}, status=404)
    problem = None
    if invitation.status == Invitation.Status.ACCEPTED:
        problem = "used"
    elif invitation.status == Invitation.Status.REVOKED:
        problem = "revoked"
    elif invitation.is_expired:
        problem = "expired"
    if problem == "used" and request.user.is_authenticated and invitation.accepted_by_id == request.user.pk:
        # Back from signup or login, which accepted it (cohorts/signals.py): into the cohort.
        return redirect("cohorts:cohort_detail", invitation.cohort_id)
    if problem is None and not services.cohort_allows(invitation.cohort, "accept"):
        problem = "closed"
    if problem:
        return render(request, "cohorts/invitation_accept.html", {**context, "problem": problem}, status=410)
    if not request.user.is_authenticated:
        # Kept until the person has an account: the allauth signals then finish (cohorts/signals.py).
        request.session[services.PENDING_INVITATION_SESSION_KEY] = token
        # The mail proves the address: signup is prefilled and needs no second confirmation.
        get_adapter(request).stash_verified_email(request, invitation.email)
        context["has_account"] = selectors.invitation_has_account(invitation=invitation)
        return render(request, "cohorts/invitation_accept.html", context)
    if request.method == "POST":
        request.session.pop(services.PENDING_INVITATION_SESSION_KEY, None)
        try:
            services.invitation_accept_by_token(token=token, user=request.user)
        except ValidationError as error:
            _errors(request, error)
            return redirect("cohorts:cohort_list")
        messages.success(request, _("Bienvenue dans la promotion « %(name)s » !") % {"name": invitation.cohort.name})
        return redirect("cohorts:cohort_detail", invitation.cohort_id)
    return render(request, "cohorts/invitation_accept.html", context)


# --- Groups ----------------------------------------------------------------------------------


@login_required
def group_list(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    form = GroupFormationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        current = selectors.cohort_groups_with_members(cohort=cohort)
        if current and not _confirmed(request):
            # Forming again replaces the groups and their rooms: say so, and wait for confirmation.
            return render(request, "cohorts/group_form_confirm.html", {
                "cohort": cohort, "facilitates": True, "form": form, "groups": current,
            })
        try:
            services.groups_form(cohort=cohort, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Les groupes sont formés ; chacun a son salon."))
            return redirect("cohorts:group_list", cohort.pk)
    groups = selectors.cohort_groups_with_members(cohort=cohort)
    room_links = selectors.room_links(groups=groups)
    grouped = {u.pk for g in groups for u in g.members}
    ungrouped = [u for u in selectors.cohort_learners(cohort=cohort) if u.pk not in grouped]
    mixes = []
    for group in groups:
        people = [(u.profession, u.level) for u in group.members]
        group.composition = selectors.composition_from_people(people, audience_codes=[])
        group.profession_count = len({p for p, _ in people if p})
        group.organisations_shared = len(group.members) - len({(u.organisation or "").lower() for u in group.members})
        group.room_url = room_links["groups"].get(group.pk, "")
        mixes.append([Member(u.pk, u.profession) for u in group.members])
    return render(request, "cohorts/group_list.html", {
        "cohort": cohort, "form": form, "groups": groups, "ungrouped": ungrouped,
        "move_form": GroupMoveForm(cohort=cohort), "facilitates": True,
        "mix": profession_mix(mixes) if groups else 0,
    })


@login_required
@require_POST
def group_move(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    form = GroupMoveForm(request.POST, cohort=cohort)
    if not form.is_valid():
        messages.error(request, _("Choix de groupe invalide."))
        return redirect("cohorts:group_list", cohort.pk)
    try:
        services.group_member_move(cohort=cohort, user_id=form.cleaned_data["user"], group=form.cleaned_data["group"])
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Le groupe est mis à jour."))
    return redirect("cohorts:group_list", cohort.pk)


# --- Schedule --------------------------------------------------------------------------------


@login_required
def schedule_edit(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    formset = ScheduleFormSet(request.POST or None, parts=selectors.schedule_parts(cohort=cohort))
    if request.method == "POST":
        if formset.is_valid():
            try:
                services.schedule_save(cohort=cohort, items=formset.items())
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    formset.add_item_errors(error)
                else:
                    _errors(request, error)
            else:
                messages.success(request, _("Le calendrier de la promotion est enregistré."))
                return redirect("cohorts:schedule_edit", cohort.pk)
        messages.error(request, _("Le calendrier n'est pas enregistré : corrigez les lignes signalées."))
    return render(request, "cohorts/schedule_edit.html", {
        "cohort": cohort, "formset": formset, "sessions": selectors.live_sessions_for_cohort(cohort=cohort),
        "session_form": LiveSessionForm(), "facilitates": True,
    }, status=400 if formset.is_bound else 200)


@login_required
@require_POST
def live_session_create(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    form = LiveSessionForm(request.POST)
    if form.is_valid():
        try:
            services.live_session_create(cohort=cohort, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("La séance est programmée."))
            return redirect("cohorts:schedule_edit", cohort.pk)
    return render(request, "cohorts/schedule_edit.html", {
        "cohort": cohort, "sessions": selectors.live_sessions_for_cohort(cohort=cohort),
        "session_form": form, "facilitates": True, "session_only": True,
    }, status=400)


@login_required
def debrief_release(request, pk: int, page_id: int):
    """Opening a debrief cannot be undone: a confirmation page says to whom; its form opens it."""
    cohort = _cohort_for_facilitator(request, pk)
    case = selectors.cohort_case(cohort=cohort, page_id=page_id)
    if case is None:
        raise Http404
    back = reverse("cohorts:dashboard", args=[cohort.pk]) + f"?case={case.pk}"
    if _confirmed(request):
        try:
            services.debrief_release(cohort=cohort, case_page=case)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Le débriefing de « %(title)s » est ouvert à la promotion.") % {"title": case.title})
        return redirect(back)
    return render(request, "cohorts/debrief_release_confirm.html", {
        "cohort": cohort, "facilitates": True, "case": case, "back": back,
        "may_release": services.cohort_allows(cohort, "debrief"), "refusal": services.COHORT_RULES["debrief"][1],
        **selectors.debrief_release_summary(cohort=cohort, case=case),
    })


# --- Dashboard, export, announcements -----------------------------------------------------------


@login_required
def dashboard(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    try:
        case_id = int(request.GET.get("case", "")) if request.GET.get("case") else None
    except ValueError:
        case_id = None
    data = selectors.cohort_dashboard(cohort=cohort, case_id=case_id)
    return render(request, "cohorts/dashboard.html", {
        "cohort": cohort, "facilitates": True, **data, "may_release_debrief": services.cohort_allows(cohort, "debrief"),
        "room_links": selectors.room_links(cohort=cohort),
        "composition": selectors.cohort_composition(cohort=cohort),
        "announcement_form": AnnouncementForm(cohort=cohort),
    })


@login_required
def progress_export(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    header, rows = selectors.cohort_progress_rows(cohort=cohort)
    audit_record(SecurityEvent.Kind.DATA_EXPORTED, actor=request.user, target=cohort, export="progress_csv", rows=len(rows))
    return csv_response(filename=f"progression-promotion-{cohort.pk}.csv", header=header, rows=rows)


REFLECTIONS_PER_PAGE = 25


@login_required
def reflections_waiting(request, pk: int):
    """Every reflection of the cohort waiting for a comment, oldest first, a page at a time."""
    cohort = _cohort_for_facilitator(request, pk)
    page = Paginator(selectors.reflections_waiting(cohort=cohort), REFLECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cohorts/reflections_waiting.html", {
        "cohort": cohort, "facilitates": True, "page": page,
        "reflections": [
            {"reflection": r, "url": selectors.reflection_url(cohort=cohort, reflection=r)} for r in page.object_list
        ],
    })


@login_required
@require_POST
def announcement_create(request, pk: int):
    cohort = _cohort_for_facilitator(request, pk)
    form = AnnouncementForm(request.POST, cohort=cohort)
    if form.is_valid():
        try:
            announcement = services.announcement_send(cohort=cohort, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, _("Annonce envoyée à %(n)s personne(s).") % {"n": announcement.recipient_count})
            return redirect("cohorts:dashboard", cohort.pk)
    else:
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, error)
    return redirect("cohorts:dashboard", cohort.pk)


# --- Calendar --------------------------------------------------------------------------------


def _calendar(items, sessions, *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Passerelles//Calendrier des promotions//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for item in items:
        for kind, when, title in (
            ("opens", item.opens_at, _("Ouverture : %(label)s")),
            ("due", item.due_at, _("Échéance : %(label)s")),
            ("debrief", item.debrief_opens_at, _("Débriefing : %(label)s")),
        ):
            if not when:
                continue
            event = Event()
            event.add("uid", f"schedule-{item.pk}-{kind}@passerelles")
            event.add("dtstamp", stamp)
            event.add("dtstart", when)
            event.add("summary", f"{title % {'label': item.label or item.page.title}} · {item.cohort.name}")
            calendar.add_component(event)
    for session in sessions:
        event = Event()
        event.add("uid", f"session-{session.pk}@passerelles")
        event.add("dtstamp", stamp)
        event.add("dtstart", session.starts_at)
        event.add("dtend", session.ends_at)
        event.add("summary", f"{session.title} · {session.cohort.name}")
        if session.place:
            event.add("location", session.place)
        if session.video_url:
            event.add("url", session.video_url)
            event.add("description", session.video_url)
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_feed(request, token: str):
    """A learner's iCal feed of every cohort they are in; the secret token is the credential."""
    feed = selectors.calendar_feed_by_token(token=token)
    if feed is None or not feed.user.is_active:
        raise Http404
    body = _calendar(selectors.schedule_for_user(user=feed.user), selectors.live_sessions_for_user(user=feed.user),
                     name=_("Passerelles — mes promotions"))
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@login_required
def calendar_page(request):
    """Where a learner finds (or renews) the address of their iCal feed."""
    if request.method == "POST":
        services.calendar_feed_renew(user=request.user)
        messages.success(request, _("Nouvelle adresse créée : l'ancienne ne fonctionne plus."))
        return redirect("cohorts:calendar")
    feed = services.calendar_feed_for_user(user=request.user)
    now = timezone.now()
    return render(request, "cohorts/calendar.html", {
        "feed_url": request.build_absolute_uri(reverse("cohorts:calendar_feed", args=[feed.token])),
        "items": selectors.schedule_for_user(user=request.user, since=now),
        "sessions": selectors.live_sessions_for_user(user=request.user, since=now),
    })


# --- Communities -----------------------------------------------------------------------------


@login_required
def community_list(request):
    return render(request, "cohorts/community_list.html", {
        "communities": selectors.community_list_for_user(user=request.user),
    })


@login_required
def community_detail(request, slug: str):
    community = get_object_or_404(Community, slug=slug)
    membership = selectors.community_membership_for_user(community=community, user=request.user)
    if membership is None:
        raise Http404
    return render(request, "cohorts/community_detail.html", {
        "community": community, "membership": membership,
        "room_url": selectors.room_links(community=community)["community"],
        "directory": selectors.community_directory(community=community),
        "member_count": selectors.community_member_count(community=community),
        "in_directory": request.user.in_directory,
    })


@login_required
@require_POST
def community_join(request, slug: str):
    community = get_object_or_404(Community, slug=slug)
    services.community_join(community=community, user=request.user)
    messages.success(request, _("Vous avez rejoint « %(name)s ».") % {"name": community.name})
    return redirect("cohorts:community_detail", community.slug)


@login_required
@require_POST
def community_leave(request, slug: str):
    community = get_object_or_404(Community, slug=slug)
    services.community_leave(community=community, user=request.user)
    messages.success(request, _("Vous avez quitté « %(name)s ».") % {"name": community.name})
    return redirect("cohorts:community_list")
