"""The rooms app takes the models of rooms and messages from cohorts (cohorts 0004), with their
tables, rows and content types.

The tables already exist, created by the cohorts migrations under the names the models keep
(`Meta.db_table`): the models are created in Django's state only. The content types (and so the
permissions and admin history that point at them) move from app label `cohorts` to `rooms`.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

MOVED_MODELS = ("room", "message", "messagerevision", "reaction", "mention", "messagereport", "readmarker", "notification")


def _content_types_move(apps, from_label: str, to_label: str) -> None:
    """Relabel the moved models' content types; where the target already exists (the other app
    was migrated or its content types created first), the target is kept and the source goes."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        source = ContentType.objects.filter(app_label=from_label, model=model).first()
        if source is None:
            continue
        if ContentType.objects.filter(app_label=to_label, model=model).exists():
            source.delete()
        else:
            source.app_label = to_label
            source.save(update_fields=["app_label"])


def content_types_to_rooms(apps, schema_editor):
    _content_types_move(apps, "cohorts", "rooms")


def content_types_to_cohorts(apps, schema_editor):
    _content_types_move(apps, "rooms", "cohorts")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cohorts', '0004_rooms_move_to_rooms_app'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.WAGTAIL_PAGE_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Message',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveBigIntegerField(verbose_name='numéro dans le salon')),
                        ('client_id', models.CharField(max_length=64)),
                        ('body', models.TextField(verbose_name='texte')),
                        ('html', models.TextField(verbose_name='texte mis en forme')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('edited_at', models.DateTimeField(blank=True, null=True)),
                        ('deleted_at', models.DateTimeField(blank=True, null=True)),
                        ('hidden_at', models.DateTimeField(blank=True, null=True)),
                        ('pinned_at', models.DateTimeField(blank=True, null=True)),
                        ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='room_messages', to=settings.AUTH_USER_MODEL)),
                        ('hidden_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('pinned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('reply_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='replies', to='rooms.message')),
                    ],
                    options={
                        'verbose_name': 'message',
                        'db_table': 'cohorts_message',
                        'ordering': ['room', 'seq'],
                    },
                ),
                migrations.CreateModel(
                    name='MessageRevision',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField()),
                        ('html', models.TextField()),
                        ('replaced_at', models.DateTimeField(auto_now_add=True)),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='revisions', to='rooms.message')),
                    ],
                    options={
                        'verbose_name': "version précédente d'un message",
                        'db_table': 'cohorts_messagerevision',
                        'ordering': ['message', 'replaced_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Room',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('cohort', 'Salon de la promotion'), ('group', 'Salon du groupe'), ('case', 'Salon du cas'), ('community', 'Salon de la communauté')], max_length=10, verbose_name='type')),
                        ('name', models.CharField(max_length=200, verbose_name='nom')),
                        ('last_message_seq', models.PositiveBigIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('case_page', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.WAGTAIL_PAGE_MODEL)),
                        ('cohort', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='rooms', to='cohorts.cohort')),
                        ('community', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='rooms', to='cohorts.community')),
                        ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='rooms', to='cohorts.cohortgroup')),
                    ],
                    options={
                        'verbose_name': 'salon',
                        'db_table': 'cohorts_room',
                    },
                ),
                migrations.CreateModel(
                    name='ReadMarker',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('last_read_seq', models.PositiveBigIntegerField(default=0)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='room_read_markers', to=settings.AUTH_USER_MODEL)),
                        ('room', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='read_markers', to='rooms.room')),
                    ],
                    options={
                        'verbose_name': 'marque de lecture',
                        'db_table': 'cohorts_readmarker',
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('mention', 'Mention'), ('report', 'Signalement')], max_length=10)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='rooms.message')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='room_notifications', to=settings.AUTH_USER_MODEL)),
                        ('room', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='rooms.room')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'db_table': 'cohorts_notification',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.AddField(
                    model_name='message',
                    name='room',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='rooms.room'),
                ),
                migrations.CreateModel(
                    name='Mention',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mentions', to='rooms.message')),
                    ],
                    options={
                        'verbose_name': 'mention',
                        'db_table': 'cohorts_mention',
                        'constraints': [models.UniqueConstraint(fields=('message', 'user'), name='one_mention_per_user')],
                    },
                ),
                migrations.CreateModel(
                    name='MessageReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(blank=True, max_length=500, verbose_name='motif')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reports', to='rooms.message')),
                        ('reporter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'signalement',
                        'db_table': 'cohorts_messagereport',
                        'constraints': [models.UniqueConstraint(fields=('message', 'reporter'), name='one_report_per_reporter')],
                    },
                ),
                migrations.CreateModel(
                    name='Reaction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('emoji', models.CharField(max_length=16)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reactions', to='rooms.message')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'réaction',
                        'db_table': 'cohorts_reaction',
                        'constraints': [models.UniqueConstraint(fields=('message', 'user', 'emoji'), name='one_reaction_per_emoji')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='room',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('case_page__isnull', True), ('cohort__isnull', False), ('community__isnull', True), ('group__isnull', True), ('kind', 'cohort')), models.Q(('case_page__isnull', True), ('cohort__isnull', False), ('community__isnull', True), ('group__isnull', False), ('kind', 'group')), models.Q(('case_page__isnull', False), ('cohort__isnull', False), ('community__isnull', True), ('group__isnull', True), ('kind', 'case')), models.Q(('case_page__isnull', True), ('cohort__isnull', True), ('community__isnull', False), ('group__isnull', True), ('kind', 'community')), _connector='OR'), name='room_owner_matches_kind'),
                ),
                migrations.AddConstraint(
                    model_name='room',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'cohort')), fields=('cohort',), name='one_room_per_cohort'),
                ),
                migrations.AddConstraint(
                    model_name='room',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'group')), fields=('group',), name='one_room_per_group'),
                ),
                migrations.AddConstraint(
                    model_name='room',
                    constraint=models.UniqueConstraint(condition=models.Q(('kind', 'case')), fields=('cohort', 'case_page'), name='one_room_per_case_and_cohort'),
                ),
                migrations.AddConstraint(
                    model_name='readmarker',
                    constraint=models.UniqueConstraint(fields=('room', 'user'), name='one_read_marker_per_member'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['user', 'read_at'], name='notification_unread'),
                ),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.UniqueConstraint(fields=('user', 'kind', 'message'), name='one_notification_per_event'),
                ),
                migrations.AddIndex(
                    model_name='message',
                    index=models.Index(fields=['author', 'room'], name='message_author_room'),
                ),
                migrations.AddConstraint(
                    model_name='message',
                    constraint=models.UniqueConstraint(fields=('room', 'seq'), name='message_seq_unique_in_room'),
                ),
                migrations.AddConstraint(
                    model_name='message',
                    constraint=models.UniqueConstraint(fields=('room', 'author', 'client_id'), name='message_client_id_unique'),
                ),
                migrations.AddConstraint(
                    model_name='message',
                    constraint=models.CheckConstraint(condition=models.Q(('seq__gte', 1)), name='message_seq_positive'),
                ),
                migrations.AddConstraint(
                    model_name='message',
                    constraint=models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('body'), 4000), name='message_body_max_length'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_rooms, content_types_to_cohorts),
    ]
