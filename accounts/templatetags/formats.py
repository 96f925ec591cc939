"""`{% load formats %}`: the platform's one way to write dates and percentages (accounts/formats.py).

    {{ cohort.starts_on|day }}             1er décembre 2026
    {{ item.due_at|day_time }}             1er décembre 2026 à 14:30
    {{ session.starts_at|day_time:"weekday" }}  mardi 1er décembre 2026 à 14:30
    {{ row.percent|percent }}              50 %
"""

from django import template

from accounts import formats

register = template.Library()


def _weekday(arg) -> bool:
    if arg not in ("", "weekday"):
        raise template.TemplateSyntaxError(f'Unknown date option {arg!r}: only "weekday".')
    return arg == "weekday"


@register.filter
def day(value, arg=""):
    return formats.day(value, weekday=_weekday(arg))


@register.filter
def day_time(value, arg=""):
    return formats.day_time(value, weekday=_weekday(arg))


@register.filter
def percent(value):
    return formats.percent(value)
