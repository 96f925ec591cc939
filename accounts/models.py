"""The custom user: the e-mail address is the login; the profile says who the person is at work."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import Level, Profession, Role


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
        validators=[RegexValidator(r"^\d{11}$", _("Le numéro RPPS compte 11 chiffres."))],
        help_text=_("Facultatif : figure sur vos attestations DPC."),
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
