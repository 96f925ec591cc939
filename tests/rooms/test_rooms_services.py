"""Room services and selectors: the rules, tested directly."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.choices import Profession
from cohorts.models import CohortMembership
from rooms.models import Mention, Message, MessageRevision, Notification
from rooms.selectors import (
    cohort_room_insights,
    room_access,
    room_insights,
    room_list_for_user,
    room_messages_after,
    room_messages_before,
)
from rooms.services import (
    RoomError,
    message_delete,
    message_edit,
    message_hide,
    message_pin,
    message_post,
    message_report,
    read_marker_set,
)
from tests.factories import make_user
from tests.rooms.factories import (
    add_member,
    add_to_community,
    add_to_group,
    make_cohort,
    make_cohort_room,
    make_community_room,
    make_group_room,
    make_room_with_members,
    post,
)

pytestmark = pytest.mark.django_db


def test_messages_get_increasing_ids_within_their_room_only():
    room, _fac, (alice, bob) = make_room_with_members()
    other, _f, (carol, _d) = make_room_with_members()
    seqs = [post(room, alice).seq, post(room, bob).seq, post(other, carol).seq, post(room, alice).seq]
    assert seqs == [1, 2, 1, 3]
    room.refresh_from_db()
    assert room.last_message_seq == 3


def test_retry_with_same_client_id_returns_same_message_and_stores_nothing_new():
    room, _fac, (alice, _bob) = make_room_with_members()
    first, created = message_post(room=room, author=alice, client_id="c-1", body="Première")
    again, created_again = message_post(room=room, author=alice, client_id="c-1", body="Première")
    assert created and not created_again
    assert again.pk == first.pk and again.seq == first.seq
    assert Message.objects.count() == 1
    room.refresh_from_db()
    assert room.last_message_seq == 1


def test_database_refuses_a_second_message_with_the_same_client_id():
    room, _fac, (alice, _bob) = make_room_with_members()
    message = post(room, alice, client_id="dup")
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(room=room, seq=99, author=alice, client_id="dup", body="x", html="x")
    assert Message.objects.filter(pk=message.pk).exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \n ", "empty"), ("x" * 4001, "too_long"), (None, "invalid"), (12, "invalid")],
)
def test_bad_message_bodies_are_refused_with_a_clear_code_and_store_nothing(body, code):
    room, _fac, (alice, _bob) = make_room_with_members()
    with pytest.raises(RoomError) as error:
        message_post(room=room, author=alice, client_id="c-1", body=body)
    assert error.value.code == code and str(error.value.message)
    assert Message.objects.count() == 0
    room.refresh_from_db()
    assert room.last_message_seq == 0


def test_a_message_of_exactly_4000_characters_is_accepted():
    room, _fac, (alice, _bob) = make_room_with_members()
    assert len(post(room, alice, "é" * 4000).body) == 4000


def test_reply_to_a_message_of_another_room_is_refused():
    room, _fac, (alice, _bob) = make_room_with_members()
    other, _f, (carol, _d) = make_room_with_members()
    foreign = post(other, carol)
    post(other, carol)
    with pytest.raises(RoomError) as error:
        message_post(room=room, author=alice, client_id="r", body="réponse", reply_to=foreign.seq)
    assert error.value.code == "reply_not_found"
    assert Message.objects.filter(room=room).count() == 0


def test_rate_limit_refuses_the_eleventh_message_in_ten_seconds(settings):
    settings.ROOMS_RATE_LIMIT_SECONDS = 3600  # one fixed window for the whole test
    room, _fac, (alice, bob) = make_room_with_members()
    for i in range(10):
        post(room, alice, f"message {i}")
    with pytest.raises(RoomError) as error:
        post(room, alice, "un de trop")
    assert error.value.code == "rate_limited"
    assert Message.objects.filter(author=alice).count() == 10
    post(room, bob, "Bob n'est pas limité")  # the limit is per user


def test_membership_rule_for_each_kind_of_room():
    cohort = make_cohort()
    learner = add_member(cohort)
    pending = add_member(cohort, status=CohortMembership.Status.PENDING)
    facilitator = add_member(cohort, role=CohortMembership.Role.FACILITATOR)
    outsider = make_user()
    cohort_room = make_cohort_room(cohort=cohort)
    group, group_room = make_group_room(cohort=cohort)
    grouped = add_member(cohort)
    add_to_group(group, grouped)
    community, community_room = make_community_room()
    add_to_community(community, learner)
    add_to_community(community, outsider, role="moderator")

    def can(user, room):
        access = room_access(user=user, room=room)
        return access.can_read, access.can_moderate

    assert can(learner, cohort_room) == (True, False)
    assert can(pending, cohort_room) == (False, False)
    assert can(outsider, cohort_room) == (False, False)
    assert can(facilitator, cohort_room) == (True, True)
    assert can(learner, group_room) == (False, False)
    assert can(grouped, group_room) == (True, False)
    assert can(facilitator, group_room) == (True, True)
    assert can(learner, community_room) == (True, False)
    assert can(outsider, community_room) == (True, True)
    assert can(grouped, community_room) == (False, False)
    assert can(make_user(is_superuser=True), group_room) == (True, True)


def test_edit_keeps_history_and_only_the_author_may_edit_or_delete():
    room, _fac, (alice, bob) = make_room_with_members()
    message = post(room, alice, "Version 1")
    with pytest.raises(RoomError):
        message_edit(room=room, seq=message.seq, user=bob, body="piraté")
    message_edit(room=room, seq=message.seq, user=alice, body="Version **2**")
    message.refresh_from_db()
    assert message.body == "Version **2**" and "<strong>2</strong>" in message.html and message.edited_at
    assert list(MessageRevision.objects.values_list("body", flat=True)) == ["Version 1"]
    with pytest.raises(RoomError):
        message_delete(room=room, seq=message.seq, user=bob)
    message_delete(room=room, seq=message.seq, user=alice)
    message.refresh_from_db()
    assert message.deleted_at and message.body == "" and message.html == ""
    assert Message.objects.filter(room=room).count() == 1  # a tombstone, not a hole


def test_only_moderators_hide_restore_and_pin():
    room, facilitator, (alice, bob) = make_room_with_members()
    message = post(room, alice)
    for action in (message_hide, message_pin):
        with pytest.raises(RoomError) as error:
            action(room=room, seq=message.seq, user=bob)
        assert error.value.code == "forbidden"
    message.refresh_from_db()
    assert message.hidden_at is None and message.pinned_at is None
    message_hide(room=room, seq=message.seq, user=facilitator)
    message_pin(room=room, seq=message.seq, user=facilitator)
    message.refresh_from_db()
    assert message.hidden_at and message.pinned_at and message.hidden_by == facilitator
    message_hide(room=room, seq=message.seq, user=facilitator, hidden=False)
    message.refresh_from_db()
    assert message.hidden_at is None


def test_report_notifies_moderators_once():
    room, facilitator, (alice, bob) = make_room_with_members()
    message = post(room, alice)
    message_report(room=room, seq=message.seq, user=bob, reason="Propos blessants")
    message_report(room=room, seq=message.seq, user=bob, reason="encore")
    assert list(Notification.objects.filter(kind="report").values_list("user", flat=True)) == [facilitator.pk]


def test_mention_of_a_member_notifies_them_and_emails_them_when_offline(django_capture_on_commit_callbacks):
    room, _fac, (alice, bob) = make_room_with_members()
    outsider = make_user(first_name="Paul", last_name="Dehors")
    with django_capture_on_commit_callbacks(execute=True):
        message = post(room, alice, f"@{bob.display_name} et @{outsider.display_name}, votre avis ?")
    assert list(Mention.objects.values_list("user", flat=True)) == [bob.pk]
    assert f"<strong>@{bob.display_name}</strong>" in message.html
    assert Notification.objects.get(kind="mention").user == bob
    assert [m.to for m in mail.outbox] == [[bob.email]]


def test_mention_of_an_online_member_sends_no_email(django_capture_on_commit_callbacks):
    from rooms.presence import presence_touch

    room, _fac, (alice, bob) = make_room_with_members()
    presence_touch(room_id=room.pk, user_id=bob.pk, name=bob.display_name, channel_name="chan-1")
    with django_capture_on_commit_callbacks(execute=True):
        post(room, alice, f"@{bob.display_name} tu es là ?")
    assert Notification.objects.filter(user=bob).count() == 1
    assert mail.outbox == []


def test_unread_counts_leave_out_deleted_and_hidden_messages_and_count_those_of_erased_authors():
    from django.utils import timezone

    room, facilitator, (alice, bob) = make_room_with_members()
    kept, deleted, hidden, orphan = (post(room, alice, f"m{i}") for i in range(4))
    Message.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    Message.objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    Message.objects.filter(pk=orphan.pk).update(author=None)  # what erasing an account leaves
    assert {r.pk: r.unread for r in room_list_for_user(user=bob)} == {room.pk: 2}
    assert {r.pk: r.unread for r in room_list_for_user(user=alice)} == {room.pk: 0}  # her marker moved as she posted


def test_unread_counts_follow_read_markers(django_assert_max_num_queries):
    room, facilitator, (alice, bob) = make_room_with_members()
    second = make_cohort_room()
    for i in range(3):
        post(room, alice, f"m{i}")
    post(room, bob, "mon message")
    with django_assert_max_num_queries(2):  # bob's memberships (read once per request), then the rooms
        counts = {r.pk: r.unread for r in room_list_for_user(user=bob)}
    assert counts == {room.pk: 0}  # posting moves one's own marker
    counts = {r.pk: r.unread for r in room_list_for_user(user=facilitator)}
    assert counts == {room.pk: 4}
    read_marker_set(room=room, user=facilitator, seq=2)
    read_marker_set(room=room, user=facilitator, seq=1)  # never backwards
    assert {r.pk: r.unread for r in room_list_for_user(user=facilitator)}[room.pk] == 2
    assert second.pk not in {r.pk for r in room_list_for_user(user=alice)}


def test_history_pages_backwards_and_resume_reads_forwards():
    room, _fac, (alice, _bob) = make_room_with_members()
    for i in range(7):
        Message.objects.create(room=room, seq=i + 1, author=alice, client_id=f"c{i}", body=str(i), html=str(i))
    assert [m.seq for m in room_messages_before(room=room, limit=3)] == [5, 6, 7]
    assert [m.seq for m in room_messages_before(room=room, before=5, limit=3)] == [2, 3, 4]
    assert [m.seq for m in room_messages_after(room=room, after=4)] == [5, 6, 7]


def test_insights_count_professions_and_cross_profession_replies():
    cohort = make_cohort()
    room = make_cohort_room(cohort=cohort)
    director = add_member(cohort, profession=Profession.DIRECTOR)
    physician = add_member(cohort, profession=Profession.PHYSICIAN)
    nurse = add_member(cohort, profession=Profession.NURSE)
    first = post(room, director, "Comment organiser le parcours ?")
    post(room, physician, "Par pôle", reply_to=first.seq)
    post(room, nurse, "Avec les cadres", reply_to=first.seq)
    second_nurse = add_member(cohort, profession=Profession.NURSE)
    nurse_msg = Message.objects.get(author=nurse)
    post(room, second_nurse, "D'accord", reply_to=nurse_msg.seq)
    post(room, director, "Je me réponds", reply_to=first.seq)  # self-replies are not answers
    group, group_room = make_group_room(cohort=cohort)
    add_to_group(group, physician)
    post(group_room, physician, "Dans le groupe", reply_to=None)
    insights = room_insights(room=room)
    assert insights.by_profession == {"director": 2, "physician": 1, "nurse": 2}
    assert insights.replies == 3 and insights.cross_replies == 2
    assert insights.matrix == {"physician": {"director": 1}, "nurse": {"director": 1, "nurse": 1}}
    assert cohort_room_insights(cohort_id=cohort.pk).by_profession["physician"] == 2
