"""Writes of the cms app."""

from cms.models import CasePerspective
from cms.selectors import source_page


def case_perspective_choose(*, user, page, profession: str) -> CasePerspective:
    """Remember the profession whose brief `user` reads in `page`; the first choice stays.

    The caller has checked that `profession` has a brief in the case. Calling again, even with
    another profession, returns the perspective already chosen.
    """
    perspective, _created = CasePerspective.objects.get_or_create(
        user=user, page_id=source_page(page).pk, defaults={"profession": profession}
    )
    return perspective
