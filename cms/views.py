"""Views of the cms app outside Wagtail's page serving: perspective choice and search."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.access import case_state
from cms.forms import PerspectiveForm
from cms.models import CaseStudyPage
from cms.selectors import search_pages
from cms.services import case_perspective_choose


@login_required
@require_POST
def case_perspective(request, page_id: int):
    """Store the perspective a learner picks in a case (once), then go back to the case."""
    page = CaseStudyPage.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404
    state = case_state(user=request.user, page=page)
    form = PerspectiveForm(request.POST, professions=state.outline.role_brief_professions)
    if not form.is_valid():
        return HttpResponseBadRequest(" ".join(form.errors.get("profession", [_("Choix invalide.")])))
    if state.sees_all_briefs or state.perspective:
        messages.info(request, _("Votre perspective sur ce cas est déjà fixée."))
    else:
        case_perspective_choose(user=request.user, page=page, profession=form.cleaned_data["profession"])
        messages.success(request, _("Perspective enregistrée : vous lisez désormais ce dossier de rôle."))
    return redirect(page.url + "#briefs")


def search(request):
    """Search programmes, modules, cases and lessons (`/search/?q=`)."""
    query = request.GET.get("q", "").strip()[:200]
    results = search_pages(query=query)
    return TemplateResponse(request, "cms/search.html", {"query": query, "results": results, "page_title": _("Recherche")})
