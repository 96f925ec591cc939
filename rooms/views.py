"""Room pages: history and a plain form that work without JavaScript, and insights for facilitators."""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.formats import day_time_format
from cms.models import CaseStudyPage
from cms.selectors import source_page
from cohorts.live_selectors import FACILITATOR, live_banner, live_run_going_on, live_run_role
from cohorts.models import Cohort, CohortMembership
from cohorts.selectors import cohort_is_facilitator, cohort_role, cohorts_for_programme_page
from rooms import services
from rooms.models import MESSAGE_MAX_LENGTH, Room
from rooms.selectors import (
    insights_table,
    RoomInsights,
    cohort_moderation_history,
    cohort_room_insights,
    message_excerpt,
    message_history_visible,
    message_versions,
    notification_list_for_user,
    room_access,
    room_insights,
    room_message_get,
    room_messages_before,
)
from rooms.services import (
    RoomError,
    message_post,
    notification_mark_read,
    notification_read,
    read_marker_set,
    room_get_or_create_for_case,
)

__all__ = [
    "room_detail",
    "message_action",
    "message_history",
    "notification_list",
    "notification_read_view",
    "notification_read_all",
    "room_insights_view",
    "cohort_rooms_insights_view",
    "cohort_moderation_history_view",
]

NOTIFICATIONS_SHOWN = 50

PAGE_SIZE = 50


def _client_strings() -> dict:
    """The words of the browser client, translated here so that rooms.js holds no user-facing text."""
    return {
        "connecting": _("Connexion…"),
        "connected": _("Connecté·e : les messages arrivent en direct."),
        "reconnecting": _("Connexion perdue : reconnexion en cours…"),
        "reconnecting_in": _("Connexion perdue : nouvel essai dans %s s…"),
        "sending": _("Envoi…"),
        "sent": _("Envoyé"),
        "waiting": _("Pas encore envoyé : il partira dès la reconnexion."),
        "failed": _("Non envoyé"),
        "failed_because": _("Non envoyé : %s"),
        "retry": _("Réessayer"),
        "reply": _("Répondre"),
        "replying_to": _("En réponse à %s"),
        "in_reply_to": _("En réponse à"),
        "edit": _("Modifier"),
        "editing": _("Modification de votre message"),
        "save": _("Enregistrer"),
        "send": _("Envoyer"),
        "delete": _("Supprimer"),
        "confirm_delete": _("Supprimer ce message ? Il sera remplacé par une mention « message supprimé »."),
        "hide": _("Masquer"),
        "restore": _("Rétablir"),
        "pin": _("Épingler"),
        "unpin": _("Désépingler"),
        "pinned": _("Épinglé"),
        "report": _("Signaler"),
        "report_reason": _("Pourquoi signaler ce message à l'animation ? (facultatif)"),
        "reported": _("Merci : l'animation a été prévenue."),
        "react": _("Réagir"),
        "edited": _("(modifié)"),
        "edited_history": _("— voir les versions précédentes"),
        "deleted": _("Message supprimé par son auteur·rice."),
        "hidden": _("Message masqué par l'animation."),
        "hidden_mod": _("Masqué pour les membres (visible par l'animation)."),
        "typing": _("%s écrit…"),
        "online": _("En ligne : %s"),
        "new_message": _("Nouveau message de %s : "),
        "new_messages": _("%s nouveaux messages."),
        "older": _("Messages plus anciens"),
        "no_older": _("Début de la discussion."),
        "empty": _("Écrivez un message avant de l'envoyer."),
        "too_long": _("Le message dépasse %s caractères."),
        "actions": _("Actions sur le message"),
        "revoked": _("Vous n'avez plus accès à ce salon."),
        "read_only": _("Ce salon est en lecture seule : la promotion est terminée."),
    }


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Votre message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "compose-help"}),
        error_messages={"required": _("Écrivez un message avant de l'envoyer.")},
    )
    # Generated when the form is shown: submitting the same form twice stores one message.
    client_id = forms.RegexField(regex=r"^[A-Za-z0-9_.:-]{1,64}$", widget=forms.HiddenInput)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("Pourquoi signaler ce message à l'animation ? (facultatif)"),
        max_length=500,
        required=False,
        error_messages={"max_length": _("Le motif du signalement ne doit pas dépasser 500 caractères.")},
    )


def message_url(room: Room, seq: int) -> str:
    """The room page that shows message `seq`, anchored on it: the latest page, or the history
    page that ends with it (seqs have no holes, so the latest page is the last PAGE_SIZE)."""
    url = reverse("rooms:room_detail", args=[room.pk])
    if seq <= room.last_message_seq - PAGE_SIZE:
        url += f"?before={seq + 1}"
    return f"{url}#m-{seq}"


# The plain-form actions on one message: the service each calls (the same as the WebSocket's)
# and what the person is told once it is done.
MESSAGE_ACTIONS = {
    "delete": (lambda room, seq, user, reason: services.message_delete(room=room, seq=seq, user=user),
               _("Votre message a été supprimé.")),
    "hide": (lambda room, seq, user, reason: services.message_hide(room=room, seq=seq, user=user, hidden=True),
             _("Le message est masqué pour les membres.")),
    "restore": (lambda room, seq, user, reason: services.message_hide(room=room, seq=seq, user=user, hidden=False),
                _("Le message est de nouveau visible.")),
    "pin": (lambda room, seq, user, reason: services.message_pin(room=room, seq=seq, user=user, pinned=True),
            _("Le message est épinglé.")),
    "unpin": (lambda room, seq, user, reason: services.message_pin(room=room, seq=seq, user=user, pinned=False),
              _("Le message n'est plus épinglé.")),
    "report": (lambda room, seq, user, reason: services.message_report(room=room, seq=seq, user=user, reason=reason),
               _("Merci : l'animation a été prévenue.")),
}


def _room_for(request, room_id: int):
    room = Room.objects.filter(pk=room_id).select_related("cohort", "group", "community").first()
    if room is None:
        raise Http404
    access = room_access(user=request.user, room=room)
    if not access.can_read:
        raise Http404  # a non-member learns nothing, not even that the room exists
    return room, access


@login_required
@require_http_methods(["GET"])
def case_room(request, cohort_id: int, page_id: int):
    """A cohort's room for one case, reached from the case page: opened (created the first time)
    for the members of that cohort only; anyone else gets 404, as for any room."""
    case = CaseStudyPage.objects.live().filter(pk=page_id).first()
    if case is None:
        raise Http404
    case = source_page(case)
    if cohort_id not in {cid for cid, _role in cohorts_for_programme_page(user=request.user, page=case)}:
        raise Http404
    room = room_get_or_create_for_case(cohort=get_object_or_404(Cohort, pk=cohort_id), case_page=case)
    return HttpResponseRedirect(reverse("rooms:room_detail", args=[room.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def room_detail(request, room_id: int):
    room, access = _room_for(request, room_id)
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                message, _created = message_post(
                    room=room, author=request.user, client_id=form.cleaned_data["client_id"], body=form.cleaned_data["body"]
                )
            except RoomError as error:
                form.add_error("body", error.message)
            else:
                return HttpResponseRedirect(reverse("rooms:room_detail", args=[room.pk]) + f"#m-{message.seq}")
        status = 400
    else:
        form = MessageForm(initial={"client_id": uuid.uuid4().hex})

    before = request.GET.get("before")
    before = int(before) if before and before.isascii() and before.isdigit() and len(before) <= 18 else None
    page = room_messages_before(room=room, before=before, limit=PAGE_SIZE + 1)
    has_older = len(page) > PAGE_SIZE
    page = page[-PAGE_SIZE:]
    last_id = page[-1].seq if page else 0
    if before is None and request.method == "GET":
        read_marker_set(room=room, user=request.user, seq=room.last_message_seq)
        notification_mark_read(user=request.user, room=room)
    context = {
        "room": room,
        "messages_page": page,
        "pinned": [m for m in page if m.pinned_at and not m.deleted_at],
        "can_moderate": access.can_moderate,
        "can_write": access.can_write,
        "form": form,
        "older_before": page[0].seq if has_older and page else None,
        "is_latest": before is None,
        "last_id": last_id,
        "max_length": MESSAGE_MAX_LENGTH,
        "page_title": room.name,
        "room_strings": {key: str(value) for key, value in _client_strings().items()},
        # rooms.js writes the time of a live message as _message.html does (accounts/formats.py).
        "time_format": day_time_format(),
        "time_zone": timezone.get_current_timezone_name(),
    }
    context["live"] = _live_breakout(room=room, user=request.user)
    return render(request, "rooms/room_detail.html", context, status=status)


def _live_breakout(*, room: Room, user) -> dict | None:
    """In a group room, the live session going on for the group (its breakout countdown, the
    prompt to discuss, the facilitator's message): the banner of the case page, on the room page."""
    if room.kind != Room.Kind.GROUP:
        return None
    run = live_run_going_on(cohort_id=room.cohort_id)
    if run is None or (run.group_id and run.group_id != room.group_id):
        return None
    role = live_run_role(run=run, user=user)
    if role is None:
        return None
    live = live_banner(run=run, user=user)
    live.update(in_room=True, drives=role == FACILITATOR, socket_url=f"/ws/live/{run.pk}/")
    return live


@require_POST
@login_required
def message_action(request, room_id: int, seq: int, action: str):
    """Delete, hide, restore, pin, unpin or report one message with a plain form (no JavaScript).

    The services check who may do what (author, moderators) and broadcast the change to live
    clients after commit, exactly as when the WebSocket asks; then back to the message (PRG).
    """
    room, _access = _room_for(request, room_id)
    reason = ""
    if action == "report":
        form = ReportForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.errors["reason"][0])
            return HttpResponseRedirect(message_url(room, seq))
        reason = form.cleaned_data["reason"]
    run, done = MESSAGE_ACTIONS[action]
    try:
        run(room, seq, request.user, reason)
    except RoomError as error:
        if error.code == "forbidden":
            raise PermissionDenied(error.message) from error
        if error.code == "not_found":
            raise Http404 from error
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(message_url(room, seq))


@login_required
def message_history(request, room_id: int, seq: int):
    """Every earlier text of an edited message, with its times."""
    room, access = _room_for(request, room_id)
    message = room_message_get(room=room, seq=seq, reactions=False)
    if message is None:
        raise Http404
    if not message_history_visible(access=access, message=message):
        raise PermissionDenied
    context = {
        "room": room,
        "message": message,
        "versions": message_versions(message=message),
        "back_url": message_url(room, seq),
        "page_title": _("Historique du message"),
    }
    return render(request, "rooms/message_history.html", context)


@login_required
def notification_list(request):
    """The signed-in person's latest notifications (mentions; reports for moderators)."""
    notifications = notification_list_for_user(user=request.user, limit=NOTIFICATIONS_SHOWN)
    for notification in notifications:
        message = notification.message
        notification.url = message_url(notification.room, message.seq)
        # A mention of a message hidden since then no longer shows its text; a report's
        # recipient moderates the room and may read it.
        readable = message.deleted_at is None and (
            message.hidden_at is None or notification.kind == notification.Kind.REPORT
        )
        notification.excerpt = message_excerpt(message) if readable else ""
    context = {
        "notifications": notifications,
        "unread": sum(1 for n in notifications if n.read_at is None),
        "page_title": _("Notifications"),
    }
    return render(request, "rooms/notifications.html", context)


@require_POST
@login_required
def notification_read_view(request, notification_id: int):
    if not notification_read(user=request.user, notification_id=notification_id):
        raise Http404  # someone else's notification: not even its existence is told
    messages.success(request, _("Notification marquée comme lue."))
    return HttpResponseRedirect(reverse("rooms:notification_list"))


@require_POST
@login_required
def notification_read_all(request):
    count = notification_mark_read(user=request.user)
    messages.success(
        request,
        ngettext("%(n)s notification marquée comme lue.", "%(n)s notifications marquées comme lues.", count) % {"n": count},
    )
    return HttpResponseRedirect(reverse("rooms:notification_list"))


def _insights_context(insights: RoomInsights) -> dict:
    return {"insights": insights, **insights_table(insights)}


@login_required
def room_insights_view(request, room_id: int):
    room, access = _room_for(request, room_id)
    if not access.can_moderate:
        raise PermissionDenied
    context = {"room": room, "scope_label": room.name, "page_title": _("Analyse du salon"), **_insights_context(room_insights(room=room))}
    return render(request, "rooms/insights.html", context)


@login_required
def cohort_rooms_insights_view(request, cohort_id: int):
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    role = None if request.user.is_superuser else cohort_role(cohort=cohort, user=request.user)
    if not request.user.is_superuser and role is None:
        raise Http404  # outsiders learn nothing, not even that the cohort exists (as every cohort URL)
    if role == CohortMembership.Role.LEARNER:
        raise PermissionDenied
    context = {
        "cohort": cohort,
        "scope_label": cohort.name,
        "page_title": _("Analyse des salons de la promotion"),
        **_insights_context(cohort_room_insights(cohort_id=cohort.pk)),
    }
    return render(request, "rooms/insights.html", context)


@login_required
@require_GET
def cohort_moderation_history_view(request, cohort_id: int):
    """Who hid, restored, pinned, deleted or reported which message in the cohort's rooms: for the
    cohort's facilitators (and superusers); 404 to everyone else, members included."""
    cohort = get_object_or_404(Cohort, pk=cohort_id)
    if not (request.user.is_superuser or cohort_is_facilitator(user=request.user, cohort_id=cohort.pk)):
        raise Http404
    entries = cohort_moderation_history(cohort=cohort)
    return render(request, "rooms/moderation_history.html", {"cohort": cohort, "entries": entries, "page_title": _("Historique de modération")})
