"""The fixed vocabularies every app shares: professions, levels of action, roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Profession(models.TextChoices):
    DIRECTOR = "director", _("Direction d'établissement")
    PHYSICIAN = "physician", _("Médecin")
    NURSE = "nurse", _("Soins infirmiers / cadre de santé")
    REGULATOR = "regulator", _("Régulation (ARS, administration, assurance maladie)")
    OTHER = "other", _("Autre professionnel de santé")


class Level(models.TextChoices):
    TEAM = "team", _("Équipe / unité")
    ESTABLISHMENT = "establishment", _("Établissement (hôpital, GHT)")
    REGION = "region", _("Région (ARS)")
    NATION = "nation", _("National")


class Role(models.TextChoices):
    """The names of the permission groups created by accounts' data migration."""

    LEARNER = "Learner", _("Apprenant·e")
    FACILITATOR = "Facilitator", _("Animateur·rice")
    EDITOR = "Editor", _("Éditeur·rice")
    REVIEWER = "Reviewer", _("Relecteur·rice")
    ADMIN = "Admin", _("Administrateur·rice")
