"""The Editor and Reviewer rights and the "Relecture éditoriale" workflow move from the French home
page to the root of the page tree, so that they cover every language's tree.

A translation of the site (Wagtail's "Traduire", or `seed_demo`'s English copy) is a second home
page beside the French one, under the root: with the rights on the French home page, editors could
not edit the English copies, and English pages were published without review. Existing rows are
moved, not duplicated; the migration can be reversed."""

from django.db import migrations


def _move(apps, *, to_root: bool) -> None:
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    Workflow = apps.get_model("wagtailcore.Workflow")
    Page = apps.get_model("wagtailcore.Page")
    root = Page.objects.filter(depth=1).order_by("path").first()
    home = Page.objects.filter(depth=2).order_by("path").first()
    if root is None or home is None:
        return
    source, target = (home, root) if to_root else (root, home)
    for row in GroupPagePermission.objects.filter(page=source, group__name__in=["Editor", "Reviewer"]):
        GroupPagePermission.objects.get_or_create(group_id=row.group_id, page=target, permission_id=row.permission_id)
        row.delete()
    workflow = Workflow.objects.filter(name="Relecture éditoriale").first()
    if workflow is not None:
        WorkflowPage.objects.filter(page=source, workflow=workflow).delete()
        WorkflowPage.objects.update_or_create(page=target, defaults={"workflow": workflow})


def forwards(apps, schema_editor):
    _move(apps, to_root=True)


def backwards(apps, schema_editor):
    _move(apps, to_root=False)


class Migration(migrations.Migration):
    dependencies = [("cms", "0007_module_feedback_form")]
    operations = [migrations.RunPython(forwards, backwards)]
