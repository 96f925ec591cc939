"""The programme owner's report in the Wagtail admin (Rapports › Bilan des programmes): thin —
check the permission, read `lms.outcomes`, render or export. Figures only, never a person."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django.utils.translation import gettext as _

from accounts.choices import Role
from cms.charts import horizontal_bars_svg
from cms.locales import default_language, locale_ids
from cms.models import ProgrammePage
from config.csv_export import csv_response
from lms import outcomes, xapi

PERMISSION = "lms.view_outcomes"


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _chart(report: outcomes.OutcomesReport, title: str):
    groups = [g for g in report.groups if any(g.key in c.by_group for c in report.changes)]
    if not groups:
        return ""
    series = [(g.label, [c.by_group[g.key]["change"] if g.key in c.by_group else None for c in report.changes])
              for g in groups]
    return horizontal_bars_svg(labels=[c.name for c in report.changes], series=series, title=title)


@require_http_methods(["GET", "POST"])
def outcomes_report(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    programmes = list(
        ProgrammePage.objects.filter(locale_id=locale_ids().get(default_language())).order_by("title").only("pk", "title")
    )
    programme = next((p for p in programmes if p.pk == _int(request.GET.get("programme"))), None)
    programme = programme or (programmes[0] if programmes else None)
    context = {"programmes": programmes, "programme": programme, "page_title": _("Bilan des programmes")}
    if programme is None:
        return render(request, "lms/admin/outcomes.html", context)
    cohorts = outcomes.outcomes_cohorts(programme=programme)
    cohort = next((c for c in cohorts if c["id"] == _int(request.GET.get("cohort"))), None)
    report = outcomes.outcomes_report(programme=programme, user_ids=cohort["user_ids"] if cohort else None)
    scope = cohort["name"] if cohort else _("Toutes les promotions et inscriptions libres")
    is_admin = request.user.is_superuser or request.user.has_role(Role.ADMIN)
    if request.method == "POST":
        # Statements name each learner's account: sending them, like downloading them, is for administrators.
        if not is_admin or not xapi.lrs_configured():
            raise PermissionDenied
        xapi.lrs_push_enqueue(programme=programme, user_ids=cohort["user_ids"] if cohort else None)
        messages.success(request, _("Les traces xAPI partent vers l'entrepôt de traces en arrière-plan."))
        return redirect(request.get_full_path())
    if request.GET.get("format") == "xapi":
        # Statements name each learner's account: for administrators only, not every report reader.
        if not is_admin:
            raise PermissionDenied
        statements = list(xapi.programme_statements(programme=programme, user_ids=cohort["user_ids"] if cohort else None))
        suffix = f"-promotion-{cohort['id']}" if cohort else ""
        response = JsonResponse(statements, safe=False, json_dumps_params={"ensure_ascii": False})
        response["Content-Disposition"] = f'attachment; filename="xapi-programme-{programme.pk}{suffix}.json"'
        return response
    if request.GET.get("format") == "csv":
        suffix = f"-promotion-{cohort['id']}" if cohort else ""
        return csv_response(
            filename=f"bilan-programme-{programme.pk}{suffix}.csv",
            header=[_("Périmètre"), _("Compétence"), _("Métier"), _("Personnes"), _("Moyenne avant"),
                    _("Moyenne à la fin"), _("Évolution moyenne")],
            rows=outcomes.outcomes_csv_rows(report, scope=scope),
        )
    scope_query = f"programme={programme.pk}" + (f"&cohort={cohort['id']}" if cohort else "")
    context.update({
        "cohorts": cohorts, "cohort": cohort, "scope": scope, "report": report,
        "minimum": outcomes.MINIMUM_GROUP,
        "chart": _chart(report, _("Évolution moyenne de l'auto-positionnement, par compétence et par métier")),
        "table_groups": report.groups,
        "table_rows": [
            {"name": c.name, "cells": [c.by_group.get(g.key) for g in report.groups]} for c in report.changes
        ],
        "scope_query": scope_query,
        "csv_query": f"{scope_query}&format=csv",
        "xapi_query": f"{scope_query}&format=xapi",
        "can_export_xapi": is_admin,
        "can_push_xapi": is_admin and xapi.lrs_configured(),
    })
    return render(request, "lms/admin/outcomes.html", context)
