"""Template helpers of the cms pages and blocks."""

from django import template

from accounts.choices import Profession
from cms.blocks import WorksheetTemplate, parse_table
from cms.charts import chart_svg

register = template.Library()


@register.simple_tag
def exhibit_rows(data: str) -> list[list[str]]:
    """The rows of an exhibit table, headers first."""
    return parse_table(data)


@register.simple_tag
def exhibit_chart(rows: list[list[str]], kind: str, title: str):
    """The server-side SVG chart of an exhibit table, or nothing when the table is not charted."""
    return chart_svg(rows=rows, kind=kind, title=title)


@register.simple_tag(takes_context=True)
def form_action(context, block_id) -> str:
    """The URL where an answer to block `block_id` is posted (`block_actions[block_id]`, from the
    `case_page_context` hook). No URL means no form is rendered."""
    return (context.get("block_actions") or {}).get(str(block_id)) or ""


@register.simple_tag(takes_context=True)
def block_record(context, block_id):
    """What the learner already recorded for this block (`records[block_id]`, from the hook), or None."""
    return (context.get("records") or {}).get(str(block_id))


@register.simple_tag
def worksheet_fields(template_kind: str, record=None) -> list[dict]:
    """The structured fields of a worksheet template, with what the learner already wrote."""
    values = record["fields"] if record else {}
    return [
        {"key": key, "label": label, "value": values.get(key, "")}
        for key, label in WorksheetTemplate.FIELDS.get(template_kind, [])
    ]


@register.filter
def profession_label(code: str) -> str:
    """The interface name of a profession code."""
    return str(dict(Profession.choices).get(code, code))
