"""Benchmarks (bench/): production-like request handling on the embedded defaults, floor page on."""

from .base import *  # noqa: F401,F403
from .base import LOGGING, MIDDLEWARE

DEBUG = False
BENCHMARK_ENDPOINTS = True
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# First, so that its counts cover the whole stack (config.middleware.BenchMeasureMiddleware).
MIDDLEWARE = ["config.middleware.BenchMeasureMiddleware", *MIDDLEWARE]
