"""Builders for cohort tests: a small page tree, cohorts with members, invitations."""

import itertools
import uuid
from datetime import date, timedelta

from wagtail.models import Page

from accounts.choices import Level, Profession, Role
from tests.factories import make_user

_counter = itertools.count(1)


def make_catalogue():
    from cms.models import CataloguePage, HomePage

    catalogue = CataloguePage.objects.first()
    if catalogue:
        return catalogue
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title="Accueil", slug=f"accueil-{next(_counter)}"))
    return home.add_child(instance=CataloguePage(title="Catalogue", slug=f"catalogue-{next(_counter)}"))


def make_programme(*, title: str = "Manager la coopération", audience: tuple = (), modules: int = 0, cases_per_module: int = 0):
    """A published programme, optionally with `modules` modules of `cases_per_module` case pages."""
    from cms.models import Profession as ProfessionSnippet
    from cms.models import ProgrammePage

    n = next(_counter)
    programme = make_catalogue().add_child(
        instance=ProgrammePage(title=f"{title} {n}", slug=f"programme-{n}", summary="Résumé", objectives="<p>Objectifs</p>")
    )
    if audience:
        from wagtail.models import Locale

        locale = Locale.get_default()
        snippets = [
            ProfessionSnippet.objects.get_or_create(code=code, locale=locale, defaults={"name": code})[0] for code in audience
        ]
        programme.audience_professions.set(snippets)
        programme.save_revision().publish()
    for m in range(modules):
        module = make_module(programme=programme, title=f"Module {m + 1}")
        for c in range(cases_per_module):
            make_case(module=module, title=f"Cas {m + 1}.{c + 1}")
    return programme


def make_module(*, programme, title: str = "Module"):
    from cms.models import ModulePage

    return programme.add_child(
        instance=ModulePage(title=title, slug=f"module-{next(_counter)}", objectives="<p>Objectifs</p>")
    )


def make_case(*, module, title: str = "Cas", gates: tuple = ("open", "scheduled")):
    """A case page with one episode per gate, a decision point in the first, and a debrief."""
    from cms.models import CaseStudyPage

    episodes = []
    for i, gate in enumerate(gates):
        content = []
        if i == 0:
            content.append(
                {"type": "decision_point", "id": str(uuid.uuid4()), "value": {
                    "question": "Que faites-vous ?", "context": "", "rationale_required": False, "expert_commentary": "",
                    "options": [{"type": "item", "id": str(uuid.uuid4()), "value": {"label": label}}
                                for label in ("Réunir le pôle", "Saisir l'ARS")],
                }}
            )
        episodes.append({"type": "episode", "id": str(uuid.uuid4()),
                         "value": {"title": f"Épisode {i + 1}", "gate": gate, "content": content}})
    episodes.append({"type": "debrief", "id": str(uuid.uuid4()), "value": {"body": "<p>Débriefing</p>"}})
    return module.add_child(
        instance=CaseStudyPage(title=title, slug=f"cas-{next(_counter)}", setting="chu", problem="<p>Problème</p>", body=episodes)
    )


def make_facilitator(**fields):
    fields.setdefault("profession", Profession.NURSE)
    return make_user(roles=(Role.FACILITATOR,), **fields)


def make_cohort(*, programme=None, facilitator=None, learners: int = 0, status: str = "running", capacity: int = 100, **fields):
    """A cohort (with its room) and `learners` learners spread over professions and levels."""
    from cohorts.services import cohort_create, cohort_member_add

    programme = programme or make_programme()
    facilitator = facilitator or make_facilitator()
    cohort = cohort_create(
        programme=programme, name=fields.pop("name", f"Promotion {next(_counter)}"),
        starts_on=fields.pop("starts_on", date.today() - timedelta(days=10)),
        ends_on=fields.pop("ends_on", date.today() + timedelta(days=60)),
        created_by=facilitator, status=status, capacity=capacity, **fields,
    )
    professions, levels = [p for p, _ in Profession.choices], [lv for lv, _ in Level.choices]
    for i in range(learners):
        add_learner(cohort, profession=professions[i % len(professions)], level=levels[i % len(levels)],
                    organisation=f"CH {i % 7}")
    return cohort


def add_learner(cohort, user=None, **fields):
    from cohorts.services import cohort_member_add

    user = user or make_user(**fields)
    cohort_member_add(cohort=cohort, user=user)
    return user


# --- Live case sessions ---------------------------------------------------------------------------


def discussion_block(text: str) -> dict:
    from tests.factories_lms import _id

    return {"type": "discussion_prompt", "id": _id(), "value": {"prompt": f"<p>{text}</p>"}}


class LiveWorld:
    """A cohort running a three-episode case, ready for a live session: its facilitator, learners of
    the given professions (each in one of `groups` groups), another cohort's learner and facilitator."""

    def __init__(self, *, professions=(Profession.DIRECTOR, Profession.PHYSICIAN, Profession.NURSE), per_profession=1, groups=1,
                 fourth_episode=False):
        from cohorts.services import groups_form
        from tests.factories_lms import decision_block, episode_block, make_case as make_lms_case
        from tests.factories_lms import make_module as make_lms_module
        from tests.factories_lms import make_programme as make_lms_programme

        self.programme = make_lms_programme(title="Piloter un GHT")
        module = make_lms_module(programme=self.programme)
        self.d1 = decision_block(question="Qui doit porter la filière gériatrique du GHT ?",
                                 labels=("L'établissement support", "Une direction commune", "L'ARS"), rationale_required=False)
        self.d2 = decision_block(question="Comment associer la ville ?", labels=("Par la CPTS", "Par le DAC"), rationale_required=False)
        self.prompt1 = discussion_block("Qui manque autour de la table ?")
        self.prompt2 = discussion_block("Quels indicateurs suivre ensemble dès le premier mois ?")
        self.ep1 = episode_block(title="Le signal", content=[self.prompt1])
        self.ep2 = episode_block(title="La crise des urgences", gate="scheduled", content=[self.d1, self.prompt2])
        self.ep3 = episode_block(title="Six mois plus tard", gate="after_decisions", content=[self.d2])
        # A fourth, dated episode (bench/live.py): once everyone answered decision 1, episode 3 is open
        # to all through their answers, and the next reveal is this one.
        self.ep4 = episode_block(title="Un an après", gate="scheduled", content=[discussion_block("Qu'a-t-on appris ?")])
        self.case = make_lms_case(module=module, title="Cas : la filière gériatrique du GHT", body=[
            self.ep1, self.ep2, self.ep3, *([self.ep4] if fourth_episode else []), {"type": "debrief", "id": str(uuid.uuid4()), "value": {"body": "<p>Ce que les équipes ont retenu.</p>"}},
        ])
        self.facilitator = make_facilitator(first_name="Fabienne", last_name="Animatrice")
        self.cohort = make_cohort(programme=self.programme, facilitator=self.facilitator, name="Promotion Loire")
        self.learners = []
        for profession in professions:
            for i in range(per_profession):
                self.learners.append(add_learner(self.cohort, profession=profession, first_name=f"{profession.title()}{i}", last_name="Test"))
        self.groups = groups_form(cohort=self.cohort, size=max(2, len(self.learners) // groups)) if groups else []
        self.other_facilitator = make_facilitator()
        self.other_cohort = make_cohort(programme=self.programme, facilitator=self.other_facilitator, name="Promotion Rhône")
        self.other_learner = add_learner(self.other_cohort, profession=Profession.NURSE)

    def option(self, decision: dict, index: int) -> str:
        return decision["value"]["options"][index]["id"]
