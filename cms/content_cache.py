"""What only editors change, cached across requests and processes: sites, home pages, routes,
view restrictions, programme structures and case outlines.

Every entry is keyed by the *content generation*, a counter kept in the default cache (local
memory in one process, Redis in production, so every process sees the same one). Any change to a
page, a site, a locale, a view restriction, a competency, an image or a document moves the counter
on — immediately and again when the transaction commits, so a request that read the old rows while
an editor was publishing cannot keep them — and every older entry is ignored from then on. Publishing is rare
and a learner's page view is not: one generation for everything is simpler than tracking which
page changed, and never serves an outdated page. When the cache is unreachable (Redis stopped), the
cache backend answers every read with a miss (`config.cache`), so pages are built from the database
as if nothing were cached.

Per-learner data (answers, progress, cohorts) is never cached here.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http.request import split_domain_port
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

T = TypeVar("T")

GENERATION_KEY = "cms:content-generation"
# An entry is rebuilt at least this often: the bound on staleness if a change could not be recorded
# because the cache was unreachable at that moment.
ENTRY_TIMEOUT = 10 * 60
_MISSING = object()


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # A counter that starts from the clock, so a cache that lost its counter (eviction, restart)
        # never comes back to a number whose entries it still holds.
        cache.add(GENERATION_KEY, time.time_ns(), None)
        value = cache.get(GENERATION_KEY)
    return value


def content_changed() -> None:
    """Forget every cached entry: now, and again after the current transaction commits."""
    _bump()
    transaction.on_commit(_bump)


def _bump() -> None:
    """With Redis unreachable nothing is recorded (config.cache): entries expire within ENTRY_TIMEOUT."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no counter yet
        cache.set(GENERATION_KEY, time.time_ns(), None)


def cached(name: str, key: tuple, build: Callable[[], T]) -> T:
    """`build()`'s result for `(name, key)` in the current content generation (built once per generation).

    A key holding None (an unsaved page, in a preview) is never cached."""
    if any(part is None for part in key):
        return build()
    cache_key = f"cms:{name}:{generation()}:" + ":".join(str(part) for part in key)
    value = cache.get(cache_key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(cache_key, value, ENTRY_TIMEOUT)
    return value


def cached_many(name: str, keys: list, build_missing: Callable[[list], dict]) -> dict:
    """{key: value} for each of `keys` in the current generation; `build_missing(missing keys)` builds
    the absent ones together (one query for all of them, not one each)."""
    prefix = f"cms:{name}:{generation()}:"
    found = cache.get_many([prefix + str(key) for key in keys])
    result = {key: found[prefix + str(key)] for key in keys if prefix + str(key) in found}
    missing = [key for key in keys if key not in result]
    if missing:
        built = build_missing(missing)
        result.update(built)
        cache.set_many({prefix + str(key): value for key, value in built.items()}, ENTRY_TIMEOUT)
    return result


# --- What the site serves --------------------------------------------------------------------


def site_for(request):
    """The Site serving the request's host and port (`Site.find_for_request`), with its root page
    (specific) attached. Replaces the query Wagtail makes for every page request (see `cms.middleware`,
    which runs after Django's CommonMiddleware has checked the host against ALLOWED_HOSTS)."""

    def build():
        site = Site.find_for_request(request)
        if site is not None:
            site.root_page = site.root_page.specific
        return site

    return cached("site", (split_domain_port(request.get_host())[0], request.get_port()), build)


def route_chain(root, path_components: tuple[str, ...]):
    """The pages along `path_components` under `root`, as `(ancestors, page)` with `page` specific,
    or None when a step is missing. One entry per URL and generation; Wagtail's `route` then checks
    the page is live as usual."""
    def build():
        url_paths = [root.url_path + "/".join(path_components[: n + 1]) + "/" for n in range(len(path_components))]
        found = {page.url_path: page for page in Page.objects.filter(url_path__in=url_paths, path__startswith=root.path)}
        if len(found) != len(url_paths):
            return None
        chain = [found[url_path] for url_path in url_paths]
        return chain[:-1], chain[-1].specific

    return cached("route", (root.pk, *path_components), build)


def view_restriction_may_apply(page) -> bool:
    """False when no view restriction covers `page` or its ancestors, so Wagtail need not query them.

    Alias pages take their source's restrictions: while any alias exists, always ask Wagtail."""
    def build():
        paths = tuple(PageViewRestriction.objects.values_list("page__path", flat=True))
        return paths, Page.objects.filter(alias_of__isnull=False).exists()

    restricted_paths, aliases_exist = cached("restrictions", (), build)
    return aliases_exist or any(page.path.startswith(path) for path in restricted_paths)


# --- Invalidation ---------------------------------------------------------------------------

_WATCHED_LABELS = {
    "wagtailcore.site",
    "wagtailcore.locale",
    "wagtailcore.pageviewrestriction",
    "cms.competency",
    "cms.profession",
    # Images and documents are shown in cached block fragments (cms.rendering.shared_fragments).
    "wagtailimages.image",
    "wagtaildocs.document",
}


def _on_model_change(sender, instance, **kwargs) -> None:
    if isinstance(instance, Page) or sender._meta.label_lower in _WATCHED_LABELS:
        content_changed()


def _on_page_signal(sender, **kwargs) -> None:
    content_changed()


def connect_signals() -> None:
    """Called once by `CmsConfig.ready`."""
    post_save.connect(_on_model_change, dispatch_uid="cms-content-cache-save")
    post_delete.connect(_on_model_change, dispatch_uid="cms-content-cache-delete")
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_on_page_signal, dispatch_uid=f"cms-content-cache-{id(signal)}")
