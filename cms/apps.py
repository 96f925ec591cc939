from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Contenus")

    def ready(self):
        from cms import content_cache  # imports Wagtail's models: only once the apps are loaded

        content_cache.connect_signals()

        from wagtail.signals import copy_for_translation_done

        from cms.locales import on_copy_for_translation

        copy_for_translation_done.connect(on_copy_for_translation, dispatch_uid="cms-relink-snippets")

        from cms import moderation

        moderation.connect()  # Wagtail's moderation e-mails go through the tasks queue
