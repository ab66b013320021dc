"""No word of the report, the board or the charts bypasses the `present` catalogue.

Everything is rendered in the pseudo-locale (`qps`), which wraps every message in ⟦ ⟧, from
copies of the fixtures whose data is marked: every word of every string the services answer
with starts with `§` (titles, names, ids, notes, minutes references, municipalities), but for
the codes the pages translate (states, outcomes, kinds, factors, dimensions) and the figures
(amounts, shares, dates). What is left outside ⟦ ⟧ must then be marked data, a number, a date
as Babel writes it (month names), or the currency code; any other word reached the page
without the catalogue, and the test names it.

The page is read as a reader gets it: the HTML's text and its pictures' `alt`, the board as the
terminal shows it (wide enough that no cell wraps a message), and the words drawn on each chart
(titles, labels, ticks, legends, annotations), read back from the matplotlib figures."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_skeleton
from matplotlib.text import Text as DrawnText

from ptrack.present.board import board_console, render_board
from ptrack.present.report import build_report
from shared.i18n import PSEUDO
from shared.present import formatting
from shared.present.charts import Chart, budget_chart, factor_chart, png, s_curve, timeline
from shared.present.formatting import Reader

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MARK = "§"
CODES = frozenset(
    {"state", "outcome", "kind", "factor", "dimension", "phase", "reported_status", "scope",
     "step", "language", "suppressed_reason"}
)  # fmt: skip
"""Keys whose values are codes the pages translate (the surveys service's reason for a
suppressed group among them: the pages must put it into words), so they stay as they are."""
DATA_KEYS = frozenset({"in_kind_by_municipality"})
"""Objects whose keys are data (municipalities) rather than field names."""
REASONS = frozenset({"undefined"})
"""Objects whose values are the reporting service's words for an undefined measure: the pages
must put them into the reader's words too."""
CURRENCY = frozenset({"NOK"})
"""The currency code, as Babel writes money for an English reader (the pseudo-locale's)."""
WORD = re.compile(r"[^\W\d_]+")
INNERMOST = re.compile(r"⟦[^⟦⟧]*⟧")
FIGURE = re.compile(r"^-?\d+(\.\d+)?$|^\d{4}-\d{2}(-\d{2})?([T ][\d:.+Z-]+)?$")


def _is_figure(text: str) -> bool:
    if not FIGURE.match(text):
        return False
    try:
        Decimal(text) if ":" not in text and text.count("-") <= 1 else None
    except InvalidOperation:
        return True
    return True


def mark(value: Any, key: str | None = None) -> Any:
    """A copy of `value` with every word of every data string marked."""
    if isinstance(value, dict):
        if key in REASONS:
            return dict(value)
        return {(_mark_words(k) if key in DATA_KEYS else k): mark(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mark(item, key) for item in value]
    if isinstance(value, str) and key not in CODES and not _is_figure(value):
        return _mark_words(value)
    return value


def _mark_words(text: str) -> str:
    return WORD.sub(lambda word: MARK + word.group(0), text)


def _allowed_dates() -> frozenset[str]:
    """The words Babel writes in the pseudo-locale's dates and months (English month names)."""
    reader = Reader(PSEUDO)
    words: set[str] = set()
    for month in range(1, 13):
        day = date(2010, month, 1)
        shown = [reader.date(day), reader.month(day.isoformat()[:7])]
        shown.append(reader.month(day.isoformat()[:7], short=True))
        shown.append(format_skeleton("MMM", day, locale=reader.formats.locale))
        for text in shown:
            words.update(WORD.findall(text))
    return frozenset(words)


ALLOWED = _allowed_dates() | CURRENCY


def bypassing(text: str) -> list[str]:
    """Every word outside ⟦ ⟧ that is neither marked data nor allowed, in context."""
    outside = text
    while True:
        stripped = INNERMOST.sub(" ", outside)
        if stripped == outside:
            break
        outside = stripped
    found = []
    for match in WORD.finditer(outside):
        word = match.group(0)
        if match.start() > 0 and outside[match.start() - 1] == MARK:
            continue
        if word in ALLOWED:
            continue
        context = outside[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
        found.append(f"{word!r} in …{context}…")
    return found


class Readable(HTMLParser):
    """What a reader of the page reads: its text (not its style) and its pictures' words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.skipping += 1
        self.parts.append(" ")
        for name, value in attrs:
            if name in ("alt", "title", "aria-label") and value:
                self.parts.append(f" {value} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.skipping -= 1
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def readable(document: str) -> str:
    page = Readable()
    page.feed(document)
    page.close()
    return "".join(page.parts)


def drawn(chart: Chart) -> str:
    """Every word drawn on the chart, its tick labels as drawn, and its alt text and caption."""
    png(chart.figure)  # tick labels are made when the figure is drawn
    texts = [t.get_text() for t in chart.figure.findobj(DrawnText)]
    return "\n".join([*texts, chart.alt, chart.caption])


@pytest.fixture
def status() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "status-2010-06-30.json").read_text())
    # An undefined measure and a suppressed factor bring the services' own reasons along.
    loaded["evm"]["total"]["undefined"] = {"tcpi": "BAC equals AC: no budget left for the "
                                           "remaining work"}  # fmt: skip
    marked: dict[str, Any] = mark(loaded)
    return marked


@pytest.fixture
def series() -> dict[str, Any]:
    marked: dict[str, Any] = mark(json.loads((FIXTURES / "series-2010-06-30.json").read_text()))
    return marked


@pytest.fixture
def history() -> dict[str, Any]:
    loaded = json.loads((FIXTURES / "history-2010-06-30.json").read_text())
    loaded["budget_revisions"] = [
        {"revised_on": "2010-06-15", "decision_ref": "SG-2010-03", "reason": "Seminar moved",
         "changes": [{"line": "contingency", "delta": "-5000.00"}],
         "in_kind_delta": "1000.00", "frame_delta": "0.00"},
    ]  # fmt: skip
    marked: dict[str, Any] = mark(loaded)
    return marked


def the_pages(
    status: dict[str, Any], series: dict[str, Any], history: dict[str, Any]
) -> Iterator[tuple[str, str]]:
    """(what, its text) for the report, the board and each chart, all in the pseudo-locale."""
    generated = datetime(2010, 7, 1, 8, 30, tzinfo=UTC)
    yield "report", readable(build_report(status, series, generated_at=generated, lang=PSEUDO,
                                          history=history))  # fmt: skip
    count_only = {**history, "budget_revisions": 2}
    yield (
        "report, revisions counted",
        readable(
            build_report(status, series, generated_at=generated, lang=PSEUDO, history=count_only)
        ),
    )
    yield (
        "report without history",
        readable(build_report(status, series, generated_at=generated, lang=PSEUDO)),
    )
    console = board_console(width=400)
    render_board(status, series, console, lang=PSEUDO)
    yield "board", console.export_text(styles=False)
    narrow = board_console(width=400)
    render_board({**status, "schedule": None, "evm": {}}, None, narrow, lang=PSEUDO)
    yield "board of a budget alone", narrow.export_text(styles=False)
    day = date.fromisoformat(status["status_date"])
    charts: dict[str, Callable[[], Chart | None]] = {
        "S-curve": lambda: s_curve(status, series, day, lang=PSEUDO),
        "budget chart": lambda: budget_chart(status["money"], lang=PSEUDO),
        "timeline": lambda: timeline(status["schedule"], status, day, lang=PSEUDO),
        "success factors": lambda: factor_chart(status["surveys"]["success_factors"], lang=PSEUDO),
    }
    for name, make in charts.items():
        chart = make()
        assert chart is not None
        yield name, drawn(chart)


def test_every_word_goes_through_the_catalogue(
    status: dict[str, Any], series: dict[str, Any], history: dict[str, Any]
) -> None:
    problems = {
        what: found
        for what, text in the_pages(status, series, history)
        if (found := bypassing(text))
    }
    detail = "\n".join(
        f"{what}:\n" + "\n".join(f"  {word}" for word in words) for what, words in problems.items()
    )
    assert not problems, f"words that bypass the catalogue:\n{detail}"


def test_the_pages_are_in_the_pseudo_locale_and_show_the_data(
    status: dict[str, Any], series: dict[str, Any], history: dict[str, Any]
) -> None:
    pages = dict(the_pages(status, series, history))
    report, board = pages["report"], pages["board"]
    assert "⟦Status report for the steering group⟧" in report
    assert "⟦reached late⟧" in report
    assert "⟦Cost performance index (CPI)⟧" in report
    assert f"{MARK}HM7" in report, "the data is there, marked"
    assert f"{MARK}SG-2010-03" in report, "one mark to a word"
    assert f"{MARK}SG{MARK}-2010-03" not in report
    assert "⟦ptrack status board⟧" in board
    assert f"{MARK}Kongsberg" in board
    assert "⟦fewer than 5 respondents⟧" in board
    assert "⟦BAC equals AC: no budget left for the remaining work⟧" in board
    assert "⟦Thousands of NOK, cumulative⟧" in pages["S-curve"]


def test_the_check_finds_a_message_that_bypasses_the_catalogue(
    status: dict[str, Any], series: dict[str, Any], history: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """One message un-wrapped, as if the code had written it without `_()`: the check names
    it, on every page it appears on."""
    wrapped = Reader._

    def leaky(self: Reader, message: str, **values: object) -> str:
        if message in ("Decision points", "status date {day}"):
            return message.format(**values)
        return wrapped(self, message, **values)

    monkeypatch.setattr(Reader, "_", leaky)
    problems = {
        what: found
        for what, text in the_pages(status, series, history)
        if (found := bypassing(text))
    }
    assert set(problems) >= {"report", "board"}
    assert any("'Decision'" in word for word in problems["report"])
    assert any("'points'" in word for word in problems["board"])
    assert any("'status'" in word for word in problems["board"])


def test_the_check_finds_data_the_pages_did_not_get_from_the_services() -> None:
    """A word the code writes itself (here a state name written out instead of translated) is
    found even between marked data; marked data, numbers, dates and NOK pass."""
    shown = f"⟦Milestones⟧ {MARK}M3 {MARK}Networks 75 NOK 30 Jun 2010 reached late −8,78"
    assert [word.split(" ")[0] for word in bypassing(shown)] == ["'reached'", "'late'"]
    assert bypassing("⟦⟦CPI⟧, ⟦cost budget⟧⟧ 0.6953 1 Sept 2010 September") == []


def test_codes_unknown_to_the_pages_show_as_data() -> None:
    """A state the services add before the pages know it is shown as the code, not hidden."""
    reader = Reader(PSEUDO)
    assert reader.code(formatting.MILESTONE_STATES, "reached_late") == "⟦reached late⟧"
    assert reader.code(formatting.MILESTONE_STATES, "abandoned") == "abandoned"
