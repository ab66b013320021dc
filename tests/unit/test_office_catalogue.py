"""The office's bokmål catalogue against the office itself: every message the templates and the
Python modules of services/office mark (found by Babel's extractors, as `make messages` finds
them, from services/office/babel.cfg) has a bokmål translation with the same placeholders, the
codes the services answer with are all among them, and a page rendered in bokmål is in bokmål.

A message added without a translation fails here: run `make messages` and translate it in
services/office/locale/nb/LC_MESSAGES/office.po."""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import get_args

import pytest
from babel.messages.catalog import Catalog
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.milestones.schedule import DECISION_STATES, MILESTONE_STATES, GoalState
from services.office import codes, forms
from services.office.i18n import translations
from services.office.session import SIGN_IN_ROLES
from services.office.sheets import (
    FIELD_OF_COLUMN,
    MAX_BYTES,
    MAX_ROWS,
    SheetError,
    read_sheet,
)
from tests.unit.catalogues import extract, read_catalogue, untranslated

ROOT = Path(__file__).resolve().parents[2]
OFFICE = ROOT / "services" / "office"
MAPPING = OFFICE / "babel.cfg"
PO = OFFICE / "locale" / "nb" / "LC_MESSAGES" / "office.po"
KEYWORDS: dict[str, None] = {"_": None, "gettext": None, "N_": None}
"""As `make messages` passes them: `_()` in templates, `N_()` and `gettext()` in Python."""
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|\{(\w*)\}")
"""`%(good)s` of the templates' newstyle gettext, `{number}` of str.format."""


def extracted() -> dict[str, set[str]]:
    """Every message the office marks, with the files (relative to services/office) marking it."""
    return extract(MAPPING, [OFFICE], KEYWORDS)


def catalogue(source: bytes | None = None) -> Catalog:
    return read_catalogue(PO, source)


def placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text))


@pytest.fixture(scope="module")
def messages() -> dict[str, set[str]]:
    return extracted()


def test_extraction_reads_every_template_and_the_marking_modules(
    messages: dict[str, set[str]],
) -> None:
    files = set().union(*messages.values())
    templates = {f"templates/{path.name}" for path in (OFFICE / "templates").glob("*.html")}
    assert templates <= files, f"templates without messages: {sorted(templates - files)}"
    assert {"forms.py", "signin.py", "codes.py"} <= files
    assert len(messages) > 250


def test_every_message_has_a_bokmal_translation(messages: dict[str, set[str]]) -> None:
    missing = untranslated(messages, catalogue())
    detail = "\n".join(f"  {text!r} ({', '.join(sorted(messages[text]))})" for text in missing)
    assert not missing, (
        f"{len(missing)} message(s) without a bokmål translation; run `make messages` and "
        f"translate them in {PO.relative_to(ROOT)}:\n{detail}"
    )


def test_the_check_catches_a_message_left_untranslated(messages: dict[str, set[str]]) -> None:
    before = set(untranslated(messages, catalogue()))
    blanked = PO.read_bytes().replace(b'msgstr "Logg inn"', b'msgstr ""')
    assert set(untranslated(messages, catalogue(blanked))) - before == {"Sign in"}
    fuzzy = PO.read_bytes().replace(b'msgid "Sign in"\n', b'#, fuzzy\nmsgid "Sign in"\n')
    assert set(untranslated(messages, catalogue(fuzzy))) - before == {"Sign in"}


def test_translations_keep_the_placeholders() -> None:
    wrong = [
        (entry.id, entry.string)
        for entry in catalogue()
        if entry.id and entry.string
        if placeholders(str(entry.id)) != placeholders(str(entry.string))
    ]
    assert not wrong


def _bare_percents(text: str) -> int:
    """The `%` signs that are neither `%%` nor a `%(name)s` placeholder."""
    return re.sub(r"%%|%\(\w+\)[sdifr]", "", text).count("%")


def test_translations_survive_newstyle_gettext() -> None:
    """Jinja2's newstyle `_()` always applies `%` to what the catalogue returns, so a lone `%`
    in a translation (`50 %`) would break a page that works in English."""
    broken = [
        (entry.id, entry.string)
        for entry in catalogue()
        if entry.id and entry.string
        if _bare_percents(str(entry.string)) > _bare_percents(str(entry.id))
    ]
    assert not broken


def test_the_catalogue_header() -> None:
    catalog = catalogue()
    assert str(catalog.locale) == "nb"
    assert catalog.charset == "utf-8"
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not catalog.fuzzy
    assert not catalog.obsolete, "obsolete entries: run `make messages` and drop them"


def test_codes_cover_what_the_services_answer_with() -> None:
    """codes.py writes the services' codes out (the office imports no other service): the same
    lists, so a new state reaches the catalogue. (Dimensions and success factors are the
    plan's, shown by the names it gives.)"""
    assert set(codes.MILESTONE_STATES) == set(MILESTONE_STATES)
    assert set(codes.GOAL_STATES) == set(get_args(GoalState))
    assert set(codes.DECISION_STATES) == set(DECISION_STATES)
    assert set(codes.OUTCOMES) == {value for value, _ in forms.OUTCOMES}
    assert set(codes.ROLES) == set(SIGN_IN_ROLES)
    assert set(codes.COLUMNS) == set(FIELD_OF_COLUMN)


def _xlsx_without_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


HEADER = "navn;kommune;aktivitet;dato;timer;sats"
BAD_FILES: dict[str, tuple[str, bytes]] = {
    "unsupported_type": ("hours.pdf", b"%PDF"),
    "not_csv": ("hours.csv", b"PK\x03\x04rest"),
    "not_xlsx": ("hours.xlsx", b"navn;kommune"),
    "unreadable": ("hours.xlsx", _xlsx_without_a_workbook()),
    "empty": ("hours.csv", b""),
    "too_large": ("hours.csv", b" " * (MAX_BYTES + 1)),
    "too_many_rows": (
        "hours.csv",
        "\n".join([HEADER] + ["Kari;Kongsberg;a1;06.04.2010;7,5;450"] * (MAX_ROWS + 1)).encode(),
    ),
    "utf16": ("hours.csv", b"\xff\xfe\x00\xd8"),
}


def _sheet_message(filename: str, content: bytes) -> str:
    with pytest.raises(SheetError) as raised:
        read_sheet(filename, content)
    return raised.value.message


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_sheet_that_cannot_be_read_is_explained_in_bokmal(case: str) -> None:
    nb = translations("nb").gettext
    message = _sheet_message(*BAD_FILES[case])
    assert nb(message) != message, f"untranslated: {message!r} (add it to codes.py)"


def test_cell_problems_are_explained_in_bokmal() -> None:
    nb = translations("nb").gettext
    rows = "\n".join([HEADER, ";Kongsberg;a1;6 april;sju;450", "Kari;Kongsberg;a1;;7;kr 450,-"])
    found = {
        (e.column, e.message) for row in read_sheet("h.csv", rows.encode()).rows for e in row.errors
    }
    assert {column for column, _ in found} == {"person", "date", "hours"}
    for column, message in found:
        assert nb(column) != column
        assert nb(message) != message, f"untranslated: {message!r} (add it to codes.py)"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(OFFICE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
    )
    env.install_gettext_translations(translations("nb"), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(lang="nb", languages={"nb": "Norsk bokmål", "en": "English"})
    return env


def test_a_page_rendered_in_bokmal_is_in_bokmal() -> None:
    page = (
        _environment()
        .get_template("signin.html")
        .render(
            request=SimpleNamespace(url=SimpleNamespace(path="/signin")),
            session=None,
            form_token="token",
            next_path="/projects",
            error=None,
        )
    )
    assert "<title>Logg inn · ptrack</title>" in page
    assert "Personlig nøkkel" in page
    assert "Prosjektkontoret" in page
    assert "Sign in" not in page


def test_placeholders_are_filled_in_bokmal() -> None:
    page = (
        _environment()
        .get_template("preview.html")
        .render(
            request=SimpleNamespace(url=SimpleNamespace(path="/upload")),
            session=SimpleNamespace(csrf="token", may_record=True, name="Kari", role="manager"),
            project="kongsbergregionen-2010",
            filename="timer.csv",
            rows=[],
            ignored=[],
            good=0,
            carried="[]",
        )
    )
    assert "0 av 0 rader kan registreres." in page
    assert "Kari (prosjektleder)" in page


def test_codes_from_the_services_read_in_bokmal() -> None:
    nb = translations("nb").gettext
    assert nb("reached_on_time") == "nådd i tide"
    assert nb("reached_late") == "nådd for sent"
    assert nb("In-kind hours") == "Egeninnsats (timer)"
