"""The Markdown subset of room messages: bold, italics, links, lists, inline code, quotes.

Rendered on the server with markdown-it-py (raw HTML disabled, so `<tags>` typed by a member
come out as text), then passed through the project's one sanitiser, `config.sanitize.clean_html`,
which keeps only the "message" allowlist and gives every link `rel="nofollow noopener noreferrer"`.
"""

from collections.abc import Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString
from markdown_it import MarkdownIt

from config.sanitize import clean_html

_md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False}).enable(
    ["emphasis", "link", "autolink", "list", "backticks", "blockquote", "newline", "escape", "entity"]
)


def render_message(text: str, *, mention_names: Iterable[str] = ()) -> SafeString:
    """Return the sanitised HTML of a message; each `@name` of `mention_names` is set in bold."""
    html = _md.render(text or "")
    for name in sorted(set(mention_names), key=len, reverse=True):
        token = escape(f"@{name}")
        html = html.replace(token, f"<strong>{token}</strong>")
    return clean_html(html, profile="message")
