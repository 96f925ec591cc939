"""PDF certificates and transcripts, drawn with ReportLab (https://docs.reportlab.com/).

Every PDF of the platform starts with the same letterhead (`letterhead`), the live-session summary
(`cohorts.pdf`) included."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from accounts.formats import day

BRAND = colors.HexColor("#0b5e6b")
INK = colors.HexColor("#1c2733")
SOFT = colors.HexColor("#4a5867")


def letterhead(c: canvas.Canvas, *, left: float, right: float, top: float) -> float:
    """The Passerelles letterhead across a page, from `left` to `right`, its name's baseline at
    `top`: the name, what the platform is, a rule. Returns the y below it, where the document's own
    title may start. The one letterhead of every PDF (certificates, DPC attestations, transcripts,
    live-session summaries)."""
    c.setFillColor(BRAND)
    c.setFont("Helvetica-Bold", 13)
    c.drawString(left, top, "Passerelles")
    c.setFillColor(SOFT)
    c.setFont("Helvetica", 9)
    c.drawString(left, top - 5.5 * mm, _("Formation continue des managers du système de santé"))
    c.setStrokeColor(BRAND)
    c.setLineWidth(1.5)
    c.line(left, top - 9 * mm, right, top - 9 * mm)
    c.setFillColor(INK)
    return top - 18 * mm


def document(pagesize, *, title: str, subject: str = "") -> tuple[io.BytesIO, canvas.Canvas]:
    """A new PDF (buffer and canvas) with the metadata every document of the platform carries."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=pagesize)
    c.setTitle(title)
    c.setAuthor("Passerelles")
    if subject:
        c.setSubject(subject)
    return buffer, c


def _hours(value) -> str:
    return formats.number_format(value, decimal_pos=1 if value % 1 else 0)


def _wrap(c: canvas.Canvas, text: str, x: float, y: float, width: float, font: str, size: int, leading: float) -> float:
    """Draw `text` wrapped to `width`; return the y below it."""
    c.setFont(font, size)
    for line in simpleSplit(text, font, size, width):
        c.drawString(x, y, line)
        y -= leading
    return y


def _verification(c: canvas.Canvas, *, issued_at, code: str, url: str, left: float, bottom: float, width: float,
                  step: float) -> None:
    """The lines that let anyone check a document: its issue date, its code and the address to verify
    it at (a link), from `bottom` upwards, `step` apart, in the current font and colour."""
    c.drawString(left, bottom + 2 * step, _("Délivrée le %(date)s") % {"date": day(issued_at)})
    c.drawString(left, bottom + step, _("Code de vérification : %(code)s") % {"code": code})
    c.drawString(left, bottom, _("Vérifier : %(url)s") % {"url": url})
    c.linkURL(url, (left, bottom - 2 * mm, width - left, bottom + 4 * mm))


def certificate_pdf(certificate, *, verify_url: str) -> bytes:
    """One landscape A4 page: who, what, how many hours, when, and how to verify it."""
    width, height = landscape(A4)
    buffer, c = document((width, height), subject=certificate.code,
                         title=_("Attestation de formation — %(title)s") % {"title": certificate.programme_title})
    c.setStrokeColor(BRAND)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    letterhead(c, left=24 * mm, right=width - 24 * mm, top=height - 26 * mm)

    c.setFont("Helvetica-Bold", 26)
    c.drawCentredString(width / 2, height - 55 * mm, _("Attestation de formation"))
    c.setFont("Helvetica", 13)
    c.drawCentredString(width / 2, height - 68 * mm, _("Nous attestons que"))
    c.setFont("Helvetica-Bold", 22)
    c.drawCentredString(width / 2, height - 82 * mm, certificate.learner_name)
    y = height - 90 * mm
    c.setFont("Helvetica", 11)
    if certificate.rpps:
        c.drawCentredString(width / 2, y, _("N° RPPS : %(rpps)s") % {"rpps": certificate.rpps})
        y -= 6 * mm
    c.setFont("Helvetica", 13)
    c.drawCentredString(width / 2, y - 4 * mm, _("a suivi avec succès le programme"))
    c.setFont("Helvetica-Bold", 16)
    c.drawCentredString(width / 2, y - 14 * mm, certificate.programme_title)
    c.setFont("Helvetica", 12)
    period = _("du %(start)s au %(end)s") % {
        "start": day(certificate.started_on),
        "end": day(certificate.completed_on),
    }
    c.drawCentredString(
        width / 2, y - 24 * mm,
        _("%(hours)s heures de formation, %(period)s") % {"hours": _hours(certificate.hours), "period": period},
    )
    y -= 34 * mm
    left = 30 * mm
    text_width = width - 60 * mm
    if certificate.cohort_name:
        y = _wrap(c, _("Promotion : %(name)s") % {"name": certificate.cohort_name}, left, y, text_width, "Helvetica", 11, 14)
    if certificate.competencies:
        y = _wrap(c, _("Compétences travaillées : %(list)s") % {"list": ", ".join(certificate.competencies)},
                  left, y, text_width, "Helvetica", 11, 14)
    if certificate.dpc_action_number:
        parts = [_("Action DPC n° %(n)s") % {"n": certificate.dpc_action_number}]
        if certificate.dpc_action_kind:
            parts.append(certificate.dpc_action_kind)
        if certificate.dpc_organisation_number:
            parts.append(_("organisme n° %(n)s") % {"n": certificate.dpc_organisation_number})
        y = _wrap(c, " — ".join(parts), left, y, text_width, "Helvetica", 11, 14)
        if certificate.dpc_orientation:
            y = _wrap(c, _("Orientation prioritaire : %(o)s") % {"o": certificate.dpc_orientation},
                      left, y, text_width, "Helvetica", 11, 14)

    c.setFillColor(SOFT)
    c.setFont("Helvetica", 10)
    _verification(c, issued_at=certificate.issued_at, code=certificate.code, url=verify_url,
                  left=24 * mm, bottom=18 * mm, width=width, step=6 * mm)
    c.showPage()
    c.save()
    return buffer.getvalue()


def dpc_attestation_pdf(attestation, *, verify_url: str, certificate_verify_url: str) -> bytes:
    """One portrait A4 page a DPC body accepts: the organisation and the action, the participant
    (with their RPPS number when given), the dates, the hours by kind, and how to verify it."""
    certificate = attestation.certificate
    width, height = A4
    buffer, c = document(A4, subject=attestation.code,
                         title=_("Attestation de participation DPC — %(title)s") % {"title": certificate.programme_title})
    letterhead(c, left=20 * mm, right=width - 20 * mm, top=height - 22 * mm)
    y = _wrap(c, _("Attestation de participation à une action de développement professionnel continu (DPC)"),
              20 * mm, height - 50 * mm, width - 40 * mm, "Helvetica-Bold", 16, 20)
    y -= 4 * mm
    y = _wrap(c, _("L'organisme soussigné atteste que la personne ci-dessous a participé à l'action de DPC décrite, "
                   "pour les durées indiquées."), 20 * mm, y, width - 40 * mm, "Helvetica", 10, 13)
    y -= 6 * mm

    not_given = _("non renseigné")
    sections = [
        (_("Organisme et action"), [
            (_("N° d'organisme DPC"), certificate.dpc_organisation_number or not_given),
            (_("N° d'action DPC"), certificate.dpc_action_number),
            (_("Type d'action"), certificate.dpc_action_kind or not_given),
            (_("Orientation prioritaire"), certificate.dpc_orientation or not_given),
            (_("Intitulé"), certificate.programme_title),
        ]),
        (_("Participant·e"), [
            (_("Nom"), certificate.learner_name),
            (_("N° RPPS"), certificate.rpps or not_given),
        ]),
        (_("Participation"), [
            (_("Dates"), _("du %(start)s au %(end)s") % {
                "start": day(certificate.started_on), "end": day(certificate.completed_on)}),
            (_("Heures en ligne"), _("%(h)s h") % {"h": _hours(attestation.online_hours)}),
            (_("Heures de sessions en direct suivies"), _("%(h)s h") % {"h": _hours(attestation.live_hours)}),
            (_("Total"), _("%(h)s h") % {"h": _hours(attestation.total_hours)}),
        ]),
    ]
    label_x, value_x = 24 * mm, 92 * mm
    for title, rows in sections:
        c.setFillColor(BRAND)
        c.setFont("Helvetica-Bold", 11)
        c.drawString(20 * mm, y, title)
        y -= 6 * mm
        for label, value in rows:
            c.setFillColor(SOFT)
            c.setFont("Helvetica", 10)
            c.drawString(label_x, y, label)
            c.setFillColor(INK)
            y = _wrap(c, str(value), value_x, y, width - value_x - 20 * mm, "Helvetica-Bold", 10, 13) - 2
        y -= 5 * mm

    c.setFillColor(SOFT)
    c.setFont("Helvetica", 9)
    y = _wrap(c, _("Certificat de réalisation associé : %(code)s — %(url)s") % {
        "code": certificate.code, "url": certificate_verify_url}, 20 * mm, y, width - 40 * mm, "Helvetica", 9, 12)
    c.setFillColor(INK)
    c.setFont("Helvetica", 10)
    _verification(c, issued_at=attestation.issued_at, code=attestation.code, url=verify_url,
                  left=20 * mm, bottom=26 * mm, width=width, step=7 * mm)
    c.setFillColor(SOFT)
    c.setFont("Helvetica", 8)
    c.drawString(20 * mm, 16 * mm, _("À conserver et à déclarer dans votre document de traçabilité DPC."))
    c.showPage()
    c.save()
    return buffer.getvalue()


def transcript_pdf(*, user, rows: list[dict]) -> bytes:
    """A list of completed modules and certified hours, paginated."""
    width, height = A4
    buffer, c = document(A4, title=_("Relevé de formation"))

    def header() -> float:
        top = letterhead(c, left=20 * mm, right=width - 20 * mm, top=height - 20 * mm)
        c.setFont("Helvetica-Bold", 18)
        c.drawString(20 * mm, top, _("Relevé de formation"))
        c.setFont("Helvetica", 11)
        c.drawString(20 * mm, top - 8 * mm, user.get_full_name() or user.email)
        return top - 20 * mm

    y = header()
    total = sum(float(row["hours"]) for row in rows if row["hours"])
    if not rows:
        c.setFont("Helvetica", 11)
        c.drawString(20 * mm, y, _("Aucun module terminé pour l'instant."))
    for row in rows:
        if y < 30 * mm:
            c.showPage()
            y = header()
        if row["module"]:
            line = f"{row['programme']} — {row['module']}"
            detail = _("module terminé le %(date)s") % {"date": day(date.fromisoformat(row["completed_on"]))}
            font = "Helvetica"
        else:
            line = _("%(programme)s : programme terminé") % {"programme": row["programme"]}
            detail = _("%(hours)s h — code %(code)s") % {"hours": _hours(Decimal(row["hours"])), "code": row["code"]}
            font = "Helvetica-Bold"
        y = _wrap(c, line, 20 * mm, y, width - 40 * mm, font, 10, 13)
        c.setFillColor(SOFT)
        y = _wrap(c, detail, 26 * mm, y, width - 46 * mm, "Helvetica", 9, 12)
        c.setFillColor(INK)
        y -= 4
    c.setFont("Helvetica-Bold", 11)
    c.drawString(20 * mm, max(y - 10, 20 * mm), _("Total des heures attestées : %(h)s") % {"h": _hours(total) if total else "0"})
    c.showPage()
    c.save()
    return buffer.getvalue()
