"""The terminal board and the HTML report from a fixed status: the reporting service's answer for
the default project on 30 June 2010 (a history of bookings, in-kind hours, milestones, decisions,
networks and surveys), saved as JSON so these tests need no services."""

from __future__ import annotations

import base64
import copy
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib import image as mpimg

from ptrack.present.board import board_text
from ptrack.present.report import build_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GENERATED_AT = datetime(2010, 7, 1, 8, 30, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def status() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "status-2010-06-30.json").read_text())
    return loaded


@pytest.fixture
def series() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "series-2010-06-30.json").read_text())
    return loaded


def row(text: str, first_cell: str) -> str:
    """The board line whose first cell is `first_cell` (tables are framed by `│`)."""
    for line in text.splitlines():
        cells = line.strip("│ ").split()
        if cells and cells[0] == first_cell:
            return line
    raise AssertionError(f"no row starting with {first_cell!r} in:\n{text}")


def line_with(text: str, needle: str) -> str:
    """The board line holding `needle` anywhere (tables side by side share lines)."""
    for line in text.splitlines():
        if needle in line:
            return line
    raise AssertionError(f"no line with {needle!r} in:\n{text}")


def squeeze(line: str) -> str:
    return re.sub(r"\s+", " ", line)


# --- the board --------------------------------------------------------------------------------


def test_board_shows_the_read_models_figures(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    text = board_text(status, series)
    assert "\x1b[" not in text, "no colour codes in the plain text"
    assert all(len(line) <= 120 for line in text.splitlines())

    assert "Nettverk som arbeidsform i Kongsbergregionen (kongsbergregionen-2010)" in text
    assert "status date 2010-06-30 · baseline 1" in text

    # M3 was due 1 May, is forecast for 15 July and not reached: overdue, at least 75 days late.
    m3 = squeeze(row(text, "M3"))
    assert "2010-05-01 2010-07-15 – +75 d overdue" in m3
    assert "+5 d reached_late" in squeeze(row(text, "M2"))
    assert "worst slip +75 d (M3)" in text
    assert "1 overdue, 1 reached on time, 1 reached late" in text

    assert "80.0 % at_risk 2010-06-15 overdue Two focus areas remain" in squeeze(row(text, "HM2"))
    assert "deferred deferred 2010-06-10 (SG-2010-03)" in squeeze(row(text, "BP2"))
    assert "100.0 % 80.0 % ████████░░ -20.0 pp" in squeeze(row(text, "assess-ways"))

    # Lines at their share, the one above 90 % first.
    expertise = squeeze(row(text, "external-expertise"))
    assert "50,000.00 46,500.00 3,500.00 93.0 %" in expertise
    assert "25,800.50 24,199.50 51.6 %" in squeeze(row(text, "process-costs"))
    assert "240,000.00 131,600.50 108,399.50 54.8 %" in squeeze(row(text, "money"))
    assert "440,000.00 255,800.50 184,199.50 58.1 %" in squeeze(row(text, "total"))
    assert "60,000.00" in row(text, "Kongsberg")
    assert "240,000.00 120,000.00 50.0 %" in squeeze(line_with(text, "discretionary-grant"))

    # Earned value, both scopes, as the read model rounds them.
    assert "CPI 0.6953 0.7252" in squeeze(row(text, "CPI"))
    assert "SPI(t) 0.9415 0.9021" in squeeze(row(text, "SPI(t)"))
    assert "EAC = BAC / CPI 345,181.64 606,750.51" in squeeze(row(text, "EAC"))
    assert "VAC = BAC − EAC -105,181.64 -166,750.51" in squeeze(row(text, "VAC"))
    assert "TCPI 1.3699 1.3817" in squeeze(row(text, "TCPI"))
    # The S-curve beside it: EV and AC end at the status date.
    assert "2010-06-30 97,500.00 91,500.00 131,600.50" in squeeze(text)
    assert "2010-07-31 118,000.00 – –" in squeeze(text)

    assert "Coverage: 8 mapped, 6 assessed (75.0 %), 8 active, 0 retired" in text
    assert "Pilot: 2 of 3–5 networks (1 short of the target): helse, oppvekst" in text
    assert "tool_use 2.17 1 4 6" in squeeze(row(text, "tool_use"))
    assert "8 of 12 66.7 % closed" in squeeze(row(text, "kickoff-2010-06"))
    assert "anchoring 0.25" in squeeze(row(text, "anchoring"))
    suppressed = squeeze(row(text, "small_visible_successes"))
    assert "suppressed (fewer than 5 respondents)" in suppressed


def test_board_shows_undefined_measures_with_their_reason(status: dict[str, Any]) -> None:
    early = copy.deepcopy(status)
    money = early["evm"]["money"]
    for name in ("cpi", "eac_cpi", "etc", "vac"):
        money[name] = None
    money["undefined"] = {
        "cpi": "AC is 0: nothing booked by the status date",
        "eac_cpi": "CPI is undefined: AC is 0",
    }
    text = board_text(early, None)
    assert "CPI – 0.7252" in squeeze(row(text, "CPI"))
    assert "CPI (money): AC is 0: nothing booked by the status date" in text
    assert "EAC (money): CPI is undefined: AC is 0" in text
    assert "S-curve" not in text, "no series given, none drawn"


def test_board_of_a_project_known_only_to_finance(status: dict[str, Any]) -> None:
    bare = {**status, "schedule": None, "evm": {}, "period_start": None, "period_end": None}
    bare["networks"] = {"coverage": None, "pilot": None, "scores": []}
    bare["surveys"] = {"surveys": [], "success_factors": []}
    text = board_text(bare, None)
    assert "no plan baseline" in text
    assert "Schedule" not in text
    assert "Earned value" not in text
    assert "Coverage: no networks mapped yet" in text
    assert "46,500.00" in row(text, "external-expertise")


# --- the report -------------------------------------------------------------------------------


class Page(HTMLParser):
    """Collects what the checks need and fails on tags closed out of order."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "source", "wbr"})
    INLINE = frozenset({"span", "strong", "em", "b", "i", "a", "small", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str]] = []
        self.open: list[str] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.append(tag)
        if tag == "img":
            self.images.append(values)
        self.urls += [values[name] for name in ("src", "href") if name in values]
        if tag not in self.VOID:
            self.open.append(tag)
        if tag not in self.INLINE:
            self.text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1:] == [tag], f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()
        if tag not in self.INLINE:
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    assert page.open == [], f"unclosed tags: {page.open}"
    return page


def decode_png(src: str) -> np.ndarray[Any, Any]:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    data = base64.b64decode(src.removeprefix(prefix), validate=True)
    assert data.startswith(PNG_SIGNATURE)
    pixels: np.ndarray[Any, Any] = mpimg.imread(io.BytesIO(data), format="png")
    return pixels


def test_report_is_one_self_contained_page_with_the_headline_figures(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    document = build_report(status, series, generated_at=GENERATED_AT)
    page = parse(document)
    text = re.sub(r"\s+", " ", "".join(page.text))

    assert document.startswith("<!DOCTYPE html>")
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert all(url.startswith("data:") for url in page.urls), "nothing loaded from elsewhere"
    assert "http://" not in document
    assert "https://" not in document

    # Headline: money against the frame, CPI, SPI(t), milestones, worst slip.
    assert "131,600.50 NOK" in text
    assert "54.8 % of the 240,000.00 cost budget" in text
    assert "255,800.50 of the 440,000.00 frame (58.1 %)" in text
    assert "CPI (cost budget) 0.6953" in text
    assert "SPI(t) (cost budget) 0.9415" in text
    assert "2 reached, 1 overdue" in text
    assert "Worst slip +75 days M3 Networks as a way of working" in text
    # Open decisions: the deferred and the pending one, not the approved one.
    assert "BP2 deferred, BP3 pending" in text
    assert "Wait for the network school design" in text
    assert "BP1" not in text.split("Open decisions")[-1]
    # Risks: the low factor and the suppressed one.
    assert "anchoring: low score 0.25 (n = 11)" in text
    assert "small visible successes: suppressed (fewer than 5 respondents)" in text
    assert "Pilot: 2 networks against the plan's 3–5 (outside the target)" in text
    assert "as of the status date 2010-06-30" in text
    assert "Generated 2010-07-01T08:30+00:00" in text

    assert len(page.images) >= 3
    for image in page.images:
        assert image.get("alt"), "every picture says what it shows"
        pixels = decode_png(image["src"])
        height, width = pixels.shape[:2]
        assert height > 100
        assert width > 500
        assert float(pixels[..., :3].std()) > 0.02, f"blank picture: {image['alt']}"
    alts = " | ".join(image["alt"] for image in page.images)
    assert "PV 97,500.00, EV 91,500.00, AC 131,600.50 NOK" in alts
    assert "external-expertise 93.0 %" in alts
    assert "M3 +75 d (overdue)" in alts


def test_report_escapes_text_and_copes_without_a_plan(status: dict[str, Any]) -> None:
    odd = {**status, "name": 'Nett & verk <i>"2010"</i>', "schedule": None, "evm": {}}
    empty_series = {"project": status["project"], "scope": "money", "points": []}
    document = build_report(odd, empty_series, generated_at=GENERATED_AT)
    page = parse(document)
    assert "Nett &amp; verk &lt;i&gt;&quot;2010&quot;&lt;/i&gt;" in document
    assert "i" not in page.tags
    assert "No time-phased plan: no S-curve to draw." in document
    assert len(page.images) == 2, "budget lines and success factors"


def test_status_date_inside_a_month_ends_the_curves_there(
    status: dict[str, Any], series: dict[str, Any]
) -> None:
    # A status on 15 June: the series has nothing known after 31 May; the status's own EV and
    # AC give the last point, so the picture still ends at the status date.
    mid = copy.deepcopy(status)
    mid["status_date"] = "2010-06-15"
    mid["evm"]["money"].update({"pv": "87250.00", "ev": "80000.00", "ac": "100000.00"})
    cut = copy.deepcopy(series)
    for point in cut["points"]:
        if point["day"] >= "2010-06-30":
            point["ev"] = point["ac"] = None
    page = parse(build_report(mid, cut, generated_at=GENERATED_AT))
    curve = next(image for image in page.images if image["alt"].startswith("S-curve"))
    assert "status date 2010-06-15" in curve["alt"]
    assert "EV 80,000.00, AC 100,000.00 NOK" in curve["alt"]
