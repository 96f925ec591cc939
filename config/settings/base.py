"""Settings shared by every environment; each value read from the environment once, here."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read one environment variable; an empty value counts as unset."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


# --- Core -------------------------------------------------------------------

SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DJANGO_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
]
THIRD_PARTY_APPS = [
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.simple_translation",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "csp",
    "allauth.mfa",
    "auditlog",
    "channels",
    "django_tasks",
    "django_tasks_db",
]
LOCAL_APPS = [
    "accounts",
    "cms",
    "lms",
    "cohorts",
    "rooms",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.csp.PolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "cms.middleware.CachedSiteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.RejectNulBytesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After allauth's: an account that must have a second factor can do nothing else until it has one.
    "accounts.middleware.MFARequiredMiddleware",
    # Records refusals (403, 404 of a matched URL, 429) and gives services the request's address.
    "accounts.middleware.AuditMiddleware",
    # django-auditlog: who changed a role or a membership, and from which address.
    "accounts.middleware.AuditlogMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
SITE_ID = 1

# Serves /_bench/floor, the constant page every benchmark measures against. Never in production.
BENCHMARK_ENDPOINTS = env("BENCHMARK_ENDPOINTS", "0").lower() in {"1", "true", "yes"}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "rooms.context_processors.notifications",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the ASGI server's threads write without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    # Connection options are explicit because redis-py 8 changed its defaults to a 5 s socket
    # timeout (and 5 s to connect); see docs/deploy.md, "Redis".
    CACHES = {
        "default": {
            # Redis unreachable = every read a miss, every write dropped, one warning per outage:
            # pages, login and rate limits go on from the database (config/cache.py).
            "BACKEND": "config.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "passerelles"),
            # A page waits at most this long for a Redis that does not answer; then the cache
            # stands aside for a few seconds (config.cache.RETRY_AFTER) instead of making every call wait.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis waits for a room's next message with a blocking BZPOPMIN of
                # RedisChannelLayer.brpop_timeout (5 s) that Redis answers with "nothing" at the
                # end. redis-py 8's default socket_timeout is also 5 s, so the client gave up first
                # and every idle room socket was closed with 1011 after 5-6 s (django/channels_redis
                # issue 422). The read timeout must stay above the blocking read: 15 s, so that a
                # silently dead connection still fails rather than hangs (None would wait forever).
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 2}],
                "prefix": env("CHANNEL_LAYER_PREFIX", "passerelles"),
                "capacity": 1000,
                "expiry": 60,
                "group_expiry": 3600,
            },
        }
    }
else:
    # cms's content cache keeps a few entries per page and language: room for a whole catalogue
    # (the default of 300 entries would make it forget pages in turn).
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Accounts ---------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
# The Wagtail admin signs in through allauth, so its login cannot skip the second factor.
WAGTAILADMIN_LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
# One label for the e-mail field of every allauth form (accounts/allauth_forms.py).
ACCOUNT_FORMS = {
    "login": "accounts.allauth_forms.LoginForm",
    "signup": "accounts.allauth_forms.SignupForm",
    "reset_password": "accounts.allauth_forms.ResetPasswordForm",
    "add_email": "accounts.allauth_forms.AddEmailForm",
}
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
# The issue asks the signup form to say when an address is already registered, so
# enumeration prevention is off; the rate limits below keep probing slow.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_SESSION_REMEMBER = None
# allauth counts attempts in the default cache: local memory in one process, Redis when
# REDIS_URL is set, so every process of a deployment shares the same counters.
# Failed logins are counted per address and per account *and* address (the key is made in
# accounts/adapters.py), never per account alone: a stranger elsewhere cannot lock a user out.
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = int(env("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", "5"))
LOGIN_LOCK_MINUTES = int(env("LOGIN_LOCK_MINUTES", "5"))
LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE = int(env("LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE", "20"))
# The client's address: behind N reverse proxies that append to X-Forwarded-For, set N (nginx: 1);
# 0 reads REMOTE_ADDR. Wrong, every visitor shares the proxy's address (docs/deploy.md).
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE}/m/ip,"
        f"{LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS}/{LOGIN_LOCK_MINUTES}m/key"
    ),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
# Adding, removing or changing the primary e-mail address asks for the password again (or a
# second factor) when the last sign-in is older than ACCOUNT_REAUTHENTICATION_TIMEOUT (300 s).
# Changing the password asks for the current one; allauth.mfa's own pages always ask (MFA_REAUTHENTICATION_REQUIRED).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Passerelles] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", "http")

# --- Multi-factor sign-in (allauth.mfa; docs/security.md) ---------------------

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Passerelles"
# Editors, reviewers, facilitators and admins must set up a second factor before anything else.
# On in production (config/settings/production.py); off here so `make run`'s demo accounts sign
# in with a password alone.
PASSERELLES_MFA_REQUIRED = env("PASSERELLES_MFA_REQUIRED", "0").lower() in {"1", "true", "yes"}

# --- Audit log (accounts/audit.py; docs/security.md) --------------------------

# Reverse proxies whose X-Forwarded-For is believed (its last entry is the client's address);
# production sets the local nginx (docs/deploy.md). Anyone else's header is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Security events and django-auditlog entries older than this are deleted by `manage.py audit_purge`.
AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", "365"))

# --- E-mail -----------------------------------------------------------------

EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env("EMAIL_USE_TLS", "true").lower() in {"1", "true", "yes"}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Passerelles <noreply@passerelles.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# One attempt to reach the SMTP server waits this long at most; the worker then retries later
# (accounts/mail.py). Without it a silent server holds the worker for minutes.
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))

# --- Background tasks (django-tasks) ----------------------------------------
# E-mail (accounts/mail.py, queue "email") and Wagtail's slow work (search and reference index,
# queue "default") go through Django's tasks framework. Here they run at once in the process
# that enqueues them (`make run`, tests); production queues them in the database for
# `manage.py db_worker` (config/settings/production.py, docs/deploy.md).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "email"],
    }
}

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

# --- Static and media -------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Wagtail ----------------------------------------------------------------

WAGTAIL_SITE_NAME = "Passerelles"
WAGTAILADMIN_BASE_URL = env("SITE_URL", "http://127.0.0.1:8000")
SITE_URL = WAGTAILADMIN_BASE_URL
# xAPI statements (lms/xapi.py) name a learner by account number; "1" names them by e-mail address
# instead, when the institution's learning record store needs it.
XAPI_ACTOR_EMAIL = env("XAPI_ACTOR_EMAIL", "0").lower() in {"1", "true", "yes"}
# The learning record store the admin may send statements to (its xAPI endpoint, without
# "/statements"), and its Basic-auth key and secret; empty: no sending.
XAPI_LRS_URL = env("XAPI_LRS_URL", "")
XAPI_LRS_KEY = env("XAPI_LRS_KEY", "")
XAPI_LRS_SECRET = env("XAPI_LRS_SECRET", "")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Full-text search stems each page in its own language ("hôpitaux" finds "hôpital"): cms/search_backend.py.
    # After changing these, rebuild the index with `manage.py update_index`.
    WAGTAILSEARCH_BACKENDS["default"] = {
        "BACKEND": "cms.search_backend",
        "SEARCH_CONFIG": "french",  # what has no locale (images, documents): the platform's language
        "LANGUAGE_CONFIGS": {"fr": "french", "en": "english"},
    }
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "xlsx", "txt"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True

# --- Security ---------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Content Security Policy (django-csp; config/csp.py, docs/security.md) ---------------------

SELF, NONE = "'self'", "'none'"
CSP_REPORT_URL = "/csp-report/"
_CSP_COMMON = {
    "default-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    # Wagtail's preview shows pages in an iframe of the admin, on the same origin; nobody else frames us.
    "frame-ancestors": [SELF],
    "report-uri": [CSP_REPORT_URL],
    "report-to": "csp",
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": [SELF],
        "style-src": [SELF],
        # connect-src also gets the host's ws:/wss: origin for the rooms (config.csp.PolicyMiddleware).
        "connect-src": [SELF],
    },
}
# The Wagtail admin (and its previews) only: Wagtail's interface uses inline scripts and styles.
CONTENT_SECURITY_POLICY_ADMIN = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": [SELF, "'unsafe-inline'"],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
    },
}
CSP_REPORTS_PER_MINUTE = int(env("CSP_REPORTS_PER_MINUTE", "30"))  # logged per client address
CSP_REPORT_MAX_BYTES = 16 * 1024  # a real report is well under 2 KiB; bigger bodies are ignored

# --- Third parties ------------------------------------------------------------
# Nothing is fetched from another site, in the admin either: no Gravatar (which would learn each
# user's e-mail hash), initials instead (tests/test_third_parties.py).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # django_tasks logs every background task at INFO: seed_demo alone would print hundreds of lines.
    "loggers": {"django.db.backends": {"level": "INFO"}, "django_tasks": {"level": "WARNING"}},
}

# --- Rooms (real-time discussion) -------------------------------------------

ROOMS_RATE_LIMIT_MESSAGES = int(env("ROOMS_RATE_LIMIT_MESSAGES", "10"))  # messages per user…
ROOMS_RATE_LIMIT_SECONDS = int(env("ROOMS_RATE_LIMIT_SECONDS", "10"))  # …in this many seconds
ROOMS_RATE_LIMIT_ACTIONS = int(env("ROOMS_RATE_LIMIT_ACTIONS", "30"))  # edits and reactions per user per window
ROOMS_RATE_LIMIT_TYPING = int(env("ROOMS_RATE_LIMIT_TYPING", "10"))  # typing signals per user per window
