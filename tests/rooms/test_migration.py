"""The move of rooms from the cohorts app to the rooms app keeps every row.

The database is taken back to the last migration before the move (cohorts 0003, no rooms app),
rooms and messages are written there through the historical models of the cohorts app, then
the database is migrated forward and everything is read back through `rooms.models`.
"""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from rooms.models import Message, Notification, ReadMarker, Room
from rooms.selectors import room_access, room_messages_after
from tests.factories_cohorts import add_learner, make_cohort

LAST_BEFORE_THE_MOVE = ("cohorts", "0003_merge_0002_cohort_features_0002_rooms")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return executor


@pytest.mark.django_db(transaction=True)
def test_rooms_and_messages_written_before_the_move_are_read_through_the_rooms_app():
    cohort = make_cohort()
    learner = add_learner(cohort)
    facilitator = cohort.created_by
    Room.objects.filter(cohort=cohort).delete()  # written below as it was before the move
    leaf_nodes = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        executor = _migrate([LAST_BEFORE_THE_MOVE, ("rooms", None)])
        old = executor.loader.project_state(LAST_BEFORE_THE_MOVE).apps
        room_type = ContentType.objects.get(app_label="cohorts", model="room")
        permission_ids = set(Permission.objects.filter(content_type=room_type).values_list("pk", flat=True))
        assert permission_ids, "the permissions of rooms follow their content type back to cohorts"

        OldRoom, OldMessage = old.get_model("cohorts", "Room"), old.get_model("cohorts", "Message")
        room = OldRoom.objects.create(kind="cohort", cohort_id=cohort.pk, name=cohort.name, last_message_seq=2)
        first = OldMessage.objects.create(
            room=room, seq=1, author_id=facilitator.pk, client_id="a", body="Bonjour", html="<p>Bonjour</p>"
        )
        second = OldMessage.objects.create(
            room=room, seq=2, author_id=learner.pk, client_id="b", body="@Claire merci", html="<p>merci</p>",
            reply_to=first,
        )
        old.get_model("cohorts", "MessageRevision").objects.create(message=first, body="Bonjou", html="<p>Bonjou</p>")
        old.get_model("cohorts", "Reaction").objects.create(message=first, user_id=learner.pk, emoji="👍")
        old.get_model("cohorts", "Mention").objects.create(message=second, user_id=facilitator.pk)
        old.get_model("cohorts", "ReadMarker").objects.create(room=room, user_id=learner.pk, last_read_seq=2)
        old.get_model("cohorts", "Notification").objects.create(
            user_id=facilitator.pk, kind="mention", room=room, message=second
        )
        old.get_model("cohorts", "MessageReport").objects.create(message=second, reporter_id=facilitator.pk)
    finally:
        _migrate(leaf_nodes)

    room = Room.objects.get(cohort=cohort, kind=Room.Kind.COHORT)
    messages = room_messages_after(room=room, after=0)
    assert [(m.seq, m.author_id, m.body) for m in messages] == [
        (1, facilitator.pk, "Bonjour"), (2, learner.pk, "@Claire merci")
    ]
    assert messages[1].reply_to_id == messages[0].pk
    assert [r.emoji for r in messages[0].reactions.all()] == ["👍"]
    assert messages[0].revisions.get().body == "Bonjou"
    assert messages[1].mentions.get().user_id == facilitator.pk
    assert messages[1].reports.get().reporter_id == facilitator.pk
    assert ReadMarker.objects.get(room=room, user=learner).last_read_seq == 2
    assert Notification.objects.get(user=facilitator).message_id == messages[1].pk
    assert room_access(user=learner, room=room).can_write
    assert Message.objects.count() == 2

    moved = ContentType.objects.get_for_model(Room)
    assert (moved.pk, moved.app_label) == (room_type.pk, "rooms")
    assert not ContentType.objects.filter(app_label="cohorts", model="room").exists()
    assert set(Permission.objects.filter(content_type=moved).values_list("pk", flat=True)) == permission_ids
