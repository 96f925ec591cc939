"""The custom user: the e-mail address is the login; the profile says who the person is at work."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level, Profession, Role
from accounts.validators import validate_rpps


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person on the platform. Personal data lives here and is erased on account deletion."""

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)

    profession = models.CharField(_("métier"), max_length=20, choices=Profession.choices, blank=True)
    level = models.CharField(_("niveau d'action"), max_length=20, choices=Level.choices, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    region = models.CharField(_("région"), max_length=100, blank=True)
    language = models.CharField(
        _("langue de l'interface"), max_length=5, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )
    rpps = models.CharField(
        _("numéro RPPS"),
        max_length=11,
        blank=True,
        validators=[validate_rpps],
        help_text=_("Facultatif : 11 chiffres, sur votre carte professionnelle (CPS). Figure sur vos attestations DPC."),
    )
    bio = models.TextField(_("présentation"), blank=True)
    interests = models.CharField(_("centres d'intérêt"), max_length=300, blank=True)

    # What the person agrees to show beyond their name in member lists and the directory.
    in_directory = models.BooleanField(_("apparaître dans l'annuaire des communautés"), default=False)
    share_organisation = models.BooleanField(_("montrer mon organisation"), default=True)
    share_level = models.BooleanField(_("montrer mon niveau d'action"), default=True)
    share_region = models.BooleanField(_("montrer ma région"), default=False)
    share_interests = models.BooleanField(_("montrer mes centres d'intérêt"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur·rice")
        verbose_name_plural = _("utilisateur·rices")
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    def has_role(self, role: Role | str) -> bool:
        """True when the user belongs to the role's group; uses a prefetch when there is one."""
        name = role.value if isinstance(role, Role) else role
        return any(group.name == name for group in self.groups.all())

    @property
    def is_facilitator(self) -> bool:
        return self.has_role(Role.FACILITATOR)


class SecurityEvent(models.Model):
    """One security-relevant event: who did what to which object, when (UTC) and from where.

    Written only by `accounts.audit.audit_record`, which cleans every value; never holds message
    bodies, passwords, tokens or session ids. Kept AUDIT_RETENTION_DAYS (`manage.py audit_purge`).
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("Connexion")
        LOGIN_FAILED = "login_failed", _("Échec de connexion")
        LOGOUT = "logout", _("Déconnexion")
        MFA_FAILED = "mfa_failed", _("Code de second facteur refusé")
        MFA_ACTIVATED = "mfa_activated", _("Second facteur activé")
        MFA_DEACTIVATED = "mfa_deactivated", _("Second facteur désactivé")
        RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("Codes de secours générés")
        PASSWORD_CHANGED = "password_changed", _("Mot de passe changé")
        EMAIL_CHANGED = "email_changed", _("Adresse e-mail changée")
        ROLE_CHANGED = "role_changed", _("Rôle modifié")
        ACCESS_REFUSED = "access_refused", _("Accès refusé")
        RATE_LIMITED = "rate_limited", _("Limite de fréquence atteinte")
        MESSAGE_HIDDEN = "message_hidden", _("Message masqué")
        MESSAGE_RESTORED = "message_restored", _("Message rétabli")
        MESSAGE_PINNED = "message_pinned", _("Message épinglé")
        MESSAGE_UNPINNED = "message_unpinned", _("Message désépinglé")
        MESSAGE_DELETED = "message_deleted", _("Message supprimé")
        MESSAGE_REPORTED = "message_reported", _("Message signalé")
        INVITATION_SENT = "invitation_sent", _("Invitation envoyée")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation révoquée")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation acceptée")
        DATA_EXPORTED = "data_exported", _("Données exportées")
        ACCOUNT_ERASED = "account_erased", _("Compte effacé")

    MODERATION_KINDS = (
        Kind.MESSAGE_HIDDEN, Kind.MESSAGE_RESTORED, Kind.MESSAGE_PINNED, Kind.MESSAGE_UNPINNED,
        Kind.MESSAGE_DELETED, Kind.MESSAGE_REPORTED,
    )

    kind = models.CharField(_("type"), max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("auteur·rice"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_type = models.CharField(_("type d'objet"), max_length=60, blank=True)
    target_id = models.CharField(_("objet"), max_length=40, blank=True)
    address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    details = models.JSONField(_("détails"), default=dict, blank=True)
    created_at = models.DateTimeField(_("date (UTC)"), db_index=True)

    class Meta:
        verbose_name = _("événement de sécurité")
        verbose_name_plural = _("journal de sécurité")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "created_at"], name="securityevent_kind_date"),
            models.Index(fields=["target_type", "target_id"], name="securityevent_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind}"
