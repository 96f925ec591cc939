"""Template helpers for lms templates and for cms templates that show learning records."""

from django import template
from django.template.loader import render_to_string

from cms.selectors import source_page
from config.sanitize import clean_html
from lms import selectors

register = template.Library()


@register.filter
def lookup(mapping, key):
    """`{{ progress.modules|lookup:module.id }}`: a dict item by a variable key (None when absent)."""
    return (mapping or {}).get(key)


@register.simple_tag(takes_context=True)
def render_panel(context, panel: dict):
    """Render a `dashboard_panels` entry: its template with its own context."""
    return render_to_string(panel["template"], panel.get("context") or {}, request=context.get("request"))


@register.inclusion_tag("lms/includes/programme_panel.html", takes_context=True)
def lms_programme_panel(context, programme):
    """For the cms programme page: enrol button, or the learner's progress by module and next step.
    A translated programme shows the enrolment and progress of its original (`source_page`)."""
    programme = source_page(programme)
    request = context.get("request")
    user = getattr(request, "user", None)
    data = {"programme": programme, "request": request, "user": user, "enrolled": False, "csrf_token": context.get("csrf_token")}
    if user is None or not user.is_authenticated:
        data["self_paced"] = programme.open_enrolment
        return data
    data["self_paced"] = selectors.follows_alone(user=user, programme=programme)
    enrolment = selectors.enrolment_get(user=user, programme=programme)
    data["enrolment"] = enrolment
    data["enrolled"] = enrolment is not None and enrolment.is_active
    if data["enrolled"]:
        progress = selectors.programme_progress(programme=programme, user=user)
        data["progress"] = progress
        data["percent"] = round(100 * progress["fraction"])
    return data


@register.filter
def rich(value):
    """Show stored user HTML: always through the project's one sanitiser (never `|safe`)."""
    return clean_html(value, profile="rich")
