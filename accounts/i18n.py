"""The language of what is sent to someone (an e-mail): theirs, never the sender's request language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation


def recipient_language(*, user=None, fallback: str = "") -> str:
    """The interface language `user` chose; for someone without an account (or a language),
    `fallback` (e.g. the cohort's language); else the platform's, French."""
    supported = dict(settings.LANGUAGES)
    for language in (getattr(user, "language", ""), fallback):
        if language in supported:
            return language
    return settings.LANGUAGE_CODE


@contextmanager
def in_recipient_language(*, user=None, fallback: str = "") -> Iterator[str]:
    """Render a message for `user` inside this block: gettext, templates and dates use their language.

    Every e-mail the platform sends goes through here, so a French facilitator's invitation
    reaches an English-speaking learner in English (and the reverse).
    """
    language = recipient_language(user=user, fallback=fallback)
    with translation.override(language):
        yield language
