"""The one place where user-written HTML is cleaned and marked safe.

Every reflection, message and profile text goes through `clean_html`. The engine is
bleach 6.4 (its final release); swapping it for another sanitiser means changing this
file only.
"""

import html as html_lib
import re
import threading
from functools import lru_cache, partial

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


# bleach's Cleaner is not thread-safe (its documentation says so): one set per thread.
_local = threading.local()


def _cleaners() -> dict[str, bleach.Cleaner]:
    cleaners = getattr(_local, "cleaners", None)
    if cleaners is None:
        cleaners = _local.cleaners = {name: _cleaner(tags) for name, tags in PROFILES.items()}
    return cleaners

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
    return mark_safe(_clean(html or "", profile))  # noqa: S308  (cleaned by _clean)


@lru_cache(maxsize=512)
def _clean(html: str, profile: str) -> str:
    """The same text is shown many times (a reflection on every view of its page, a message in every
    history page): cleaning costs about a millisecond, so results are kept, per process."""
    return _cleaners()[profile].clean(_drop_dangerous_content(html)).strip()


def plain_text(html: str | None) -> str:
    """Strip every tag: for e-mails, search indexes and previews."""
    return bleach.clean(_drop_dangerous_content(html or ""), tags=set(), strip=True, strip_comments=True).strip()


_PARAGRAPH_END = re.compile(r"</(?:p|blockquote|ul|ol|h[1-6])\s*>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ITEM_START = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_ITEM_END = re.compile(r"</li\s*>", re.IGNORECASE)


def html_to_text(html: str | None) -> str:
    """Real text of sanitised HTML, for the plain-text part of e-mails and plain textareas:
    paragraphs become blank lines, list items "- " lines, and entities are decoded ("R&amp;D" →
    "R&D", "&lt;3" → "<3"). Not HTML: never insert it into a page unescaped."""
    text = _PARAGRAPH_END.sub("\n\n", html or "")
    text = _LINE_BREAK.sub("\n", text)
    text = _ITEM_START.sub("- ", text)
    text = _ITEM_END.sub("\n", text)
    text = html_lib.unescape(plain_text(text))
    text = "\n".join(line.strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()
