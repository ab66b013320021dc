"""The accounts' documents without a database, from rows made up in `accounts_sample`: every word
of the PDF, the workbook and the CSV comes from the catalogue (rendered in the pseudo-locale,
nothing but data may stand outside ⟦ ⟧), amounts are exact, and text that looks like a formula
stays text."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pypdfium2 as pdfium
import pytest

from services.finance.accounts.document import html, render_pdf, verify_commands
from services.finance.accounts.model import Accounts, build
from services.finance.accounts.printable import printable
from services.finance.accounts.tables import accounts_csv
from services.finance.accounts.workbook import render_xlsx
from tests.unit.accounts_sample import MARK, sample_accounts, sample_head, sample_rows

BRACKETED = re.compile(r"⟦[^⟦⟧]*⟧")
LETTER = re.compile(r"[^\W\d_]")


def data_strings(accounts: Accounts) -> list[str]:
    """Every text the accounts hold, and the commands and checkpoint the basis shows: data,
    longest first (so a name is taken out before a shorter name inside it)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(accounts.model_dump(mode="json"))
    found.update(verify_commands(accounts.project.id, accounts.basis.position).values())
    if accounts.basis.checkpoint is not None:
        found.add(accounts.basis.checkpoint.model_dump_json(indent=2))
    return sorted((text for text in found if text), key=len, reverse=True)


def outside_the_catalogue(text: str, data: list[str]) -> list[str]:
    """The words of `text` neither inside ⟦ ⟧ nor data."""
    depth, outside = 0, []
    for char in text:  # by depth: a message broken by a page's header stays one message
        if char == "⟦":
            depth += 1
        elif char == "⟧":
            depth = max(depth - 1, 0)
        elif depth == 0:
            outside.append(char)
    rest = "".join(outside)
    for item in data:
        rest = rest.replace(item, " ")
    return [word for word in rest.split() if LETTER.search(word)]


class _Text(HTMLParser):
    """The text nodes of a page, but the style sheet's."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag == "style"

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def test_the_page_has_no_word_outside_the_catalogue() -> None:
    accounts = sample_accounts()
    parser = _Text()
    parser.feed(html(accounts, "qps"))
    text = "\n".join(parser.parts)
    assert "⟦Project accounts⟧" in text
    assert "⟦Basis⟧" in text
    data = data_strings(accounts)
    assert outside_the_catalogue(text, data) == []
    # The check finds a word that bypassed the catalogue, and takes data as data.
    leaked = text.replace("⟦Total⟧", "Total", 1)
    assert outside_the_catalogue(leaked, data) == ["Total"]


def test_the_pdf_has_no_word_outside_the_catalogue() -> None:
    """The PDF's own text, page numbers and running heads included (CSS makes those)."""
    accounts = sample_accounts()
    document = pdfium.PdfDocument(render_pdf(accounts, "qps"))
    text = "\n".join(
        document[index].get_textpage().get_text_range() for index in range(len(document))
    )
    assert f"⟦Page 1 of {len(document)}⟧" in text.replace("\r\n", " ")
    # A word broken over two lines in a table cell is data broken, not a message.
    data = data_strings(accounts)
    pieces = [word for item in data for word in item.split()]
    left = [
        word
        for word in outside_the_catalogue(text, data)
        if not any(word.strip("()[].,:;") in piece for piece in pieces)
    ]
    assert left == []


def test_the_workbook_has_no_word_outside_the_catalogue() -> None:
    accounts = sample_accounts()
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(accounts, "qps")))
    data = data_strings(accounts)
    assert all(BRACKETED.fullmatch(name) for name in book.sheetnames)
    found = [
        f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and outside_the_catalogue(cell.value, data)
    ]
    assert found == []


def test_the_csv_headers_and_entries_come_from_the_catalogue() -> None:
    accounts = sample_accounts()
    text = accounts_csv(accounts, "qps").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert all(BRACKETED.fullmatch(header) for header in rows[0])
    words = {row[0] for row in rows[1:]} | {row[3] for row in rows[1:]}
    assert all(BRACKETED.fullmatch(word) for word in words), words


def test_the_figures_add_up_from_the_entries() -> None:
    accounts = sample_accounts()
    costs = accounts.costs
    for line in costs.lines:
        assert line.original + sum(r.delta for r in line.revisions) == line.revised
        assert sum(v.amount for v in line.vouchers) == line.actual
    assert costs.revised == sum(line.revised for line in costs.lines) == 24_000_000
    assert costs.actual == 2_889_025
    assert costs.deviation == 24_000_000 - 2_889_025
    assert costs.share == round(2_889_025 / 24_000_000, 4)
    work = accounts.in_kind
    assert work.documented == sum(entry.value for entry in work.detail) == 1_096_250
    assert [(m.municipality, m.persons, m.entries) for m in work.by_municipality] == [
        (f"{MARK}Flesberg", 1, 2),
        (f"{MARK}Kongsberg", 2, 2),
    ]
    # Attested apart from unattested, per municipality and in all; the withdrawn entry (only in
    # the history) counts nowhere.
    assert (work.attested, work.unattested) == (450_000, 1_096_250 - 450_000)
    assert [(m.attested, m.unattested) for m in work.by_municipality] == [
        (0, 467_500),
        (450_000, 178_750),
    ]
    assert (work.corrections, work.withdrawn, work.entries) == (1, 1, 4)
    assert [change.changed() for change in work.changes] == [["hours", "value"]] * 2
    assert work.changes[1].recorded_work_date == date(2010, 4, 1)
    grant, own = accounts.financing.sources
    assert (grant.received_as, own.received_as) == ("money", "in_kind")
    assert sum(m.value for m in own.documented) == own.received
    # Receipts and repayments (negative) add up to what the source has received.
    flows = [receipt.amount for receipt in grant.receipts]
    flows += [repayment.amount for repayment in grant.repayments]
    assert sum(flows) == grant.received == 11_000_000
    assert grant.repaid == accounts.financing.repaid_total == 1_000_000
    assert accounts.basis.checkpoint_covers is True
    assert build(sample_rows(), sample_head(covered=False), "nb").basis.checkpoint_covers is False
    # JSON: øre as decimal strings with two decimals, never a number.
    dumped = json.loads(accounts.model_dump_json())
    assert dumped["costs"]["actual"] == "28890.25"
    assert dumped["in_kind"]["hours"] == "19.25"


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_names_follow_the_language(lang: str) -> None:
    line = sample_accounts(lang).costs.lines[0]
    assert line.name == (f"{MARK}External" if lang == "en" else f"{MARK}Expertise")
    other = sample_accounts(lang).costs.lines[1]
    assert other.name == f"{MARK}Management"  # no `names`: as recorded


def test_formulas_and_control_characters_stay_text() -> None:
    accounts = sample_accounts("en")
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(accounts, "en")))
    texts = [
        cell
        for row in book["Costs"].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert texts
    assert all(cell.data_type == "s" for cell in texts)
    assert printable("a\x01b\x7f") == "a\u2401b\u2421"
