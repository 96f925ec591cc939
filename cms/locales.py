"""The one way a list chooses among translations: each page or snippet once, in the reader's language.

Pages and snippets (professions, competencies) exist in French, the default locale, and some have
an English copy (Wagtail's `copy_for_translation`, linked by `translation_key`). A list shows each
object once: its copy in the wanted language when there is one, else the default locale's. Every
selector and form that lists programmes, pages or snippets filters its queryset with `in_language`;
nothing else compares locales.

Records (enrolments, answers, cohorts) stay on the default-language page (`cms.selectors.source_page`):
a form that lists pages in the reader's language maps the chosen page back with `source_page`.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import translation
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page

from cms import content_cache


def locale_ids() -> dict[str, int]:
    """{language code: locale id}, from the content cache (a locale is rarely added)."""
    return content_cache.cached("locale-ids", (), lambda: dict(Locale.objects.values_list("language_code", "pk")))


def default_language() -> str:
    return get_supported_content_language_variant(settings.LANGUAGE_CODE)


def reader_language(language: str = "") -> str:
    """`language`, or the active one, as a content language code ("fr", "en")."""
    try:
        return get_supported_content_language_variant(language or translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return default_language()


def in_language(queryset: QuerySet, *, language: str = "") -> QuerySet:
    """`queryset` (translatable pages or snippets) reduced to one object per `translation_key`: the
    one in `language` (default: the active language), else the default locale's. No query of its
    own (the translated keys are a subquery of the same filtered queryset)."""
    ids = locale_ids()
    default_id = ids.get(default_language())
    wanted_id = ids.get(reader_language(language))
    if wanted_id is None or wanted_id == default_id:
        return queryset.filter(locale_id=default_id)
    translated = queryset.filter(locale_id=wanted_id).values("translation_key")
    return queryset.filter(Q(locale_id=wanted_id) | (Q(locale_id=default_id) & ~Q(translation_key__in=translated)))


def title_in_language(translation_key: str, *, language: str = "") -> Subquery:
    """An annotation: the live title, in `language` (default: the active one), of the page whose
    translation key is the outer query's field `translation_key` (NULL when it has no such copy).
    For records that name a page (certificates), read in the reader's language."""
    return Subquery(
        Page.objects.filter(
            translation_key=OuterRef(translation_key), locale_id=locale_ids().get(reader_language(language)), live=True
        ).values("title")[:1]
    )


def translation_in(obj, *, language: str = ""):
    """`obj`'s copy in `language` (default: the active one), else `obj` itself."""
    wanted_id = locale_ids().get(reader_language(language))
    if wanted_id is None or obj.locale_id == wanted_id:
        return obj
    return type(obj).objects.filter(translation_key=obj.translation_key, locale_id=wanted_id).first() or obj


SNIPPET_FIELDS = ("competencies", "professions", "audience_professions")


def relink_snippets(*, target) -> None:
    """Point a page copied for translation at the snippets of its own language: Wagtail copies the
    original's many-to-many links as they are (French professions and competencies on an English
    page). Called on `copy_for_translation_done`."""
    if getattr(target, "alias_of_id", None):  # an alias mirrors its original: Wagtail keeps it in sync
        return
    language = next((code for code, pk in locale_ids().items() if pk == target.locale_id), "")
    changed = []
    for name in SNIPPET_FIELDS:
        if not hasattr(target, name):
            continue
        related = getattr(target, name)
        keys = [obj.translation_key for obj in related.all()]
        if keys:
            setattr(target, name, list(in_language(related.model.objects.filter(translation_key__in=keys), language=language)))
            changed.append(name)
    if changed:
        target.save(update_fields=changed)
        if hasattr(target, "save_revision"):  # the editor edits the latest revision: it must hold the links too
            target.save_revision(log_action=False)


def on_copy_for_translation(sender, source_obj, target_obj, **kwargs) -> None:
    relink_snippets(target=target_obj)
