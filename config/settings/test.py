"""The test suite: fast hashing, mail kept in memory, same database choice as base."""


from .base import *  # noqa: F401,F403
from .base import CACHES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if env("EMAIL_FILE_PATH"):
    # A browser test's server runs in another process: it writes its e-mails as files there, for
    # the test to read (tests/e2e/browser.py `sent_emails`).
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Test runs share one Redis: keep their keys apart from a running server's.
    CACHES["default"]["KEY_PREFIX"] = "passerelles-test"
