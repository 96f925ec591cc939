"""Finish an invitation kept in the session once the invited person has signed up or logged in."""

from allauth.account.signals import user_logged_in, user_signed_up
from django.dispatch import receiver

from cohorts.views import accept_pending_invitation


@receiver(user_signed_up, dispatch_uid="cohorts_invitation_after_signup")
def invitation_after_signup(sender, request, user, **kwargs):
    accept_pending_invitation(request, user)


@receiver(user_logged_in, dispatch_uid="cohorts_invitation_after_login")
def invitation_after_login(sender, request, user, **kwargs):
    accept_pending_invitation(request, user)
