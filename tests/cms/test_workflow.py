"""Editorial review: an editor submits, a reviewer approves, only then is the page published."""

import pytest
from django.urls import reverse
from wagtail.models import Locale, WorkflowState

from accounts.choices import Role
from cms.models import LessonPage
from tests.factories import make_user
from tests.factories_cms import make_lesson, make_module

pytestmark = pytest.mark.django_db


def edit_data(page, **extra):
    return {
        "title": page.title, "slug": page.slug, "summary": "Résumé modifié.", "body-count": "0",
        "quiz_pass_threshold": "70", "quiz_max_attempts": "3", **extra,
    }


@pytest.fixture
def draft():
    return make_lesson(module=make_module(), live=False)


def test_an_editor_has_no_publish_permission_and_a_reviewer_has_it(draft):
    editor, reviewer = make_user(roles=(Role.EDITOR,)), make_user(roles=(Role.REVIEWER,))
    assert draft.permissions_for_user(editor).can_edit()
    assert not draft.permissions_for_user(editor).can_publish()
    assert draft.permissions_for_user(reviewer).can_publish()


def test_an_editor_asking_to_publish_directly_leaves_the_page_unpublished(client, draft):
    client.force_login(make_user(roles=(Role.EDITOR,)))
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[draft.pk]), edit_data(draft, **{"action-publish": "1"})
    )
    assert response.status_code in (200, 302, 403)
    draft.refresh_from_db()
    assert not draft.live


def test_a_learner_cannot_reach_the_page_editor(client, draft):
    client.force_login(make_user(roles=(Role.LEARNER,)))
    response = client.get(reverse("wagtailadmin_pages:edit", args=[draft.pk]))
    assert response.status_code in (302, 403)


def test_submitting_puts_the_page_in_review_and_a_reviewers_approval_publishes_it(client, draft):
    client.force_login(make_user(roles=(Role.EDITOR,)))
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[draft.pk]), edit_data(draft, **{"action-submit": "1"})
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    state = draft.current_workflow_state
    assert state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert not draft.live

    reviewer = make_user(roles=(Role.REVIEWER,))
    task_state = state.current_task_state
    assert task_state.task.specific.user_can_access_editor(draft, reviewer)
    client.force_login(reviewer)
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[draft.pk, "approve", task_state.pk]),
        {"comment": "Relu, parfait."},
    )
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.live
    assert LessonPage.objects.get(pk=draft.pk).summary == "Résumé modifié."


def test_an_editor_cannot_approve_their_own_submission(client, draft):
    editor = make_user(roles=(Role.EDITOR,))
    client.force_login(editor)
    client.post(reverse("wagtailadmin_pages:edit", args=[draft.pk]), edit_data(draft, **{"action-submit": "1"}))
    draft.refresh_from_db()
    task_state = draft.current_workflow_state.current_task_state
    client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[draft.pk, "approve", task_state.pk]), {"comment": ""}
    )
    draft.refresh_from_db()
    assert not draft.live


def test_an_english_copy_is_edited_by_editors_and_reviewed_like_the_french_page(draft):
    """The rights and the review sit at the root of the tree: a translation of the site (a second
    home page beside the French one) is covered too."""
    english = Locale.objects.get(language_code="en")
    copy = draft.copy_for_translation(english, copy_parents=True).specific
    assert copy.get_parent().get_parent().locale == english  # a tree of its own, not under the French home
    editor, reviewer = make_user(roles=(Role.EDITOR,)), make_user(roles=(Role.REVIEWER,))
    learner = make_user()
    assert copy.permissions_for_user(editor).can_edit()
    assert not copy.permissions_for_user(editor).can_publish()
    assert copy.permissions_for_user(reviewer).can_publish()
    assert not copy.permissions_for_user(learner).can_edit()
    assert copy.get_workflow() is not None and copy.get_workflow().name == "Relecture éditoriale"
