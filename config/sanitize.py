"""The one place where user-written HTML is cleaned and marked safe.

Every reflection, message and profile text goes through `clean_html`. The engine is
bleach 6.4 (its final release); swapping it for another sanitiser means changing this
file only.
"""

from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from django.utils.safestring import SafeString, mark_safe

LINK_REL = "nofollow noopener noreferrer"
PROTOCOLS = frozenset({"http", "https", "mailto"})

PROFILES: dict[str, frozenset[str]] = {
    # Reflections and comments: paragraphs, emphasis, lists, quotes, links.
    "rich": frozenset({"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "blockquote", "a"}),
    # Room messages rendered from the Markdown subset: the same plus inline code.
    "message": frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code"}),
    # Short profile text.
    "profile": frozenset({"p", "br", "strong", "em", "ul", "li", "a"}),
}


def _set_link_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key not in attrs:
        return attrs
    attrs[(None, "rel")] = LINK_REL
    return attrs


def _cleaner(tags: frozenset[str]) -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=tags,
        attributes={"a": ["href", "title"]},
        protocols=PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], parse_email=False)],
    )


_CLEANERS = {name: _cleaner(tags) for name, tags in PROFILES.items()}

# Elements whose CONTENT must vanish with them: bleach's strip=True would keep their text
# (a stripped <script> would leave "alert(1)" on the page; a <style> its CSS).
_DROP_WITH_CONTENT = (
    "script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
    "textarea", "title", "xmp", "noembed", "noframes", "select", "head",
)


def _drop_dangerous_content(html: str) -> str:
    if "<" not in html:
        return html
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(_DROP_WITH_CONTENT):
        element.decompose()
    return str(soup)


def clean_html(html: str | None, *, profile: str = "rich") -> SafeString:
    """Return `html` reduced to the profile's allowlist, links made safe, marked safe for templates."""
    cleaner = _CLEANERS[profile]
    return mark_safe(cleaner.clean(_drop_dangerous_content(html or "")).strip())  # noqa: S308  (cleaned just above)


def plain_text(html: str | None) -> str:
    """Strip every tag: for e-mails, search indexes and previews."""
    return bleach.clean(_drop_dangerous_content(html or ""), tags=set(), strip=True, strip_comments=True).strip()
