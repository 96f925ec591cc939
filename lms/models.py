"""Learning records: what a learner did, stored against page ids and StreamField block ids.

Block ids and option ids come from `cms.selectors.case_outline`; nothing here parses page
bodies. The database enforces one record per learner and block, so a double submission
(two tabs, a retried request) can never store two answers.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Profession

BLOCK_ID_LENGTH = 64


class Enrolment(models.Model):
    """A learner following a programme, by their own choice or through a cohort."""

    class Source(models.TextChoices):
        SELF = "self", _("Inscription libre")
        COHORT = "cohort", _("Par une promotion")

    class Status(models.TextChoices):
        ACTIVE = "active", _("En cours")
        LEFT = "left", _("Abandonné")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    programme = models.ForeignKey("cms.ProgrammePage", on_delete=models.CASCADE, related_name="enrolments")
    source = models.CharField(_("origine"), max_length=10, choices=Source.choices, default=Source.SELF)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    enrolled_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)
    left_at = models.DateTimeField(_("quitté le"), null=True, blank=True)
    completed_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    last_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("dernière page consultée"),
    )
    last_visited_at = models.DateTimeField(null=True, blank=True)
    # When the "three months later" self-assessment reminder was queued (at most once).
    later_reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        ordering = ["-enrolled_at"]
        constraints = [models.UniqueConstraint(fields=["user", "programme"], name="one_enrolment_per_programme")]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.programme_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class PageCompletion(models.Model):
    """A case study or lesson whose completion rule held for this learner (kept once reached)."""

    class Reason(models.TextChoices):
        RULE = "rule", _("Activités terminées")
        MARKED = "marked", _("Marquée comme faite")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="page_completions")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey("cms.ProgrammePage", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.RULE)
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("page terminée")
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="one_completion_per_page")]
        indexes = [models.Index(fields=["programme", "user"])]


class DecisionAnswer(models.Model):
    """A learner's committed choice at a decision point; locked once stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decision_answers")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=BLOCK_ID_LENGTH)
    option_id = models.CharField(max_length=BLOCK_ID_LENGTH)
    rationale = models.TextField(_("justification"), blank=True)
    # The profession at the time of answering: the "how your cohort chose" figures group by it,
    # and it survives the erasure of the account (statistics without identity).
    profession = models.CharField(max_length=20, choices=Profession.choices, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réponse à un point de décision")
        verbose_name_plural = _("réponses aux points de décision")
        constraints = [
            models.UniqueConstraint(fields=["user", "page", "block_id"], name="one_answer_per_decision_point"),
        ]
        indexes = [models.Index(fields=["page", "block_id"])]


class Reflection(models.Model):
    """A learner's written answer to one reflection prompt: a live draft plus submitted versions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=BLOCK_ID_LENGTH)
    draft_html = models.TextField(_("brouillon"), blank=True)  # always stored sanitised
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # latest submission
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("réflexion")
        constraints = [models.UniqueConstraint(fields=["user", "page", "block_id"], name="one_reflection_per_prompt")]


class ReflectionVersion(models.Model):
    """A submitted text, kept as it was sent."""

    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body_html = models.TextField()  # sanitised
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reflection", "number"]
        constraints = [models.UniqueConstraint(fields=["reflection", "number"], name="unique_reflection_version")]


class ReflectionComment(models.Model):
    """A facilitator's comment on a learner's reflection; the learner reads it."""

    reflection = models.ForeignKey(Reflection, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body_html = models.TextField()  # sanitised
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]


class QuizAttempt(models.Model):
    """One attempt at a page's quiz; `number` counts from 1 and doubles as the idempotency key.

    An attempt is either sent whole (all questions in one form) or filled question by question;
    it is scored when every question has an answer (`completed_at` set)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    answers = models.JSONField(default=dict)  # {question block id: [option ids]}
    score = models.PositiveSmallIntegerField(default=0)  # percent of questions answered exactly right
    passed = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_block_id = models.CharField(max_length=BLOCK_ID_LENGTH, blank=True)  # to recognise a retried answer

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    class Meta:
        verbose_name = _("tentative de quiz")
        ordering = ["page", "number"]
        constraints = [
            models.UniqueConstraint(fields=["user", "page", "number"], name="unique_quiz_attempt_number"),
            models.CheckConstraint(condition=Q(score__lte=100), name="quiz_score_is_a_percentage"),
        ]


class Worksheet(models.Model):
    """A learner's filled-in problem-solving worksheet (5 pourquoi, Ishikawa, A3…)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worksheets")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    block_id = models.CharField(max_length=BLOCK_ID_LENGTH)
    template_kind = models.CharField(max_length=30)
    title = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict)  # {field key: plain text}
    updated_at = models.DateTimeField(auto_now=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fiche de travail")
        constraints = [models.UniqueConstraint(fields=["user", "page", "block_id"], name="one_worksheet_per_block")]


def new_certificate_code() -> str:
    """16 characters from an unambiguous alphabet: about 80 bits, unguessable."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


class Certificate(models.Model):
    """An attendance certificate (attestation) with the facts it certifies, frozen when issued."""

    code = models.CharField(_("code de vérification"), max_length=32, unique=True, default=new_certificate_code)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certificates")
    programme = models.ForeignKey("cms.ProgrammePage", on_delete=models.PROTECT, related_name="+")
    learner_name = models.CharField(max_length=300)
    rpps = models.CharField(max_length=11, blank=True)
    programme_title = models.CharField(max_length=255)
    hours = models.DecimalField(max_digits=5, decimal_places=1)
    competencies = models.JSONField(default=list)  # names
    modules = models.JSONField(default=list)  # [{"title": ..., "completed_on": "YYYY-MM-DD"}]
    cohort_name = models.CharField(max_length=200, blank=True)
    dpc_action_number = models.CharField(max_length=40, blank=True)
    dpc_organisation_number = models.CharField(max_length=40, blank=True)
    dpc_action_kind = models.CharField(max_length=40, blank=True)
    dpc_orientation = models.CharField(max_length=255, blank=True)
    started_on = models.DateField()
    completed_on = models.DateField()
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attestation")
        ordering = ["-issued_at"]
        constraints = [models.UniqueConstraint(fields=["user", "programme"], name="one_certificate_per_programme")]

    def __str__(self) -> str:
        return self.code


class DpcAttestation(models.Model):
    """The participation attestation (attestation de participation) a DPC body asks for, issued
    with the certificate of a programme that carries DPC fields. What it certifies beyond the
    certificate is frozen here: the hours by kind. Verifiable by its own code, like the certificate."""

    code = models.CharField(_("code de vérification"), max_length=32, unique=True, default=new_certificate_code)
    certificate = models.OneToOneField(Certificate, on_delete=models.CASCADE, related_name="dpc_attestation")
    online_hours = models.DecimalField(_("heures en ligne"), max_digits=5, decimal_places=1)
    live_hours = models.DecimalField(_("heures de sessions en direct suivies"), max_digits=5, decimal_places=1, default=0)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attestation de participation DPC")
        verbose_name_plural = _("attestations de participation DPC")

    def __str__(self) -> str:
        return self.code

    @property
    def total_hours(self):
        return self.online_hours + self.live_hours


class SelfAssessment(models.Model):
    """A learner's competency self-assessment for a programme at one moment: before it, at its end,
    three months after. Private to the learner; the programme owner's figures only count them."""

    class Moment(models.TextChoices):
        BEFORE = "before", _("Avant le programme")
        END = "end", _("À la fin du programme")
        LATER = "later", _("Trois mois après")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="self_assessments")
    programme = models.ForeignKey("cms.ProgrammePage", on_delete=models.CASCADE, related_name="+")
    moment = models.CharField(_("moment"), max_length=10, choices=Moment.choices)
    levels = models.JSONField(_("niveaux"), default=dict)  # {competency slug: 1..4}
    # As for decision answers: the owner's figures group by the profession at the time, and keep it
    # once the account is erased (statistics without identity).
    profession = models.CharField(max_length=20, choices=Profession.choices, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("auto-positionnement")
        verbose_name_plural = _("auto-positionnements")
        # The programme owner's report (lms.outcomes): figures over groups of five or more, never a person.
        permissions = [("view_outcomes", _("Voir le bilan des programmes (chiffres d'ensemble)"))]
        constraints = [
            models.UniqueConstraint(fields=["user", "programme", "moment"], name="one_self_assessment_per_moment"),
        ]
        indexes = [models.Index(fields=["programme", "moment"])]


class ModuleFeedback(models.Model):
    """A learner's answer to the survey at the end of a module (`cms.FeedbackForm`), once per module."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_feedback")
    module = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey("cms.ProgrammePage", on_delete=models.CASCADE, related_name="+")
    usefulness = models.PositiveSmallIntegerField(_("utilité (1 à 5)"))
    relevance = models.PositiveSmallIntegerField(_("lien avec le métier (1 à 5)"))
    change_text = models.TextField(_("ce que je vais changer"), blank=True)  # plain text, escaped when shown
    comment = models.TextField(_("commentaire libre"), blank=True)  # plain text
    profession = models.CharField(max_length=20, choices=Profession.choices, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("avis de fin de module")
        verbose_name_plural = _("avis de fin de module")
        constraints = [
            models.UniqueConstraint(fields=["user", "module"], name="one_feedback_per_module"),
            models.CheckConstraint(condition=Q(usefulness__gte=1, usefulness__lte=5), name="feedback_usefulness_1_to_5"),
            models.CheckConstraint(condition=Q(relevance__gte=1, relevance__lte=5), name="feedback_relevance_1_to_5"),
        ]
        indexes = [models.Index(fields=["programme", "module"])]
