"""The Content Security Policy (config/csp.py): every page of the journeys sends the strict policy,
the Wagtail admin alone a looser one, and the report endpoint logs violations within limits."""

import json
import logging
from decimal import Decimal

import pytest
from django.urls import reverse

from cohorts.models import CohortMembership
from lms import services
from lms.models import Certificate, Enrolment
from rooms.models import Room
from tests.factories import make_user
from tests.factories_cohorts import add_learner, make_cohort
from tests.factories_lms import complete_case, make_course

pytestmark = pytest.mark.django_db

STRICT_SOURCES = {"'self'", "'none'"}
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "*", "data:", "blob:", "http:", "https:")


def parse_policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def strictness_problems(header: str | None, *, host: str = "testserver") -> list[str]:
    """What makes `header` weaker than the site's policy; empty when it is at least as strict."""
    if not header:
        return ["no Content-Security-Policy header"]
    policy = parse_policy(header)
    problems = []
    if policy.get("default-src") != ["'self'"]:
        problems.append(f"default-src is {policy.get('default-src')}")
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive, policy.get("default-src", []))
        if not sources or set(sources) - STRICT_SOURCES:
            problems.append(f"{directive} allows {sorted(set(sources) - STRICT_SOURCES) or 'nothing listed'}")
    for directive in ("script-src-elem", "script-src-attr", "style-src-elem", "style-src-attr"):
        if any(source in UNSAFE for source in policy.get(directive, [])):
            problems.append(f"{directive} is {policy[directive]}")
    expected = {"object-src": ["'none'"], "base-uri": ["'self'"], "form-action": ["'self'"], "frame-ancestors": ["'self'"]}
    problems += [f"{name} is {policy.get(name)}, not {value}" for name, value in expected.items() if policy.get(name) != value]
    connect = set(policy.get("connect-src", [])) - STRICT_SOURCES - {f"ws://{host}", f"wss://{host}"}
    if connect:
        problems.append(f"connect-src also allows {sorted(connect)}")
    for name, sources in policy.items():
        if name in ("report-uri", "report-to"):
            continue
        strangers = [s for s in sources if s in ("*", "http:", "https:") or ("://" in s and host not in s)]
        if strangers:
            problems.append(f"{name} allows {strangers}")
    return problems


def journey_pages() -> list[tuple]:
    """The main pages of every journey, each as (who reads it or None, URL); tests/test_third_parties.py
    reads them too."""
    course = make_course(hours=Decimal("7.0"))
    cohort = make_cohort(programme=course.programme)
    facilitator = cohort.memberships.get(role=CohortMembership.Role.FACILITATOR).user
    learner = add_learner(cohort)
    if not Enrolment.objects.filter(user=learner, programme_id=course.programme.pk).exists():
        services.enrolment_create(user=learner, programme=course.programme)
    complete_case(user=learner, course=course)
    services.page_mark_done(user=learner, page=course.lesson)
    certificate = Certificate.objects.get(user=learner)
    room = Room.objects.get(kind=Room.Kind.COHORT, cohort=cohort)
    catalogue = course.programme.get_parent()
    pages = [
        (None, "/"), (None, catalogue.url), (None, course.programme.url), (None, course.module.url),
        (None, reverse("account_login")), (None, reverse("account_signup")), (None, reverse("account_reset_password")),
        (None, "/no-such-page/"),
        (learner, course.case.url), (learner, course.lesson.url), (learner, reverse("lms:dashboard")),
        (learner, reverse("lms:programme_progress", args=[course.programme.pk])),
        (learner, reverse("rooms:room_detail", args=[room.pk])), (learner, reverse("cohorts:cohort_detail", args=[cohort.pk])),
        (learner, reverse("cohorts:cohort_list")), (learner, reverse("cohorts:community_list")),
        (learner, reverse("rooms:notification_list")), (learner, reverse("lms:my_data")), (learner, "/accounts/profile/"),
        (learner, reverse("cohorts:calendar")),
        (facilitator, reverse("cohorts:dashboard", args=[cohort.pk])),
        (facilitator, reverse("cohorts:invitation_list", args=[cohort.pk])),
        (facilitator, reverse("cohorts:group_list", args=[cohort.pk])),
        (facilitator, reverse("cohorts:schedule_edit", args=[cohort.pk])),
        (facilitator, reverse("cohorts:cohort_edit", args=[cohort.pk])),
        (facilitator, reverse("rooms:cohort_rooms_insights", args=[cohort.pk])),
    ]
    pages.append((None, reverse("lms:certificate_verify", args=[certificate.code])))
    return pages


@pytest.fixture
def journeys():
    return journey_pages()


def test_every_page_of_the_journeys_sends_the_strict_policy(client, journeys):
    failures = []
    for person, url in journeys:
        client.logout()
        if person is not None:
            client.force_login(person)
        response = client.get(url)
        assert response.status_code == (404 if url == "/no-such-page/" else 200), f"{url}: {response.status_code}"
        problems = strictness_problems(response.get("Content-Security-Policy"))
        if problems:
            failures.append(f"{url}: {'; '.join(problems)}")
        assert "Content-Security-Policy-Report-Only" not in response
    assert not failures, "\n".join(failures)


def test_the_strictness_check_fails_on_a_weaker_policy():
    strict = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
    assert strictness_problems(strict) == []
    weaker = [
        strict.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
        strict.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'"),
        strict.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
        strict.replace("; script-src 'self'", "").replace("default-src 'self'", "default-src *"),
        strict.replace("object-src 'none'", "object-src 'self'"),
        strict.replace("frame-ancestors 'self'", "frame-ancestors *"),
        strict + "; img-src 'self' https://www.gravatar.com",
        strict + "; script-src-attr 'unsafe-inline'",
        strict.replace("; base-uri 'self'", ""),
        None,
    ]
    for header in weaker:
        assert strictness_problems(header), header


def test_the_rooms_websocket_origin_is_allowed_and_nothing_else(client):
    policy = parse_policy(client.get("/").headers["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    assert policy["report-uri"] == [reverse("csp_report")] and policy["report-to"] == ["csp"]
    secure = parse_policy(client.get("/", secure=True).headers["Content-Security-Policy"])
    assert "wss://testserver" in secure["connect-src"]


def test_the_wagtail_admin_alone_gets_its_looser_policy(client):
    editor = make_user(is_superuser=True, is_staff=True)
    client.force_login(editor)
    admin = client.get(reverse("wagtailadmin_home"))
    assert admin.status_code == 200
    policy = parse_policy(admin.headers["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert not strictness_problems(client.get(reverse("lms:dashboard")).headers["Content-Security-Policy"])
    assert not strictness_problems(client.get("/administration/").get("Content-Security-Policy"))


def _report(client, body, *, content_type="application/csp-report", address="192.0.2.10"):
    return client.post(reverse("csp_report"), data=json.dumps(body) if not isinstance(body, bytes) else body,
                       content_type=content_type, REMOTE_ADDR=address)


VIOLATION = {"csp-report": {
    "document-uri": "http://testserver/dashboard/", "violated-directive": "script-src-elem",
    "blocked-uri": "inline", "source-file": "http://testserver/dashboard/", "line-number": 12,
    "script-sample": "alert('secret')",
}}


def test_a_violation_report_is_logged_on_one_line_without_the_script_sample(client, caplog):
    forged = {"csp-report": {**VIOLATION["csp-report"], "blocked-uri": "inline\nCSP violation from 10.0.0.1: forged"}}
    with caplog.at_level(logging.WARNING, logger="config.csp"):
        assert _report(client, VIOLATION).status_code == 204
        assert _report(client, forged).status_code == 204
        batch = [{"type": "csp-violation", "body": {"documentURL": "http://testserver/", "effectiveDirective": "style-src-attr"}}]
        assert _report(client, batch, content_type="application/reports+json").status_code == 204
    lines = [record.getMessage() for record in caplog.records if record.name == "config.csp"]
    assert len(lines) == 3
    assert "violated-directive=script-src-elem" in lines[0] and "192.0.2.10" in lines[0]
    assert "alert" not in " ".join(lines) and all("\n" not in line for line in lines)
    assert "effectiveDirective=style-src-attr" in lines[2]


def test_reports_are_rate_limited_per_address(client, caplog, settings):
    settings.CSP_REPORTS_PER_MINUTE = 3
    with caplog.at_level(logging.WARNING, logger="config.csp"):
        for _ in range(10):
            assert _report(client, VIOLATION, address="192.0.2.20").status_code == 204
        assert _report(client, VIOLATION, address="192.0.2.21").status_code == 204
    assert len([r for r in caplog.records if r.name == "config.csp" and "192.0.2.20" in r.getMessage()]) == 3
    assert len([r for r in caplog.records if r.name == "config.csp" and "192.0.2.21" in r.getMessage()]) == 1


def test_oversized_malformed_and_wrong_method_reports_are_ignored(client, caplog):
    with caplog.at_level(logging.WARNING, logger="config.csp"):
        big = {"csp-report": {**VIOLATION["csp-report"], "script-sample": "x" * 100_000}}
        assert _report(client, big).status_code == 204
        assert _report(client, b"{not json").status_code == 204
        assert _report(client, b"\xff\xfe").status_code == 204
        assert _report(client, ["nothing", 1, None], content_type="application/reports+json").status_code == 204
        assert _report(client, VIOLATION, content_type="text/plain").status_code == 204
        assert client.get(reverse("csp_report")).status_code == 405
    assert not [r for r in caplog.records if r.name == "config.csp"]


def test_reports_are_logged_without_error_while_the_cache_is_down(client, caplog, settings, monkeypatch):
    from config import cache as tolerant
    from tests.servers import free_port, port_range_from_env

    monkeypatch.setattr(tolerant, "_outages", {})
    settings.CACHES = {"default": {
        "BACKEND": "config.cache.TolerantRedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port(port_range_from_env())}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }}
    with caplog.at_level(logging.WARNING, logger="config.csp"):
        for _ in range(3):
            assert _report(client, VIOLATION).status_code == 204
    assert len([r for r in caplog.records if r.name == "config.csp"]) == 3
