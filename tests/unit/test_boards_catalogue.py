"""The `boards` catalogue (shared/locale/nb/LC_MESSAGES/boards.po) against the Grafana boards
(tools/dashboards) and the alerts (deploy/prometheus/rules/ptrack.rules.yml):

- every message the generator asks for is one Babel extracts (as `make messages` does, from
  shared/locale/boards.cfg), and has a bokmål translation with the same placeholders;
- boards generated in the pseudo-locale show no word outside ⟦ ⟧ in any text a person reads, so
  nothing bypasses the catalogue (and the check is shown to catch one that does);
- the bokmål boards hold no English the catalogue translates;
- each alert's bokmål `summary` and `description` are the catalogue's translations of its
  `summary_en` and `description_en`, so the two cannot drift apart;
- the codes the boards name are the services' own.

A message added without a translation fails here: run `make messages`, translate it in
shared/locale/nb/LC_MESSAGES/boards.po and run `make dashboards`."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from babel.messages.catalog import Catalog

from services.milestones.events import DecisionRecorded
from services.milestones.schedule import DECISION_STATES, GOAL_STATES, MILESTONE_STATES
from services.registry.metrics import STATES as NETWORK_STATES
from shared.i18n import LANGUAGES, PSEUDO
from tests.unit.catalogues import extract, read_catalogue, untranslated
from tools.dashboards import codes
from tools.dashboards.alerts import RULES, alert_texts
from tools.dashboards.generate import build_dashboards
from tools.dashboards.panels import DOMAIN, Language

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "shared" / "locale"
MAPPING = LOCALE / "boards.cfg"
PO = LOCALE / "nb" / "LC_MESSAGES" / "boards.po"
SOURCES = [ROOT / "tools" / "dashboards", RULES.parent]
"""The folders `make messages` extracts the domain from."""
KEYWORDS: dict[str, None] = {"_": None, "N_": None}

Board = dict[str, Any]


# --- the catalogue ------------------------------------------------------------------------------


def extracted() -> dict[str, set[str]]:
    """Every message of the domain, with the files marking it."""
    return extract(MAPPING, SOURCES, KEYWORDS)


def catalogue(source: bytes | None = None) -> Catalog:
    return read_catalogue(PO, source)


def translator(catalog: Catalog) -> Callable[[str], str]:
    def gettext(message: str) -> str:
        entry = catalog.get(message)
        return str(entry.string) if entry is not None and entry.string else message

    return gettext


def leaving(one: str, gettext: Callable[[str], str]) -> Callable[[str], str]:
    """`gettext`, but with the message `one` left as written: a text that bypasses the
    catalogue, for the tests that show a check catches one."""
    return lambda message: message if message == one else gettext(message)


def asked_for() -> set[str]:
    """Every message the generator asks the catalogue for, building every board."""
    asked: set[str] = set()

    def recording(message: str) -> str:
        asked.add(message)
        return message

    build_dashboards(Language("en", recording))
    return asked


@functools.cache
def alert_messages() -> frozenset[str]:
    return frozenset(text.english for text in alert_texts(RULES.read_text()) if text.english)


@pytest.fixture(scope="module")
def messages() -> dict[str, set[str]]:
    return extracted()


def test_extraction_finds_what_the_boards_and_the_alerts_ask_for(
    messages: dict[str, set[str]],
) -> None:
    """A message built at run time (a variable, an f-string) would be asked for but never
    extracted, so never translated; a message marked but never asked for is dead weight."""
    boards = asked_for()
    assert boards - set(messages) == set(), "asked for but not extracted"
    assert set(messages) - boards - alert_messages() == set(), "extracted but never asked for"
    files = set().union(*messages.values())
    assert {"finance.py", "panels.py", "codes.py", "ptrack.rules.yml"} <= files
    assert len(alert_messages()) == 2 * 13


def test_every_message_has_a_bokmal_translation(messages: dict[str, set[str]]) -> None:
    missing = untranslated(set(messages), catalogue())
    detail = "\n".join(f"  {text!r} ({', '.join(sorted(messages[text]))})" for text in missing)
    assert not missing, (
        f"{len(missing)} message(s) without a bokmål translation; run `make messages` and "
        f"translate them in {PO.relative_to(ROOT)}:\n{detail}"
    )


def test_the_catalogue_holds_what_is_extracted_and_no_more(messages: dict[str, set[str]]) -> None:
    catalog = catalogue()
    assert {str(entry.id) for entry in catalog if entry.id} == set(messages), (
        "the catalogue is not up to date: run `make messages`"
    )
    assert not catalog.obsolete, "obsolete entries: run `make messages` and drop them"
    assert str(catalog.locale) == "nb"
    assert catalog.charset == "utf-8"
    assert not catalog.fuzzy


def test_the_check_catches_a_message_left_untranslated(messages: dict[str, set[str]]) -> None:
    before = set(untranslated(set(messages), catalogue()))
    blanked = PO.read_bytes().replace(b'msgstr "Ramme"', b'msgstr ""')
    assert set(untranslated(set(messages), catalogue(blanked))) - before == {"Frame"}
    fuzzy = PO.read_bytes().replace(b'msgid "Frame"\n', b'#, fuzzy\nmsgid "Frame"\n')
    assert set(untranslated(set(messages), catalogue(fuzzy))) - before == {"Frame"}


GRAFANA_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|\{\w*\}")
"""`${scope:text}` (a variable in a description), `{{service}}` (a label in a legend) and
`{percent}` (str.format)."""
ALERT_REFERENCE = re.compile(r"\$labels\.\w+|\$value\b")


def placeholders(message: str, text: str) -> Counter[str]:
    if message in alert_messages():
        # A Prometheus template: bokmål may format a number its own way (reReplaceAll after
        # it), but names the same labels and values.
        return Counter(ALERT_REFERENCE.findall(text))
    return Counter(GRAFANA_PLACEHOLDER.findall(text))


def test_translations_keep_the_placeholders() -> None:
    wrong = [
        (entry.id, entry.string)
        for entry in catalogue()
        if entry.id and entry.string
        if placeholders(str(entry.id), str(entry.id))
        != placeholders(str(entry.id), str(entry.string))
        or str(entry.string).count("{{") != str(entry.string).count("}}")
    ]
    assert not wrong


# --- the boards in the pseudo-locale ------------------------------------------------------------

TEXT_KEYS = {"title", "description", "label", "legendFormat", "displayName", "text", "axisLabel"}
"""Keys whose string a person reads, wherever they are in a board's JSON."""
UNIT_WORD = re.compile(r"^(?:suffix|prefix):(.*)$")


def texts(board: Board) -> Iterator[tuple[str, str]]:
    """(where, text) of every text a person reads on a board: titles and descriptions of the
    board, rows and panels, variables' labels, descriptions and option names, legends, column
    and series names, value mappings, unit words, the annotation's and the menu's names."""

    def walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{where}.{key}"
                if key in TEXT_KEYS and isinstance(value, str):
                    yield here, value
                elif key == "unit" and isinstance(value, str):
                    if word := UNIT_WORD.match(value):
                        yield here, word.group(1)
                elif key == "renameByName" and isinstance(value, dict):
                    yield from ((f"{here}.{k}", str(v)) for k, v in value.items())
                elif key == "properties" and isinstance(value, list):
                    for item in value:
                        # A field's settings: {"id": "displayName", "value": "..."} and so on.
                        if item.get("id") in TEXT_KEYS and isinstance(item.get("value"), str):
                            yield f"{here}.{item['id']}", item["value"]
                        elif item.get("id") == "unit" and (word := UNIT_WORD.match(item["value"])):
                            yield f"{here}.unit", word.group(1)
                        else:
                            yield from walk(item, here)
                else:
                    yield from walk(value, here)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                yield from walk(item, f"{where}[{index}]")

    yield from walk(board, board.get("uid", "?"))
    for annotation in board.get("annotations", {}).get("list", []):
        yield f"{board['uid']}.annotations.name", annotation["name"]
    for variable in board.get("templating", {}).get("list", []):
        if variable["type"] == "custom":
            # `text : value` pairs: the texts are read, the values are what queries get.
            for option in re.split(r"(?<!\\),", variable["query"]):
                text, _, _value = option.rpartition(" : ")
                yield f"{board['uid']}.${variable['name']}", text


WRAPPED = re.compile(r"⟦[^⟦⟧]*⟧")
TEMPLATES = re.compile(r"\{\{[^}]*\}\}|\$\{[^}]*\}|\$\w+")
"""Grafana's: a label in a legend, a variable in a description."""
WORD = re.compile(r"[^\W\d_]+")


def bypassing(boards: dict[str, Board]) -> list[str]:
    """Every text with a word outside ⟦ ⟧ (and outside {{label}} and $variable templates): a
    word that did not come from the catalogue."""
    found = []
    for name, board in boards.items():
        for where, text in texts(board):
            rest = TEMPLATES.sub(" ", WRAPPED.sub(" ", text))
            if WORD.search(rest):
                found.append(f"{name}: {where}: {text!r}")
    return found


def test_no_text_on_a_board_bypasses_the_catalogue() -> None:
    boards = build_dashboards(PSEUDO)
    seen = [text for board in boards.values() for _, text in texts(board)]
    assert len(seen) > 250  # the walk finds the texts (and not nothing)
    offenders = bypassing(boards)
    assert not offenders, "texts that bypass the catalogue:\n" + "\n".join(offenders)


def test_the_check_catches_a_text_that_bypasses_the_catalogue() -> None:
    pseudo = Language.of(PSEUDO).gettext
    for one, where, shown in [
        ("Frame", "finance.json: ptrack-finance-qps.panels[1].title", "Frame"),
        ("Due", "renameByName", "Due"),
        ("Month", "displayName", "Month"),
        ("h", ".unit", "h"),
        ("p{percent}", "legendFormat", "p95 {{service}}"),
        ("money", "$scope", "money"),
        ("ptrack boards", ".links[0].title", "ptrack boards"),
        ("Annotations & Alerts", "annotations.name", "Annotations & Alerts"),
        ("due soon", "due_soon.text", "due soon"),
    ]:
        # Found where the message is shown, and nothing else is.
        offenders = bypassing(build_dashboards(Language(PSEUDO, leaving(one, pseudo))))
        assert any(where in offender for offender in offenders), (one, offenders)
        assert any(repr(shown) in offender for offender in offenders), (one, offenders)
        stem = one.split("{")[0]  # the message as written, before any placeholder
        assert all(stem in offender for offender in offenders), (one, offenders)


def test_every_board_is_built_in_every_language() -> None:
    for lang in [*LANGUAGES, PSEUDO]:
        boards = build_dashboards(lang)
        assert set(boards) == {
            "project-status.json",
            "finance.json",
            "networks-and-surveys.json",
            "operations.json",
        }


# --- the bokmål boards --------------------------------------------------------------------------

ENGLISH_WORDS = re.compile(
    r"\b(?:the|and|of|with|against|by|Milestones?|Budget|booked|Funding|Networks?|Surveys?"
    r"|Events|Requests|Latency|Decisions?|Schedule|Goals?|Project|Month)\b"
)
"""A few English words the bokmål boards must not show (metric and alert names, such as
BudgetLineNearlySpent, are not words here)."""


def english_on(boards: dict[str, Board], catalog: Catalog) -> list[str]:
    """The texts of bokmål boards that are an English message the catalogue translates, or hold
    one of the English words above."""
    translated = {
        str(entry.id) for entry in catalog if entry.id and entry.string and entry.string != entry.id
    }
    return [
        f"{name}: {where}: {text!r}"
        for name, board in boards.items()
        for where, text in texts(board)
        if text in translated or ENGLISH_WORDS.search(TEMPLATES.sub(" ", text))
    ]


def test_the_bokmal_boards_are_in_bokmal() -> None:
    nb, en = build_dashboards("nb"), build_dashboards("en")
    for name in nb:
        assert nb[name]["title"] != en[name]["title"], name
        rows_nb = [p["title"] for p in nb[name]["panels"] if p["type"] == "row"]
        rows_en = [p["title"] for p in en[name]["panels"] if p["type"] == "row"]
        assert all(a != b for a, b in zip(rows_nb, rows_en, strict=True)), name
    english = english_on(nb, catalogue())
    assert not english, "English on the bokmål boards:\n" + "\n".join(english)


def test_the_check_catches_english_on_a_bokmal_board() -> None:
    catalog = catalogue()
    nb = translator(catalog)
    for one, shown in [("Frame", "Frame"), ("Budget lines", "Budget lines"), ("h", "h")]:
        found = english_on(build_dashboards(Language("nb", leaving(one, nb))), catalog)
        assert found, one
        assert all(repr(shown) in line for line in found), (one, found)
    # A word of English in a text of its own (a legend written without the catalogue).
    english = {"finance.json": {"uid": "x", "title": "Budsjett", "description": "the frame"}}
    assert english_on(english, catalog) == ["finance.json: x.description: 'the frame'"]


# --- the alerts ---------------------------------------------------------------------------------


def drifted(source: str, gettext: Callable[[str], str]) -> list[str]:
    """The alerts' annotations whose bokmål is not the catalogue's translation of the English."""
    wrong = []
    for text in alert_texts(source):
        if not text.english or not text.default:
            wrong.append(f"{text.alert}: {text.annotation} or {text.annotation}_en is missing")
        elif gettext(text.english) != text.default:
            wrong.append(
                f"{text.alert}.{text.annotation} (line {text.line}): the catalogue says "
                f"{gettext(text.english)!r}, the rules file {text.default!r}"
            )
        elif text.default == text.english:
            wrong.append(f"{text.alert}.{text.annotation}: not translated")
    return wrong


def test_every_alert_speaks_both_languages_as_the_catalogue_does() -> None:
    texts_ = list(alert_texts(RULES.read_text()))
    assert len(texts_) == 2 * 13  # summary and description of each of the thirteen alerts
    assert not drifted(RULES.read_text(), Language.of("nb").gettext)


def test_the_check_catches_an_alert_drifting_from_the_catalogue() -> None:
    nb = Language.of("nb").gettext
    source = RULES.read_text()
    changed = source.replace("er nede", "er nede nå", 1)
    assert changed != source
    assert [line.split(" (")[0] for line in drifted(changed, nb)] == ["ServiceDown.summary"]
    unpaired = source.replace("summary_en:", "summary_english:", 1)
    assert drifted(unpaired, nb) == ["MilestoneOverdue: summary or summary_en is missing"]


def test_the_domain_is_read_from_shared_locale() -> None:
    assert DOMAIN == "boards"
    assert Language.of("nb").gettext("Frame") == "Ramme"
    assert Language.of("en").gettext("Frame") == "Frame"
    assert Language.of(PSEUDO).gettext("Frame") == "⟦Frame⟧"


# --- the codes ----------------------------------------------------------------------------------


def test_the_codes_named_are_the_services_own() -> None:
    assert list(codes.MILESTONE_STATES) == list(MILESTONE_STATES)
    assert list(codes.DECISION_STATES) == list(DECISION_STATES)
    assert list(codes.GOAL_STATES) == list(GOAL_STATES)
    assert set(codes.OUTCOMES) == set(get_args(DecisionRecorded.model_fields["outcome"].annotation))
    assert list(codes.NETWORK_STATES) == list(NETWORK_STATES)
    assert set(codes.SURVEY_STATES) == {"open", "closed"}  # services/surveys/metrics.py
