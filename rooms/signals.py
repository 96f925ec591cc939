"""Rooms follow the rows of cohorts: a cohort, a group or a community gets its room when it is
created, a renamed cohort renames its room, and open sockets re-check their access when who may
read a room changes.

cohorts knows nothing of rooms (docs/architecture.md): it saves its rows, and these receivers,
connected when the rooms app is ready, do the rest whatever the path — services, the Django
admin, cascades. Raw saves (fixtures) are left alone: what they load is complete already.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from cohorts.models import Cohort, CohortGroup, CohortMembership, Community, CommunityMembership, GroupMembership
from rooms import events, services
from rooms.models import Room

# --- Each cohort, group and community has its room ---------------------------------------------


@receiver(post_save, sender=Cohort, dispatch_uid="rooms_cohort_saved")
def cohort_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    if created:
        services.room_create_for_cohort(cohort=instance)
        return
    services.room_rename_for_cohort(cohort=instance)
    # A closed cohort's rooms become read-only: their sockets close (docs/realtime.md).
    events.access_changed(room_ids=Room.objects.filter(cohort=instance).values_list("pk", flat=True))


@receiver(post_save, sender=CohortGroup, dispatch_uid="rooms_group_saved")
def group_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        services.room_create_for_group(group=instance)


@receiver(post_save, sender=Community, dispatch_uid="rooms_community_saved")
def community_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        services.room_create_for_community(community=instance)


# --- Open sockets follow every change of who may read a room ---------------------------------
# A new membership row only grants access, so creations are ignored; the sockets concerned
# re-check and close if access is gone.


@receiver(post_save, sender=CohortMembership, dispatch_uid="rooms_access_cohort_membership_saved")
@receiver(post_save, sender=GroupMembership, dispatch_uid="rooms_access_group_membership_saved")
@receiver(post_save, sender=CommunityMembership, dispatch_uid="rooms_access_community_membership_saved")
def membership_saved(sender, instance, created, **kwargs):
    if not created:
        events.access_changed(user_ids=[instance.user_id])


@receiver(post_delete, sender=CohortMembership, dispatch_uid="rooms_access_cohort_membership_deleted")
@receiver(post_delete, sender=GroupMembership, dispatch_uid="rooms_access_group_membership_deleted")
@receiver(post_delete, sender=CommunityMembership, dispatch_uid="rooms_access_community_membership_deleted")
def membership_deleted(sender, instance, **kwargs):
    events.access_changed(user_ids=[instance.user_id])


@receiver(post_delete, sender=Room, dispatch_uid="rooms_access_room_deleted")
def room_deleted(sender, instance, **kwargs):
    events.access_changed(room_ids=[instance.pk])


@receiver(post_save, sender=User, dispatch_uid="rooms_access_user_saved")
def user_saved(sender, instance, created, **kwargs):
    # Deactivated or erased (lms.export.account_erase deactivates): every socket of theirs closes.
    if not created and not instance.is_active:
        events.access_changed(user_ids=[instance.pk])
