"""The `present` catalogue (the report, the board and the charts) against the code: every message
ptrack/present and shared/present mark (found by Babel's extractor as `make messages` finds them,
from shared/locale/present.cfg) has a bokmål translation with the same placeholders, the codes
the services answer with are all named, and the Makefile extracts what this test reads.

A message added without a translation fails here: run `make messages` and translate it in
shared/locale/nb/LC_MESSAGES/present.po."""

from __future__ import annotations

import configparser
import io
import re
from collections import Counter
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.milestones.events import DecisionRecorded, GoalProgressReported
from services.milestones.schedule import DECISION_STATES as SERVICE_DECISION_STATES
from services.milestones.schedule import MILESTONE_STATES as SERVICE_MILESTONE_STATES
from services.milestones.schedule import GoalState
from shared.i18n import translations
from shared.present import formatting
from shared.present.formatting import DOMAIN, Reader

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "shared" / "locale" / "present.cfg"
PO = ROOT / "shared" / "locale" / "nb" / "LC_MESSAGES" / "present.po"
SOURCES = ("ptrack/present", "shared/present")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
}
"""As the Makefile's `messages` target passes them (PRESENT_KEYWORDS)."""
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def extracted() -> dict[str | tuple[str, str], set[str]]:
    """Every message the two packages mark, with the files marking it."""
    parser = configparser.ConfigParser()
    parser.read(MAPPING, encoding="utf-8")
    methods = [
        (section.partition(":")[2].strip(), section.partition(":")[0].strip())
        for section in parser.sections()
    ]
    found: dict[str | tuple[str, str], set[str]] = {}
    for source in SOURCES:
        for filename, _line, message, _comments, _context in extract_from_dir(
            ROOT / source, methods, keywords=KEYWORDS
        ):
            key = message if isinstance(message, str) else (message[0], message[1])
            if key:
                found.setdefault(key, set()).add(f"{source}/{filename}")
    return found


def catalogue() -> Catalog:
    return read_po(io.BytesIO(PO.read_bytes()), locale="nb")


def _strings(text: str | tuple[str, ...] | list[str] | None) -> list[str]:
    """A message's id or translation as a list: one, or a plural's forms; none when empty."""
    if isinstance(text, str):
        return [text] if text else [""]
    return list(text or [""])


@pytest.fixture(scope="module")
def messages() -> dict[str | tuple[str, str], set[str]]:
    return extracted()


def test_the_makefile_extracts_what_this_test_reads() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "PRESENT_KEYWORDS := -k _ -k N_ -k gettext -k ngettext:1,2" in makefile
    assert "-F shared/locale/present.cfg" in makefile
    assert "ptrack/present shared/present" in makefile
    assert "-D present -l nb" in makefile


def test_extraction_reads_the_report_the_board_and_the_charts(
    messages: dict[str | tuple[str, str], set[str]],
) -> None:
    files = set().union(*messages.values())
    assert {
        "ptrack/present/report.py",
        "ptrack/present/board.py",
        "shared/present/charts.py",
        "shared/present/formatting.py",
    } <= files
    assert "Status report for the steering group" in messages
    assert ("{days} day", "{days} days") in messages, "plurals are extracted"
    assert len(messages) > 250


def test_every_message_has_a_bokmal_translation(
    messages: dict[str | tuple[str, str], set[str]],
) -> None:
    catalog = catalogue()
    missing = []
    for message in messages:
        entry = catalog.get(message if isinstance(message, str) else message[0])
        if entry is None or entry.fuzzy or not all(s.strip() for s in _strings(entry.string)):
            missing.append(message)
    detail = "\n".join(f"  {m!r} ({', '.join(sorted(messages[m]))})" for m in missing)
    assert not missing, (
        f"{len(missing)} message(s) without a bokmål translation; run `make messages` and "
        f"translate them in {PO.relative_to(ROOT)}:\n{detail}"
    )


def test_translations_keep_the_placeholders() -> None:
    def placeholders(text: str) -> Counter[str]:
        return Counter(PLACEHOLDER.findall(text))

    wrong = []
    for entry in catalogue():
        if not entry.id:
            continue
        ids = _strings(entry.id)
        for text in _strings(entry.string):
            # A plural's singular may leave its number out; never add one the id lacks.
            if not set(placeholders(text)) <= set(placeholders(ids[-1])):
                wrong.append((entry.id, text))
            if len(ids) == 1 and placeholders(text) != placeholders(ids[0]):
                wrong.append((entry.id, text))
    assert not wrong


def test_the_catalogue_header() -> None:
    catalog = catalogue()
    assert str(catalog.locale) == "nb"
    assert catalog.charset == "utf-8"
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not catalog.fuzzy
    assert not catalog.obsolete, "obsolete entries: run `make messages` and drop them"


def test_the_codes_are_those_the_services_answer_with() -> None:
    """formatting.py writes the codes out (shared imports no service): the same lists, so a new
    state gets its words. (Dimensions and success factors are the plan's, with their names.)"""
    assert set(formatting.MILESTONE_STATES) == set(SERVICE_MILESTONE_STATES)
    assert set(formatting.GOAL_STATES) == set(get_args(GoalState))
    assert set(formatting.DECISION_STATES) == set(SERVICE_DECISION_STATES)
    outcomes = DecisionRecorded.model_fields["outcome"].annotation
    assert set(formatting.OUTCOMES) == set(get_args(outcomes))
    reported = GoalProgressReported.model_fields["status"].annotation
    assert set(get_args(reported)) <= set(formatting.GOAL_STATES)


def test_the_state_names_read_in_bokmal() -> None:
    nb = Reader("nb")
    assert nb.code(formatting.MILESTONE_STATES, "reached_on_time") == "nådd i tide"
    assert nb.code(formatting.MILESTONE_STATES, "reached_late") == "nådd for sent"
    assert nb.code(formatting.MILESTONE_STATES, "overdue") == "forsinket"
    assert nb.code(formatting.DECISION_STATES, "pending") == "avventer vedtak"
    assert nb.code(formatting.MILESTONE_STATES, "new_state") == "new_state", "data as it is"
    assert Reader("en").code(formatting.MILESTONE_STATES, "reached_late") == "reached late"


def test_every_measure_is_explained_in_both_languages() -> None:
    nb = translations("nb", DOMAIN)
    for measure in formatting.MEASURES:
        for message in (measure.name, measure.explanation):
            assert nb.gettext(message) != message, message
    assert nb.gettext(formatting.MEASURE["cpi"].name) == "Kostnadsindeks (CPI)"
    assert nb.gettext(formatting.MEASURE["ev"].name) == "Opptjent verdi (EV)"


def test_figures_in_each_language() -> None:
    nb, en = Reader("nb"), Reader("en")
    nbsp = "\N{NO-BREAK SPACE}"
    assert nb.amount("440000.00") == f"440{nbsp}000,00"
    assert en.amount("440000.00") == "440,000.00"
    assert nb.money("440000.00") == f"440{nbsp}000,00{nbsp}kr"
    assert nb.date("2010-12-31") == "31.12.2010"
    assert en.date("2010-12-31") == "31 Dec 2010"
    assert nb.percent(0.93) == f"93,0{nbsp}%"
    assert en.percent("0.3333") == "33.3%"
    assert nb.decimal("0.6953") == "0,6953"
    assert nb.decimal(150) == "150"
    assert nb.month("2010-09") == "september 2010"
    assert nb.points("-0.2333") == "-23,3 pp"
    assert nb.slip(75) == "+75 d"
    assert nb.slip_days(75) == "+75 dager"
    assert en.slip_days(-1) == "-1 day"
    assert nb.amount(None) == nb.percent(None) == nb.date(None) == "–"
