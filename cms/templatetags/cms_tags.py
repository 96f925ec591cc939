"""Template helpers of the cms pages and blocks."""

from django import template
from django.utils.safestring import mark_safe

from accounts.choices import Profession
from cms.blocks import WorksheetTemplate, parse_table
from cms.charts import chart_svg
from cms.rendering import BLOCK_NOTICE_PREFIX, block_notice_tag
from cms.selectors import outline_live_key, part_live_key, part_region_id

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
def body_block(context, child):
    """A block of a case or lesson body: its shared fragment when the page has one
    (`fragments`, from `cms.rendering.shared_fragments`), else rendered here as `include_block` does."""
    html = (context.get("fragments") or {}).get(str(child.id))
    if html is not None:
        return mark_safe(html)  # rendered by the block's own template, which escapes what it must
    new_context = context.flatten()
    new_context["block_id"] = child.id
    return child.render_as_block(context=new_context)


@register.simple_tag(takes_context=True)
def form_action(context, block_id) -> str:
    """The URL where an answer to block `block_id` is posted (`block_actions[block_id]`, from the
    `case_page_context` hook). No URL means no form is rendered."""
    return (context.get("block_actions") or {}).get(str(block_id)) or ""


@register.simple_tag(takes_context=True)
def block_record(context, block_id):
    """What the learner already recorded for this block (`records[block_id]`, from the hook), or None."""
    return (context.get("records") or {}).get(str(block_id))


def _block_tags(message) -> set[str]:
    return {tag for tag in (message.extra_tags or "").split() if tag.startswith(BLOCK_NOTICE_PREFIX)}


@register.simple_tag(takes_context=True)
def block_notices(context, block_id) -> list:
    """The messages that answer a form just sent from block `block_id`."""
    tag = block_notice_tag(block_id)
    return [message for message in context.get("messages") or () if tag in _block_tags(message)]


@register.simple_tag(takes_context=True)
def page_notices(context) -> list:
    """The messages for the top of the page: all of them, except, on a page with learners' blocks
    (`records` from the `case_page_context` hook), those shown in their block."""
    messages = list(context.get("messages") or ())
    if context.get("records") is None:
        return messages
    return [message for message in messages if not _block_tags(message)]


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


# --- Live-refreshed parts of a case page (`static/js/live.js`) --------------------------------


@register.simple_tag(takes_context=True)
def live_region(context, part) -> dict:
    """`{"id", "key"}` of a case part refreshed in place (`part_region_id`, `part_live_key`)."""
    return {"id": part_region_id(part),
            "key": part_live_key(part=part, state=context.get("state"), records=context.get("records"))}


@register.simple_tag
def live_outline_key(parts) -> str:
    return outline_live_key(parts)
