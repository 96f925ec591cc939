"""Finish an invitation kept in the session once the invited person has signed up or logged in."""

from allauth.account.signals import user_logged_in, user_signed_up
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils.translation import gettext as _

from cohorts import services


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
