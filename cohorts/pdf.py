"""The summary of a live case session as a PDF, drawn like the certificates (`lms.pdf`, ReportLab),
under the same letterhead."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from accounts.formats import day
from lms.pdf import INK, SOFT, document, letterhead
from lms.pdf import _wrap as wrap_text  # the certificates' line-wrapping helper


def _time(value: str) -> str:
    return timezone.localtime(datetime.fromisoformat(value)).strftime("%H:%M") if value else ""


def live_summary_pdf(summary: dict) -> bytes:
    """A4 pages: the case and cohort, attendance by profession, the reveals, each poll's result by
    profession (as the summary page shows it: small professions merged), breakout activity, the timeline."""
    width, height = A4
    buffer, c = document(A4, title=_("Bilan de séance en direct — %(case)s") % {"case": summary["case"]})
    left, text_width = 20 * mm, width - 40 * mm
    y = letterhead(c, left=left, right=width - left, top=height - 20 * mm)

    def line(text: str, *, font="Helvetica", size=10, colour=INK, indent=0.0, after=0.0) -> None:
        nonlocal y
        if y < 25 * mm:
            c.showPage()
            y = height - 20 * mm
        c.setFillColor(colour)
        y = wrap_text(c, text, left + indent, y, text_width - indent, font, size, size * 1.35)
        y -= after

    line(_("Bilan de séance en direct"), font="Helvetica-Bold", size=18, after=2)
    line(summary["case"], font="Helvetica-Bold", size=13)
    started = datetime.fromisoformat(summary["started_at"])
    who = summary["cohort"] + (f" — {summary['group']}" if summary.get("group") else "")
    line(_("%(who)s, le %(day)s de %(start)s à %(end)s") % {
        "who": who, "day": day(timezone.localtime(started).date()),
        "start": _time(summary["started_at"]), "end": _time(summary["ended_at"]),
    }, colour=SOFT, after=8)

    line(_("Présences"), font="Helvetica-Bold", size=12, after=2)
    line(_("%(n)s participant·es") % {"n": summary["attendance_total"]})
    for label, n in summary["attendance"]:
        line(f"{label} : {n}", indent=6 * mm)
    y -= 6

    line(_("Épisodes révélés"), font="Helvetica-Bold", size=12, after=2)
    for at, title in summary["reveals"] or [["", _("Aucun")]]:
        line(f"{_time(at)}  {title}".strip(), indent=6 * mm)
    if summary.get("debrief_opened_at"):
        line(_("%(time)s  Débriefing ouvert") % {"time": _time(summary["debrief_opened_at"])}, indent=6 * mm)
    y -= 6

    line(_("Votes"), font="Helvetica-Bold", size=12, after=2)
    if not summary["polls"]:
        line(_("Aucun vote."), indent=6 * mm)
    for poll in summary["polls"]:
        line(poll["question"], font="Helvetica-Bold", indent=6 * mm)
        if not poll["visible"]:
            line(_("%(n)s réponse(s) : trop peu pour être montrées.") % {"n": poll["answered"]}, indent=10 * mm, colour=SOFT)
        for row in poll["rows"]:
            counts = " ; ".join(f"{label} {n} ({pct} %)" for label, n, pct in row["counts"])
            line(f"{row['label']} ({row['total']}) : {counts}", indent=10 * mm)
        y -= 4
    y -= 2

    line(_("Travail en groupes"), font="Helvetica-Bold", size=12, after=2)
    if not summary["breakouts"]:
        line(_("Aucun."), indent=6 * mm)
    for breakout in summary["breakouts"]:
        line(_("%(time)s, %(minutes)s min : %(messages)s message(s), dont %(cross)s réponse(s) entre métiers différents") % {
            "time": _time(breakout["started_at"]), "minutes": breakout["minutes"],
            "messages": breakout["messages"], "cross": breakout["cross_profession_replies"],
        }, indent=6 * mm)
    y -= 6

    line(_("Déroulé"), font="Helvetica-Bold", size=12, after=2)
    for at, label in summary["timeline"]:
        line(f"{_time(at)}  {label}", indent=6 * mm, size=9)
    c.showPage()
    c.save()
    return buffer.getvalue()
