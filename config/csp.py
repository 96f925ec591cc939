"""The Content Security Policy of every response (django-csp 4.0), and where browsers report violations.

Two policies, both in settings:

- `CONTENT_SECURITY_POLICY` for every page of the site: scripts and styles from our own static
  files only (no 'unsafe-inline', no 'unsafe-eval'), WebSockets to our own host for the rooms.
- `CONTENT_SECURITY_POLICY_ADMIN` for the Wagtail admin only (under `/admin/`): Wagtail's
  interface writes inline styles and scripts, so its looser needs stay confined to that path.

`PolicyMiddleware` picks one, then adds the WebSocket origin of the requested host (the same-origin
`ws:`/`wss:` URL that rooms.js opens; CSP Level 3 lets 'self' cover it, older browsers do not).
A view may still set its own policy with django-csp's decorators (`@csp_update`, `@csp_replace`).

`csp_report` receives the reports (`report-uri` and the Reporting API's `report-to`), logs each
violation through the `config.csp` logger, at most `CSP_REPORTS_PER_MINUTE` per address (counted in
the cache; if the cache is down, reports are logged without counting: never an error page), and
ignores bodies over `CSP_REPORT_MAX_BYTES`. docs/security.md explains the choices.
"""

import json
import logging
import time
from functools import lru_cache

from allauth.account.adapter import get_adapter
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost, PermissionDenied
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)

REPORT_CONTENT_TYPES = ("application/csp-report", "application/reports+json", "application/json")
# Fields of a report worth a log line; the rest (the page's whole URL with its query, a sample of
# the script) stays out of the logs.
REPORT_FIELDS = (
    "document-uri", "documentURL", "violated-directive", "effectiveDirective", "effective-directive",
    "blocked-uri", "blockedURL", "source-file", "sourceFile", "line-number", "lineNumber", "disposition",
)


@lru_cache(maxsize=1)
def admin_path() -> str:
    """Where the Wagtail admin is mounted (config/urls.py): "/admin/"."""
    return reverse("wagtailadmin_home")


class PolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the admin's own policy under the admin path and the host's
    WebSocket origin in connect-src."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if "Content-Security-Policy" in response and "Reporting-Endpoints" not in response:
            response["Reporting-Endpoints"] = f'csp="{settings.CSP_REPORT_URL}"'  # the `report-to csp` group
        return response

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only:
            return parts
        if parts.config is None and request.path_info.startswith(admin_path()):
            parts.config = settings.CONTENT_SECURITY_POLICY_ADMIN["DIRECTIVES"]
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        scheme = "wss" if request.is_secure() else "ws"
        parts.update = {**(parts.update or {}), "connect-src": [f"{scheme}://{host}"]}
        return parts


def _client_address(request) -> str:
    """The address allauth's rate limits count (behind a proxy: ALLAUTH_TRUSTED_PROXY_COUNT)."""
    try:
        return get_adapter().get_client_ip(request)
    except PermissionDenied:
        return "unknown"


def report_allowed(request) -> bool:
    """At most CSP_REPORTS_PER_MINUTE reports per address and minute, counted in the cache."""
    key = f"csp:reports:{_client_address(request)}:{int(time.time() // 60)}"
    try:
        cache.add(key, 0, 120)
        return cache.incr(key) <= settings.CSP_REPORTS_PER_MINUTE
    except Exception:  # noqa: BLE001 — the cache is down (config/cache.py): log without counting
        return True


def _violations(body: dict | list) -> list[dict]:
    """The violations in a `report-uri` body ({"csp-report": {...}}) or a Reporting API batch
    ([{"type": "csp-violation", "body": {...}}, ...])."""
    if isinstance(body, dict) and isinstance(body.get("csp-report"), dict):
        return [body["csp-report"]]
    if isinstance(body, list):
        return [item["body"] for item in body[:20]
                if isinstance(item, dict) and item.get("type") == "csp-violation" and isinstance(item.get("body"), dict)]
    return []


def _clean(value) -> str:
    """One field of a report as a short single line: a newline in a report cannot forge a log entry."""
    return " ".join(str(value).split())[:300]


@csrf_exempt  # browsers send reports without a CSRF token; nothing is written but a log line
@require_POST
def csp_report(request):
    """Log each violation a browser reports; always 204, whatever arrives."""
    limit = settings.CSP_REPORT_MAX_BYTES
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > limit or request.content_type not in REPORT_CONTENT_TYPES:
        return HttpResponse(status=204)
    raw = request.read(limit + 1)  # a body sent without a length is cut here, never read whole
    if len(raw) > limit or not report_allowed(request):
        return HttpResponse(status=204)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return HttpResponse(status=204)
    for violation in _violations(body):
        fields = " ".join(f"{name}={_clean(violation[name])}" for name in REPORT_FIELDS if violation.get(name))
        logger.warning("CSP violation from %s: %s", _client_address(request), fields)
    return HttpResponse(status=204)
