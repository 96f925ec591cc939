"""What the cohorts app stores: who learns with whom (cohorts, their members and groups,
communities of practice), then the cohort features (invitations, schedule, live sessions,
announcements, calendar feeds, community invitations). Rooms and messages are the rooms app's."""

import hashlib
import secrets

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level, Profession
from config.sanitize import clean_html

__all__ = [
    "Cohort",
    "CohortMembership",
    "CohortGroup",
    "GroupMembership",
    "Community",
    "CommunityMembership",
    "Invitation",
    "ScheduleItem",
    "LiveSession",
    "Announcement",
    "CalendarFeed",
    "CommunityInvitation",
    "LiveRun",
    "LiveRunEvent",
    "LiveAttendance",
    "LivePoll",
    "LivePollAnswer",
    "LiveBreakout",
    "hash_token",
    "new_token",
]


class Cohort(models.Model):
    """One run of a programme, with dates, facilitators and mixed learners.

    Its status says what it allows (inviting, joining, scheduling…): the table is
    `cohorts.services.COHORT_RULES`, enforced by the services (docs/cohorts.md)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        OPEN = "open", _("Inscriptions ouvertes")
        RUNNING = "running", _("En cours")
        CLOSED = "closed", _("Terminée")

    class JoinPolicy(models.TextChoices):
        INVITATION = "invitation", _("Sur invitation uniquement")
        APPROVAL = "approval", _("Ouverte, avec validation de l'animateur·rice")

    programme = models.ForeignKey("cms.ProgrammePage", on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(_("nom"), max_length=200)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    language = models.CharField(_("langue"), max_length=5, choices=settings.LANGUAGES, default="fr")
    capacity = models.PositiveIntegerField(
        _("capacité"), default=30,
        validators=[MinValueValidator(2, message=_("Une promotion compte au moins 2 places."))],
        help_text=_("Nombre de places d'apprenant·es ; les invitations en attente réservent chacune une place."),
    )
    region = models.CharField(
        _("région"), max_length=100, blank=True,
        help_text=_("À la clôture, seules les communautés de cette région (ou nationales) liées au programme sont proposées."),
    )
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    join_policy = models.CharField(
        _("modalité d'entrée"), max_length=12, choices=JoinPolicy.choices, default=JoinPolicy.INVITATION
    )
    # Empty once the creator's account is deleted: the cohort stays valid and can still be changed.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="cohort_ends_after_start",
                violation_error_message=_("La fin doit suivre le début."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CohortMembership(models.Model):
    """A person in a cohort, as a learner or as a facilitator."""

    class Role(models.TextChoices):
        LEARNER = "learner", _("Apprenant·e")
        FACILITATOR = "facilitator", _("Animateur·rice")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de validation")
        ACTIVE = "active", _("Active")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cohort_memberships")
    role = models.CharField(_("rôle"), max_length=12, choices=Role.choices, default=Role.LEARNER)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membre de promotion")
        constraints = [models.UniqueConstraint(fields=["cohort", "user"], name="one_membership_per_cohort")]


class CohortGroup(models.Model):
    """A small interprofessional team inside a cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("nom"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("groupe")
        ordering = ["cohort", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["cohort", "name"], name="unique_group_name_in_cohort")]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """A learner's place in one group; a learner is in at most one group per cohort."""

    group = models.ForeignKey(CohortGroup, on_delete=models.CASCADE, related_name="memberships")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="group_memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")

    class Meta:
        verbose_name = _("membre de groupe")
        constraints = [models.UniqueConstraint(fields=["cohort", "user"], name="one_group_per_cohort")]


class Community(models.Model):
    """A lasting space around a theme, spanning cohorts and levels."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), unique=True)
    theme = models.TextField(_("thème"))
    region = models.CharField(_("région"), max_length=100, blank=True)
    programmes = models.ManyToManyField(
        "cms.ProgrammePage", blank=True, related_name="communities", verbose_name=_("programmes liés"),
        help_text=_("Les membres des promotions terminées de ces programmes sont invités à rejoindre la communauté."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("communauté de pratique")
        verbose_name_plural = _("communautés de pratique")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CommunityMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Membre")
        MODERATOR = "moderator", _("Modérateur·rice")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_memberships")
    role = models.CharField(_("rôle"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membre de communauté")
        constraints = [models.UniqueConstraint(fields=["community", "user"], name="one_membership_per_community")]


# --- Cohort features ---------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Invitation links carry a random token; only its hash is stored, so a leaked table opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mail invitation to join a cohort as a learner, through a signed expiring link."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Acceptée")
        REVOKED = "revoked", _("Révoquée")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("adresse e-mail"))
    name = models.CharField(_("nom"), max_length=200, blank=True)
    profession = models.CharField(_("métier"), max_length=20, choices=Profession.choices, blank=True)
    level = models.CharField(_("niveau d'action"), max_length=20, choices=Level.choices, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField(_("expire le"))
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    sent_count = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        ordering = ["status", "email"]
        constraints = [models.UniqueConstraint(fields=["cohort", "email"], name="one_invitation_per_email_and_cohort")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ScheduleItem(models.Model):
    """When a module, or a scheduled episode of a case, opens and is due for one cohort.

    `page` is a module or a case page; `episode_id` is the episode block id (empty for the
    page itself). On the case page's own row, `debrief_opens_at` says when the debrief opens.
    """

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="schedule_items")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    episode_id = models.CharField(max_length=64, blank=True, default="")
    label = models.CharField(_("libellé"), max_length=255, blank=True)
    opens_at = models.DateTimeField(_("ouverture"), null=True, blank=True)
    due_at = models.DateTimeField(_("échéance"), null=True, blank=True)
    debrief_opens_at = models.DateTimeField(_("ouverture du débriefing"), null=True, blank=True)

    class Meta:
        verbose_name = _("échéance")
        ordering = ["opens_at", "due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "page", "episode_id"], name="one_schedule_item_per_part"),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(due_at__isnull=True) | Q(due_at__gte=models.F("opens_at")),
                name="schedule_due_after_opening",
                violation_error_message=_("L'échéance précède l'ouverture."),
            ),
        ]

    def __str__(self) -> str:
        return self.label or str(self.page_id)


class LiveSession(models.Model):
    """A live session of a cohort: in a room somewhere, or by video."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="live_sessions")
    title = models.CharField(_("titre"), max_length=200)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    video_url = models.URLField(_("lien de visioconférence"), blank=True)

    class Meta:
        verbose_name = _("séance en direct")
        verbose_name_plural = _("séances en direct")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="live_session_ends_after_start",
                violation_error_message=_("La séance doit finir après son début."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Announcement(models.Model):
    """A message from a facilitator to the whole cohort or to one group (in-app and e-mail)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="announcements")
    group = models.ForeignKey(CohortGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="announcements")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))  # sanitised HTML
    recipient_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("annonce")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject

    @property
    def body_html(self):
        """The stored (already sanitised) body, cleaned again on the way out and marked safe."""
        return clean_html(self.body)


class CalendarFeed(models.Model):
    """A learner's secret iCal feed address (the token is the only credential of the feed)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("flux d'agenda")


class CommunityInvitation(models.Model):
    """An invitation to join a community, sent when a cohort of a linked programme closes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Acceptée")
        DECLINED = "declined", _("Déclinée")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_invitations")
    cohort = models.ForeignKey(Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation à une communauté")
        constraints = [models.UniqueConstraint(fields=["community", "user"], name="one_community_invitation_per_user")]


# Who joined, left or changed role in a cohort, group or community, by whom and from where
# (django-auditlog; docs/security.md). These models have no personal text of their own.
auditlog.register(CohortMembership)
auditlog.register(GroupMembership)
auditlog.register(CommunityMembership)


# --- Live case sessions (docs/cohorts.md, "Live case sessions") -------------------------------


class LiveRun(models.Model):
    """A facilitator running one case live with the cohort (or one of its groups).

    The run's state (episodes revealed, debrief opened, pins) is stored here; each change is also
    a `LiveRunEvent` with the run's next sequence number, broadcast after commit (rooms app), so a
    client that missed one asks for what follows the last number it saw. At most one run of a
    cohort is going on at a time."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="live_runs")
    group = models.ForeignKey(
        CohortGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="live_runs",
        help_text=_("Vide : toute la promotion."),
    )
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    live_session = models.ForeignKey(
        LiveSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    started_at = models.DateTimeField(_("début"), auto_now_add=True)
    ended_at = models.DateTimeField(_("fin"), null=True, blank=True)
    revealed_episode_ids = models.JSONField(default=list, blank=True)  # in the order revealed
    debrief_opened_at = models.DateTimeField(null=True, blank=True)
    pinned_answer_ids = models.JSONField(default=list, blank=True)  # lms DecisionAnswer ids, in pin order
    last_seq = models.PositiveIntegerField(default=0)
    summary = models.JSONField(null=True, blank=True)  # kept when the run ends (cohorts.selectors.live_run_summary)

    class Meta:
        verbose_name = _("séance en direct (déroulé)")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort"], condition=Q(ended_at__isnull=True), name="one_live_run_going_on_per_cohort",
                violation_error_message=_("Une séance en direct de cette promotion est déjà en cours."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cohort_id}/{self.page_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_going_on(self) -> bool:
        return self.ended_at is None


class LiveRunEvent(models.Model):
    """One step of a live run, numbered 1, 2, 3… per run: the timeline, and what clients resume from."""

    class Kind(models.TextChoices):
        START = "start", _("Début de la séance")
        REVEAL = "reveal", _("Épisode révélé")
        POLL_OPEN = "poll_open", _("Vote ouvert")
        POLL_CLOSE = "poll_close", _("Vote clos")
        BREAKOUT_START = "breakout_start", _("Travail en groupes")
        BREAKOUT_MESSAGE = "breakout_message", _("Message aux groupes")
        BREAKOUT_END = "breakout_end", _("Retour en plénière")
        DEBRIEF = "debrief", _("Débriefing ouvert")
        PIN = "pin", _("Justification épinglée")
        UNPIN = "unpin", _("Justification retirée")
        END = "end", _("Fin de la séance")

    run = models.ForeignKey(LiveRun, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("étape de séance en direct")
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_live_event_per_seq")]


class LiveAttendance(models.Model):
    """Who took part in a live run: recorded when their page connects to it (counts toward DPC hours)."""

    run = models.ForeignKey(LiveRun, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_attendances")
    profession = models.CharField(max_length=20, choices=Profession.choices, blank=True)  # at the time
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    connections = models.IntegerField(default=0)  # sockets open now, on every process (presence on the panel)

    class Meta:
        verbose_name = _("présence à une séance en direct")
        constraints = [models.UniqueConstraint(fields=["run", "user"], name="one_attendance_per_live_run")]


class LivePoll(models.Model):
    """A decision point of the case opened as a poll for a few minutes during a live run."""

    run = models.ForeignKey(LiveRun, on_delete=models.CASCADE, related_name="polls")
    block_id = models.CharField(max_length=64)
    opened_at = models.DateTimeField(auto_now_add=True)
    ends_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)  # raw counts {profession: {option id: n}} when closed

    class Meta:
        verbose_name = _("vote en direct")
        ordering = ["opened_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run"], condition=Q(closed_at__isnull=True), name="one_open_poll_per_live_run",
                violation_error_message=_("Un vote est déjà ouvert : closez-le d'abord."),
            ),
        ]


class LivePollAnswer(models.Model):
    """That a learner's decision answer (lms's one record) was given in this poll, and whether the
    learner let the facilitator show their name with their rationale."""

    poll = models.ForeignKey(LivePoll, on_delete=models.CASCADE, related_name="answers")
    answer = models.ForeignKey("lms.DecisionAnswer", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    named = models.BooleanField(_("montrer mon nom avec ma justification"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réponse à un vote en direct")
        constraints = [models.UniqueConstraint(fields=["poll", "user"], name="one_answer_per_live_poll")]


class LiveBreakout(models.Model):
    """The groups sent to their group rooms for a few minutes."""

    run = models.ForeignKey(LiveRun, on_delete=models.CASCADE, related_name="breakouts")
    started_at = models.DateTimeField(auto_now_add=True)
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    prompt_id = models.CharField(max_length=64, blank=True)  # the discussion prompt shown in the group rooms

    class Meta:
        verbose_name = _("travail en groupes")
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["run"], condition=Q(ended_at__isnull=True), name="one_breakout_going_on_per_live_run",
                violation_error_message=_("Les groupes sont déjà en salle."),
            ),
        ]
