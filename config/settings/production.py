"""Production: every secret and every service comes from the environment, and a missing one stops start-up."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import TASKS, env, env_list

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
SECRET_KEY = os.environ["SECRET_KEY"]

# Without DATABASE_URL base falls back to a SQLite file, without REDIS_URL to a cache and a channel
# layer inside the process: right for one process on one machine, silently wrong for several (each
# would have its own rooms and its own cache). Production says which it is.
SINGLE_MACHINE = env("PASSERELLES_SINGLE_MACHINE", "0").lower() in {"1", "true", "yes"}
if not SINGLE_MACHINE:
    for variable in ("DATABASE_URL", "REDIS_URL"):
        if not env(variable):
            raise ImproperlyConfigured(
                f"{variable} must be set in production. To run a single process on one machine without it "
                "(SQLite without DATABASE_URL; cache and rooms inside the process without REDIS_URL), "
                "set PASSERELLES_SINGLE_MACHINE=1."
            )

DEBUG = False
BENCHMARK_ENDPOINTS = False

# Editors, reviewers, facilitators and admins sign in with a second factor (docs/security.md).
PASSERELLES_MFA_REQUIRED = env("PASSERELLES_MFA_REQUIRED", "1").lower() in {"1", "true", "yes"}
# nginx on the same machine appends the client's address to X-Forwarded-For (accounts/audit.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "127.0.0.1,::1")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT", "true").lower() in {"1", "true", "yes"}
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Wagtail's live preview shows the page in a same-origin iframe, so frames stay SAMEORIGIN
# (set in base) rather than DENY; framing by any other site is still refused.
SILENCED_SYSTEM_CHECKS = ["security.W019"]

# --- Background tasks: queued in PostgreSQL, run by `manage.py db_worker` (docs/deploy.md) ---
TASKS["default"]["BACKEND"] = "django_tasks_db.DatabaseBackend"
