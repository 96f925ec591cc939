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


def _closed_reason(gate: str, opens_at: datetime | None) -> str:
    if gate == EpisodeGate.AFTER_DECISIONS:
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
                opens_at = state.episode_opens_at.get(episode_id)
                parts.append(
                    BodyPart(
                        kind=kind, child=child, number=number, is_open=False, opens_at=opens_at,
                        reason=_closed_reason(child.value["gate"], opens_at),
                    )
                )
        elif kind == "debrief":
            is_open = state.debrief_open or state.is_facilitator
            parts.append(
                BodyPart(
                    kind=kind, child=child if is_open else None, is_open=is_open,
                    reason="" if is_open else str(_("Le débriefing sera ouvert par l'animateur·rice en fin de cas.")),
                )
            )
        elif kind == "facilitator_notes" and state.is_facilitator:
            parts.append(BodyPart(kind=kind, child=child))
    return parts


def lesson_items(*, page, state: CaseState) -> list[BodyItem]:
    """The blocks of a lesson as `state.user` may see them."""
    return _items(page.body, state)
