"""Local development: `make run`."""

from .base import *  # noqa: F401,F403

DEBUG = True
