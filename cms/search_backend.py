"""PostgreSQL full-text search with each page stemmed in its own language.

Wagtail's database backend has one `SEARCH_CONFIG` for the whole index, and several database
backends share one index table (the last one to index wins, wagtail/wagtail#9253). So this
backend keeps one index and chooses the text search configuration per object:

- indexing: a page (any translatable object) is stemmed with the configuration of its locale
  (`LANGUAGE_CONFIGS`, e.g. "fr" → "french": "hôpitaux" is stored as "hôpital"); objects
  without a locale use `SEARCH_CONFIG`;
- searching: the query is parsed with every configuration of `LANGUAGE_CONFIGS` and the parts
  joined with OR, so "hôpital" meets the French stems and "runs" the English ones whatever the
  reader's language (cms.selectors.search_pages then keeps one page per translation group).

Autocomplete keeps Wagtail's "simple" configuration (no stemming). After changing the
configurations, rebuild the index: `manage.py update_index`. Used on PostgreSQL only
(config/settings/base.py); SQLite keeps Wagtail's own database backend.
See https://docs.wagtail.org/en/stable/topics/search/backends.html
"""

from __future__ import annotations

import copy
from collections import defaultdict

from wagtail.models import Locale
from wagtail.search.backends.database.postgres.postgres import (
    PostgresIndex,
    PostgresSearchBackend,
    PostgresSearchQueryCompiler,
    PostgresSearchResults,
)


class LanguageIndex(PostgresIndex):
    def add_items(self, model, objs):
        """Index each language's objects with that language's configuration."""
        languages = dict(Locale.objects.values_list("pk", "language_code"))
        groups: dict[str, list] = defaultdict(list)
        for obj in objs:
            language = languages.get(getattr(obj, "locale_id", None), "")
            groups[self.backend.config_for(language)].append(obj)
        for config, group in groups.items():
            # Wagtail's indexer reads `backend.config`: give it a copy set to this language.
            index = copy.copy(self)
            index.backend = copy.copy(self.backend)
            index.backend.config = config
            PostgresIndex.add_items(index, model, group)


class LanguageQueryCompiler(PostgresSearchQueryCompiler):
    language_configs: tuple[str, ...] = ()

    def build_tsquery(self, query, config=None):
        """The query in every language of the index, joined with OR (one language: Wagtail's own)."""
        if not self.language_configs or self.fields:
            return super().build_tsquery(query, config=config)
        combined = None
        for language_config in self.language_configs:
            part = super().build_tsquery(query, config=language_config)
            combined = part if combined is None else combined | part
        return combined


class LanguageSearchResults(PostgresSearchResults):
    def get_queryset(self):
        if isinstance(self.query_compiler, LanguageQueryCompiler):
            self.query_compiler.language_configs = self.backend.search_configs
        return super().get_queryset()


class LanguageSearchBackend(PostgresSearchBackend):
    """Options: `SEARCH_CONFIG` (objects without a locale, default "simple") and `LANGUAGE_CONFIGS`
    ({language code: PostgreSQL text search configuration})."""

    query_compiler_class = LanguageQueryCompiler
    index_class = LanguageIndex
    results_class = LanguageSearchResults

    def __init__(self, params):
        super().__init__(params)
        self.config = self.config or "simple"
        self.language_configs: dict[str, str] = dict(params.get("LANGUAGE_CONFIGS") or {})
        # Every configuration a stored text may have been stemmed with, each once, in a fixed order.
        self.search_configs = tuple(dict.fromkeys([*self.language_configs.values(), self.config]))

    def config_for(self, language: str) -> str:
        return self.language_configs.get(language, self.config)


SearchBackend = LanguageSearchBackend
