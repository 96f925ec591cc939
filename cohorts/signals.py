"""Finish an invitation kept in the session once the invited person has signed up or logged in; ask
open room sockets to re-check their access when who may read a room changes."""

from allauth.account.signals import user_logged_in, user_signed_up
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts.models import User
from cohorts import events, services
from cohorts.models import Cohort, CohortMembership, CommunityMembership, GroupMembership, Room


@receiver(user_signed_up, dispatch_uid="cohorts_invitation_after_signup")
@receiver(user_logged_in, dispatch_uid="cohorts_invitation_after_login")
def invitation_after_login(sender, request, user, **kwargs):
    """The invitation link was followed before the person had an account: accept it now."""
    token = request.session.pop(services.PENDING_INVITATION_SESSION_KEY, None) if request is not None else None
    if not token:
        return
    try:
        invitation = services.invitation_accept_by_token(token=token, user=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Bienvenue dans la promotion « %(name)s » !") % {"name": invitation.cohort.name})


# --- Open sockets follow every change of who may read a room ---------------------------------
# Membership rows change through services, the Django admin and cascades (groups re-formed,
# accounts erased); listening to the rows themselves covers every path. A new row only grants
# access, so creations are ignored; the sockets concerned re-check and close if access is gone.


@receiver(post_save, sender=CohortMembership, dispatch_uid="cohorts_access_cohort_membership_saved")
@receiver(post_save, sender=GroupMembership, dispatch_uid="cohorts_access_group_membership_saved")
@receiver(post_save, sender=CommunityMembership, dispatch_uid="cohorts_access_community_membership_saved")
def membership_saved(sender, instance, created, **kwargs):
    if not created:
        events.access_changed(user_ids=[instance.user_id])


@receiver(post_delete, sender=CohortMembership, dispatch_uid="cohorts_access_cohort_membership_deleted")
@receiver(post_delete, sender=GroupMembership, dispatch_uid="cohorts_access_group_membership_deleted")
@receiver(post_delete, sender=CommunityMembership, dispatch_uid="cohorts_access_community_membership_deleted")
def membership_deleted(sender, instance, **kwargs):
    events.access_changed(user_ids=[instance.user_id])


@receiver(post_save, sender=Cohort, dispatch_uid="cohorts_access_cohort_saved")
def cohort_saved(sender, instance, created, **kwargs):
    # A closed cohort's rooms become read-only: their sockets close (docs/realtime.md).
    if not created:
        events.access_changed(room_ids=Room.objects.filter(cohort=instance).values_list("pk", flat=True))


@receiver(post_delete, sender=Room, dispatch_uid="cohorts_access_room_deleted")
def room_deleted(sender, instance, **kwargs):
    events.access_changed(room_ids=[instance.pk])


@receiver(post_save, sender=User, dispatch_uid="cohorts_access_user_saved")
def user_saved(sender, instance, created, **kwargs):
    # Deactivated or erased (lms.export.account_erase deactivates): every socket of theirs closes.
    if not created and not instance.is_active:
        events.access_changed(user_ids=[instance.pk])
