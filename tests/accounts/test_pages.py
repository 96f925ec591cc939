"""Error pages, the benchmark floor, and the page frame's accessibility landmarks."""

import importlib
import re

import pytest
from django.test import override_settings
from django.urls import clear_url_caches

import config.urls

pytestmark = pytest.mark.django_db


def test_benchmark_floor_is_not_routed_by_default(client):
    assert client.get("/_bench/floor", follow=True).status_code == 404


def test_benchmark_floor_serves_a_constant_page_when_enabled(client):
    try:
        with override_settings(BENCHMARK_ENDPOINTS=True):
            importlib.reload(config.urls)
            clear_url_caches()
            response = client.get("/_bench/floor")
            assert response.status_code == 200
            assert 19_000 < len(response.content) < 22_000
            assert response.content == client.get("/_bench/floor").content
    finally:
        importlib.reload(config.urls)
        clear_url_caches()
    assert client.get("/_bench/floor", follow=True).status_code == 404


def test_the_benchmark_content_change_starts_a_new_content_generation_only_when_enabled(client):
    from cms import content_cache

    assert client.post("/_bench/content-changed", follow=True).status_code == 404
    try:
        with override_settings(BENCHMARK_ENDPOINTS=True):
            importlib.reload(config.urls)
            clear_url_caches()
            before = content_cache.generation()
            assert client.get("/_bench/content-changed").status_code == 405
            assert client.post("/_bench/content-changed").status_code == 200
            assert content_cache.generation() != before
    finally:
        importlib.reload(config.urls)
        clear_url_caches()
    assert client.post("/_bench/content-changed", follow=True).status_code == 404


def test_the_benchmark_middleware_reports_the_queries_and_cpu_of_a_request(client):
    from django.test import modify_settings

    from tests.factories import make_user

    client.force_login(make_user())
    with modify_settings(MIDDLEWARE={"prepend": "config.middleware.BenchMeasureMiddleware"}):
        response = client.get("/dashboard/")
    assert response.status_code == 200
    assert int(response["X-Bench-Queries"]) >= 2  # the session and its user, at least
    assert int(response["X-Bench-CPU-us"]) > 0


def test_unknown_page_gets_our_404(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html and 'class="skip-link"' in html


def test_server_error_page_renders_without_a_request_context():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "Un problème est survenu" in html


def test_page_frame_has_landmarks_skip_link_and_no_inline_script(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<header class="site-header"' in html and '<main id="main"' in html and '<footer class="site-footer"' in html
    assert '<nav class="site-nav" aria-label=' in html
    assert "<script>" not in html and "onclick" not in html and " style=" not in html
    assert "https://" not in html.split("<body")[0]  # nothing from a CDN in the head


def test_page_title_names_the_page_then_the_platform(client):
    html = client.get("/accounts/login/").content.decode()
    title = html.split("<title>")[1].split("</title>")[0]
    assert " ".join(title.split()) == "Connexion · Passerelles"


def test_every_page_links_a_favicon_and_favicon_ico_is_served(client):
    html = client.get("/accounts/login/").content.decode()
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', html)
    assert icons == ["/static/favicon.ico", "/static/favicon.svg"]
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(svg.streaming_content)

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.ico"
    ico = client.get(response["Location"])
    assert ico.status_code == 200
    assert b"".join(ico.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
