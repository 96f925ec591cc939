"""The site everyone starts from: home and catalogue pages, locales, the framework, editorial roles.

- replaces Wagtail's welcome page with our HomePage at the root of the default Site, and
  puts a CataloguePage (slug `catalogue`) under it;
- creates the locales `fr` (default) and `en`;
- creates the Profession (5) and Competency (7) snippets in French, with English translations;
- grants page permissions: Editor may add and change pages under home (never publish),
  Reviewer may add, change, publish and lock them; both may manage images, documents and snippets;
- creates the "Relecture éditoriale" workflow (one GroupApprovalTask for the Reviewer group)
  on the home page, and removes Wagtail's default Editors/Moderators groups and workflow.

Written against historical models only, so it runs on a fresh database of either engine.
"""

import uuid

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone

WORKFLOW_NAME = "Relecture éditoriale"
TASK_NAME = "Approbation par un·e relecteur·rice"

PROFESSIONS = [
    # code, fr name, fr description, en name, en description
    (
        "director", "Direction d'établissement",
        "Directeur·rice d'hôpital, directeur·rice des soins, direction de GHT ou d'EHPAD.",
        "Hospital management", "Hospital director, director of nursing, head of a hospital group or nursing home.",
    ),
    (
        "physician", "Médecin",
        "Praticien·ne, chef·fe de service ou de pôle, président·e de CME, médecin de ville.",
        "Physician", "Hospital doctor, head of department or clinical division, chair of the medical board, GP.",
    ),
    (
        "nurse", "Soins infirmiers / cadre de santé",
        "Infirmier·e, infirmier·e en pratique avancée (IPA), cadre de santé, cadre supérieur·e de pôle.",
        "Nursing / nurse manager", "Nurse, advanced-practice nurse, ward nurse manager, senior nurse manager.",
    ),
    (
        "regulator", "Régulation (ARS, administration, assurance maladie)",
        "Agence régionale de santé, administration centrale, caisse d'assurance maladie.",
        "Regulation (regional agency, ministry, health insurance)",
        "Regional health agency, ministry, national health insurance.",
    ),
    (
        "other", "Autre professionnel de santé",
        "Pharmacien·ne, ingénieur·e, data analyst, patient·e partenaire…",
        "Other health professional", "Pharmacist, engineer, data analyst, patient partner…",
    ),
]

COMPETENCIES = [
    # slug, fr name, fr description, en name, en description
    (
        "cooperation", "Coopération",
        "Construire et faire vivre le travail commun entre métiers, services et institutions.",
        "Cooperation", "Building and sustaining joint work between professions, departments and institutions.",
    ),
    (
        "project-management", "Gestion de projet",
        "Cadrer, planifier, conduire et évaluer un projet dans une organisation de santé.",
        "Project management", "Scoping, planning, running and evaluating a project in a health organisation.",
    ),
    (
        "conflict-management", "Gestion des conflits",
        "Prévenir, analyser et dénouer les tensions entre personnes, équipes et institutions.",
        "Conflict management", "Preventing, analysing and resolving tensions between people, teams and institutions.",
    ),
    (
        "problem-solving", "Résolution de problèmes",
        "Analyser les causes et choisir des contre-mesures dans une organisation complexe.",
        "Problem solving", "Analysing causes and choosing countermeasures in a complex organisation.",
    ),
    (
        "team-coaching", "Accompagnement des équipes",
        "Soutenir, faire grandir et fédérer une équipe autour d'un objectif commun.",
        "Team coaching", "Supporting, developing and uniting a team around a shared goal.",
    ),
    (
        "patient-pathway", "Gestion des parcours patients",
        "Organiser les parcours autour des résultats de santé, entre hôpital, ville et médico-social.",
        "Patient-pathway management",
        "Organising pathways around health outcomes, across hospital, primary and social care.",
    ),
    (
        "data-informed-decisions", "Décider avec les données",
        "Lire, questionner et utiliser les données pour éclairer une décision.",
        "Data-informed decisions", "Reading, questioning and using data to inform a decision.",
    ),
]

# Page permission codenames per role, on the home page and everything under it.
PAGE_PERMISSIONS = {
    "Editor": ["add_page", "change_page"],
    "Reviewer": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
}
COLLECTION_PERMISSIONS = {
    "Editor": ["add_image", "change_image", "choose_image", "add_document", "change_document", "choose_document"],
    "Reviewer": ["add_image", "change_image", "choose_image", "add_document", "change_document", "choose_document"],
}
MODEL_PERMISSIONS = {
    "Editor": ["add_profession", "change_profession", "add_competency", "change_competency"],
    "Reviewer": [
        "add_profession", "change_profession", "delete_profession",
        "add_competency", "change_competency", "delete_competency",
    ],
}


def _ensure_permissions(apps):
    # Permissions are normally created after migrate; these rows are needed now.
    for label in ["wagtailcore", "wagtailimages", "wagtaildocs", "cms"]:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None


def _next_step(step: str) -> str:
    """The treebeard path step after `step` (base 36, four characters)."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    number = int(step, 36) + 1
    digits = ""
    for _ in range(4):
        number, rest = divmod(number, 36)
        digits = alphabet[rest] + digits
    return digits


def create_site(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("cms.HomePage")
    CataloguePage = apps.get_model("cms.CataloguePage")
    Profession = apps.get_model("cms.Profession")
    Competency = apps.get_model("cms.Competency")

    if HomePage.objects.exists():  # already set up (e.g. a database restored from a dump)
        return

    fr, _ = Locale.objects.get_or_create(language_code="fr")
    en, _ = Locale.objects.get_or_create(language_code="en")
    # Content created before this migration belongs to the default language.
    Page.objects.exclude(locale=fr).update(locale=fr)

    # Wagtail's welcome page goes; its site is re-pointed at our home page.
    Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()
    root = Page.objects.get(depth=1)
    now = timezone.now()
    home_type, _ = ContentType.objects.get_or_create(app_label="cms", model="homepage")
    catalogue_type, _ = ContentType.objects.get_or_create(app_label="cms", model="cataloguepage")
    last = Page.objects.filter(depth=2).order_by("-path").values_list("path", flat=True).first()
    home_path = root.path + (_next_step(last[-4:]) if last else "0001")
    common = {"live": True, "first_published_at": now, "last_published_at": now, "locale": fr}
    home = HomePage.objects.create(
        title="Passerelles",
        draft_title="Passerelles",
        slug="home",
        content_type=home_type,
        path=home_path,
        depth=2,
        numchild=1,
        url_path="/home/",
        intro="<p>Apprendre le management ensemble : direction, médecins, régulation et soins, "
        "face aux mêmes situations.</p>",
        translation_key=uuid.uuid4(),
        **common,
    )
    CataloguePage.objects.create(
        title="Catalogue des programmes",
        draft_title="Catalogue des programmes",
        slug="catalogue",
        content_type=catalogue_type,
        path=home_path + "0001",
        depth=3,
        numchild=0,
        url_path="/home/catalogue/",
        intro="<p>Des programmes conçus pour être suivis à plusieurs métiers, autour de cas réels "
        "du système de santé.</p>",
        translation_key=uuid.uuid4(),
        **common,
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(hostname="localhost", port=80, root_page_id=home.pk, is_default_site=True,
                            site_name="Passerelles")
    else:
        site.root_page_id = home.pk
        site.site_name = "Passerelles"
        site.save(update_fields=["root_page", "site_name"])

    for code, fr_name, fr_description, en_name, en_description in PROFESSIONS:
        key = uuid.uuid4()
        Profession.objects.create(code=code, name=fr_name, description=fr_description, locale=fr, translation_key=key)
        Profession.objects.create(code=code, name=en_name, description=en_description, locale=en, translation_key=key)
    for slug, fr_name, fr_description, en_name, en_description in COMPETENCIES:
        key = uuid.uuid4()
        Competency.objects.create(slug=slug, name=fr_name, description=fr_description, locale=fr, translation_key=key)
        Competency.objects.create(slug=slug, name=en_name, description=en_description, locale=en, translation_key=key)


def create_roles_and_workflow(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    Collection = apps.get_model("wagtailcore.Collection")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    HomePage = apps.get_model("cms.HomePage")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    Task = apps.get_model("wagtailcore.Task")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")

    _ensure_permissions(apps)
    home = HomePage.objects.order_by("path").first()
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ["Editor", "Reviewer"]}

    for name, codenames in PAGE_PERMISSIONS.items():
        for codename in codenames:
            permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
            GroupPagePermission.objects.get_or_create(group=groups[name], page_id=home.pk, permission=permission)
    root_collection = Collection.objects.filter(depth=1).first()
    for name, codenames in COLLECTION_PERMISSIONS.items():
        for codename in codenames:
            permission = Permission.objects.get(
                content_type__app_label__in=["wagtailimages", "wagtaildocs"], codename=codename
            )
            if root_collection is not None:
                GroupCollectionPermission.objects.get_or_create(
                    group=groups[name], collection=root_collection, permission=permission
                )
    for name, codenames in MODEL_PERMISSIONS.items():
        groups[name].permissions.add(
            *Permission.objects.filter(content_type__app_label="cms", codename__in=codenames)
        )

    # Wagtail's default moderation (the "Moderators approval" workflow on the root page,
    # the Editors and Moderators groups) would bypass our roles: remove it.
    default_tasks = Task.objects.filter(name="Moderators approval")
    Workflow.objects.filter(name="Moderators approval").delete()
    default_tasks.delete()
    Group.objects.filter(name__in=["Editors", "Moderators"]).delete()

    task_type, _ = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type, active=True)
    task.groups.set([groups["Reviewer"]])
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task_id=task.pk, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page_id=home.pk, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        ("accounts", "0002_roles"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_site, migrations.RunPython.noop),
        migrations.RunPython(create_roles_and_workflow, migrations.RunPython.noop),
    ]
