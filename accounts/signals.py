"""Audit receivers for what Django, allauth and allauth.mfa announce by signal: sign-in and its
failures, factors added or removed, password and e-mail changes, and role (group) changes, which
come from the Wagtail user editor, the Django admin and services alike."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from accounts.audit import audit_record, current_request
from accounts.mfa import mfa_settled_forget
from accounts.models import SecurityEvent

Kind = SecurityEvent.Kind
User = get_user_model()


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    mfa_settled_forget(request)
    audit_record(Kind.LOGIN, actor=user, target=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(Kind.LOGOUT, actor=user, target=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # The account aimed at, when there is one; the address typed is not kept (it may be anyone's,
    # and an erased person's address must not survive in the log).
    login = str(credentials.get("email") or credentials.get("username") or "")
    target = User.objects.filter(email__iexact=login.strip()).only("pk").first() if login.strip() else None
    audit_record(Kind.LOGIN_FAILED, target=target, request=request, known_account=target is not None)


@receiver(mfa_signals.authentication_failed, dispatch_uid="audit_mfa_failed")
def _mfa_failed(sender, request, user, authenticator, **kwargs):
    audit_record(Kind.MFA_FAILED, actor=user, target=user, request=request, factor=authenticator.type)


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit_mfa_added")
def _mfa_added(sender, request, user, authenticator, **kwargs):
    audit_record(Kind.MFA_ACTIVATED, actor=user, target=user, request=request, factor=authenticator.type)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit_mfa_removed")
def _mfa_removed(sender, request, user, authenticator, **kwargs):
    mfa_settled_forget(request)
    audit_record(Kind.MFA_DEACTIVATED, actor=user, target=user, request=request, factor=authenticator.type)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="audit_mfa_reset")
def _mfa_reset(sender, request, user, authenticator, **kwargs):
    audit_record(Kind.RECOVERY_CODES_GENERATED, actor=user, target=user, request=request, factor=authenticator.type)


@receiver(account_signals.password_changed, dispatch_uid="audit_password_changed")
@receiver(account_signals.password_set, dispatch_uid="audit_password_set")
@receiver(account_signals.password_reset, dispatch_uid="audit_password_reset")
def _password_changed(sender, request, user, **kwargs):
    audit_record(Kind.PASSWORD_CHANGED, actor=user if request.user.is_authenticated else None, target=user, request=request)


@receiver(account_signals.email_added, dispatch_uid="audit_email_added")
@receiver(account_signals.email_removed, dispatch_uid="audit_email_removed")
@receiver(account_signals.email_changed, dispatch_uid="audit_email_changed")
def _email_changed(sender, request, user, signal, **kwargs):
    change = {account_signals.email_added: "added", account_signals.email_removed: "removed"}.get(signal, "primary")
    audit_record(Kind.EMAIL_CHANGED, actor=user, target=user, request=request, change=change)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_role_changed")
def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A role given or taken, from either side (`user.groups.add`, `group.user_set.remove`…)."""
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    change = "added" if action == "post_add" else "removed"
    if reverse:  # instance is the group, pk_set the users (none listed for a clear)
        pairs = [(user, [instance.name]) for user in User.objects.filter(pk__in=pk_set or ())]
    elif action == "pre_clear":
        pairs = [(instance, list(instance.groups.values_list("name", flat=True)))]
    else:
        pairs = [(instance, list(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True)))]
    request = current_request.get()
    for user, names in pairs:
        if names:
            audit_record(Kind.ROLE_CHANGED, actor=getattr(request, "user", None), target=user, change=change, roles=sorted(names))
