"""Who learns with whom: cohorts, their members and groups, communities of practice, rooms.

Core models shared by the cohort features (invitations, schedule, dashboard) and the rooms
(messages, read markers). Add feature models below these, or in new modules imported here.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Cohort", "CohortMembership", "CohortGroup", "GroupMembership", "Community", "CommunityMembership", "Room"]


class Cohort(models.Model):
    """One run of a programme, with dates, facilitators and mixed learners."""

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
    capacity = models.PositiveIntegerField(_("capacité"), default=30)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    join_policy = models.CharField(
        _("modalité d'entrée"), max_length=12, choices=JoinPolicy.choices, default=JoinPolicy.INVITATION
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
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


class Room(models.Model):
    """A real-time discussion space of a cohort, a group, a case (per cohort) or a community.

    Who may read and write follows membership of the owner: see `cohorts.selectors.room_access`.
    """

    class Kind(models.TextChoices):
        COHORT = "cohort", _("Salon de la promotion")
        GROUP = "group", _("Salon du groupe")
        CASE = "case", _("Salon du cas")
        COMMUNITY = "community", _("Salon de la communauté")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=200)
    cohort = models.ForeignKey(Cohort, null=True, blank=True, on_delete=models.CASCADE, related_name="rooms")
    group = models.ForeignKey(CohortGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="rooms")
    case_page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.CASCADE, related_name="rooms")
    last_message_seq = models.PositiveBigIntegerField(default=0)  # the room's own increasing message counter
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("salon")
        constraints = [
            models.CheckConstraint(
                name="room_owner_matches_kind",
                condition=(
                    Q(kind="cohort", cohort__isnull=False, group__isnull=True, community__isnull=True, case_page__isnull=True)
                    | Q(kind="group", cohort__isnull=False, group__isnull=False, community__isnull=True, case_page__isnull=True)
                    | Q(kind="case", cohort__isnull=False, group__isnull=True, community__isnull=True, case_page__isnull=False)
                    | Q(kind="community", cohort__isnull=True, group__isnull=True, community__isnull=False, case_page__isnull=True)
                ),
            ),
            models.UniqueConstraint(fields=["cohort"], condition=Q(kind="cohort"), name="one_room_per_cohort"),
            models.UniqueConstraint(fields=["group"], condition=Q(kind="group"), name="one_room_per_group"),
            models.UniqueConstraint(fields=["cohort", "case_page"], condition=Q(kind="case"), name="one_room_per_case_and_cohort"),
        ]

    def __str__(self) -> str:
        return self.name
