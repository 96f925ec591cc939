"""Create the five roles as permission groups.

Page permissions for editors and reviewers are granted by cms once the page tree exists;
cohort permissions by cohorts. Here: who reaches the Wagtail admin.
"""

from django.db import migrations

ROLES = ["Learner", "Facilitator", "Editor", "Reviewer", "Admin"]
ADMIN_ACCESS = ["Editor", "Reviewer", "Admin"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    access_admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        if name in ADMIN_ACCESS:
            group.permissions.add(access_admin)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
