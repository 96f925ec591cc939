"""No third party in the loop: the Wagtail admin's dashboard and page editor, the learner's pages and
the room load nothing from another site — in their HTML, or in the CSS and JavaScript files they load
(src/srcset/href of loaded resources, form actions, url() and @import, fetch/import/WebSocket targets).
Links a person may follow (<a href>) are not loads and are not counted."""

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import make_user
from tests.factories_cms import make_case
from tests.test_csp import journey_pages

pytestmark = pytest.mark.django_db

SITE_HOSTS = {"testserver", "localhost", urlsplit(settings.SITE_URL).netloc}
LOADING_ATTRIBUTES = ("src", "srcset", "data", "poster", "action", "formaction", "background", "data-src")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)|@import\s+(?:url\()?\s*["']([^"']+)""", re.IGNORECASE)
JS_TARGET = re.compile(
    r"""(?:fetch|import|importScripts|WebSocket|EventSource|sendBeacon|\.open)\s*\(\s*["'`]([^"'`]+)"""
    r"""|\bfrom\s*["'`]((?:[a-z]+:)?//[^"'`]+)"""
    r"""|\.(?:src|href|action)\s*=\s*["'`]((?:[a-z]+:)?//[^"'`]+)""",
    re.IGNORECASE,
)


def is_outside(url: str) -> bool:
    """Whether loading `url` from one of our pages would reach another site."""
    url = url.strip()
    if not url or url.startswith(("#", "data:", "blob:", "about:", "mailto:", "tel:", "javascript:")):
        return False
    parts = urlsplit(url)
    if not parts.netloc:
        return False  # relative to the site
    return parts.netloc.lower() not in SITE_HOSTS


def outside_urls_in_html(html: str) -> tuple[list[str], list[str]]:
    """(the outside URLs the page itself loads, the site's own CSS and JS files it loads)."""
    soup = BeautifulSoup(html, "html.parser")
    outside, assets = [], []
    for tag in soup.find_all(True):
        for name in LOADING_ATTRIBUTES:
            value = tag.get(name)
            if not value:
                continue
            candidates = [item.strip().split(" ")[0] for item in value.split(",")] if name == "srcset" else [value]
            outside += [f"<{tag.name} {name}={url}>" for url in candidates if is_outside(url)]
        if tag.name == "link" and tag.get("href"):
            if is_outside(tag["href"]):
                outside.append(f"<link rel={tag.get('rel')} href={tag['href']}>")
            elif "stylesheet" in (tag.get("rel") or []):
                assets.append((tag["href"], "css"))
            elif "modulepreload" in (tag.get("rel") or []):
                assets.append((tag["href"], "js"))
        if tag.name == "script" and tag.get("src") and not is_outside(tag["src"]):
            assets.append((tag["src"], "js"))
        if tag.get("style"):
            outside += [f"style url {u}" for u in _css_urls(tag["style"]) if is_outside(u)]
        if tag.name == "style" and tag.string:
            outside += [f"<style> {u}" for u in _css_urls(tag.string) if is_outside(u)]
        if tag.name == "script" and not tag.get("src") and tag.string:
            outside += [f"<script> {u}" for u in _js_targets(tag.string) if is_outside(u)]
    return outside, assets


def _css_urls(css: str) -> list[str]:
    return [a or b for a, b in CSS_URL.findall(css)]


def _js_targets(js: str) -> list[str]:
    return [next(group for group in groups if group) for groups in JS_TARGET.findall(js)]


def outside_urls_in_asset(client, url: str, kind: str) -> list[str]:
    """The outside URLs a CSS or JS file of ours loads: a static file read where staticfiles finds
    it, anything else (Wagtail's /admin/jsi18n/) as the site serves it."""
    path = urlsplit(url).path
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path.removeprefix(settings.STATIC_URL))
        assert found, f"static file not found: {url}"
        text = open(found, encoding="utf-8", errors="replace").read()
    else:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        text = response.content.decode("utf-8", errors="replace")
    urls = _css_urls(text) if kind == "css" else _js_targets(text)
    return [f"{path}: {u}" for u in urls if is_outside(u)]


def third_party_loads(client, urls: list[str]) -> list[str]:
    problems, assets = [], set()
    for url in urls:
        response = client.get(url)
        assert response.status_code == (404 if url == "/no-such-page/" else 200), f"{url}: {response.status_code}"
        outside, loaded = outside_urls_in_html(response.content.decode())
        problems += [f"{url}: {item}" for item in outside]
        assets.update(loaded)
    for asset, kind in sorted(assets):
        problems += outside_urls_in_asset(client, asset, kind)
    return problems


def test_the_checks_see_an_outside_load_wherever_it_is():
    html = """<img src="//www.gravatar.com/avatar/0f3?s=50"><link rel="preconnect" href="https://fonts.example">
    <p style="background: url('https://x.example/a.png')"></p><script>fetch("https://t.example/c")</script>
    <form action="https://x.example/post"></form><img srcset="/a.png 1x, https://cdn.example/b.png 2x">
    <a href="https://www.has.sante.fr/">un lien</a>"""
    outside, _assets = outside_urls_in_html(html)
    assert len(outside) == 6, outside
    assert _css_urls("@import 'https://x.example/a.css'; .a{background:url(/static/ok.png)}") == [
        "https://x.example/a.css", "/static/ok.png"]
    assert [u for u in _js_targets('x.src = "https://x.example/s.js"; fetch(`/api/`)') if is_outside(u)] == [
        "https://x.example/s.js"]


def test_the_wagtail_admin_dashboard_and_page_editor_load_nothing_from_another_site(client):
    case = make_case()
    editor = make_user(email="editrice@example.org", is_superuser=True, is_staff=True)
    client.force_login(editor)
    urls = [reverse("wagtailadmin_home"), reverse("wagtailadmin_pages:edit", args=[case.pk]),
            reverse("wagtailadmin_explore", args=[case.get_parent().pk]), reverse("wagtailadmin_account")]
    problems = third_party_loads(client, urls)
    assert not problems, "\n".join(problems)
    assert "gravatar" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_learner_pages_and_the_room_load_nothing_from_another_site(client):
    problems = []
    for person, url in journey_pages():
        client.logout()
        if person is not None:
            client.force_login(person)
        problems += third_party_loads(client, [url])
    assert not problems, "\n".join(problems)
