from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = _("Salons")

    def ready(self):
        from rooms import signals  # noqa: F401  (rooms follow the rows of cohorts: see rooms/signals.py)
