import pytest

from accounts.choices import Profession
from lms import selectors, services
from lms.models import Certificate, Enrolment, PageCompletion
from tests.factories import make_user
from tests.factories_lms import answer_quiz, complete_case, make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return make_course()


def test_enrolment_create_is_idempotent_and_reactivates_a_left_enrolment(course):
    user = make_user()
    first = services.enrolment_create(user=user, programme=course.programme)
    again = services.enrolment_create(user=user, programme=course.programme)
    assert first.pk == again.pk
    services.enrolment_leave(user=user, programme=course.programme)
    assert Enrolment.objects.get(pk=first.pk).status == Enrolment.Status.LEFT
    back = services.enrolment_create(user=user, programme=course.programme, source="cohort")
    assert back.pk == first.pk and back.status == Enrolment.Status.ACTIVE and back.source == "cohort"
    assert Enrolment.objects.count() == 1


def test_self_enrolment_is_refused_in_a_programme_reserved_to_cohorts():
    course = make_course(open_enrolment=False)
    user = make_user()
    with pytest.raises(services.LearningError) as refused:
        services.enrolment_self_enrol(user=user, programme=course.programme)
    assert refused.value.code == services.LearningError.NOT_ALLOWED
    assert not Enrolment.objects.exists()


def test_a_lesson_without_activities_is_completed_by_mark_as_done(course):
    user = make_user()
    services.enrolment_create(user=user, programme=course.programme)
    assert services.page_mark_done(user=user, page=course.lesson)
    assert PageCompletion.objects.filter(user=user, page_id=course.lesson.pk, reason="marked").exists()


def test_mark_as_done_is_refused_on_a_case_that_has_a_rule(course):
    user = make_user()
    services.enrolment_create(user=user, programme=course.programme)
    with pytest.raises(services.LearningError):
        services.page_mark_done(user=user, page=course.case)
    assert not PageCompletion.objects.exists()


def test_case_is_complete_only_when_decisions_reflections_and_quiz_are_done(course):
    user = make_user()
    services.enrolment_create(user=user, programme=course.programme)
    ids = course.ids
    services.decision_answer_submit(user=user, page=course.case, block_id=ids.decision1, option_id=ids.decision1_options[0], rationale="a")
    services.decision_answer_submit(user=user, page=course.case, block_id=ids.decision2, option_id=ids.decision2_options[0], rationale="b")
    assert not PageCompletion.objects.filter(page_id=course.case.pk).exists()
    services.reflection_submit(user=user, page=course.case, block_id=ids.reflection, html="<p>Texte</p>")
    assert not PageCompletion.objects.filter(page_id=course.case.pk).exists()
    failed = answer_quiz(user=user, page=course.case, answers=ids.quiz_wrong)
    assert not failed.passed
    assert not PageCompletion.objects.filter(page_id=course.case.pk).exists()
    passed = answer_quiz(user=user, page=course.case, answers=ids.quiz_correct)
    assert passed.passed and passed.score == 100
    assert PageCompletion.objects.filter(page_id=course.case.pk, user=user).exists()


def test_programme_progress_for_users_reports_module_and_programme_fractions(course):
    done, half, none = make_user(), make_user(), make_user()
    for user in (done, half, none):
        services.enrolment_create(user=user, programme=course.programme)
    complete_case(user=done, course=course)
    services.page_mark_done(user=done, page=course.lesson)
    services.page_mark_done(user=half, page=course.lesson)

    progress = selectors.programme_progress_for_users(programme=course.programme, user_ids=[done.pk, half.pk, none.pk])
    module_id = course.module.pk
    assert progress[done.pk]["completed"] and progress[done.pk]["fraction"] == 1.0
    assert progress[done.pk]["modules"][module_id] == {"fraction": 1.0, "completed": True, "done": 2, "total": 2}
    assert progress[half.pk]["fraction"] == 0.5 and not progress[half.pk]["modules"][module_id]["completed"]
    assert progress[none.pk]["fraction"] == 0.0


def test_completing_the_programme_issues_one_certificate_with_the_hours(course):
    user = make_user(first_name="Sophie", last_name="Lefèvre", rpps="10101010105")
    services.enrolment_create(user=user, programme=course.programme)
    complete_case(user=user, course=course)
    assert not Certificate.objects.exists()
    services.page_mark_done(user=user, page=course.lesson)
    certificate = Certificate.objects.get(user=user)
    assert certificate.learner_name == "Sophie Lefèvre" and certificate.rpps == "10101010105"
    assert certificate.hours == course.programme.hours
    assert len(certificate.code) >= 12
    assert Enrolment.objects.get(user=user).completed_at is not None
    enrolment = Enrolment.objects.get(user=user)
    assert services.certificate_issue(enrolment=enrolment).pk == certificate.pk


def test_decision_distribution_counts_by_profession_and_option(course):
    ids = course.ids
    users = [make_user(profession=p) for p in (Profession.DIRECTOR, Profession.DIRECTOR, Profession.NURSE)]
    for index, user in enumerate(users):
        services.enrolment_create(user=user, programme=course.programme)
        services.decision_answer_submit(
            user=user, page=course.case, block_id=ids.decision1, option_id=ids.decision1_options[index % 2], rationale="r"
        )
    def counts(user_ids):
        raw = selectors.decision_distributions_for_page(page=course.case, programme=course.programme, user_ids=user_ids)
        return raw[ids.decision1]

    everyone = {"director": {ids.decision1_options[0]: 1, ids.decision1_options[1]: 1}, "nurse": {ids.decision1_options[0]: 1}}
    assert counts([u.pk for u in users]) == everyone
    assert counts(None) == everyone  # None: every learner enrolled in the programme
    assert counts([users[2].pk]) == {"nurse": {ids.decision1_options[0]: 1}}
