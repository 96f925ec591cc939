"""The one place cms relies on a Wagtail internal, fenced so an upgrade that changes it fails a test
(`tests/cms/test_wagtail_adapter.py`) rather than a page.

Wagtail finds the Site of a request with a query (`Site.find_for_request`) and keeps the answer on
the request for the rest of it; it offers no public way to hand it a Site found another way, which
is what `cms.middleware.CachedSiteMiddleware` does from the content cache.
"""


def request_site_set(request, site) -> None:
    """Make `site` the answer of `Site.find_for_request(request)` for the rest of the request, with no
    query: Wagtail keeps that answer on `request._wagtail_site` (wagtail/models/sites.py)."""
    request._wagtail_site = site
