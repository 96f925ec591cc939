"""The committed message catalogues: complete, compiled, and used by the English interface.

Source strings are French; `locale/en` translates them and `locale/fr` maps each one to itself.
The .po files are read with the small reader below (polib is not a dependency); the .mo files
are checked through Django's own translation machinery, entry by entry, so a .po edited without
running `make messages` (compilemessages) fails here.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["en", "fr"]
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sd]|%%|\{[a-z_0-9]*\}|</?[a-z]+[^>]*>")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def read_po(path: Path) -> list[Entry]:
    """Parse a gettext .po file: every entry, the header included; obsolete (#~) ones skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None

    def finish():
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if line.startswith("#,"):
            finish()
            current = Entry(line=number)
            current.flags = {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.startswith('"'):
            rest, keyword = line, None
        text = ast.literal_eval(rest)
        if keyword is None:  # continuation of the previous string
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += text
            else:
                setattr(current, name, (getattr(current, name) or "") + text)
            continue
        if keyword in ("msgctxt", "msgid") and current is not None and (current.msgid or current.msgstr):
            finish()
        if current is None:
            current = Entry(line=number)
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr[index] = text
            target = ("msgstr", index)
        else:
            setattr(current, keyword, text)
            target = (keyword, None)
    finish()
    return entries


def catalogue(language: str) -> list[Entry]:
    return read_po(LOCALE / language / "LC_MESSAGES" / "django.po")


def messages(language: str) -> list[Entry]:
    return [entry for entry in catalogue(language) if entry.msgid]


def label(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid[:70]!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_exists_with_a_clean_header(language):
    header = catalogue(language)[0]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert f"Language: {language}\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "nplurals=2;" in header.msgstr[0]
    assert len(messages(language)) > 500


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(language):
    problems = []
    for entry in messages(language):
        if "fuzzy" in entry.flags:
            problems.append("fuzzy " + label(entry))
        expected = 2 if entry.msgid_plural is not None else 1
        if len(entry.msgstr) != expected or not all(entry.msgstr.values()):
            problems.append("untranslated " + label(entry))
    assert not problems, "\n".join(problems)


def test_both_catalogues_hold_the_same_source_strings():
    def keys(language):
        return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in messages(language)}

    assert keys("en") == keys("fr")


def test_french_catalogue_maps_each_source_string_to_itself():
    for entry in messages("fr"):
        assert entry.msgstr[0] == entry.msgid, label(entry)
        if entry.msgid_plural is not None:
            assert entry.msgstr[1] == entry.msgid_plural, label(entry)


def test_english_translations_keep_placeholders_and_markup():
    problems = []
    for entry in messages("en"):
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for index, source in enumerate(sources):
            wanted = sorted(PLACEHOLDER.findall(source))
            found = sorted(PLACEHOLDER.findall(entry.msgstr[index]))
            # A singular form may spell out "one" instead of using the count.
            if found != wanted and not (entry.msgid_plural is not None and set(found) <= set(wanted)):
                problems.append(f"{label(entry)}: {wanted} != {found}")
            if source.endswith("\n") != entry.msgstr[index].endswith("\n"):
                problems.append(f"{label(entry)}: trailing newline differs")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogues_match_the_po_files(language):
    """Every .po entry is served as written: the committed .mo files are up to date."""
    stale = []
    with translation.override(language):
        for entry in messages(language):
            if entry.msgid_plural is not None:
                got = [
                    translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                    if entry.msgctxt else translation.ngettext(entry.msgid, entry.msgid_plural, n)
                    for n in (1, 2 if language == "fr" else 5)
                ]
                wanted = [entry.msgstr[0], entry.msgstr[1]]
            else:
                got = [translation.pgettext(entry.msgctxt, entry.msgid) if entry.msgctxt else translation.gettext(entry.msgid)]
                wanted = [entry.msgstr[0]]
            if got != wanted:
                stale.append(label(entry))
    assert not stale, "run `make messages` and commit the .mo files:\n" + "\n".join(stale[:20])


def test_known_strings_in_english():
    with translation.override("en"):
        assert translation.gettext("Promotion") == "Cohort"
        assert translation.gettext("Métier") == "Profession"
        assert translation.gettext("Salon de la promotion") == "Cohort room"
        assert translation.ngettext("%(n)s membre", "%(n)s membres", 3) % {"n": 3} == "3 members"
    with translation.override("fr"):
        assert translation.gettext("Promotion") == "Promotion"


@pytest.mark.django_db
def test_login_page_in_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en"' in html
    assert "<h1>Log in</h1>" in html
    assert "No account yet?" in html
    assert "Connexion" not in html


@pytest.mark.django_db
def test_signup_page_header_and_footer_in_english_after_switching(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/signup/"})
    html = client.get("/accounts/signup/").content.decode()
    assert '<html lang="en"' in html
    assert "<h1>Create an account</h1>" in html
    assert "Skip to content" in html
    assert "Passerelles — learning to manage together" in html


@pytest.mark.django_db
def test_login_page_stays_french_by_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert "<h1>Connexion</h1>" in html
