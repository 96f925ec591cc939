"""How the platform writes dates and percentages, in the reader's language and Paris time.

One way everywhere (templates through `{% load formats %}`, e-mails, the certificate PDF):
« 1er décembre 2026 », « mardi 1er décembre 2026 à 14:30 », « 50 % » in French;
"1 December 2026", "Tuesday 1 December 2026, 14:30", "50%" in English. The format strings are
translations (context "date format"), so each language says its own; French adds the
ordinal « 1er » on the first day of a month, which Django's date formats cannot write.
"""

import datetime

from django.template.defaultfilters import floatformat
from django.utils import dateformat, timezone, translation
from django.utils.translation import pgettext

_WEEKDAY = "l "


def _format(value, fmt: str, *, weekday: bool) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if weekday:
        fmt = _WEEKDAY + fmt
    if value.day == 1 and (translation.get_language() or "").startswith("fr"):
        fmt = fmt.replace("j", r"j\e\r", 1)
    return dateformat.format(value, fmt)


def day(value, *, weekday: bool = False) -> str:
    """A date: « 1er décembre 2026 », "1 December 2026"; a datetime's day in Paris time."""
    return _format(value, pgettext("date format", "j F Y"), weekday=weekday)


def day_time(value, *, weekday: bool = False) -> str:
    """A moment: « 1er décembre 2026 à 14:30 », "1 December 2026, 14:30" (Paris time)."""
    return _format(value, day_time_format(), weekday=weekday)


def day_time_format() -> str:
    """The Django date format of `day_time` in the active language, for the page to give a script
    that writes moments the same way (static/js/rooms.js, with the French « 1er » rule)."""
    return pgettext("date format", "j F Y à H:i")


def percent(value) -> str:
    """« 50 % » with a no-break space, so the sign never wraps alone; "50%" in English."""
    if value in (None, ""):
        return ""
    # The space in the French string is U+00A0 NO-BREAK SPACE.
    return pgettext("percentage", "%(value)s %%") % {"value": floatformat(value, -1)}
