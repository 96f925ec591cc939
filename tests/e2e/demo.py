"""The demo's pages and people, for the browser tests and `make screenshots`.

`python -m tests.e2e.demo` (with DATABASE_URL set) runs `seed_demo`, then prints `demo_urls()` as
one JSON line: the fixture `demo_server` seeds its database this way. `docs/screenshots.py`
calls `demo_urls()` on a copy of `make run`'s database.
"""

import io
import json

LEARNER = "directrice@passerelles.test"
FACILITATOR = "animatrice@passerelles.test"
EDITOR = "editrice@passerelles.test"

# The key pages, as (who reads it: None for a visitor, else a key of demo_urls() naming the
# person, name, the page's key in demo_urls()). The screenshots are taken of all of them; axe
# checks all but the Wagtail admin (Wagtail's own interface).
TOUR = [
    (None, "home", "home"),
    (None, "catalogue", "catalogue"),
    (None, "programme", "programme"),
    ("learner", "learner-dashboard", "dashboard"),
    ("learner", "learner-programme-progress", "programme_progress"),
    ("learner", "learner-case", "case"),
    ("learner", "learner-cohort-room", "cohort_room"),
    ("learner", "learner-group-room", "group_room"),
    ("community_member", "learner-community", "community"),
    ("facilitator", "facilitator-cohort", "cohort"),
    ("facilitator", "facilitator-dashboard", "cohort_dashboard"),
    ("facilitator", "facilitator-reflections", "reflections_waiting"),
    ("editor", "editor-admin-case", "admin_case_edit"),
]
WAGTAIL_ADMIN = ("admin_case_edit",)


def demo_urls() -> dict:
    """Where the key pages of the demo are, and who may read them."""
    from django.urls import reverse
    from wagtail.models import Locale

    from cms.models import CataloguePage, CaseStudyPage, ModulePage, ProgrammePage
    from cohorts.demo import COHORT_NAME, COMMUNITY_SLUG, PAST_COHORT_NAME, PROGRAMME_SLUG
    from cohorts.models import Cohort, CommunityMembership, GroupMembership
    from rooms.models import Room

    french = Locale.get_default()
    programme = ProgrammePage.objects.get(slug=PROGRAMME_SLUG, locale=french)
    module = ModulePage.objects.child_of(programme).live().order_by("path").first()
    case = CaseStudyPage.objects.child_of(module).live().order_by("path").first()
    cohort = Cohort.objects.get(programme=programme, name=COHORT_NAME)
    group = GroupMembership.objects.get(cohort=cohort, user__email=LEARNER).group
    outcomes = _outcomes_urls(programme, module, Cohort.objects.get(programme=programme, name=PAST_COHORT_NAME))
    group_members = list(
        GroupMembership.objects.filter(group=group).order_by("user__email").values_list("user__email", flat=True)
    )
    return {
        "home": "/",
        "catalogue": CataloguePage.objects.live().filter(locale=french).first().url,
        "programme": programme.url,
        "module": module.url,
        "case": case.url,
        "case_title": case.title,
        "dashboard": reverse("lms:dashboard"),
        "programme_progress": reverse("lms:programme_progress", args=[programme.pk]),
        "cohort": reverse("cohorts:cohort_detail", args=[cohort.pk]),
        "cohort_dashboard": reverse("cohorts:dashboard", args=[cohort.pk]),
        "reflections_waiting": reverse("cohorts:reflections_waiting", args=[cohort.pk]),
        "cohort_room": f"/rooms/{Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort).pk}/",
        "group_room": f"/rooms/{Room.objects.get(kind=Room.Kind.GROUP, group=group).pk}/",
        "group_members": group_members,
        "community": reverse("cohorts:community_detail", args=[COMMUNITY_SLUG]),
        "admin_case_edit": reverse("wagtailadmin_pages:edit", args=[case.pk]),
        "learner": LEARNER,
        "facilitator": FACILITATOR,
        "editor": EDITOR,
        "community_member": CommunityMembership.objects.filter(
            community__slug=COMMUNITY_SLUG, role=CommunityMembership.Role.MEMBER,
        ).order_by("user__email").values_list("user__email", flat=True).first(),
        **outcomes,
    }


def _outcomes_urls(programme, module, past_cohort) -> dict:
    """Outcomes and credit: a learner of the closed cohort (finished, certificate and DPC attestation,
    "three months later" questionnaire open), a learner of the running cohort who finished the first
    module without giving their opinion yet, and the owner's report."""
    from django.urls import reverse

    from cohorts.models import CohortMembership
    from lms.models import Certificate, DpcAttestation, ModuleFeedback, PageCompletion
    from lms.selectors import programme_structure

    graduate = CohortMembership.objects.filter(cohort=past_cohort, role="learner").order_by("user__email").first().user
    certificate = Certificate.objects.get(user=graduate, programme=programme)
    page_ids = {p.pk for p in next(m for m in programme_structure(programme=programme).modules if m.page.pk == module.pk).pages}
    done = {}
    for user_id, page_id in PageCompletion.objects.filter(page_id__in=page_ids).values_list("user_id", "page_id"):
        done.setdefault(user_id, set()).add(page_id)
    answered = set(ModuleFeedback.objects.filter(module_id=module.pk).values_list("user_id", flat=True))
    reviewer = CohortMembership.objects.filter(
        role="learner", cohort__programme=programme, user_id__in=[u for u, p in done.items() if p == page_ids and u not in answered],
    ).exclude(cohort=past_cohort).order_by("user__email").first()
    return {
        "graduate": graduate.email,
        "self_assessment": reverse("lms:self_assessment", args=[programme.pk]),
        "self_assessment_later": reverse("lms:self_assessment_form", args=[programme.pk, "later"]),
        "certificate_verify": reverse("lms:certificate_verify", args=[certificate.code]),
        "certificate_pdf": reverse("lms:certificate_pdf", args=[certificate.code]),
        "attestation_pdf": reverse("lms:dpc_attestation_pdf", args=[DpcAttestation.objects.get(certificate=certificate).code]),
        "feedback_learner": reviewer.user.email if reviewer else None,
        "module_feedback": reverse("lms:module_feedback", args=[module.pk]),
        "owner": "admin@passerelles.test",
        "outcomes": f"/admin/outcomes/?programme={programme.pk}",
        "outcomes_past_cohort": f"/admin/outcomes/?programme={programme.pk}&cohort={past_cohort.pk}",
    }


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    print(json.dumps(demo_urls()))


if __name__ == "__main__":
    main()
