"""Load the demo: accounts, then each app's demo content, idempotently.

Each local app may have a `demo.py` with `seed(*, stdout) -> None`; they run in the order
of LOCAL_APPS so that content exists before the people and cohorts that use it.
"""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Create or update the demo accounts and content. Running it twice changes nothing."

    def handle(self, *args, **options):
        for app in settings.LOCAL_APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"{app}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo ready."))
