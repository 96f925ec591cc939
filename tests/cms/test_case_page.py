"""The case page: what each user sees of a case, and what never reaches a learner's browser."""

import pytest
from wagtail import hooks

from accounts.choices import Profession, Role
from cms.access import CASE_STATE_HOOK
from tests.factories import make_user
from tests.factories_cms import (
    BODY_WORD,
    COMMENTARY_SECRET,
    DEBRIEF_SECRET,
    GATED_SECRET,
    NOTES_SECRET,
    SCHEDULED_SECRET,
    brief_marker,
    make_case,
)

pytestmark = pytest.mark.django_db

BRIEFED = ("director", "physician", "nurse")


def html_for(client, user, page) -> str:
    if user is not None:
        client.force_login(user)
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def case():
    return make_case(professions=BRIEFED)


@pytest.mark.parametrize("profession", BRIEFED)
def test_a_learner_sees_only_the_brief_of_their_own_profession(client, case, profession):
    html = html_for(client, make_user(profession=profession), case)
    assert brief_marker(profession) in html
    for other in BRIEFED:
        if other != profession:
            assert brief_marker(other) not in html
    assert "Choisissez votre perspective" not in html


def test_a_learner_without_a_brief_of_their_profession_is_asked_to_pick_a_perspective(client, case):
    html = html_for(client, make_user(profession=Profession.REGULATOR), case)
    assert "Choisissez votre perspective" in html
    assert all(brief_marker(code) not in html for code in BRIEFED)


def test_facilitator_notes_closed_debrief_and_closed_episodes_never_reach_a_learner(client, case):
    html = html_for(client, make_user(profession=Profession.NURSE), case)
    assert BODY_WORD in html
    for secret in (NOTES_SECRET, DEBRIEF_SECRET, GATED_SECRET, SCHEDULED_SECRET, COMMENTARY_SECRET):
        assert secret not in html
    assert "La réunion de crise" in html  # the locked episode keeps its title
    assert "Six mois après" in html


def test_a_facilitator_sees_every_brief_the_notes_and_the_debrief(client, case):
    html = html_for(client, make_user(roles=(Role.EDITOR,)), case)
    for code in BRIEFED:
        assert brief_marker(code) in html
    for secret in (NOTES_SECRET, DEBRIEF_SECRET, GATED_SECRET, SCHEDULED_SECRET, COMMENTARY_SECRET):
        assert secret in html
    assert "data-brief-tabs" in html


def test_once_the_debrief_opens_every_learner_sees_every_brief_but_not_the_notes(client, case):
    def open_debrief(state):
        state.debrief_open = True

    with hooks.register_temporarily(CASE_STATE_HOOK, open_debrief):
        html = html_for(client, make_user(profession=Profession.REGULATOR), case)
    for code in BRIEFED:
        assert brief_marker(code) in html
    assert DEBRIEF_SECRET in html
    assert NOTES_SECRET not in html
