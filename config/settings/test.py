"""The test suite: fast hashing, mail kept in memory, same database choice as base."""

import os

from .base import *  # noqa: F401,F403
from .base import CACHES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if os.environ.get("EMAIL_FILE_PATH"):
    # A browser test's server process: its e-mails are written as files the test reads (tests/e2e/browser.py, sent_mail).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Test runs share one Redis: keep their keys apart from a running server's.
    CACHES["default"]["KEY_PREFIX"] = "passerelles-test"
