"""cms's additions to the Wagtail admin."""

from wagtail import hooks
from wagtail.admin.views.pages.search import SearchView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import Page

from cms.models import CasePerspective


class PageSearchView(SearchView):
    """Wagtail's page search, naming what it counts: "1-3 sur 3 pages".

    Wagtail 8.0's search view names no model, so its results header read "1-3 sur 3 None"
    (tests/cms/test_admin.py fails if an upgrade changes that).
    """

    verbose_name = Page._meta.verbose_name
    verbose_name_plural = Page._meta.verbose_name_plural


class BasePageViewSet(PageViewSet):
    """Wagtail's viewset for every page type, with the search view above."""

    search_view_class = PageSearchView


@hooks.register("register_admin_viewset")
def register_base_page_viewset():
    # Registered after wagtail.admin's own (INSTALLED_APPS order), so it replaces it for `Page`.
    return BasePageViewSet()


@hooks.register("user_data_export")
def cms_user_data_export(user) -> dict:
    """The profession whose brief the person chose in each case (docs/privacy.md)."""
    return {"case_perspectives": list(CasePerspective.objects.filter(user=user).values("page_id", "profession"))}


@hooks.register("user_erase")
def cms_user_erase(user) -> None:
    """The perspectives chosen in the cases say the person's profession: deleted."""
    CasePerspective.objects.filter(user=user).delete()
