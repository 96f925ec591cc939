"""What the rooms app stores: rooms, their messages and what hangs off them (revisions, reactions,
mentions, reports), read markers and notifications.

The tables kept the names they had when rooms lived in the cohorts app (`cohorts_room`,
`cohorts_message`…): the models moved, the data did not (docs/architecture.md).

Messages are identified to clients by their per-room `seq` (1, 2, 3… within a room), never by
their primary key. Nothing here is ever hard-deleted by a user: a delete leaves a tombstone so
that the sequence has no holes and a resuming client can tell "deleted" from "missing".
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from config.sanitize import clean_html

__all__ = [
    "Room",
    "MESSAGE_MAX_LENGTH",
    "REACTION_EMOJIS",
    "Message",
    "MessageRevision",
    "Reaction",
    "Mention",
    "MessageReport",
    "ReadMarker",
    "Notification",
]

MESSAGE_MAX_LENGTH = 4000
# A closed list: reactions are a quick signal, not a second message channel.
REACTION_EMOJIS = ("👍", "❤️", "👏", "🤔", "✅")


class Room(models.Model):
    """A real-time discussion space of a cohort, a group, a case (per cohort) or a community.

    Who may read and write follows membership of the owner: see `rooms.selectors.room_access`.
    """

    class Kind(models.TextChoices):
        COHORT = "cohort", _("Salon de la promotion")
        GROUP = "group", _("Salon du groupe")
        CASE = "case", _("Salon du cas")
        COMMUNITY = "community", _("Salon de la communauté")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=200)
    cohort = models.ForeignKey("cohorts.Cohort", null=True, blank=True, on_delete=models.CASCADE, related_name="rooms")
    group = models.ForeignKey("cohorts.CohortGroup", null=True, blank=True, on_delete=models.CASCADE, related_name="rooms")
    case_page = models.ForeignKey("wagtailcore.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("cohorts.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="rooms")
    last_message_seq = models.PositiveBigIntegerField(default=0)  # the room's own increasing message counter
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "cohorts_room"
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


class Message(models.Model):
    """One message in a room, stored before it is broadcast."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField(_("numéro dans le salon"))
    # SET_NULL: when an account is erased, its messages stay as "ancien·ne participant·e".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="room_messages"
    )
    client_id = models.CharField(max_length=64)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    body = models.TextField(_("texte"))
    html = models.TextField(_("texte mis en forme"))
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        db_table = "cohorts_message"
        verbose_name = _("message")
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_seq_unique_in_room"),
            # Exactly once: a retry with the same client id can never store a second message.
            models.UniqueConstraint(fields=["room", "author", "client_id"], name="message_client_id_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), MESSAGE_MAX_LENGTH), name="message_body_max_length"
            ),
        ]
        indexes = [models.Index(fields=["author", "room"], name="message_author_room")]

    def __str__(self) -> str:
        return f"{self.room_id}#{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def safe_html(self):
        """The stored HTML, sanitised again on the way out (defence in depth)."""
        return clean_html(self.html, profile="message")


class MessageRevision(models.Model):
    """A previous text of an edited message: edits keep their history."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    html = models.TextField()
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "cohorts_messagerevision"
        verbose_name = _("version précédente d'un message")
        ordering = ["message", "replaced_at", "pk"]

    @property
    def safe_html(self):
        """The stored HTML, sanitised again on the way out (defence in depth)."""
        return clean_html(self.html, profile="message")


class Reaction(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "cohorts_reaction"
        verbose_name = _("réaction")
        constraints = [models.UniqueConstraint(fields=["message", "user", "emoji"], name="one_reaction_per_emoji")]


class Mention(models.Model):
    """A room member named with @ in a message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "cohorts_mention"
        verbose_name = _("mention")
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="one_mention_per_user")]


class MessageReport(models.Model):
    """A member's signal to the facilitators that a message needs their attention."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("motif"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "cohorts_messagereport"
        verbose_name = _("signalement")
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_reporter")]


class ReadMarker(models.Model):
    """How far a member has read a room: the seq of the last message they saw."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="read_markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_read_markers")
    last_read_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "cohorts_readmarker"
        verbose_name = _("marque de lecture")
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="one_read_marker_per_member")]


class Notification(models.Model):
    """An in-app notice for one user (today: being mentioned, or a report for moderators)."""

    class Kind(models.TextChoices):
        MENTION = "mention", _("Mention")
        REPORT = "report", _("Signalement")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_notifications")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "cohorts_notification"
        verbose_name = _("notification")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "message"], name="one_notification_per_event"),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
