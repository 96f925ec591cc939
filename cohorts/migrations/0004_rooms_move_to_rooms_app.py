"""Rooms and messages now belong to the rooms app (rooms/migrations/0001_initial.py takes them).

Only Django's record of the models changes here: the tables (`cohorts_room`, `cohorts_message`…)
and their rows stay where they are, under the same names, and the rooms models point at them
(`Meta.db_table`).
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("cohorts", "0003_merge_0002_cohort_features_0002_rooms"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                # Models pointing at others first, Room last.
                migrations.DeleteModel(name="Mention"),
                migrations.DeleteModel(name="MessageReport"),
                migrations.DeleteModel(name="MessageRevision"),
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="Reaction"),
                migrations.DeleteModel(name="ReadMarker"),
                migrations.DeleteModel(name="Message"),
                migrations.DeleteModel(name="Room"),
            ],
            database_operations=[],
        ),
    ]
