"""The test suite: fast hashing, mail kept in memory, same database choice as base."""

from .base import *  # noqa: F401,F403
from .base import CACHES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Test runs share one Redis: keep their keys apart from a running server's.
    CACHES["default"]["KEY_PREFIX"] = "passerelles-test"
