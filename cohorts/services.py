"""Writes of the cohorts app: cohorts, memberships, invitations, groups, schedule, announcements,
communities. Keyword-only, named `<entity>_<action>`. Their rooms follow through the rooms app's
signal receivers (rooms/signals.py): nothing here knows of rooms."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.choices import Level, Profession
from accounts.i18n import in_recipient_language, recipient_language
from accounts.mail import email_enqueue
from accounts.models import SecurityEvent
from cohorts.grouping import Member, form_groups
from cohorts.models import (
    Announcement,
    CalendarFeed,
    Cohort,
    CohortGroup,
    CohortMembership,
    Community,
    CommunityInvitation,
    CommunityMembership,
    GroupMembership,
    Invitation,
    LiveSession,
    ScheduleItem,
    hash_token,
    new_token,
)
from cohorts.selectors import cohort_communities
from config.sanitize import clean_html, html_to_text
from lms.services import enrolment_create

__all__ = [
    "COHORT_RULES",
    "COHORT_TRANSITIONS",
    "cohort_allows",
    "cohort_check",
    "cohort_status_choices",
    "cohort_capacity_check",
    "cohort_create",
    "cohort_update",
    "cohort_close",
    "cohort_facilitators_set",
    "cohort_member_add",
    "cohort_join_request",
    "cohort_join_approve",
    "invitation_create",
    "invitation_resend",
    "invitation_revoke",
    "invitation_accept",
    "invitation_accept_by_token",
    "PENDING_INVITATION_SESSION_KEY",
    "invitation_import_csv",
    "ImportReport",
    "groups_form",
    "group_member_move",
    "schedule_save",
    "debrief_release",
    "live_session_create",
    "announcement_send",
    "calendar_feed_for_user",
    "calendar_feed_renew",
    "community_create",
    "community_join",
    "community_leave",
    "community_invite_cohort",
    "INVITATION_DAYS",
]

User = get_user_model()
INVITATION_DAYS = 14
ACTIVE = CohortMembership.Status.ACTIVE


def _enrol(*, user, programme) -> None:
    """Enrol through lms (idempotent)."""
    enrolment_create(user=user, programme=programme, source="cohort")


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- What a cohort allows in each status ----------------------------------------------------

DRAFT, OPEN, RUNNING, CLOSED = Cohort.Status.DRAFT, Cohort.Status.OPEN, Cohort.Status.RUNNING, Cohort.Status.CLOSED
_LIVE = (DRAFT, OPEN, RUNNING)

# action: the statuses in which it is allowed, and the message when it is refused. Every service
# that does the action calls `cohort_check` first; pages show only what `cohort_allows` says
# (docs/cohorts.md has the table). "post" (writing in the cohort's rooms) is enforced by the rooms
# app, which reads the cohort's status with each write.
COHORT_RULES: dict[str, tuple[tuple[str, ...], str]] = {
    "edit": (_LIVE, gettext_lazy("La promotion est terminée : ses paramètres ne changent plus.")),
    "invite": (_LIVE, gettext_lazy("La promotion est terminée : elle n'accepte plus d'invitation.")),
    "accept": (_LIVE, gettext_lazy("La promotion est terminée : elle n'accepte plus de participant·es.")),
    "request": ((OPEN,), gettext_lazy("Cette promotion n'accepte pas de demandes d'inscription.")),
    "approve": ((OPEN, RUNNING), gettext_lazy("La promotion n'accepte plus de participant·es.")),
    "group": (_LIVE, gettext_lazy("La promotion est terminée : ses groupes ne changent plus.")),
    "schedule": (_LIVE, gettext_lazy("La promotion est terminée : son calendrier ne change plus.")),
    "announce": (_LIVE, gettext_lazy("La promotion est terminée : elle ne reçoit plus d'annonces.")),
    "debrief": ((OPEN, RUNNING), gettext_lazy("Un débriefing s'ouvre à une promotion ouverte ou en cours.")),
    "live": ((OPEN, RUNNING), gettext_lazy("Une séance en direct se tient dans une promotion ouverte ou en cours.")),
    "post": (_LIVE, gettext_lazy("La promotion est terminée : ses salons sont en lecture seule.")),
    "close": (_LIVE, gettext_lazy("La promotion est déjà terminée.")),
}
# status: the statuses it may change to. Closing is final.
COHORT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    DRAFT: (OPEN, RUNNING, CLOSED),
    OPEN: (RUNNING, CLOSED),
    RUNNING: (OPEN, CLOSED),
    CLOSED: (),
}


def cohort_allows(cohort: Cohort, action: str) -> bool:
    """Whether the cohort's status allows `action` (a key of COHORT_RULES)."""
    return cohort.status in COHORT_RULES[action][0]


def cohort_check(cohort: Cohort, action: str) -> None:
    """Refuse `action` with its message unless the cohort's status allows it."""
    if not cohort_allows(cohort, action):
        raise ValidationError(str(COHORT_RULES[action][1]), code=f"cohort_{cohort.status}")


def cohort_status_choices(cohort: Cohort | None, *, closing: bool = False) -> list[tuple[str, str]]:
    """The statuses a cohort may be given on its form: the current one and those it may change to.
    Closing is left to its own confirmed step (`cohort_close`) unless `closing`."""
    current = cohort.status if cohort is not None and cohort.pk else None
    allowed = {current, *COHORT_TRANSITIONS[current]} if current else {DRAFT, OPEN, RUNNING}
    if not closing and current != CLOSED:
        allowed.discard(CLOSED)
    return [(value, label) for value, label in Cohort.Status.choices if value in allowed]


def cohort_capacity_check(cohort: Cohort) -> None:
    """Capacity holds the learners already in and the seats kept by pending invitations."""
    if not cohort.pk:
        return
    learners = _learner_count(cohort)
    pending = Invitation.objects.filter(cohort=cohort, status=Invitation.Status.PENDING).count()
    if cohort.capacity < learners + pending:
        raise ValidationError({"capacity": _(
            "La capacité (%(capacity)s) est inférieure aux places déjà prises : %(learners)s apprenant·e(s) "
            "et %(pending)s invitation(s) en attente. Augmentez la capacité ou annulez des invitations."
        ) % {"capacity": cohort.capacity, "learners": learners, "pending": pending}})


# --- Cohorts --------------------------------------------------------------------------------


@transaction.atomic
def cohort_create(
    *,
    programme,
    name: str,
    starts_on: date,
    ends_on: date,
    created_by,
    facilitators: list | tuple = (),
    language: str = "fr",
    capacity: int = 30,
    status: str = Cohort.Status.DRAFT,
    join_policy: str = Cohort.JoinPolicy.INVITATION,
    region: str = "",
) -> Cohort:
    """Create a cohort and make its creator (and `facilitators`) facilitators."""
    cohort = Cohort(
        programme=programme, name=name, starts_on=starts_on, ends_on=ends_on, language=language,
        capacity=capacity, status=status, join_policy=join_policy, created_by=created_by, region=region.strip(),
    )
    cohort.full_clean()
    cohort.save()
    people = {u.pk: u for u in [created_by, *facilitators] if u is not None}
    CohortMembership.objects.bulk_create(
        [CohortMembership(cohort=cohort, user=u, role=CohortMembership.Role.FACILITATOR) for u in people.values()]
    )
    return cohort


@transaction.atomic
def cohort_update(*, cohort: Cohort, data: dict, facilitators: list | None = None, editor=None) -> Cohort:
    """Change the cohort's fields, and its co-facilitators when `facilitators` is given (`editor`
    stays one if they are). Closing the cohort invites its members to the programme's communities."""
    # The stored row, not `cohort`: a model form (the site's or the Django admin's) has already
    # written the new values on the instance it was given, and the previous status matters here.
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    previous_status = cohort.status
    changed = {key: value for key, value in data.items() if getattr(cohort, key) != value}
    if changed or facilitators is not None:
        cohort_check(cohort, "edit")
    status = changed.get("status", previous_status)
    if status != previous_status and status not in COHORT_TRANSITIONS[previous_status]:
        raise ValidationError({"status": _("Une promotion « %(from)s » ne peut pas passer à « %(to)s ».") % {
            "from": Cohort.Status(previous_status).label, "to": Cohort.Status(status).label}})
    for key, value in data.items():
        setattr(cohort, key, value)
    cohort.full_clean()
    cohort_capacity_check(cohort)
    cohort.save()
    if facilitators is not None:
        editor_facilitates = editor is not None and CohortMembership.objects.filter(
            cohort=cohort, user=editor, role=CohortMembership.Role.FACILITATOR
        ).exists()
        cohort_facilitators_set(cohort=cohort, facilitators=facilitators, keep=editor if editor_facilitates else None)
    if previous_status != Cohort.Status.CLOSED and cohort.status == Cohort.Status.CLOSED:
        community_invite_cohort(cohort=cohort)
    return cohort


@transaction.atomic
def cohort_facilitators_set(*, cohort: Cohort, facilitators: list, keep=None) -> None:
    """Make `facilitators` (and `keep`, the person editing) the cohort's facilitators; the others
    stop facilitating (their membership goes)."""
    wanted = {u.pk for u in facilitators} | ({keep.pk} if keep is not None else set())
    CohortMembership.objects.filter(cohort=cohort, role=CohortMembership.Role.FACILITATOR).exclude(
        user_id__in=wanted
    ).delete()
    current = dict(CohortMembership.objects.filter(cohort=cohort, user_id__in=wanted).values_list("user_id", "role"))
    for user_id in wanted:
        if user_id not in current:
            CohortMembership.objects.create(cohort=cohort, user_id=user_id, role=CohortMembership.Role.FACILITATOR)
        elif current[user_id] != CohortMembership.Role.FACILITATOR:
            # Saved, not update()d: the change of rights is signalled (open room sockets re-check).
            membership = CohortMembership.objects.get(cohort=cohort, user_id=user_id)
            membership.role, membership.status = CohortMembership.Role.FACILITATOR, ACTIVE
            membership.save(update_fields=["role", "status"])


def cohort_close(*, cohort: Cohort) -> Cohort:
    """Close the cohort (final); its members are invited to its communities (`cohort_communities`)."""
    cohort_check(Cohort.objects.only("status").get(pk=cohort.pk), "close")  # the stored status, not the instance's
    return cohort_update(cohort=cohort, data={"status": Cohort.Status.CLOSED})


def _learner_count(cohort: Cohort) -> int:
    return CohortMembership.objects.filter(cohort=cohort, role=CohortMembership.Role.LEARNER, status=ACTIVE).count()


@transaction.atomic
def cohort_member_add(
    *, cohort: Cohort, user, role: str = CohortMembership.Role.LEARNER, check_capacity: bool = True
) -> CohortMembership:
    """Add (or activate) a member; learners are enrolled in the programme through lms."""
    membership = CohortMembership.objects.filter(cohort=cohort, user=user).first()
    if membership and membership.status == ACTIVE:
        return membership
    cohort_check(cohort, "accept")
    if role == CohortMembership.Role.LEARNER and check_capacity and _learner_count(cohort) >= cohort.capacity:
        raise ValidationError(_("La promotion est complète (%(n)s places).") % {"n": cohort.capacity})
    if membership:
        membership.status = ACTIVE
        membership.save(update_fields=["status"])
    else:
        membership = CohortMembership.objects.create(cohort=cohort, user=user, role=role)
    if membership.role == CohortMembership.Role.LEARNER:
        _enrol(user=user, programme=cohort.programme)
    return membership


@transaction.atomic
def cohort_join_request(*, cohort: Cohort, user) -> CohortMembership:
    """A request to join an open cohort; the facilitator approves it."""
    cohort_check(cohort, "request")
    if cohort.join_policy != Cohort.JoinPolicy.APPROVAL:
        raise ValidationError(_("Cette promotion n'accepte pas de demandes d'inscription."))
    membership, _created = CohortMembership.objects.get_or_create(
        cohort=cohort, user=user, defaults={"status": CohortMembership.Status.PENDING}
    )
    return membership


@transaction.atomic
def cohort_join_approve(*, membership: CohortMembership) -> CohortMembership:
    if membership.status == ACTIVE:
        return membership
    cohort_check(membership.cohort, "approve")
    if _learner_count(membership.cohort) >= membership.cohort.capacity:
        raise ValidationError(_("La promotion est complète (%(n)s places).") % {"n": membership.cohort.capacity})
    membership.status = ACTIVE
    membership.save(update_fields=["status"])
    _enrol(user=membership.user, programme=membership.cohort.programme)
    return membership


# --- Invitations ------------------------------------------------------------------------------


def _invitation_mail(invitation: Invitation, token: str) -> None:
    """Queue the invitation, in the invited person's language when the address has an account, else
    in the cohort's."""
    link = _site_url(reverse("cohorts:invitation_accept", args=[token]))
    context = {"invitation": invitation, "cohort": invitation.cohort, "link": link, "days": INVITATION_DAYS}
    recipient = User.objects.filter(email__iexact=invitation.email).only("pk", "language").first()
    with in_recipient_language(user=recipient, fallback=invitation.cohort.language):
        subject = _("Invitation à rejoindre la promotion « %(name)s »") % {"name": invitation.cohort.name}
        body = render_to_string("cohorts/emails/invitation.txt", context)
    email_enqueue(to=invitation.email, subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body=body)


def _send_invitation(invitation: Invitation) -> None:
    """Give the invitation a fresh token (old links stop working) and mail it after commit."""
    token = new_token()
    invitation.token_hash = hash_token(token)
    invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.sent_count += 1
    invitation.last_sent_at = timezone.now()
    invitation.save()
    _invitation_mail(invitation, token)


def _check_invitable(cohort: Cohort, email: str) -> None:
    cohort_check(cohort, "invite")
    if CohortMembership.objects.filter(cohort=cohort, user__email__iexact=email, status=ACTIVE).exists():
        raise ValidationError(_("Cette personne fait déjà partie de la promotion."))
    if Invitation.objects.filter(cohort=cohort, email__iexact=email, status=Invitation.Status.PENDING).exists():
        raise ValidationError(_("Une invitation est déjà en attente pour cette adresse."))
    pending = Invitation.objects.filter(cohort=cohort, status=Invitation.Status.PENDING).count()
    if _learner_count(cohort) + pending >= cohort.capacity:
        raise ValidationError(_("La promotion est complète (%(n)s places).") % {"n": cohort.capacity})


@transaction.atomic
def invitation_create(
    *, cohort: Cohort, email: str, invited_by, name: str = "", profession: str = "", level: str = "",
    organisation: str = "",
) -> Invitation:
    """Invite one person by e-mail; the mail leaves only if the whole transaction commits."""
    email = email.strip().lower()
    _check_invitable(cohort, email)
    invitation = Invitation.objects.filter(cohort=cohort, email__iexact=email).first() or Invitation(
        cohort=cohort, email=email
    )
    invitation.name, invitation.profession, invitation.level = name.strip(), profession, level
    invitation.organisation, invitation.invited_by = organisation.strip(), invited_by
    invitation.status = Invitation.Status.PENDING
    invitation.token_hash = hash_token(new_token())
    invitation.expires_at = timezone.now()
    invitation.full_clean(exclude=["token_hash", "expires_at"])
    _send_invitation(invitation)
    audit_record(SecurityEvent.Kind.INVITATION_SENT, actor=invited_by, target=invitation, cohort=cohort.pk)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation) -> Invitation:
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("Seule une invitation en attente peut être renvoyée."))
    cohort_check(invitation.cohort, "invite")
    _send_invitation(invitation)
    audit_record(SecurityEvent.Kind.INVITATION_SENT, target=invitation, cohort=invitation.cohort_id, resent=True)
    return invitation


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    if invitation.status == Invitation.Status.ACCEPTED:
        raise ValidationError(_("Cette invitation a déjà été acceptée."))
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status"])
    audit_record(SecurityEvent.Kind.INVITATION_REVOKED, target=invitation, cohort=invitation.cohort_id)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> CohortMembership:
    """Accept a pending, unexpired invitation: `user` joins the cohort as a learner, once."""
    invitation = Invitation.objects.select_for_update().select_related("cohort__programme").get(pk=invitation.pk)
    if invitation.status == Invitation.Status.ACCEPTED:
        raise ValidationError(_("Ce lien d'invitation a déjà été utilisé."))
    if invitation.status == Invitation.Status.REVOKED:
        raise ValidationError(_("Cette invitation a été annulée par l'animateur·rice."))
    if invitation.is_expired:
        raise ValidationError(_("Ce lien d'invitation a expiré. Demandez à l'animateur·rice de vous le renvoyer."))
    cohort_check(invitation.cohort, "accept")
    # The invitation reserved a seat: capacity was checked when it was sent.
    membership = cohort_member_add(cohort=invitation.cohort, user=user, check_capacity=False)
    changed = [
        name for name in ("profession", "level", "organisation")
        if getattr(invitation, name) and not getattr(user, name) and not setattr(user, name, getattr(invitation, name))
    ]
    if changed:
        user.save(update_fields=changed)
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
    audit_record(SecurityEvent.Kind.INVITATION_ACCEPTED, actor=user, target=invitation, cohort=invitation.cohort_id)
    return membership


# The session key under which an invitation link followed before login or signup waits for the
# account: the view stores the token, the allauth signals finish (cohorts/signals.py).
PENDING_INVITATION_SESSION_KEY = "cohorts_pending_invitation"


def invitation_accept_by_token(*, token: str, user) -> Invitation:
    """Accept the invitation whose link carries `token` (see `invitation_accept`)."""
    invitation = Invitation.objects.filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise ValidationError(_("Ce lien d'invitation n'est pas valide. Vérifiez qu'il a été copié en entier."))
    invitation_accept(invitation=invitation, user=user)
    return invitation


# --- Groups ----------------------------------------------------------------------------------


@transaction.atomic
def groups_form(*, cohort: Cohort, size: int, seed: int = 0) -> list[CohortGroup]:
    """Replace the cohort's groups by balanced interprofessional groups of about `size`. Same
    learners and seed give the same groups."""
    cohort_check(cohort, "group")
    if size < 2:
        raise ValidationError(_("Un groupe compte au moins deux personnes."))
    learners = list(
        User.objects.filter(
            cohort_memberships__cohort=cohort, cohort_memberships__role=CohortMembership.Role.LEARNER,
            cohort_memberships__status=ACTIVE,
        ).order_by("pk").values_list("pk", "profession", "level", "organisation")
    )
    if not learners:
        raise ValidationError(_("La promotion n'a pas encore d'apprenant·es."))
    members = [Member(id=pk, profession=p or "", level=lv or "", organisation=(o or "").strip().lower())
               for pk, p, lv, o in learners]
    assignment = form_groups(members, size=size, seed=seed)
    CohortGroup.objects.filter(cohort=cohort).delete()
    # Saved one by one, not bulk_create()d: each new group is signalled (the rooms app opens its room).
    groups = [
        CohortGroup.objects.create(cohort=cohort, name=_("Groupe %(n)s") % {"n": i + 1}, position=i)
        for i in range(len(assignment))
    ]
    GroupMembership.objects.bulk_create(
        [GroupMembership(group=group, cohort=cohort, user_id=uid) for group, ids in zip(groups, assignment) for uid in ids]
    )
    return groups


@transaction.atomic
def group_member_move(*, cohort: Cohort, user_id: int, group: CohortGroup | None) -> None:
    """Move a learner to another group of the same cohort (or out of every group)."""
    cohort_check(cohort, "group")
    if group is not None and group.cohort_id != cohort.pk:
        raise ValidationError(_("Ce groupe n'appartient pas à cette promotion."))
    if not CohortMembership.objects.filter(
        cohort=cohort, user_id=user_id, role=CohortMembership.Role.LEARNER, status=ACTIVE
    ).exists():
        raise ValidationError(_("Cette personne n'est pas apprenante de la promotion."))
    GroupMembership.objects.filter(cohort=cohort, user_id=user_id).delete()
    if group is not None:
        GroupMembership.objects.create(cohort=cohort, group=group, user_id=user_id)


# --- Schedule ------------------------------------------------------------------------------


SCHEDULE_DATES = ("opens_at", "due_at", "debrief_opens_at")


@transaction.atomic
def schedule_save(*, cohort: Cohort, items: list[dict]) -> list[ScheduleItem]:
    """Store the schedule rows `items` (page, episode_id, label, and any of opens_at, due_at,
    debrief_opens_at); a row left with no date is removed. Either every row is valid and stored,
    or nothing is: the ValidationError then maps each invalid row's index in `items` to its messages."""
    cohort_check(cohort, "schedule")
    existing = {(i.page_id, i.episode_id): i for i in ScheduleItem.objects.filter(cohort=cohort)}
    errors: dict[int, list] = {}
    seen, keep, drop = set(), [], []
    for index, row in enumerate(items):
        page, episode_id = row["page"], row.get("episode_id", "")
        if not page.path.startswith(cohort.programme.path):
            errors[index] = [_("Cette page ne fait pas partie du programme de la promotion.")]
            continue
        if (page.pk, episode_id) in seen:
            errors[index] = [_("Cette partie du programme figure deux fois.")]
            continue
        seen.add((page.pk, episode_id))
        item = existing.get((page.pk, episode_id)) or ScheduleItem(cohort=cohort, page=page, episode_id=episode_id)
        for name in SCHEDULE_DATES:
            if name in row:
                setattr(item, name, row[name])
        item.label = (row.get("label") or item.label)[:255]
        if not any(getattr(item, name) for name in SCHEDULE_DATES):
            drop.append(item)
            continue
        try:
            item.full_clean(exclude=["cohort", "page"])  # the dates, and due after opening (the model's constraint)
        except ValidationError as error:
            errors[index] = error.messages
            continue
        keep.append(item)
    if errors:
        raise ValidationError(errors)
    ScheduleItem.objects.filter(pk__in=[item.pk for item in drop if item.pk]).delete()
    ScheduleItem.objects.bulk_update([item for item in keep if item.pk], ["label", *SCHEDULE_DATES])
    ScheduleItem.objects.bulk_create([item for item in keep if not item.pk])
    return keep


def debrief_release(*, cohort: Cohort, case_page) -> ScheduleItem:
    """Open a case's debrief for the cohort now."""
    cohort_check(cohort, "debrief")
    item, _created = ScheduleItem.objects.update_or_create(
        cohort=cohort, page_id=case_page.pk, episode_id="",
        defaults={"debrief_opens_at": timezone.now()},
        create_defaults={"debrief_opens_at": timezone.now(), "label": case_page.title[:255]},
    )
    return item


def live_session_create(
    *, cohort: Cohort, title: str, starts_at: datetime, ends_at: datetime, place: str = "", video_url: str = ""
) -> LiveSession:
    """Schedule a live session; it ends after it starts (the model's constraint) and happens
    somewhere: a place, a video link, or both."""
    cohort_check(cohort, "schedule")
    session = LiveSession(cohort=cohort, title=title, starts_at=starts_at, ends_at=ends_at, place=place, video_url=video_url)
    errors: dict = {}
    try:
        session.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if not place.strip() and not video_url.strip():
        errors.setdefault("place", []).append(_("Indiquez un lieu ou un lien de visioconférence."))
    if errors:
        raise ValidationError(errors)
    session.save()
    return session


# --- Announcements -------------------------------------------------------------------------


@transaction.atomic
def announcement_send(*, cohort: Cohort, author, subject: str, body: str, group: CohortGroup | None = None) -> Announcement:
    """Tell the whole cohort, or one group, in the app and by e-mail (sent after commit)."""
    cohort_check(cohort, "announce")
    if group is not None and group.cohort_id != cohort.pk:
        raise ValidationError(_("Ce groupe n'appartient pas à cette promotion."))
    if not subject.strip() or not body.strip():
        raise ValidationError(_("L'objet et le message sont obligatoires."))
    if group is None:
        recipients = User.objects.filter(
            cohort_memberships__cohort=cohort, cohort_memberships__status=ACTIVE
        ).exclude(pk=author.pk)
    else:
        recipients = User.objects.filter(group_memberships__group=group)
    people = sorted({u.email: u for u in recipients.only("pk", "email", "language")}.values(), key=lambda u: u.email)
    announcement = Announcement.objects.create(
        cohort=cohort, group=group, author=author, subject=subject.strip(),
        body=str(clean_html(linebreaks(body.strip(), autoescape=True))),
        recipient_count=len(people),
    )
    link = _site_url(reverse("cohorts:cohort_detail", args=[cohort.pk]))
    # The plain-text part is real text (entities decoded), the HTML part the sanitised body.
    context = {"announcement": announcement, "cohort": cohort, "text": html_to_text(announcement.body), "link": link}
    full_subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{cohort.name} · {announcement.subject}"
    texts: dict[str, tuple[str, str]] = {}  # once per language: the facilitator's words, the frame in the reader's
    for person in people:
        language = recipient_language(user=person, fallback=cohort.language)
        if language not in texts:
            with in_recipient_language(user=person, fallback=cohort.language):
                texts[language] = (
                    render_to_string("cohorts/emails/announcement.txt", context),
                    render_to_string("cohorts/emails/announcement.html", context),
                )
        body, html = texts[language]
        email_enqueue(to=person.email, subject=full_subject, body=body, html=html)
    return announcement


def calendar_feed_for_user(*, user) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def calendar_feed_renew(*, user) -> CalendarFeed:
    """A new secret address for the user's feed; the old one stops working."""
    CalendarFeed.objects.filter(user=user).delete()
    return CalendarFeed.objects.create(user=user)


# --- Communities ---------------------------------------------------------------------------


@transaction.atomic
def community_create(
    *, name: str, slug: str, theme: str, region: str = "", programmes: list | tuple = (), moderators: list | tuple = ()
) -> Community:
    """Create a community; `moderators` become its first members."""
    community = Community(name=name, slug=slug, theme=theme, region=region)
    community.full_clean()
    community.save()
    if programmes:
        community.programmes.set(programmes)
    for user in moderators:
        CommunityMembership.objects.create(community=community, user=user, role=CommunityMembership.Role.MODERATOR)
    return community


@transaction.atomic
def community_join(*, community: Community, user) -> CommunityMembership:
    membership, _created = CommunityMembership.objects.get_or_create(community=community, user=user)
    CommunityInvitation.objects.filter(community=community, user=user).update(status=CommunityInvitation.Status.ACCEPTED)
    return membership


@transaction.atomic
def community_leave(*, community: Community, user) -> None:
    CommunityMembership.objects.filter(community=community, user=user).delete()


@transaction.atomic
def community_invite_cohort(*, cohort: Cohort) -> int:
    """Invite the cohort's members to its communities (`selectors.cohort_communities`: linked to its
    programme, of its region or national); returns how many invitations were created (never twice
    the same person to the same community)."""
    communities = cohort_communities(cohort=cohort)
    if not communities:
        return 0
    user_ids = list(CohortMembership.objects.filter(cohort=cohort, status=ACTIVE).values_list("user_id", flat=True))
    already = set(
        CommunityMembership.objects.filter(community__in=communities, user_id__in=user_ids).values_list("community_id", "user_id")
    ) | set(
        CommunityInvitation.objects.filter(community__in=communities, user_id__in=user_ids).values_list("community_id", "user_id")
    )
    new = [
        CommunityInvitation(community=c, user_id=uid, cohort=cohort)
        for c in communities for uid in user_ids if (c.pk, uid) not in already
    ]
    CommunityInvitation.objects.bulk_create(new)
    people = User.objects.only("pk", "email", "language").in_bulk({i.user_id for i in new})
    link = _site_url(reverse("cohorts:community_list"))
    for inv in new:
        person = people[inv.user_id]
        with in_recipient_language(user=person, fallback=cohort.language):
            email_enqueue(
                to=person.email,
                subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _("Rejoignez la communauté « %(name)s »") % {"name": inv.community.name},
                body=render_to_string("cohorts/emails/community_invitation.txt", {"community": inv.community, "cohort": cohort, "link": link}),
            )
    return len(new)



# --- Bulk invitations from a CSV file -------------------------------------------------------

CSV_MAX_BYTES = 1_000_000
# The example the invitation page shows, as it is shown: it imports as it is (tests/cohorts/test_csv_import.py).
CSV_EXAMPLE = (
    "e-mail;nom;métier;organisation;niveau\n"
    "claire.martin@chu-exemple.fr;Claire Martin;Cadre de santé;CHU de Rennes;Équipe\n"
    "yann.le-goff@ars-exemple.fr;Yann Le Goff;ARS;ARS Bretagne;Région\n"
)
# A file whose first line is already a person (no header) is read in the documented order.
CSV_DEFAULT_COLUMNS = {"email": 0, "name": 1, "profession": 2, "organisation": 3, "level": 4}
CSV_MAX_ROWS = 2_000


@dataclass
class RowError:
    line: int
    reason: str
    email: str = ""


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def file_error(self) -> bool:
        return any(error.line == 0 for error in self.errors)


def _normalise(text: str) -> str:
    """Lower case, no accents, no punctuation: how headers and labels are compared."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


HEADER_ALIASES = {
    "email": {"email", "e mail", "mail", "courriel", "adresse e mail", "adresse mail", "adresse electronique"},
    "name": {"name", "nom", "nom complet", "prenom nom", "nom prenom", "nom et prenom", "prenom et nom", "full name"},
    "first_name": {"prenom", "first name"},
    "last_name": {"nom de famille", "last name"},
    "profession": {"profession", "metier", "fonction"},
    "organisation": {"organisation", "organization", "etablissement", "structure", "employeur"},
    "level": {"level", "niveau", "niveau d action", "niveau daction"},
}

PROFESSION_ALIASES = {
    Profession.DIRECTOR: {"director", "directeur", "directrice", "direction", "directeur d hopital", "directrice d hopital",
                          "directeur des soins", "directrice des soins", "direction d etablissement", "dh", "d3s"},
    Profession.PHYSICIAN: {"physician", "medecin", "chef de service", "cheffe de service", "chef de pole", "cheffe de pole",
                           "praticien hospitalier", "praticienne hospitaliere", "ph"},
    Profession.NURSE: {"nurse", "infirmier", "infirmiere", "cadre de sante", "cadre", "ipa", "soins infirmiers",
                       "cadre superieur de sante", "infirmier en pratique avancee", "infirmiere en pratique avancee"},
    Profession.REGULATOR: {"regulator", "ars", "regulation", "assurance maladie", "cpam", "administration centrale",
                           "ministere", "agence regionale de sante"},
    Profession.OTHER: {"other", "autre", "pharmacien", "pharmacienne", "ingenieur", "ingenieure", "patient partenaire",
                       "data analyst", "sage femme"},
}
LEVEL_ALIASES = {
    Level.TEAM: {"team", "equipe", "unite", "service", "equipe unite"},
    Level.ESTABLISHMENT: {"establishment", "etablissement", "hopital", "ght"},
    Level.REGION: {"region", "regional", "regionale"},
    Level.NATION: {"nation", "national", "nationale"},
}


def _lookup(table: dict, choices, value: str) -> str | None:
    key = _normalise(value)
    for code, label in choices:
        if key in table[code] or key == _normalise(str(label)) or key == code:
            return code
    return None


def _decode_lines(data: bytes) -> list[str]:
    """Each line as UTF-8 if it is, else Windows-1252/Latin-1 (spreadsheets on Windows);
    undecodable bytes become U+FFFD and that row is reported."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = []
    for raw in data.splitlines(keepends=True):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                lines.append(raw.decode("cp1252"))
            except UnicodeDecodeError:
                lines.append(raw.decode("cp1252", errors="replace"))
    return lines


@transaction.atomic
def invitation_import_csv(*, cohort: Cohort, data: bytes, invited_by) -> ImportReport:
    """Invite every valid row of a CSV (e-mail, name, profession, organisation, level), comma or
    semicolon separated, UTF-8 (with or without BOM) or Latin-1. Bad rows are reported with
    their line number and reason; each valid row is created whole or not at all."""
    report = ImportReport()
    if not cohort_allows(cohort, "invite"):
        report.errors.append(RowError(0, str(COHORT_RULES["invite"][1])))
        return report
    if len(data) > CSV_MAX_BYTES:
        report.errors.append(RowError(0, _("Le fichier dépasse 1 Mo.")))
        return report
    if b"\x00" in data[:4096]:
        report.errors.append(RowError(0, _("Encodage non reconnu : enregistrez le fichier au format « CSV UTF-8 » ou « CSV (séparateur : point-virgule) ».")))
        return report
    lines = _decode_lines(data)
    if not lines or not lines[0].strip():
        report.errors.append(RowError(0, _("Le fichier est vide.")))
        return report
    header_line = lines[0]
    delimiter = max([";", ",", "\t"], key=header_line.count)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        # Read the whole file before inviting anyone: a malformed line (a field over the csv
        # module's 128 KiB limit, a NUL byte) stops the import with nothing half-done.
        parsed = [(reader.line_num, row) for row in reader]
    except csv.Error:
        report.errors.append(RowError(reader.line_num, _("Ligne illisible : un champ dépasse 128 Kio ou contient un caractère nul. Aucune invitation n'a été envoyée ; corrigez le fichier et importez-le de nouveau.")))
        return report
    first_row = parsed[0][1]
    header = [_normalise(cell) for cell in first_row]
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        for key, aliases in HEADER_ALIASES.items():
            if cell in aliases and key not in columns:
                columns[key] = index
    headerless = "email" not in columns and bool(first_row) and "@" in first_row[0]
    if headerless:
        columns = dict(CSV_DEFAULT_COLUMNS)
    has_name = "name" in columns or "first_name" in columns or "last_name" in columns
    missing = [label for key, label in (("email", "e-mail"), ("profession", _("métier"))) if key not in columns]
    if not has_name:
        missing.insert(1, _("nom"))
    if missing:
        report.errors.append(RowError(1, _("Colonne(s) manquante(s) dans l'en-tête : %(cols)s. Colonnes attendues : e-mail, nom, métier, organisation, niveau.") % {"cols": ", ".join(missing)}))
        return report
    width = max(columns.values()) + 1
    if headerless:  # the level column may be left out
        width = columns["organisation"] + 1

    def numbered_rows():
        yield from parsed if headerless else parsed[1:]

    seen: dict[str, int] = {}
    rows = 0
    for line, row in numbered_rows():
        if not any(cell.strip() for cell in row):
            continue
        rows += 1
        if rows > CSV_MAX_ROWS:
            report.errors.append(RowError(line, _("Trop de lignes : %(n)s au plus par fichier.") % {"n": CSV_MAX_ROWS}))
            break

        def cell(key: str) -> str:
            index = columns.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        email = cell("email").lower()
        if any("\ufffd" in value or any(ord(ch) < 32 and ch not in "\t" for ch in value) for value in row):
            report.errors.append(RowError(line, _("Caractères illisibles : vérifiez l'encodage du fichier (UTF-8 ou Latin-1)."), email))
            continue
        if len(row) < width:
            report.errors.append(RowError(line, _("Ligne incomplète : %(got)s colonne(s) au lieu de %(want)s.") % {"got": len(row), "want": width}, email))
            continue
        if not email:
            report.errors.append(RowError(line, _("Adresse e-mail manquante.")))
            continue
        try:
            validate_email(email)
        except ValidationError:
            report.errors.append(RowError(line, _("Adresse e-mail invalide : « %(email)s ».") % {"email": email}, email))
            continue
        if email in seen:
            report.errors.append(RowError(line, _("Adresse en double (déjà en ligne %(line)s).") % {"line": seen[email]}, email))
            continue
        seen[email] = line
        name = cell("name") or " ".join(part for part in (cell("first_name"), cell("last_name")) if part)
        if not name:
            report.errors.append(RowError(line, _("Nom manquant."), email))
            continue
        raw_profession = cell("profession")
        profession = _lookup(PROFESSION_ALIASES, Profession.choices, raw_profession)
        if not raw_profession:
            report.errors.append(RowError(line, _("Métier manquant."), email))
            continue
        if profession is None:
            report.errors.append(RowError(line, _("Métier inconnu : « %(value)s » (attendu : direction, médecin, infirmier·e / cadre de santé, ARS / régulation, autre).") % {"value": raw_profession}, email))
            continue
        raw_level = cell("level")
        level = _lookup(LEVEL_ALIASES, Level.choices, raw_level) if raw_level else ""
        if level is None:
            report.errors.append(RowError(line, _("Niveau inconnu : « %(value)s » (attendu : équipe, établissement, région, national).") % {"value": raw_level}, email))
            continue
        try:
            invitation = invitation_create(
                cohort=cohort, email=email, invited_by=invited_by, name=name[:200], profession=profession,
                level=level, organisation=cell("organisation")[:200],
            )
        except ValidationError as error:
            report.errors.append(RowError(line, " ".join(error.messages), email))
            continue
        report.created.append(invitation)
    return report
