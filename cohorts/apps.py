from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CohortsConfig(AppConfig):
    name = "cohorts"
    verbose_name = _("Promotions")

    def ready(self):
        from cohorts import signals  # noqa: F401  (allauth signals: pending invitations)
