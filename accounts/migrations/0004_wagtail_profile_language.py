"""Wagtail's moderation e-mails follow the language of its user profile: make it each user's own.

From now on `accounts.services.user_admin_language_sync` keeps it so wherever `User.language` is
written; this brings the accounts that exist already in line.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    UserProfile = apps.get_model("wagtailusers", "UserProfile")
    with_profile = set(UserProfile.objects.values_list("user_id", flat=True))
    for language in User.objects.values_list("language", flat=True).distinct():
        UserProfile.objects.filter(user__language=language).update(preferred_language=language)
    UserProfile.objects.bulk_create(
        [
            UserProfile(user_id=pk, preferred_language=language)
            for pk, language in User.objects.values_list("pk", "language")
            if pk not in with_profile
        ],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_admin_role_permissions"),
        ("wagtailusers", "0015_userprofile_keyboard_shortcuts"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
