"""Perspective choice, episode gates, previews and the hooks other apps use."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks

from accounts.choices import Profession, Role
from cms.access import CASE_STATE_HOOK, case_state
from cms.models import CASE_PAGE_CONTEXT_HOOK, CasePerspective
from cms.selectors import case_outline
from tests.factories import make_user
from tests.factories_cms import (
    GATED_SECRET,
    NOTES_SECRET,
    SCHEDULED_SECRET,
    brief_marker,
    make_case,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return make_case(professions=("director", "physician", "nurse"))


def perspective_url(case):
    return reverse("cms:case_perspective", args=[case.pk])


def test_a_learner_picks_a_perspective_once_and_it_is_remembered(client, case):
    learner = make_user(profession=Profession.REGULATOR)
    client.force_login(learner)
    response = client.post(perspective_url(case), {"profession": "nurse"})
    assert response.status_code == 302
    assert CasePerspective.objects.get(user=learner, page=case).profession == "nurse"
    html = client.get(case.url).content.decode()
    assert brief_marker("nurse") in html and brief_marker("director") not in html
    # A second choice changes nothing.
    client.post(perspective_url(case), {"profession": "director"})
    assert CasePerspective.objects.get(user=learner, page=case).profession == "nurse"
    assert CasePerspective.objects.filter(user=learner).count() == 1


def test_a_perspective_without_a_brief_in_the_case_is_refused_and_nothing_is_stored(client, case):
    learner = make_user(profession=Profession.REGULATOR)
    client.force_login(learner)
    response = client.post(perspective_url(case), {"profession": "regulator"})
    assert response.status_code == 400
    assert "pas de dossier pour ce métier" in response.content.decode()
    assert not CasePerspective.objects.exists()


def test_an_anonymous_visitor_cannot_store_a_perspective(client, case):
    response = client.post(perspective_url(case), {"profession": "nurse"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not CasePerspective.objects.exists()


def test_a_perspective_on_an_unpublished_case_is_refused(client):
    draft = make_case(live=False)
    client.force_login(make_user(profession=Profession.REGULATOR))
    assert client.post(perspective_url(draft), {"profession": "nurse"}).status_code == 404
    assert not CasePerspective.objects.exists()


def test_the_episode_after_decisions_opens_once_they_are_answered(client, case):
    outline = case_outline(case)
    gated = outline.episodes[1]
    learner = make_user(profession=Profession.NURSE)
    client.force_login(learner)
    assert GATED_SECRET not in client.get(case.url).content.decode()

    def answered(state):
        state.answered_decision_ids = set(gated.decision_ids_before)

    with hooks.register_temporarily(CASE_STATE_HOOK, answered):
        html = client.get(case.url).content.decode()
    assert GATED_SECRET in html
    assert SCHEDULED_SECRET not in html


def test_a_scheduled_episode_shows_its_date_until_it_opens(client, case):
    scheduled = case_outline(case).episodes[2]
    client.force_login(make_user(profession=Profession.NURSE))
    later = timezone.now() + timedelta(days=3)

    def schedule(state):
        state.episode_opens_at = {scheduled.id: later}

    with hooks.register_temporarily(CASE_STATE_HOOK, schedule):
        html = client.get(case.url).content.decode()
    assert SCHEDULED_SECRET not in html
    assert "Ouverture :" in html and '<time datetime="' in html
    assert timezone.localtime(later).strftime("%Y-%m-%dT%H:%M") in html

    def opened(state):
        state.episode_opens_at = {scheduled.id: timezone.now() - timedelta(minutes=1)}

    # Episodes open in order: the date alone does not open it while episode 2 waits for its decisions.
    with hooks.register_temporarily(CASE_STATE_HOOK, opened):
        html = client.get(case.url).content.decode()
    assert SCHEDULED_SECRET not in html and "Ouverture :" not in html

    def opened_after_the_decisions(state):
        opened(state)
        state.answered_decision_ids |= set(scheduled.decision_ids_before)

    with hooks.register_temporarily(CASE_STATE_HOOK, opened_after_the_decisions):
        assert SCHEDULED_SECRET in client.get(case.url).content.decode()


def test_a_cohort_facilitator_set_by_a_hook_sees_every_brief_and_the_notes(client, case):
    facilitator = make_user(profession=Profession.NURSE, roles=(Role.FACILITATOR,))
    client.force_login(facilitator)
    assert NOTES_SECRET not in client.get(case.url).content.decode()

    def facilitate(state):
        state.is_facilitator = True

    with hooks.register_temporarily(CASE_STATE_HOOK, facilitate):
        html = client.get(case.url).content.decode()
    assert NOTES_SECRET in html and all(brief_marker(c) in html for c in ("director", "physician", "nurse"))


def test_answer_forms_appear_only_when_lms_provides_their_action_urls(client, case):
    outline = case_outline(case)
    decision = outline.decision_points[0]
    client.force_login(make_user(profession=Profession.NURSE))
    html = client.get(case.url).content.decode()
    assert f'data-block-id="{decision.id}"' in html
    assert 'name="option_id"' not in html

    def actions(request, page, state, context):
        context["block_actions"] = {
            decision.id: "/learning/answers/",
            **{spec.id: "/learning/reflections/" for spec in outline.reflection_prompts},
            **{spec.id: "/learning/worksheets/" for spec in outline.worksheets},
        }

    with hooks.register_temporarily(CASE_PAGE_CONTEXT_HOOK, actions):
        html = client.get(case.url).content.decode()
    assert 'action="/learning/answers/"' in html and 'name="option_id"' in html
    for option in decision.options:
        assert f'value="{option.id}"' in html
    assert 'action="/learning/reflections/"' in html and 'action="/learning/worksheets/"' in html
    assert 'name="root_cause"' in html  # the 5 whys worksheet's fields


def test_the_expert_commentary_shows_once_the_learner_has_answered(client, case):
    decision = case_outline(case).decision_points[0]
    client.force_login(make_user(profession=Profession.NURSE))

    def answered(state):
        state.answered_decision_ids = {decision.id}

    def record(request, page, state, context):
        context["records"] = {decision.id: {"choice": decision.options[1].id, "rationale": "Parce que <b>oui</b>"}}

    with hooks.register_temporarily(CASE_STATE_HOOK, answered), hooks.register_temporarily(CASE_PAGE_CONTEXT_HOOK, record):
        html = client.get(case.url).content.decode()
    assert "commentairexpert" in html
    assert "Parce que &lt;b&gt;oui&lt;/b&gt;" in html  # learner text is escaped


@pytest.mark.parametrize("profession", ["director", "physician", "nurse"])
def test_the_admin_preview_as_a_learner_of_a_profession_shows_only_that_brief(client, case, profession):
    client.force_login(make_user(roles=(Role.EDITOR,)))
    modes = [mode for mode, _label in case.preview_modes]
    assert f"learner-{profession}" in modes and "facilitator" in modes
    request = RequestFactory().get("/admin/")
    request.user = make_user(roles=(Role.EDITOR,))
    response = case.make_preview_request(original_request=request, preview_mode=f"learner-{profession}")
    html = response.content.decode()
    assert brief_marker(profession) in html
    assert all(brief_marker(other) not in html for other in ("director", "physician", "nurse") if other != profession)
    assert NOTES_SECRET not in html and "Aperçu apprenant·e" in html


def test_the_admin_preview_as_a_facilitator_shows_every_brief_and_the_notes(case):
    request = RequestFactory().get("/admin/")
    request.user = make_user(roles=(Role.EDITOR,))
    html = case.make_preview_request(original_request=request, preview_mode="facilitator").content.decode()
    assert NOTES_SECRET in html and all(brief_marker(c) in html for c in ("director", "physician", "nurse"))


def test_case_state_defaults_for_staff_and_learners(case):
    editor, learner = make_user(roles=(Role.REVIEWER,)), make_user(profession=Profession.PHYSICIAN)
    assert case_state(user=editor, page=case).is_facilitator
    state = case_state(user=learner, page=case)
    assert not state.is_facilitator and state.perspective == "physician" and not state.debrief_open
