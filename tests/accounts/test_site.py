"""The platform's name and address: in allauth's e-mails, and following the port `make run` serves."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management import call_command

from tests.factories_accounts import signup_data

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_the_signup_email_is_signed_passerelles_not_example_com(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # e-mail may be queued after commit
        client.post("/accounts/signup/", signup_data())
    body = mail.outbox[-1].body
    assert "example.com" not in body
    assert "Passerelles" in body
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("Passerelles", "127.0.0.1:8000")


def test_every_migrate_gives_the_site_the_address_of_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8101"
    Site.objects.filter(pk=settings.SITE_ID).update(name="example.com", domain="example.com")
    call_command("migrate", verbosity=0)
    site = Site.objects.get_current()
    assert (site.name, site.domain) == ("Passerelles", "127.0.0.1:8101")


def _make_commands(*arguments: str) -> dict[str, str]:
    """What `make -n` would run for each step of `make run`, keyed by the step's program."""
    result = subprocess.run(["make", "-n", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    commands = {}
    for line in result.stdout.splitlines():
        for step in ("migrate", "seed_demo", "daphne"):
            if re.search(rf"\b{step}\b", line):
                commands[step] = line
    return commands


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_run_on_another_port_gives_its_address_to_migrate_seed_and_the_server():
    commands = _make_commands("run", "PORT=8101")
    assert set(commands) == {"migrate", "seed_demo", "daphne"}
    for line in commands.values():
        assert "SITE_URL='http://127.0.0.1:8101'" in line, line
    assert "-p 8101" in commands["daphne"]
    assert "SITE_URL='https://passerelles.example.fr'" in _make_commands(
        "serve", "PORT=8101", "SITE_URL=https://passerelles.example.fr"
    )["daphne"]

    # The server started that way builds e-mail and admin links on port 8101.
    environment = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    environment.update(
        word.split("=", 1) for word in shlex.split(commands["daphne"]) if re.match(r"^[A-Z_]+=", word)
    )
    printed = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL, settings.WAGTAILADMIN_BASE_URL)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert printed.stdout.split() == ["http://127.0.0.1:8101", "http://127.0.0.1:8101"], printed.stderr
