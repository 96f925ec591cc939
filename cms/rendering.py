"""What a case or lesson page shows to one user, decided once, before any template runs.

Templates never decide visibility: they render the parts built here. A block that a user may
not see (a closed episode's content, a closed debrief, facilitator notes, another profession's
role brief) is simply absent from the parts, so it cannot reach the HTML by mistake.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cms import content_cache
from cms.access import CaseState
from cms.blocks import EpisodeGate


@dataclass
class BodyItem:
    """One block to render, or a group of consecutive role briefs (`kind == "briefs"`)."""

    kind: str
    child: object = None
    briefs: list = field(default_factory=list)
    hidden_briefs: int = 0  # briefs of this group that the user does not see


@dataclass
class BodyPart:
    """A top-level part of a case body: an episode, the debrief or facilitator notes."""

    kind: str
    child: object = None
    is_open: bool = True
    reason: str = ""
    opens_at: datetime | None = None
    items: list[BodyItem] = field(default_factory=list)
    number: int = 0


def _items(stream, state: CaseState) -> list[BodyItem]:
    items: list[BodyItem] = []
    for child in stream:
        kind = child.block_type
        if kind == "facilitator_notes" and not state.is_facilitator:
            continue
        if kind == "role_brief":
            if not items or items[-1].kind != "briefs":
                items.append(BodyItem(kind="briefs"))
            group = items[-1]
            if state.brief_is_visible(child.value["profession"]):
                group.briefs.append(child)
            else:
                group.hidden_briefs += 1
            continue
        items.append(BodyItem(kind=kind, child=child))
    return items


BLOCK_NOTICE_PREFIX = "block-"  # a message's extra tag naming the block whose form it answers


def block_notice_tag(block_id) -> str:
    """The `extra_tags` of a message that answers a form sent from block `block_id`: the message is
    then shown in that block, where the page lands (`#block-<id>`), not at the top of the page
    (`cms_tags.block_notices`, `templates/blocks/notices.html`)."""
    return f"{BLOCK_NOTICE_PREFIX}{block_id}"


def _closed_reason(state: CaseState, episode_id: str, gate: str, opens_at: datetime | None) -> str:
    if state.episode_waits_for_previous(episode_id):
        return str(_("Cet épisode s'ouvre après l'épisode qui le précède."))
    if gate == EpisodeGate.AFTER_DECISIONS or state.self_paced:
        return str(_("Cet épisode s'ouvre quand vous avez répondu aux points de décision qui le précèdent."))
    if opens_at is not None:
        return str(_("Cet épisode s'ouvre à la date fixée par l'animateur·rice de votre promotion."))
    return str(_("L'animateur·rice de votre promotion ouvrira cet épisode au moment prévu."))


def case_parts(*, page, state: CaseState) -> list[BodyPart]:
    """The parts of a case study body as `state.user` may see them, in body order."""
    parts: list[BodyPart] = []
    number = 0
    for child in page.body:
        kind = child.block_type
        if kind == "episode":
            number += 1
            episode_id = str(child.id)
            if state.episode_is_open(episode_id):
                parts.append(BodyPart(kind=kind, child=child, number=number, items=_items(child.value["content"], state)))
            else:
                waiting = state.self_paced or state.episode_waits_for_previous(episode_id)
                opens_at = None if waiting else state.episode_opens_at.get(episode_id)  # a date still to come
                parts.append(
                    BodyPart(
                        kind=kind, child=child, number=number, is_open=False, opens_at=opens_at,
                        reason=_closed_reason(state, episode_id, child.value["gate"], opens_at),
                    )
                )
        elif kind == "debrief":
            is_open = state.debrief_open or state.is_facilitator
            if is_open:
                reason = ""
            elif state.self_paced:
                reason = str(_("Le débriefing s'ouvre quand vous avez répondu à tous les points de décision du cas."))
            else:
                reason = str(_("Le débriefing sera ouvert par l'animateur·rice en fin de cas."))
            parts.append(BodyPart(kind=kind, child=child if is_open else None, is_open=is_open, reason=reason))
        elif kind == "facilitator_notes" and state.is_facilitator:
            parts.append(BodyPart(kind=kind, child=child))
    return parts


def lesson_items(*, page, state: CaseState) -> list[BodyItem]:
    """The blocks of a lesson as `state.user` may see them."""
    return _items(page.body, state)


# Blocks whose HTML is the same for every reader who may see them (their templates read only the
# block's value and id): rendered once per page revision, language and content generation, then
# served from the content cache (`cms.content_cache`), so publishing replaces them at once. Which
# of them a reader sees is decided above (`case_parts`, `lesson_items`) before any is looked up:
# a fragment is only ever served inside a part the gate let through to this reader.
SHARED_BLOCKS = frozenset({"text", "exhibit_document", "exhibit_image", "exhibit_table", "role_brief"})


def _shared_children(items: list[BodyItem]):
    for item in items:
        if item.kind == "briefs":
            yield from item.briefs
        elif item.kind in SHARED_BLOCKS:
            yield item.child


def shared_fragments(*, page, request, parts: list[BodyPart] = (), items: list[BodyItem] = ()) -> dict[str, str]:
    """{block id: HTML} of the shared blocks among what the reader sees (`parts` of a case, `items`
    of a lesson), for `cms_tags.body_block`. Previews render the revision being edited: not cached."""
    children = list(_shared_children(items))
    for part in parts:
        children += _shared_children(part.items)
    if not children:
        return {}
    by_id = {str(child.id): child for child in children}
    if getattr(request, "is_preview", False) or page.pk is None:
        return {block_id: child.render_as_block(context={"block_id": block_id}) for block_id, child in by_id.items()}
    prefix = f"{page.pk}:{page.live_revision_id}:{translation.get_language()}:"

    def build(keys: list[str]) -> dict[str, str]:
        return {key: by_id[key.removeprefix(prefix)].render_as_block(context={"block_id": key.removeprefix(prefix)})
                for key in keys}

    found = content_cache.cached_many("fragment", [prefix + block_id for block_id in by_id], build)
    return {key.removeprefix(prefix): html for key, html in found.items()}
