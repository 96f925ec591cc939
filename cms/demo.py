"""Load the demo programme « Manager la coopération en santé » from `fixtures/`.

Idempotent: pages and snippets are looked up before anything is created, and a page is
published only when it is created, so a second run writes nothing. Block ids are uuid5 of
the page's French slug and the block's path in the body, so they never change between runs
and the English translation carries the same ids as its French source (answers recorded by
learners stay attached to the block whichever language they read).
"""

from __future__ import annotations

import importlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from wagtail.models import Locale, Page, Site

from cms.models import (
    CaseStudyPage,
    CataloguePage,
    Competency,
    FeedbackForm,
    HomePage,
    LessonPage,
    ModulePage,
    Profession,
    ProgrammePage,
)
from fixtures.frameworks import COMPETENCIES, COMPETENCY_ANCHORS, FEEDBACK_FORM, PROFESSIONS
from fixtures.programme import MODULES, PAGES, PAGES_EN, PROGRAMME, PROGRAMME_EN, TRANSLATED_MODULES

# Fixed namespace for the demo's block ids: changing it would orphan stored answers.
BLOCK_ID_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4d6b-9a57-2f1e3b7c9d40")

CATALOGUE_SLUG = "catalogue"


def block_id(key: str, path: str) -> str:
    """The stable id of the block at `path` in the body of the page seeded under `key`."""
    return str(uuid.uuid5(BLOCK_ID_NAMESPACE, f"{key}:{path}"))


# --- StreamField JSON ---------------------------------------------------------


def _options(options: list, *, key: str, path: str, quiz: bool) -> list[dict]:
    items = []
    for index, option in enumerate(options):
        if quiz:
            value = {
                "label": option["label"],
                "correct": bool(option.get("correct", False)),
                "feedback": option.get("feedback", ""),
            }
        else:
            value = {"label": option if isinstance(option, str) else option["label"]}
        items.append({"type": "item", "value": value, "id": block_id(key, f"{path}/{index}")})
    return items


def _value(kind: str, value, *, key: str, path: str):
    if kind == "text":
        return value
    if kind == "episode":
        return {
            "title": value["title"],
            "gate": value.get("gate", "open"),
            "content": stream_json(value["content"], key=key, path=f"{path}/content"),
        }
    if kind == "decision_point":
        return {
            "question": value["question"],
            "context": value.get("context", ""),
            "options": _options(value["options"], key=key, path=f"{path}/options", quiz=False),
            "rationale_required": value.get("rationale_required", True),
            "expert_commentary": value["expert_commentary"],
        }
    if kind == "quiz_question":
        return {
            "question": value["question"],
            "kind": value.get("kind", "single"),
            "options": _options(value["options"], key=key, path=f"{path}/options", quiz=True),
        }
    if kind == "exhibit_table":
        return {
            "caption": value["caption"],
            "data": value["data"].strip(),
            "source": value["source"],
            "chart": value.get("chart", "none"),
        }
    if kind == "worksheet":
        return {
            "template_kind": value["template_kind"],
            "title": value["title"],
            "instructions": value.get("instructions", ""),
        }
    if kind in ("reflection_prompt", "discussion_prompt"):
        return {"prompt": value}
    if kind in ("debrief", "facilitator_notes"):
        return {"body": value}
    if kind == "role_brief":
        return dict(value)
    raise ValueError(f"Unknown demo block type {kind!r} at {key}:{path}")


def stream_json(items: list, *, key: str, path: str = "body") -> list[dict]:
    """Raw StreamField data for compact `(type, value)` pairs, with deterministic ids."""
    return [
        {
            "type": kind,
            "value": _value(kind, value, key=key, path=f"{path}/{index}"),
            "id": block_id(key, f"{path}/{index}"),
        }
        for index, (kind, value) in enumerate(items)
    ]


def stream_shape(data: list[dict]) -> list[tuple]:
    """(id, type) of every block and list item of raw StreamField data, recursively."""
    shape = []

    def walk(value) -> None:
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "id" in item and "type" in item:
                    shape.append((item["id"], item["type"]))
                    walk(item["value"])
        elif isinstance(value, dict):
            for child in value.values():
                walk(child)

    walk(data)
    return shape


def _validate_body(page: Page) -> None:
    """Run every block's `clean` on the body, so that a fixture error stops the seed with its page slug."""
    body = getattr(page, "body", None)
    if body is None:
        return
    try:
        body.stream_block.clean(body)
    except ValidationError as error:
        raise ValidationError(f"Demo page {page.slug!r}: invalid body: {error}") from error


# --- Locales, site, snippets --------------------------------------------------


def _locales() -> tuple[Locale, Locale]:
    french, _ = Locale.objects.get_or_create(language_code="fr")
    english, _ = Locale.objects.get_or_create(language_code="en")
    return french, english


def _publish_new(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _home(french: Locale, spec: dict) -> HomePage:
    home = HomePage.objects.filter(locale=french).order_by("path").first()
    if home is None:
        root = Page.get_first_root_node()
        slug = "passerelles"
        while root.get_children().filter(slug=slug).exists():
            slug += "-accueil"
        home = _publish_new(root, HomePage(slug=slug, locale=french, **spec))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True,
                            site_name=getattr(settings, "WAGTAIL_SITE_NAME", "Passerelles"))
    elif site.root_page_id != home.pk and not isinstance(site.root_page.specific, HomePage):
        # Wagtail's initial "Welcome" page: the demo's home page takes its place as the site root.
        site.root_page = home
        site.save(update_fields=["root_page"])
    return home


def _catalogue(home: HomePage, french: Locale, spec: dict) -> CataloguePage:
    catalogue = CataloguePage.objects.filter(locale=french, slug=CATALOGUE_SLUG).first()
    if catalogue is None:
        catalogue = _publish_new(home, CataloguePage(slug=CATALOGUE_SLUG, locale=french, **spec))
    return catalogue


def _snippets(model, field: str, entries: list[dict], french: Locale, english: Locale) -> dict[str, dict]:
    """Get or create each snippet in French, and its English translation; {code: {"fr": obj, "en": obj}}."""
    found = {}
    for entry in entries:
        code = entry[field]
        fr_obj = model.objects.filter(**{field: code}, locale=french).first()
        if fr_obj is None:
            fr_obj = model.objects.create(**{field: code}, locale=french, **entry["fr"])
        en_obj = model.objects.filter(**{field: code}, locale=english).first()
        if en_obj is None:
            en_obj = fr_obj.get_translation_or_none(english)
        if en_obj is None:
            en_obj = fr_obj.copy_for_translation(english)
            for name, text in entry["en"].items():
                setattr(en_obj, name, text)
            en_obj.save()
        found[code] = {"fr": fr_obj, "en": en_obj}
    return found


def _competency_anchors(competencies: dict[str, dict]) -> None:
    """Write the self-assessment scale of each demo competency where an editor has not written one."""
    for slug, languages in competencies.items():
        for language, competency in languages.items():
            anchors = COMPETENCY_ANCHORS.get(slug, {}).get(language)
            if not anchors or any(getattr(competency, f"anchor_{level}") for level in Competency.SCALE):
                continue
            for level, text in zip(Competency.SCALE, anchors, strict=True):
                setattr(competency, f"anchor_{level}", text)
            competency.save(update_fields=[f"anchor_{level}" for level in Competency.SCALE])


def _feedback_form(programme: ProgrammePage, french: Locale, english: Locale) -> bool:
    """The demo's end-of-module survey in French and English. When the demo creates it, it is
    attached to the programme's modules in each language (a new revision, published); once it exists,
    the modules are left as editors set them. Returns whether it was created."""
    name = FEEDBACK_FORM["name"]
    if FeedbackForm.objects.filter(name=name, locale=french).exists():
        return False
    entry = {"name": name, "fr": FEEDBACK_FORM["fr"], "en": FEEDBACK_FORM["en"]}
    forms = _snippets(FeedbackForm, "name", [entry], french, english)[name]
    for module in ModulePage.objects.child_of(programme).filter(feedback_form__isnull=True):
        for page in [module, *(t.specific for t in module.get_translations())]:
            form = forms.get(page.locale.language_code)
            if form is not None and page.feedback_form_id is None:
                page.feedback_form = form
                page.save_revision().publish()
    return True


# --- Pages --------------------------------------------------------------------


def _case_or_lesson(module: ModulePage, spec: dict, *, french: Locale, competencies, professions) -> tuple[Page, bool]:
    model = CaseStudyPage if spec["type"] == "case" else LessonPage
    existing = model.objects.child_of(module).filter(slug=spec["slug"]).first()
    if existing is not None:
        return existing, False
    fields = {
        "title": spec["title"],
        "slug": spec["slug"],
        "locale": french,
        "body": stream_json(spec["body"], key=spec["slug"]),
    }
    if model is CaseStudyPage:
        fields.update(setting=spec["setting"], problem=spec["problem"], stakeholders=spec.get("stakeholders", ""))
    else:
        fields.update(summary=spec.get("summary", ""))
    page = model(**fields)
    page.competencies = [competencies[slug]["fr"] for slug in spec.get("competencies", [])]
    if model is CaseStudyPage:
        page.professions = [professions[code]["fr"] for code in spec.get("professions", [])]
    _validate_body(page)
    return _publish_new(module, page), True


def _module(programme: ProgrammePage, spec: dict, *, french: Locale, competencies, professions) -> int:
    created = 0
    module = ModulePage.objects.child_of(programme).filter(slug=spec["slug"]).first()
    if module is None:
        module = ModulePage(
            title=spec["title"],
            slug=spec["slug"],
            locale=french,
            summary=spec["summary"],
            objectives=spec["objectives"],
            estimated_minutes=spec["estimated_minutes"],
        )
        module.competencies = [competencies[slug]["fr"] for slug in spec.get("competencies", [])]
        _publish_new(programme, module)
        created += 1
    for child in spec["children"]:
        _, was_created = _case_or_lesson(
            module, child, french=french, competencies=competencies, professions=professions
        )
        created += was_created
    return created


def _programme(
    catalogue: CataloguePage, spec: dict, *, french: Locale, competencies, professions
) -> tuple[ProgrammePage, bool]:
    programme = ProgrammePage.objects.child_of(catalogue).filter(slug=spec["slug"]).first()
    if programme is not None:
        return programme, False
    programme = ProgrammePage(
        title=spec["title"],
        slug=spec["slug"],
        locale=french,
        summary=spec["summary"],
        objectives=spec["objectives"],
        audience_levels=list(spec["audience_levels"]),
        hours=Decimal(spec["hours"]),
        open_enrolment=spec["open_enrolment"],
        dpc_action_number=spec["dpc_action_number"],
        dpc_organisation_number=spec["dpc_organisation_number"],
        dpc_action_kind=spec["dpc_action_kind"],
        dpc_orientation=spec["dpc_orientation"],
    )
    programme.audience_professions = [professions[code]["fr"] for code in spec["audience_professions"]]
    programme.competencies = [competencies[slug]["fr"] for slug in spec["competencies"]]
    return _publish_new(catalogue, programme), True


# --- English translation ------------------------------------------------------


def _translate(source: Page, english: Locale, fields: dict, *, m2m: dict | None = None) -> tuple[Page, bool]:
    """The English translation of `source`, created with `copy_for_translation` and published once."""
    existing = source.get_translation_or_none(english)
    if existing is not None:
        return existing.specific, False
    page = source.copy_for_translation(english, copy_parents=True).specific
    for name, value in fields.items():
        setattr(page, name, value)
    for name, objects in (m2m or {}).items():
        setattr(page, name, objects)
    _validate_body(page)
    page.save()
    page.save_revision().publish()
    return page, True


def _english_snippets(source_objects, lookup: dict, attribute: str) -> list:
    return [lookup[getattr(obj, attribute)]["en"] for obj in source_objects]


def _translate_module(
    programme: ProgrammePage, fr_spec: dict, en_spec: dict, *, english: Locale, competencies, professions
) -> int:
    created = 0
    programme = programme.specific
    catalogue = programme.get_parent().specific
    # Home and catalogue get real English titles (not aliases) unless they are translated already.
    _translate(catalogue.get_parent().specific, english, PAGES_EN["home"])
    _translate(catalogue, english, PAGES_EN["catalogue"])
    _, was_created = _translate(
        programme,
        english,
        {name: PROGRAMME_EN[name] for name in ("title", "summary", "objectives", "dpc_orientation")},
        m2m={
            "audience_professions": _english_snippets(programme.audience_professions.all(), professions, "code"),
            "competencies": _english_snippets(programme.competencies.all(), competencies, "slug"),
        },
    )
    created += was_created
    module = ModulePage.objects.child_of(programme).get(slug=fr_spec["slug"])
    _, was_created = _translate(
        module,
        english,
        {name: en_spec[name] for name in ("title", "summary", "objectives")},
        m2m={"competencies": _english_snippets(module.competencies.all(), competencies, "slug")},
    )
    created += was_created
    for fr_child, en_child in zip(fr_spec["children"], en_spec["children"], strict=True):
        source = module.get_children().get(slug=fr_child["slug"]).specific
        body = stream_json(en_child["body"], key=fr_child["slug"])
        if stream_shape(body) != stream_shape(stream_json(fr_child["body"], key=fr_child["slug"])):
            raise ValueError(f"English demo page for {fr_child['slug']!r} does not mirror the French blocks.")
        fields = {"title": en_child["title"], "body": body}
        m2m = {"competencies": _english_snippets(source.competencies.all(), competencies, "slug")}
        if isinstance(source, CaseStudyPage):
            fields.update(problem=en_child["problem"], stakeholders=en_child.get("stakeholders", ""))
            m2m["professions"] = _english_snippets(source.professions.all(), professions, "code")
        else:
            fields["summary"] = en_child.get("summary", "")
        _, was_created = _translate(source, english, fields, m2m=m2m)
        created += was_created
    return created


# --- Entry point --------------------------------------------------------------


def seed(*, stdout) -> None:
    """Create what is missing of the demo programme; leave existing pages and snippets untouched."""
    french, english = _locales()
    professions = _snippets(Profession, "code", PROFESSIONS, french, english)
    competencies = _snippets(Competency, "slug", COMPETENCIES, french, english)
    _competency_anchors(competencies)
    home = _home(french, PAGES["home"])
    catalogue = _catalogue(home, french, PAGES["catalogue"])
    programme, created = _programme(
        catalogue, PROGRAMME, french=french, competencies=competencies, professions=professions
    )
    created = int(created)
    for name in MODULES:
        spec = importlib.import_module(name).MODULE
        created += _module(programme, spec, french=french, competencies=competencies, professions=professions)
        if name in TRANSLATED_MODULES:
            en_spec = importlib.import_module(TRANSLATED_MODULES[name]).MODULE
            created += _translate_module(
                programme, spec, en_spec, english=english, competencies=competencies, professions=professions
            )
    survey = _feedback_form(programme, french, english)
    stdout.write(f"Demo programme « {PROGRAMME['title']} »: {created} page(s) created"
                 + (", end-of-module survey attached to its modules." if survey else "."))
