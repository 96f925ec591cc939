"""French typography: one way to write dates and percentages, one name for the e-mail field, a home
page title that does not repeat the site's name."""

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts import formats
from tests.factories import make_user
from tests.factories_cohorts import make_cohort

ROOT = Path(__file__).resolve().parents[2]
PARIS_2H17 = datetime.datetime(2026, 12, 1, 1, 17, tzinfo=datetime.UTC)  # 02:17 in Paris
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("fr", datetime.date(2026, 12, 1), "1er décembre 2026"),
        ("fr", datetime.date(2026, 11, 2), "2 novembre 2026"),
        ("en", datetime.date(2026, 12, 1), "1 December 2026"),
        # A moment's day is the day in Paris: 23:30 UTC on 30 November is already 1 December there.
        ("fr", datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC), "1er décembre 2026"),
    ],
)
def test_a_day_is_written_with_the_ordinal_first_and_a_lower_case_month(language, value, expected):
    with translation.override(language):
        assert formats.day(value) == expected


def test_a_moment_is_written_in_paris_time_in_the_readers_language():
    with translation.override("fr"):
        assert formats.day_time(PARIS_2H17) == "1er décembre 2026 à 02:17"
        assert formats.day_time(PARIS_2H17, weekday=True) == "mardi 1er décembre 2026 à 02:17"
    with translation.override("en"):
        assert formats.day_time(PARIS_2H17) == "1 December 2026, 02:17"
        assert formats.day_time(PARIS_2H17, weekday=True) == "Tuesday 1 December 2026, 02:17"


def test_a_percentage_keeps_its_sign_on_the_same_line():
    with translation.override("fr"):
        assert formats.percent(0) == f"0{NBSP}%"
        assert formats.percent(66.7) == f"66,7{NBSP}%"
    with translation.override("en"):
        assert formats.percent(50) == "50%"


def test_the_template_filters_write_the_same():
    template = Template('{% load formats %}{{ d|day }}|{{ t|day_time }}|{{ t|day_time:"weekday" }}|{{ p|percent }}')
    rendered = template.render(Context({"d": datetime.date(2026, 11, 1), "t": PARIS_2H17, "p": 0}))
    assert rendered == f"1er novembre 2026|1er décembre 2026 à 02:17|mardi 1er décembre 2026 à 02:17|0{NBSP}%"


def test_no_template_formats_a_date_its_own_way():
    """Dates for people go through `day`/`day_time`; `|date:'c'` (machine-readable) stays allowed."""
    own_way = []
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix in {".html", ".txt"}:
            for match in re.finditer(r"\|date:(?!['\"]c['\"])\S+", path.read_text()):
                own_way.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert own_way == []


@pytest.mark.django_db
def test_a_cohort_starting_on_the_first_reads_du_1er(client):
    cohort = make_cohort(starts_on=datetime.date(2026, 11, 1), ends_on=datetime.date(2027, 3, 1), learners=1)
    client.force_login(cohort.memberships.filter(role="learner").first().user)
    html = client.get("/cohorts/").content.decode()
    assert "du 1er novembre 2026 au 1er mars 2027" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_the_email_field_is_named_adresse_e_mail_everywhere(client, path):
    html = client.get(path).content.decode()
    assert "Courriel" not in html
    field = re.search(r'<label for="id_(?:login|email)">([^<]+)</label>\s*<input[^>]*placeholder="([^"]+)"', html)
    assert field and field.groups() == ("Adresse e-mail", "Adresse e-mail")


@pytest.mark.django_db
def test_the_email_field_of_the_address_page_has_the_same_name(client):
    client.force_login(make_user())
    html = client.get("/accounts/email/").content.decode()
    assert "Courriel" not in html and '<label for="id_email">Adresse e-mail</label>' in html


@pytest.mark.django_db
def test_the_home_page_title_names_the_site_once(client):
    html = client.get("/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert title.count("Passerelles") == 1, title
