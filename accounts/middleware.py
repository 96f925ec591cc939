"""Accounts middleware: the second factor some roles must have, and the audit log's view of requests."""

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.audit import audit_record, client_address, current_request
from accounts.mfa import mfa_missing
from accounts.models import SecurityEvent


class MFARequiredMiddleware:
    """The one place the MFA requirement is enforced (accounts/mfa.py says who): such a person
    without a factor is sent to the set-up page and may only set up a factor, re-authenticate to do
    so, switch language or sign out. Every other URL, the admin included, redirects there."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed: tuple[str, ...] | None = None

    def allowed_prefixes(self) -> tuple[str, ...]:
        if self._allowed is None:
            self._allowed = (
                reverse("mfa_index"),
                reverse("account_reauthenticate"),
                reverse("account_logout"),
                reverse("set_language"),
                reverse("healthz"),
                settings.STATIC_URL,
            )
        return self._allowed

    def __call__(self, request):
        if (
            settings.PASSERELLES_MFA_REQUIRED
            and request.user.is_authenticated
            and not request.path.startswith(self.allowed_prefixes())
            and mfa_missing(request)
        ):
            messages.warning(
                request,
                _("Votre rôle demande un second facteur de connexion : activez une application d'authentification pour continuer."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class AuditMiddleware:
    """Lets services record the address of the request they serve (`accounts.audit.current_request`),
    and records refusals: 403, 404 of a URL that names an object (not a mistyped page) and 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        status = response.status_code
        if status in (403, 404, 429):
            self._refusal(request, status)
        return response

    def _refusal(self, request, status: int) -> None:
        match = getattr(request, "resolver_match", None)
        if status == 404 and (match is None or not (match.args or match.kwargs) or match.url_name == "wagtail_serve"):
            return
        kind = SecurityEvent.Kind.RATE_LIMITED if status == 429 else SecurityEvent.Kind.ACCESS_REFUSED
        # Only the view's name and its numeric ids: a URL may carry a token (invitations, calendar, password reset).
        ids = {key: value for key, value in (match.kwargs.items() if match else ()) if isinstance(value, int)}
        user = request.user if hasattr(request, "user") else None
        audit_record(kind, actor=user, request=request, status=status, method=request.method, view=match.view_name if match else "", **ids)


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """django-auditlog's middleware, reading the address the way the audit log does (no client-set
    X-Forwarded-For)."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)
