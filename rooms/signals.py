"""Rooms follow the rows of cohorts: open sockets re-check their access when who may read a room
changes. Membership rows change through services, the Django admin and cascades (groups
re-formed, accounts erased); listening to the rows themselves covers every path."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import User
from cohorts.models import Cohort, CohortMembership, CommunityMembership, GroupMembership
from rooms.models import Room
from rooms import events

# --- Open sockets follow every change of who may read a room ---------------------------------


@receiver(post_save, sender=Cohort, dispatch_uid="rooms_access_cohort_saved")
def cohort_saved(sender, instance, created, **kwargs):
    # A closed cohort's rooms become read-only: their sockets close (docs/realtime.md).
    if not created:
        events.access_changed(room_ids=Room.objects.filter(cohort=instance).values_list("pk", flat=True))


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
