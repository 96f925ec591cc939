"""What a case or lesson page shows to one user, decided once, before any template runs.

Templates never decide visibility: they render the parts built here. A block that a user may
not see (a closed episode's content, a closed debrief, facilitator notes, another profession's
role brief) is simply absent from the parts, so it cannot reach the HTML by mistake.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

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
