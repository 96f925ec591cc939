"""A learner's data: everything the platform holds about them, and its erasure (GDPR art. 15, 17, 20).

See docs/privacy.md. Other apps add their part through the `user_data_export` and
`user_erase` hooks (who registers them: docs/architecture.md).
"""

from __future__ import annotations

import datetime
import io
import json
import uuid
import zipfile

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy
from wagtail import hooks

from accounts.audit import audit_actor_forget, audit_record
from accounts.models import SecurityEvent
from config.sanitize import clean_html

from lms.models import (
    Certificate,
    DecisionAnswer,
    DpcAttestation,
    Enrolment,
    ModuleFeedback,
    PageCompletion,
    QuizAttempt,
    Reflection,
    ReflectionComment,
    SelfAssessment,
    Worksheet,
)

EXPORT_HOOK = "user_data_export"
ERASE_HOOK = "user_erase"
ERASED_EMAIL_DOMAIN = "deleted.invalid"
FORMER_PARTICIPANT = gettext_lazy("Ancien·ne participant·e")
EXPORT_JSON_NAME = "passerelles-mes-donnees.json"
EXPORT_HTML_NAME = "passerelles-mes-donnees.html"


def _dt(value) -> str | None:
    return value.isoformat() if value else None


def user_data_export(*, user) -> dict:
    """Profile and every learning record of `user`, plus what other apps add through the hook."""
    profile_fields = [
        "email", "first_name", "last_name", "profession", "level", "organisation", "region", "language",
        "rpps", "bio", "interests", "in_directory", "share_organisation", "share_level", "share_region",
        "share_interests",
    ]
    data: dict = {
        "format": "passerelles-user-export/1",
        "profile": {name: getattr(user, name) for name in profile_fields}
        | {"date_joined": _dt(user.date_joined), "last_login": _dt(user.last_login)},
        "enrolments": [
            {
                "programme_id": e.programme_id, "programme": e.programme.title, "source": e.source, "status": e.status,
                "enrolled_at": _dt(e.enrolled_at), "left_at": _dt(e.left_at), "completed_at": _dt(e.completed_at),
            }
            for e in Enrolment.objects.filter(user=user).select_related("programme")
        ],
        "completed_pages": [
            {"page_id": c.page_id, "programme_id": c.programme_id, "reason": c.reason, "completed_at": _dt(c.completed_at)}
            for c in PageCompletion.objects.filter(user=user)
        ],
        "decision_answers": [
            {"page_id": a.page_id, "block_id": a.block_id, "option_id": a.option_id, "rationale": a.rationale,
             "profession": a.profession, "submitted_at": _dt(a.submitted_at)}
            for a in DecisionAnswer.objects.filter(user=user)
        ],
        "reflections": [
            {
                "page_id": r.page_id, "block_id": r.block_id, "draft_html": r.draft_html,
                "draft_saved_at": _dt(r.draft_saved_at),
                "versions": [
                    {"number": v.number, "body_html": v.body_html, "submitted_at": _dt(v.submitted_at)}
                    for v in r.versions.all()
                ],
                "comments": [
                    {"author": c.author.display_name if c.author else None, "body_html": c.body_html,
                     "created_at": _dt(c.created_at)}
                    for c in r.comments.all()
                ],
            }
            for r in Reflection.objects.filter(user=user).prefetch_related("versions", "comments__author")
        ],
        "comments_written": [
            {"reflection_id": c.reflection_id, "body_html": c.body_html, "created_at": _dt(c.created_at)}
            for c in ReflectionComment.objects.filter(author=user)
        ],
        "quiz_attempts": [
            {"page_id": q.page_id, "number": q.number, "answers": q.answers, "score": q.score, "passed": q.passed,
             "submitted_at": _dt(q.submitted_at)}
            for q in QuizAttempt.objects.filter(user=user)
        ],
        "worksheets": [
            {"page_id": w.page_id, "block_id": w.block_id, "template_kind": w.template_kind, "title": w.title,
             "data": w.data, "updated_at": _dt(w.updated_at)}
            for w in Worksheet.objects.filter(user=user)
        ],
        "certificates": [
            {"code": c.code, "programme": c.programme_title, "hours": str(c.hours), "learner_name": c.learner_name,
             "rpps": c.rpps, "cohort": c.cohort_name, "started_on": c.started_on.isoformat(),
             "completed_on": c.completed_on.isoformat(), "issued_at": _dt(c.issued_at)}
            for c in Certificate.objects.filter(user=user)
        ],
        "dpc_attestations": [
            {"code": a.code, "certificate": a.certificate.code, "online_hours": str(a.online_hours),
             "live_hours": str(a.live_hours), "issued_at": _dt(a.issued_at)}
            for a in DpcAttestation.objects.filter(certificate__user=user).select_related("certificate")
        ],
        "module_feedback": [
            {"module_id": f.module_id, "usefulness": f.usefulness, "relevance": f.relevance,
             "change_text": f.change_text, "comment": f.comment, "submitted_at": _dt(f.submitted_at)}
            for f in ModuleFeedback.objects.filter(user=user)
        ],
        "self_assessments": [
            {"programme_id": a.programme_id, "moment": a.moment, "levels": a.levels, "profession": a.profession,
             "submitted_at": _dt(a.submitted_at)}
            for a in SelfAssessment.objects.filter(user=user)
        ],
    }
    for fn in hooks.get_hooks(EXPORT_HOOK):
        extra = fn(user) or {}
        for key, value in extra.items():
            data[key] = value
    audit_record(SecurityEvent.Kind.DATA_EXPORTED, actor=user, target=user, export="personal_data")
    return data


# Titles of the sections of the readable page, for every key the export holds (lms and the hooks of
# the other apps); a key without a title is shown as it is named.
SECTION_TITLES = {
    "profile": gettext_lazy("Profil"),
    "email_addresses": gettext_lazy("Adresses e-mail"),
    "enrolments": gettext_lazy("Inscriptions aux programmes"),
    "completed_pages": gettext_lazy("Pages terminées"),
    "decision_answers": gettext_lazy("Réponses aux points de décision"),
    "reflections": gettext_lazy("Réflexions"),
    "comments_written": gettext_lazy("Commentaires écrits"),
    "quiz_attempts": gettext_lazy("Tentatives de quiz"),
    "worksheets": gettext_lazy("Fiches"),
    "certificates": gettext_lazy("Attestations"),
    "dpc_attestations": gettext_lazy("Attestations de participation DPC"),
    "self_assessments": gettext_lazy("Auto-positionnements sur les compétences"),
    "module_feedback": gettext_lazy("Avis de fin de module"),
    "case_perspectives": gettext_lazy("Perspectives choisies dans les cas"),
    "cohorts": gettext_lazy("Promotions"),
    "groups": gettext_lazy("Groupes"),
    "communities": gettext_lazy("Communautés"),
    "invitations": gettext_lazy("Invitations reçues"),
    "community_invitations": gettext_lazy("Invitations aux communautés"),
    "announcements": gettext_lazy("Annonces écrites"),
    "messages": gettext_lazy("Messages dans les salons"),
    "reactions": gettext_lazy("Réactions"),
    "mentions": gettext_lazy("Messages qui vous mentionnent"),
    "reports": gettext_lazy("Signalements"),
    "notifications": gettext_lazy("Notifications"),
    "read_markers": gettext_lazy("Lecture des salons"),
}


def _json_default(value):
    return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else str(value)


def _label(key) -> str:
    return str(SECTION_TITLES.get(key) or str(key).replace("__", " · ").replace("_", " "))


def _node(value, key: str = "") -> dict:
    """One value of the export as the readable page shows it (templates/lms/export/node.html)."""
    if isinstance(value, dict):
        return {"kind": "mapping", "entries": [(_label(k), _node(v, str(k))) for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(item, dict) for item in value):
            columns = list(dict.fromkeys(k for item in value for k in item))
            return {
                "kind": "table",
                "columns": [_label(c) for c in columns],
                "rows": [[_node(item.get(c), str(c)) for c in columns] for item in value],
            }
        return {"kind": "list", "entries": [_node(item, key) for item in value]}
    if value is None or value == "":
        return {"kind": "empty"}
    if isinstance(value, bool):
        return {"kind": "text", "text": gettext("oui") if value else gettext("non")}
    if isinstance(value, datetime.datetime):
        return {"kind": "text", "text": formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")}
    if isinstance(value, datetime.date):
        return {"kind": "text", "text": formats.date_format(value, "DATE_FORMAT")}
    if key.endswith("_html"):
        return {"kind": "html", "html": clean_html(str(value))}
    return {"kind": "text", "text": str(value)}


def user_data_archive(*, user) -> bytes:
    """The download of "Mes données": a ZIP holding the export as JSON (for machines) and as one
    readable HTML page with no script, style or outside link (for the person)."""
    data = user_data_export(user=user)
    sections = [
        {"key": key, "title": _label(key), "node": _node(value, key)}
        for key, value in data.items() if key != "format"
    ]
    page = render_to_string(
        "lms/export/page.html", {"sections": sections, "generated_at": timezone.now(), "format": data["format"]}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(EXPORT_JSON_NAME, json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))
        archive.writestr(EXPORT_HTML_NAME, page)
    return buffer.getvalue()


def is_erased(user) -> bool:
    """Whether the account is the tombstone of an erased person (rooms show its messages as
    "Ancien·ne participant·e", in each reader's language)."""
    return (user.email or "").endswith("@" + ERASED_EMAIL_DOMAIN)


@transaction.atomic
def account_erase(*, user) -> None:
    """Remove the person, keep the conversation and the anonymous statistics.

    The user row stays as an anonymous tombstone (no name, no e-mail, no profile, cannot log
    in) so that room messages keep their author as "former participant" and cohort figures
    keep their counts. Personal texts (rationales, reflections, worksheets, certificates) are
    deleted; what a decision-point choice says about the cohort (option, profession) is kept.
    """
    audit_record(SecurityEvent.Kind.ACCOUNT_ERASED, target=user)  # actor: whoever's request this is
    for fn in hooks.get_hooks(ERASE_HOOK):
        fn(user)
    DecisionAnswer.objects.filter(user=user).update(rationale="")
    Reflection.objects.filter(user=user).delete()  # with versions and comments on them
    ReflectionComment.objects.filter(author=user).update(author=None)
    Worksheet.objects.filter(user=user).delete()
    Certificate.objects.filter(user=user).delete()
    QuizAttempt.objects.filter(user=user).update(answers={})
    ModuleFeedback.objects.filter(user=user).update(change_text="", comment="")  # the ratings stay, anonymous
    Enrolment.objects.filter(user=user).update(last_page=None, last_visited_at=None)

    user.email = f"former-{uuid.uuid4().hex}@{ERASED_EMAIL_DOMAIN}"
    for name in ["first_name", "last_name", "organisation", "region", "rpps", "bio", "interests", "profession", "level"]:
        setattr(user, name, "")
    # Every place that names an author (room messages, comments) now reads "Ancien·ne participant·e".
    user.first_name = str(FORMER_PARTICIPANT)
    user.in_directory = user.share_organisation = user.share_level = user.share_region = user.share_interests = False
    user.is_active = False
    user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.last_login = None
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    audit_actor_forget(user)  # the roles just cleared were logged with the person's e-mail
