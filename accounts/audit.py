"""The security audit log: one function writes every explicit event (`audit_record`).

Services call it in one line, at the point where the thing happened:

    audit_record(SecurityEvent.Kind.MESSAGE_HIDDEN, actor=user, target=room, seq=seq)

Who (the actor), what (the kind, the target as "app_label.model" and primary key, a few details),
when (UTC) and from where (the request's address, taken from the request being served when the
service is not given one). Every value written is cleaned here: control characters (newlines
included) are shown escaped, so user input can never make one entry look like two, and keys that
could carry a secret or a person's words are refused. Changes to roles and memberships are
recorded by django-auditlog (accounts/apps.py registers the models); `manage.py audit_purge`
deletes both past AUDIT_RETENTION_DAYS. See docs/security.md, "Audit log".
"""

from __future__ import annotations

import ipaddress
import json
import logging
import unicodedata
from contextvars import ContextVar
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import SecurityEvent

logger = logging.getLogger("passerelles.audit")

# The request being served, so that a service called from a view records its address without
# being handed the request (set by accounts.middleware.AuditMiddleware).
current_request: ContextVar = ContextVar("audit_current_request", default=None)

MAX_TEXT = 200
# Never stored, whatever a caller passes: these would put a secret or someone's words in the log.
FORBIDDEN_KEYS = frozenset({"password", "token", "key", "secret", "code", "session", "sessionid", "body", "text", "html", "reason"})


def clean_text(value: object) -> str:
    """`value` as one short line: control and line-separator characters escaped (\\n, \\x1b…)."""
    out = []
    for char in str(value)[:MAX_TEXT]:
        if unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}:
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)[:MAX_TEXT]


def _clean_value(value):
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set):
        return [_clean_value(item) for item in list(value)[:20]]
    return clean_text(value)


def client_address(request) -> str | None:
    """The address a request came from: REMOTE_ADDR, or, when that is one of TRUSTED_PROXIES,
    the last X-Forwarded-For entry (the one our reverse proxy appended; earlier ones are the
    client's say-so). The one way the audit log and django-auditlog read it."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or ""
    if address in settings.TRUSTED_PROXIES:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            address = forwarded[-1]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def audit_socket_bind(scope) -> None:
    """For a WebSocket connection: what services record for it (moderation, rate limits) names its
    user and address as for a request. Call once in the consumer's `connect`; the value lives in the
    connection's task, which runs every later handler of that socket."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    client = scope.get("client") or ("", 0)
    meta = {"REMOTE_ADDR": client[0] or "", "HTTP_X_FORWARDED_FOR": headers.get("x-forwarded-for", "")}
    current_request.set(SimpleNamespace(META=meta, user=scope.get("user")))


def _target(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, models.Model):
        return target._meta.label_lower, str(target.pk)
    kind, pk = target
    return clean_text(kind)[:60], clean_text(pk)[:40]


def audit_record(kind: str, *, actor=None, target=None, request=None, **details) -> SecurityEvent:
    """Store one security event (and log it as one JSON line). `actor` defaults to the user of the
    request being served; `target` is a model instance or a (type, id) pair; `details` are short
    facts (ids, counts, names of things), never secrets or anyone's words."""
    if kind not in SecurityEvent.Kind.values:
        raise ValueError(f"Unknown audit event kind: {kind!r}")
    refused = FORBIDDEN_KEYS.intersection(key.lower() for key in details)
    if refused:
        raise ValueError(f"Audit details may not hold {sorted(refused)}")
    request = request if request is not None else current_request.get()
    if actor is None and request is not None:
        actor = getattr(request, "user", None)  # the person whose request this is, when a service does not say
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    target_type, target_id = _target(target)
    event = SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        address=client_address(request),
        details={clean_text(key)[:40]: _clean_value(value) for key, value in details.items()},
        created_at=timezone.now(),
    )
    logger.info(
        "%s",
        json.dumps(
            {"kind": kind, "actor": event.actor_id, "target": f"{target_type}:{target_id}", "address": event.address, **event.details},
            ensure_ascii=True,
            default=str,
        ),
    )
    return event


def audit_purge(*, days: int | None = None) -> tuple[int, int]:
    """Delete security events and django-auditlog entries older than `days` (AUDIT_RETENTION_DAYS);
    return how many of each."""
    from auditlog.models import LogEntry

    days = settings.AUDIT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    events, _ = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    entries, _ = LogEntry.objects.filter(timestamp__lt=cutoff).delete()
    return events, entries


def audit_actor_forget(user) -> None:
    """django-auditlog keeps the actor's e-mail beside each change: an erased person's goes. The
    entries themselves stay (who changed what, by account number) until AUDIT_RETENTION_DAYS.
    Called by accounts' `user_erase` hook and again once erasure has cleared the person's roles,
    which auditlog records with the e-mail the request started with."""
    from auditlog.models import LogEntry

    LogEntry.objects.filter(actor=user).update(actor_email=None)
