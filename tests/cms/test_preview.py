"""The admin preview "as a learner of a profession" is what a learner of that profession sees,
built by the same rules (issue 12, #19)."""

import pytest
from django.test import RequestFactory

from accounts.choices import Profession, Role
from cms.access import case_state
from cms.rendering import case_parts
from tests.factories import make_user
from tests.factories_cms import DEBRIEF_SECRET, GATED_SECRET, NOTES_SECRET, SCHEDULED_SECRET, brief_marker, make_case

pytestmark = pytest.mark.django_db

CHOOSER = "Choisissez votre perspective"


@pytest.fixture
def case():
    return make_case(professions=("director", "physician", "nurse"))


def preview_html(case, profession: str) -> str:
    request = RequestFactory().get("/admin/")
    request.user = make_user(roles=(Role.EDITOR,))
    return case.make_preview_request(original_request=request, preview_mode=f"learner-{profession}").content.decode()


def test_previewing_as_a_profession_without_a_brief_shows_the_chooser_a_real_learner_of_it_gets(client, case):
    regulator = make_user(profession=Profession.REGULATOR)
    client.force_login(regulator)
    learner_html = client.get(case.url).content.decode()
    assert CHOOSER in learner_html and "Vous lisez le dossier" not in learner_html

    html = preview_html(case, "regulator")
    assert CHOOSER in html
    assert "Vous lisez le dossier" not in html
    assert not any(brief_marker(code) in html for code in ("director", "physician", "nurse"))
    assert "Aperçu apprenant·e : Régulation (ARS" in html
    assert NOTES_SECRET not in html and DEBRIEF_SECRET not in html


def test_previewing_as_a_profession_with_a_brief_shows_that_brief_and_says_so(case):
    html = preview_html(case, "nurse")
    assert CHOOSER not in html and "Vous lisez le dossier" in html
    assert brief_marker("nurse") in html and brief_marker("director") not in html


@pytest.mark.parametrize("profession", ["nurse", "regulator"])
def test_the_preview_state_is_a_real_learners_state_at_the_end_of_the_case(case, profession):
    """Same parts as a learner of that profession who answered every decision and whose cohort
    opened every dated episode: the preview is not a parallel rule set."""
    preview = case_state(user=make_user(roles=(Role.EDITOR,)), page=case, preview_profession=profession)
    learner = case_state(user=make_user(profession=profession), page=case)
    learner.answered_decision_ids = {spec.id for spec in learner.outline.decision_points}
    learner.episode_opens_at = dict(preview.episode_opens_at)

    def shape(state):
        return [
            (part.kind, part.is_open, [(item.kind, [b.value["profession"] for b in item.briefs], item.hidden_briefs)
                                       for item in part.items])
            for part in case_parts(page=case, state=state)
        ]

    assert shape(preview) == shape(learner)
    assert preview.perspective == learner.perspective == ("nurse" if profession == "nurse" else "")
    html = preview_html(case, profession)
    assert GATED_SECRET in html and SCHEDULED_SECRET in html  # every episode open, as at the end of the case
