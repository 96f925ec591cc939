import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# Variables a test run may carry that a real start-up would not have.
_TEST_ONLY_VARIABLES = {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
# The services production requires; the tests below set them explicitly (.ci/run's second stage exports them).
_SERVICE_VARIABLES = {"DATABASE_URL", "REDIS_URL", "PASSERELLES_SINGLE_MACHINE"}
_SERVICES = {"DATABASE_URL": "postgres://passerelles@127.0.0.1:5432/passerelles", "REDIS_URL": "redis://127.0.0.1:6379/0"}
PRODUCTION_SECRET_KEY = "x" * 64 + "-production-test-key-with-enough-entropy-1234567890"


def _check(settings_module: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY_VARIABLES}
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = settings_module
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("module", ["config.settings.dev", "config.settings.test"])
def test_settings_load_under_each_module(module):
    result = _check(module)
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_to_start_without_secret_key():
    result = _check("config.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _production_environment(**env) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in _TEST_ONLY_VARIABLES | _SERVICE_VARIABLES}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY=PRODUCTION_SECRET_KEY, **env)
    return environment


def _import_production_settings(**env) -> subprocess.CompletedProcess:
    """Import the production settings module (what every process does first) and print the services chosen."""
    code = (
        "import config.settings.production as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'], s.CACHES['default']['BACKEND'])"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_production_environment(**env),
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_production_settings_refuse_to_start_without_a_service_and_name_it(missing):
    present = {name: url for name, url in _SERVICES.items() if name != missing}
    result = _import_production_settings(**present)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set in production" in result.stderr
    assert "PASSERELLES_SINGLE_MACHINE=1" in result.stderr  # the way out is named too


def test_production_settings_start_with_both_services_on_postgresql_and_redis():
    result = _import_production_settings(**_SERVICES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "channels_redis.core.RedisChannelLayer", "config.cache.TolerantRedisCache"
    ]


def test_single_machine_production_starts_without_services_on_sqlite_and_in_process_layers():
    result = _import_production_settings(PASSERELLES_SINGLE_MACHINE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
    refused = _import_production_settings(PASSERELLES_SINGLE_MACHINE="0")
    assert refused.returncode != 0 and "DATABASE_URL must be set" in refused.stderr


def test_production_settings_pass_deploy_check_with_required_variables():
    environment = _production_environment(
        **_SERVICES,
        ALLOWED_HOSTS="passerelles.example.fr",
        CSRF_TRUSTED_ORIGINS="https://passerelles.example.fr",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_no_missing_migrations():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _print_setting(settings_module: str, expression: str, **env) -> str:
    environment = {
        k: v for k, v in os.environ.items() if k not in _TEST_ONLY_VARIABLES | _SERVICE_VARIABLES | {"EMAIL_HOST"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE=settings_module)
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_default_setup_prints_emails_on_the_console_and_uses_in_memory_layers():
    out = _print_setting(
        "config.settings.dev",
        "settings.EMAIL_BACKEND, settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CACHES['default']['BACKEND']",
    )
    assert "console.EmailBackend" in out and "InMemoryChannelLayer" in out and "LocMemCache" in out


def test_redis_url_switches_channel_layer_and_cache_to_redis_and_email_host_to_smtp():
    out = _print_setting(
        "config.settings.dev",
        "settings.EMAIL_BACKEND, settings.CHANNEL_LAYERS['default']['BACKEND'], settings.CACHES['default']['BACKEND'], "
        # The layer's read timeout against channels-redis' idle blocking read (tests/test_production_shape.py runs it).
        "settings.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['socket_timeout'], "
        "__import__('channels_redis.core').core.RedisChannelLayer.brpop_timeout",
        REDIS_URL="redis://127.0.0.1:6379/9",
        EMAIL_HOST="smtp.example.fr",
    )
    email, layer, cache, socket_timeout, blocking_read = out.split()
    assert "smtp.EmailBackend" in email and "RedisChannelLayer" in layer and cache == "config.cache.TolerantRedisCache"
    assert float(socket_timeout) > float(blocking_read) + 5


def test_benchmark_endpoints_stay_off_in_production_even_when_asked():
    out = _print_setting(
        "config.settings.production", "settings.BENCHMARK_ENDPOINTS", SECRET_KEY="k" * 60, BENCHMARK_ENDPOINTS="1",
        **_SERVICES,
    )
    assert out == "False"


def test_startup_prints_no_deprecation_warning():
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    result = subprocess.run(
        [sys.executable, "-W", "always::DeprecationWarning", "manage.py", "check"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0
    assert "Warning" not in result.stderr and "deprecated" not in result.stderr.lower(), result.stderr
