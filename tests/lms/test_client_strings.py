"""lms.js holds no words: the pages that load it carry them, translated, in #lms-strings."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from lms import services
from tests.factories import make_user
from tests.factories_lms import make_course

STATIC_JS = Path(settings.BASE_DIR) / "static" / "js"
PASSWORD = "correct-horse-battery"


class _StringsParser(HTMLParser):
    """The data attributes of the #lms-strings element (None when the page has none)."""

    def __init__(self):
        super().__init__()
        self.strings = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id") == "lms-strings":
            self.strings = {name[5:]: value for name, value in attrs.items() if name.startswith("data-")}


def lms_strings(html: str) -> dict | None:
    parser = _StringsParser()
    parser.feed(html)
    return parser.strings


def keys_read_by_lms_js() -> set[str]:
    """The data-* names lms.js reads: its t("camelCase") calls."""
    source = (STATIC_JS / "lms.js").read_text()
    keys = set(re.findall(r'\bt\("([a-zA-Z]+)"\)', source))
    return {re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), key) for key in keys}


@pytest.fixture
def course():
    return make_course()


def learner_logged_in(client, course, *, language: str):
    """A learner enrolled in the course, logged in through the login form: their profile language applies."""
    learner = make_user(language=language)
    services.enrolment_create(user=learner, programme=course.programme)
    response = client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    assert response.status_code == 302
    return learner


def test_lms_js_reads_only_strings_that_the_template_provides():
    from django.template.loader import render_to_string

    provided = set(lms_strings(render_to_string("lms/includes/client_strings.html")))
    read = keys_read_by_lms_js()
    assert len(read) >= 5  # the draft messages
    assert read == provided


@pytest.mark.django_db
def test_an_english_speaking_learner_gets_the_draft_messages_in_english(client, course):
    learner_logged_in(client, course, language="en")
    html = client.get(course.case.url).content.decode()
    strings = lms_strings(html)
    assert '<html lang="en"' in html
    assert strings["saved-at"] == "Draft saved at %s"
    assert strings["offline"] == "Offline: the draft is kept on this device."
    assert "Brouillon" not in " ".join(strings.values())


@pytest.mark.django_db
def test_a_french_speaking_learner_gets_the_draft_messages_in_french(client, course):
    learner_logged_in(client, course, language="fr")
    strings = lms_strings(client.get(course.case.url).content.decode())
    assert strings["saved-at"] == "Brouillon enregistré à %s"
    assert strings["offline"] == "Hors connexion : le brouillon est gardé sur cet appareil."


@pytest.mark.django_db
@pytest.mark.parametrize("language, saved", [("en", "Draft saved at %s"), ("fr", "Brouillon enregistré à %s")])
def test_every_page_loading_lms_js_carries_its_strings(client, course, language, saved):
    learner = learner_logged_in(client, course, language=language)
    sheet = services.worksheet_save(user=learner, page=course.case, block_id=course.ids.worksheet, data={})
    for url in [course.case.url, course.lesson.url, reverse("lms:dashboard"), reverse("lms:worksheet_detail", args=[sheet.pk])]:
        html = client.get(url).content.decode()
        assert "js/lms.js" in html, url
        assert html.count('id="lms-strings"') == 1, url
        assert lms_strings(html)["saved-at"] == saved, url


@pytest.mark.django_db
def test_a_page_without_lms_js_carries_no_strings(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "js/lms.js" not in html and lms_strings(html) is None


# A class list ("button button--small") or a directive is the only kind of string literal with words and
# a space a script may hold; anything else with words, accents, typographic punctuation or French spacing
# before a colon ("${T.failed} : …") is interface text, to be taken from the page.
CODE_LITERAL = re.compile(r"^[a-z0-9_\-${}.]+( [a-z0-9_\-${}.]+)*$")
LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`')


def _without_comments(source: str) -> str:
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return "\n".join(re.sub(r"(^|\s)//.*$", "", line) for line in source.splitlines())


@pytest.mark.parametrize("path", sorted(STATIC_JS.glob("*.js")), ids=lambda p: p.name)
def test_no_script_holds_user_facing_text(path):
    offenders = []
    for match in LITERAL.finditer(_without_comments(path.read_text())):
        text = match.group(0)[1:-1]
        words = re.sub(r"\$\{[^}]*\}", "", text)  # what a template literal adds around its values
        if re.search(r"[À-ÿ…«»’]", words) or re.search(r"\s[:;!?]", words):
            offenders.append(text)
        elif re.search(r"[A-Za-z]", words) and " " in words and not CODE_LITERAL.match(text) and text != "use strict":
            offenders.append(text)
        elif re.fullmatch(r"[A-Z][a-z]+", text) and text not in {"Accept", "Enter", "Escape", "Home", "End"}:
            offenders.append(text)  # a capitalised single word ("Gras", "Lien") is a label
    assert not offenders, offenders
