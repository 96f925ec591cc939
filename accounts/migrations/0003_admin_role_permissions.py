"""Give the Admin role what running the platform needs in the Wagtail admin.

Users, groups (roles), sites, locales, redirects, workflows, collections, every page
permission on the root page, and images and documents in the root collection. The Django
admin stays for superusers only (see accounts/admin.py).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODEL_PERMISSIONS = {
    "accounts": ["user"],
    "auth": ["group"],
    "wagtailcore": ["site", "locale", "workflow", "task", "collection"],
    "wagtailredirects": ["redirect"],
}
PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"]
COLLECTION_PERMISSIONS = {
    "wagtailimages": ["add_image", "change_image", "choose_image"],
    "wagtaildocs": ["add_document", "change_document", "choose_document"],
}


def _ensure_permissions(apps):
    # Permissions are normally created after all migrations ran; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def grant(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    admin, _ = Group.objects.get_or_create(name="Admin")
    for app_label, models in MODEL_PERMISSIONS.items():
        for model in models:
            admin.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{action}_{model}" for action in ("add", "change", "delete", "view")],
                )
            )

    root_page = Page.objects.filter(depth=1).first()
    if root_page is not None:
        for permission in Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=PAGE_PERMISSIONS):
            GroupPagePermission.objects.get_or_create(group=admin, page=root_page, permission=permission)

    root_collection = Collection.objects.filter(depth=1).first()
    if root_collection is not None:
        for app_label, codenames in COLLECTION_PERMISSIONS.items():
            for permission in Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames):
                GroupCollectionPermission.objects.get_or_create(
                    group=admin, collection=root_collection, permission=permission
                )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    admin = Group.objects.filter(name="Admin").first()
    if admin is None:
        return
    admin.permissions.clear()
    admin.permissions.add(
        *apps.get_model("auth", "Permission").objects.filter(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
    )
    apps.get_model("wagtailcore", "GroupPagePermission").objects.filter(group=admin).delete()
    apps.get_model("wagtailcore", "GroupCollectionPermission").objects.filter(group=admin).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
