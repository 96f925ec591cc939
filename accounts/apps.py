from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _site_sync(**kwargs) -> None:
    from accounts.services import site_sync

    site_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self):
        # Like django.contrib.sites, which creates its "example.com" Site after migrating (and runs
        # first, being listed first): name it, and follow SITE_URL, at every `migrate`.
        post_migrate.connect(_site_sync, sender=self, dispatch_uid="accounts.site_sync")
        from accounts import signals  # noqa: F401  (audit receivers)
