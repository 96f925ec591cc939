"""axe-core on the demo's key pages, as the visitor, the learner, the facilitator, at desktop
and phone widths: no serious or critical violation. The journeys check their own pages too."""

import pytest

from tests.e2e.browser import axe_check, login
from tests.e2e.demo import TOUR, WAGTAIL_ADMIN

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 390])
def test_the_key_pages_have_no_serious_accessibility_violation(demo_server, new_page, width):
    pages = {}
    failures = []
    for person, name, key in TOUR:
        if key in WAGTAIL_ADMIN:
            continue
        if person not in pages:
            pages[person] = new_page(demo_server, width=width)
            if person:
                login(pages[person], demo_server.urls[person])
        page = pages[person]
        response = page.goto(demo_server.urls[key])
        assert response.status == 200, f"{name}: {response.status}"
        try:
            axe_check(page, label=f"{name} at {width} px")
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n\n".join(failures)
