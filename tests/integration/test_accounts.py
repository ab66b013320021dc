"""The project accounts (`GET /projects/{id}/accounts`) on real PostgreSQL and NATS: the default
plan, costs with a reversal, a budget revision, funding received and in-kind work in two
municipalities; then the accounts as JSON, XLSX, PDF and CSV in bokmål and English, each checked
against the finance API's own figures to the øre, and the basis against the log's head. Two tests
go on to correct, withdraw and attest in-kind entries and pay back funding, and find each change
with its event in every format.

The PDF is rendered to PNG (pypdfium2) and its text read back. With
`PTRACK_ACCOUNTS_SCREENSHOTS=DIR` the first pages of the bokmål PDF are kept there as PNG (how
docs/accounts/ was made)."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pypdfium2 as pdfium
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from ptrack.accounts.download import fetch_accounts, save_accounts
from ptrack.demo.story import DEFAULT_PLAN
from ptrack.plan.model import read_plan
from services.finance.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.fuzz.stack import plan_posts
from tests.integration.finance_fixtures import PROJECT

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPACES = re.compile(r"[\u00a0\u202f]")
"""Babel groups thousands with a no-break space in bokmål; tests compare with a plain one."""


def event(kind: str, **data: Any) -> dict[str, Any]:
    return cloudevent(kind, PROJECT, data)


def booking(
    booking_id: str, amount: str, *, line: str = "external-expertise", day: str, **data: str
) -> dict[str, Any]:
    return event(
        "CostBooked",
        booking_id=booking_id,
        line=line,
        amount=amount,
        booking_date=day,
        voucher=f"V-{booking_id}",
        **data,
    )


def hours(municipality: str, person: str, activity: str, day: str, spent: str, rate: str) -> Any:
    return event(
        "InKindHoursRecorded",
        municipality=municipality,
        person=person,
        activity=activity,
        work_date=day,
        hours=spent,
        hourly_rate=rate,
    )


HISTORY = [
    booking("GL-101", "12500.00", day="2010-03-15", supplier="Nettverkskompetanse AS",
            text="Workshop on network logic"),
    booking("GL-102", "11000.00", line="project-management", day="2010-03-31",
            supplier="Kongsberg kommune", text="Project manager, March"),
    booking("GL-103", "4375.50", line="process-costs", day="2010-04-12",
            supplier="Quality Hotel Kongsberg", text="Seminar venue"),
    # Free text that a spreadsheet would run as a formula: stays text in every format.
    booking("GL-104", "1890.25", line="process-costs", day="2010-05-03",
            text='=HYPERLINK("http://example.invalid","x")'),
    booking("GL-105", "2500.00", line="contingency", day="2010-05-20"),
    event("CostReversed", booking_id="GL-103", amount="875.50", reversal_date="2010-04-20",
          reason="credit note", voucher="V-CN-7"),
    event("BudgetRevised", decision_ref="SG-2010-04", reason="More expertise for the school",
          revised_on="2010-05-14",
          changes=[{"line": "external-expertise", "delta": "10000.00"},
                   {"line": "contingency", "delta": "-10000.00"}]),
    event("FundingReceived", source="discretionary-grant", amount="120000.00",
          received_date="2010-03-01", reference="Tilsagn 2010/113"),
    hours("Kongsberg", "Per Hansen", "mapping", "2010-03-02", "7.5", "600.00"),
    hours("Kongsberg", "Kari Nordmann", "assess-ways", "2010-04-08", "3.25", "550.00"),
    hours("Flesberg", "Ola Nordmann", "mapping", "2010-03-03", "7.5", "550.00"),
    hours("Flesberg", "Ola Nordmann", "follow-up", "2010-04-01", "1", "550.00"),
]  # fmt: skip


async def load(finance: RunningService) -> int:
    """The default plan's budget and financing, then `HISTORY`, then a signed checkpoint;
    returns the log position of the last event."""
    plan = [body for service, body in plan_posts(read_plan(DEFAULT_PLAN)) if service == "finance"]
    response = await finance.post(*plan, role="admin")
    assert response.status_code == 201, response.text
    response = await finance.post(*HISTORY)
    assert response.status_code == 201, response.text
    signed = await finance.client.post("/audit/checkpoints", headers=finance.auth("auditor"))
    assert signed.status_code == 201, signed.text
    position = int(response.json()["position"])
    assert signed.json()["position"] == position
    return position


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[tuple[RunningService, int]]:
    async with running(build(settings)) as service:
        yield service, await load(service)


async def accounts(
    finance: RunningService, position: int, format: str = "json", lang: str = "nb"
) -> Any:
    response = await finance.get(
        f"/projects/{PROJECT}/accounts",
        role="auditor",
        format=format,
        lang=lang,
        min_position=position,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Ptrack-Position"] == str(position)
    return response


def ore(text: str) -> int:
    return int(Decimal(text) * 100)


async def test_the_accounts_add_up_to_the_finance_api(
    finance: tuple[RunningService, int],
) -> None:
    service, position = finance
    made = (await accounts(service, position)).json()
    budget = (await service.get(f"/projects/{PROJECT}/budget")).json()
    funding = (await service.get(f"/projects/{PROJECT}/funding")).json()
    in_kind = (await service.get(f"/projects/{PROJECT}/in-kind")).json()

    costs = made["costs"]
    assert costs["revised"] == budget["money"]["budget"] == "240000.00"
    assert costs["actual"] == budget["money"]["used"] == "31390.25"
    assert costs["deviation"] == budget["money"]["remaining"]
    assert costs["original"] == "240000.00"
    assert costs["revisions"] == "0.00"
    by_id = {line["id"]: line for line in budget["lines"]}
    for line in costs["lines"]:
        api = by_id[line["id"]]
        assert (line["revised"], line["actual"]) == (api["budget"], api["used"])
        assert line["share"] == api["share_used"]
        # Every figure adds up from the entries it names, to the øre.
        moved = sum(ore(r["delta"]) for r in line["revisions"])
        assert ore(line["original"]) + moved == ore(line["revised"])
        assert sum(ore(v["amount"]) for v in line["vouchers"]) == ore(line["actual"])
        assert ore(line["revised"]) - ore(line["actual"]) == ore(line["deviation"])
        assert all(v["position"] > 0 and len(v["event_id"]) == 36 for v in line["vouchers"])
    expertise = next(line for line in costs["lines"] if line["id"] == "external-expertise")
    assert (expertise["original"], expertise["revised"]) == ("50000.00", "60000.00")
    assert expertise["name"] == "Kjøp av ekstern kompetanse"
    assert [(r["decision_ref"], r["delta"]) for r in expertise["revisions"]] == [
        ("SG-2010-04", "10000.00")
    ]
    process = next(line for line in costs["lines"] if line["id"] == "process-costs")
    assert [(v["entry"], v["amount"]) for v in process["vouchers"]] == [
        ("booking", "4375.50"),
        ("reversal", "-875.50"),
        ("booking", "1890.25"),
    ]
    assert made["revisions"][0]["frame_delta"] == "0.00"

    money = made["financing"]
    assert money["received_total"] == funding["received"] == "130962.50"
    assert money["planned_total"] == funding["planned"] == "440000.00"
    for source, api in zip(money["sources"], funding["sources"], strict=True):
        assert (source["planned"], source["received"]) == (api["planned"], api["received"])
        if source["received_as"] == "money":
            assert sum(ore(r["amount"]) for r in source["receipts"]) == ore(source["received"])
        else:
            assert sum(ore(m["value"]) for m in source["documented"]) == ore(source["received"])
    assert money["planned"]["position"] == 2

    work = made["in_kind"]
    assert work["documented"] == in_kind["recorded"] == "10962.50"
    assert work["hours"] == in_kind["hours"] == "19.25"
    assert [(m["municipality"], m["value"], m["hours"]) for m in work["by_municipality"]] == [
        (group["key"], group["value"], group["hours"]) for group in in_kind["by_municipality"]
    ]
    assert sum(ore(entry["value"]) for entry in work["detail"]) == ore(work["documented"])
    assert [m["persons"] for m in work["by_municipality"]] == [1, 2]  # Flesberg, Kongsberg

    english = (await accounts(service, position, lang="en")).json()
    line = next(line for line in english["costs"]["lines"] if line["id"] == "external-expertise")
    assert line["name"] == "External expertise"  # the plan's `names`


async def test_the_basis_names_the_log_head_and_the_checkpoint(
    finance: tuple[RunningService, int],
) -> None:
    service, position = finance
    basis = (await accounts(service, position)).json()["basis"]
    verify = (await service.get("/audit/verify", role="auditor")).json()
    head = await service.runtime.store.head()
    assert basis["position"] == verify["chain"]["head_position"] == head.position == position
    assert basis["hash"] == verify["chain"]["head_hash"] == head.hash.hex()
    assert basis["log_head"] == position
    checkpoint = verify["checkpoints"][-1]["checkpoint"]
    assert basis["checkpoint"] == checkpoint
    assert basis["checkpoint_covers"] is True


def english(row: dict[str, Any]) -> str:
    """A line's or source's name as the English accounts give it."""
    return str((row.get("names") or {}).get("en") or row["name"])


def _sheet_rows(sheet: Worksheet) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _money(value: Any) -> int:
    """A workbook amount in øre: written as a decimal, read back as a float; exact to the øre
    for any amount of the project's size."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1)))


def _table(
    rows: list[tuple[Any, ...]], header_first: str, nth: int = 0
) -> tuple[list[Any], list[tuple[Any, ...]]]:
    """The `nth` header row starting with `header_first` and the rows under it, to the total
    row or the first empty row."""
    start = [i for i, row in enumerate(rows) if row and row[0] == header_first][nth]
    body = []
    for row in rows[start + 1 :]:
        if all(cell is None for cell in row):
            break
        body.append(row)
        if row[0] == "Total":
            break
    return list(rows[start]), body


async def test_the_workbook_sums_equal_the_api(finance: tuple[RunningService, int]) -> None:
    service, position = finance
    response = await accounts(service, position, "xlsx", "en")
    assert response.headers["content-type"] == XLSX
    assert (
        'filename="prosjektregnskap-kongsbergregionen-2010.xlsx"'
        in (response.headers["content-disposition"])
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Costs", "Financing", "In-kind work", "In-kind documentation",
        "Corrections and withdrawals", "Attestations", "Basis",
    ]  # fmt: skip
    budget = (await service.get(f"/projects/{PROJECT}/budget")).json()
    funding = (await service.get(f"/projects/{PROJECT}/funding")).json()
    in_kind = (await service.get(f"/projects/{PROJECT}/in-kind")).json()

    costs = book["Costs"]
    rows = _sheet_rows(costs)
    header, body = _table(rows, "Budget line")
    assert header[:7] == [
        "Budget line", "Original budget", "Revisions", "Revised budget", "Actual", "Deviation",
        "Share",
    ]  # fmt: skip
    lines, total = body[:-1], body[-1]
    assert total[0] == "Total"
    assert len(lines) == len(budget["lines"])
    for row, api in zip(lines, budget["lines"], strict=True):
        assert row[0] == english(api)
        assert _money(row[3]) == ore(api["budget"])
        assert _money(row[4]) == ore(api["used"])
        assert _money(row[1]) + _money(row[2]) == _money(row[3])
        assert _money(row[3]) - _money(row[4]) == _money(row[5])
    assert sum(_money(row[4]) for row in lines) == _money(total[4]) == ore(budget["money"]["used"])
    assert _money(total[3]) == ore(budget["money"]["budget"])
    # The cells: numbers with two decimals, shown in the reader's own way.
    cell = next(c for c in costs["D"] if c.value is not None and not isinstance(c.value, str))
    assert cell.number_format == "#,##0.00"
    assert costs["G6"].number_format == "0.0%"

    # The detail: per line, the original and revisions add up to the revised budget, the
    # vouchers to the actual cost; every voucher names its event.
    _, detail = _table(rows, "Budget line", nth=1)
    for line in budget["lines"]:
        mine = [row for row in detail if row[0] == english(line)]
        kinds = {row[1] for row in mine}
        assert {"Original budget", "Revised budget", "Actual", "Deviation"} <= kinds
        budgeted = sum(_money(r[6]) for r in mine if r[1] in ("Original budget", "Revision"))
        revised = next(_money(r[6]) for r in mine if r[1] == "Revised budget")
        vouchers = [r for r in mine if r[1] in ("Booking", "Reversal")]
        actual = next(_money(r[6]) for r in mine if r[1] == "Actual")
        assert budgeted == revised == ore(line["budget"])
        assert sum(_money(r[6]) for r in vouchers) == actual == ore(line["used"])
        assert all(isinstance(r[7], int) and len(r[8]) == 36 for r in vouchers)
    formula = next(c for c in costs["F"] if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert formula.data_type == "s"
    assert formula.value.startswith("=")
    dated = next(c for c in costs["C"] if c.is_date)
    assert dated.number_format == "d mmm yyyy"

    financing = _sheet_rows(book["Financing"])
    _, sources = _table(financing, "Financing source")
    assert sources[-1][0] == "Total"
    assert _money(sources[-1][2]) == ore(funding["planned"])
    assert _money(sources[-1][3]) == ore(funding["received"])
    assert sum(_money(row[3]) for row in sources[:-1]) == ore(funding["received"])

    summary = _sheet_rows(book["In-kind work"])
    _, groups = _table(summary, "Municipality")
    assert groups[-1][0] == "Total"
    assert _money(groups[-1][5]) == ore(in_kind["recorded"])
    subtotals = {row[0]: row for row in groups if str(row[0]).startswith("Total for ")}
    for group in in_kind["by_municipality"]:
        row = subtotals[f"Total for {group['key']}"]
        assert _money(row[5]) == ore(group["value"])
        assert Decimal(str(row[4])) == Decimal(group["hours"])

    detail_rows = _sheet_rows(book["In-kind documentation"])
    _, entries = _table(detail_rows, "Date")
    assert entries[-1][0] == "Total"
    assert sum(_money(row[7]) for row in entries[:-1]) == _money(entries[-1][7])
    assert _money(entries[-1][7]) == ore(in_kind["recorded"])
    assert {row[3] for row in entries[:-1]} == {"Kongsberg", "Flesberg"}

    basis = dict(row[:2] for row in _sheet_rows(book["Basis"]) if row[0])
    head = await service.runtime.store.head()
    assert basis["Position"] == position
    assert basis["Hash at the position"] == head.hash.hex()

    norsk = openpyxl.load_workbook(io.BytesIO((await accounts(service, position, "xlsx")).content))
    assert norsk.sheetnames[0] == "Kostnader"
    assert norsk.sheetnames[-1] == "Grunnlag"
    assert _sheet_rows(norsk["Kostnader"])[4][:4] == (
        "Budsjettpost", "Opprinnelig budsjett", "Revisjoner", "Revidert budsjett",
    )  # fmt: skip
    dated = next(c for c in norsk["Kostnader"]["C"] if c.is_date)
    assert dated.number_format == "dd.mm.yyyy"


def _pdf_pages(pdf: bytes) -> tuple[list[str], list[Any]]:
    """Each page's text, and each page as an image (PIL) at 100 dpi."""
    document = pdfium.PdfDocument(pdf)
    texts, images = [], []
    for index in range(len(document)):
        page = document[index]
        texts.append(page.get_textpage().get_text_range())
        images.append(page.render(scale=100 / 72).to_pil())
    return texts, images


async def test_the_pdf_in_bokmal_and_english(
    finance: tuple[RunningService, int], tmp_path: Path
) -> None:
    service, position = finance
    response = await accounts(service, position, "pdf")
    assert response.headers["content-type"] == "application/pdf"
    texts, images = _pdf_pages(response.content)
    assert 4 <= len(texts) <= 7, len(texts)
    for number, image in enumerate(images, start=1):
        # Not blank: a page of text has thousands of dark pixels.
        dark = sum(image.convert("L").point(lambda value: value < 128 and 255).histogram()[255:])
        assert dark > 2000, f"page {number} looks blank"
        image.save(tmp_path / f"page-{number}.png")
        assert image.size == (827, 1170)  # A4 at 100 dpi
    text = SPACES.sub(" ", "\n".join(texts))
    assert "Prosjektregnskap" in text
    assert "Kostnader per budsjettpost" in text
    assert "440 000,00" in text  # the frame, as bokmål writes it
    assert "31 390,25" in text  # the actual cost
    assert "01.02.2010" in text
    assert f"Side 1 av {len(texts)}" in text
    basis = SPACES.sub(" ", texts[-1])
    assert "Grunnlag" in basis
    head = await service.runtime.store.head()
    assert head.hash.hex() in re.sub(r"\s", "", basis)  # the hash may break over lines
    assert f"Posisjon {position}" in basis.replace("\r\n", " ").replace("\n", " ")

    english = await accounts(service, position, "pdf", "en")
    texts_en, _ = _pdf_pages(english.content)
    text_en = "\n".join(texts_en)
    for heading in (
        "Project accounts",
        "Costs by budget line",
        "Budget revisions",
        "Vouchers by budget line",
        "Financing",
        "In-kind documentation",
        "Basis",
    ):
        assert heading in text_en, heading  # fmt: skip
    assert "440,000.00" in text_en
    assert "Prosjektregnskap" not in text_en
    assert "External expertise" in text_en

    if keep := os.environ.get("PTRACK_ACCOUNTS_SCREENSHOTS"):
        _keep_screenshots(response.content, Path(keep))


def _keep_screenshots(pdf: bytes, folder: Path) -> None:
    """The first two pages and the basis at 150 dpi, in 64 colours (small enough for docs/)."""
    folder.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    pages = {"prosjektregnskap-1": 0, "prosjektregnskap-2": 1, "prosjektregnskap-grunnlag": -1}
    for name, index in pages.items():
        image = document[index % len(document)].render(scale=150 / 72).to_pil()
        image.convert("P", palette=1, colors=64).save(folder / f"{name}.png", optimize=True)


async def test_the_csvs_in_norwegian_and_english(finance: tuple[RunningService, int]) -> None:
    service, position = finance
    norsk = (await accounts(service, position, "csv")).content
    assert norsk.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    rows = list(csv.reader(io.StringIO(norsk.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:4] == ["Del", "Post eller kilde", "Navn", "Type"]
    assert "Beløp" in header
    amount = header.index("Beløp")
    actual = [row for row in rows if row[2] == "Sum" and row[3] == "Regnskap"]
    assert [row[amount] for row in actual] == ["31390,25"]  # a decimal comma, no grouping
    vouchers = [row for row in rows[1:] if row[3] in ("Postering", "Tilbakeføring")]
    assert sum(ore(row[amount].replace(",", ".")) for row in vouchers) == 3139025
    assert any(row[header.index("Tekst")].startswith("'=HYPERLINK") for row in rows)

    english = (await accounts(service, position, "csv", "en")).content
    assert not english.startswith(b"\xef\xbb\xbf")
    rows_en = list(csv.reader(io.StringIO(english.decode())))
    assert rows_en[0][:4] == ["Section", "Line or source", "Name", "Entry"]
    assert [
        row[rows_en[0].index("Amount")] for row in rows_en if row[2:4] == ["Total", "Actual"]
    ] == ["31390.25"]

    # The auditor's CSVs take the language too; English stays as it always was.
    path = f"/projects/{PROJECT}/audit/bookings.csv"
    nb = await service.get(path, role="auditor", lang="nb")
    assert nb.content.startswith(b"\xef\xbb\xbf")
    booked = list(csv.reader(io.StringIO(nb.content.decode("utf-8-sig")), delimiter=";"))
    assert booked[0][0] == "entry"
    assert "4375,50" in [row[7] for row in booked]
    en = await service.get(path, role="auditor")
    assert not en.content.startswith(b"\xef\xbb\xbf")
    assert b"4375.50" in en.content
    summary = await service.get(
        f"/projects/{PROJECT}/audit/in-kind-summary.csv", role="auditor", lang="nb"
    )
    last = list(csv.reader(io.StringIO(summary.content.decode("utf-8-sig")), delimiter=";"))[-1]
    assert last[0] == "total"
    assert last[4:] == ["19,25", "10962,50", "0,00"]  # hours, value, attested


async def test_the_command_writes_the_package(
    finance: tuple[RunningService, int], tmp_path: Path
) -> None:
    service, position = finance
    await service.post(booking("GL-106", "100.00", line="contingency", day="2010-06-01"))
    key = service.keys["auditor"]
    package = await fetch_accounts(
        "http://test", key, PROJECT, lang="en", sign=True, client=service.client
    )
    lines: list[str] = []
    written = save_accounts(package, tmp_path / "out", lambda w: lines.append(w.path.name))
    assert lines == [
        "prosjektregnskap-kongsbergregionen-2010.xlsx",
        "prosjektregnskap-kongsbergregionen-2010.pdf",
        "prosjektregnskap-kongsbergregionen-2010.csv",
        "prosjektregnskap-kongsbergregionen-2010-checkpoint.json",
    ]
    # Signed first: the checkpoint covers the new booking, and every file is made from it.
    assert {item.position for item in written} == {position + 1}
    assert package.checkpoint is not None
    assert package.checkpoint["position"] == position + 1
    assert (tmp_path / "out" / lines[1]).read_bytes().startswith(b"%PDF")
    refused = await service.get(f"/projects/{PROJECT}/accounts", role="manager")
    assert refused.status_code == 403


def recorded(person: str, day: str) -> str:
    """The id of the event in `HISTORY` that recorded `person`'s in-kind work on `day`."""
    return next(
        str(body["id"])
        for body in HISTORY
        if body["type"] == "InKindHoursRecorded"
        and (body["data"]["person"], body["data"]["work_date"]) == (person, day)
    )


def attester(municipality: str) -> str:
    """Who the plan says attests `municipality`'s in-kind work (anyone, when it names none)."""
    budget = next(
        body for _, body in plan_posts(read_plan(DEFAULT_PLAN)) if body["type"] == "BudgetApproved"
    )
    rules = budget["data"].get("in_kind_rules") or {}
    return str((rules.get("attesters") or {}).get(municipality, f"Kontakt {municipality}"))


async def correct_withdraw_attest_repay(service: RunningService) -> dict[str, str]:
    """On top of `HISTORY`: a new entry for Per Hansen in Kongsberg; his entry of 2 March
    corrected from 7.5 to 6 hours; Ola Nordmann's hour in Flesberg on 1 April withdrawn;
    Kongsberg's March attested (the two entries of Per's); then the new entry corrected, which
    loses its attestation; and 20 000 of the grant paid back. Returns the events' ids."""
    added = hours("Kongsberg", "Per Hansen", "follow-up", "2010-03-20", "2", "600.00")
    steps = {
        "added": added,
        "corrected": event("InKindCorrected", entry=recorded("Per Hansen", "2010-03-02"),
                           hours="6", reason="Feil i timelisten", corrected_on="2010-04-02"),
        "withdrawn": event("InKindWithdrawn", entry=recorded("Ola Nordmann", "2010-04-01"),
                           reason="Ført i feil prosjekt", withdrawn_on="2010-04-03"),
        "attested": event("InKindAttested", municipality="Kongsberg",
                          period_start="2010-03-01", period_end="2010-03-31",
                          attested_by=attester("Kongsberg"), attested_on="2010-04-05"),
        "recorrected": event("InKindCorrected", entry=added["id"], hours="3",
                             reason="Glemt en time", corrected_on="2010-04-09"),
        "repaid": event("FundingRepaid", source="discretionary-grant", amount="20000.00",
                        repaid_date="2010-12-15", reference="Bank 2010-0099",
                        reason="Ubrukte midler tilbakebetalt"),
    }  # fmt: skip
    for body in steps.values():  # one by one: each is decided on what the one before left
        response = await service.post(body)
        assert response.status_code == 201, response.text
    return {name: str(body["id"]) for name, body in steps.items()}


async def test_corrections_attestations_and_repayments_in_the_accounts(
    finance: tuple[RunningService, int],
) -> None:
    service, _ = finance
    ids = await correct_withdraw_attest_repay(service)
    position = await service.log_head()
    made = (await accounts(service, position)).json()
    in_kind = (await service.get(f"/projects/{PROJECT}/in-kind", min_position=position)).json()
    funding = (await service.get(f"/projects/{PROJECT}/funding")).json()

    work = made["in_kind"]
    # 6 h and 3 h at 600.00 for Per, Kari's 3.25 h and Ola's 7.5 h at 550.00; Ola's withdrawn
    # hour is worth nothing, and only Per's corrected entry still stands attested.
    assert (work["documented"], work["attested"], work["unattested"], work["hours"]) == (
        "11312.50", "3600.00", "7712.50", "19.75",
    )  # fmt: skip
    assert (work["documented"], work["attested"], work["unattested"]) == (
        in_kind["recorded"], in_kind["attested"], in_kind["unattested"],
    )  # fmt: skip
    assert (work["corrections"], work["withdrawn"]) == (2, 1)
    assert (work["corrections"], work["withdrawn"]) == (
        in_kind["corrections"],
        in_kind["withdrawn"],
    )
    assert [
        (m["municipality"], m["entries"], m["value"], m["attested"], m["unattested"])
        for m in work["by_municipality"]
    ] == [
        ("Flesberg", 1, "4125.00", "0.00", "4125.00"),
        ("Kongsberg", 3, "7187.50", "3600.00", "3587.50"),
    ]
    assert [(m["municipality"], m["attested"]) for m in work["by_municipality"]] == [
        (group["key"], group["attested"]) for group in in_kind["by_municipality"]
    ]
    detail = {entry["event_id"]: entry for entry in work["detail"]}
    assert ids["withdrawn"] not in detail
    assert recorded("Ola Nordmann", "2010-04-01") not in detail
    assert sum(ore(entry["value"]) for entry in work["detail"]) == ore(work["documented"])
    per = detail[recorded("Per Hansen", "2010-03-02")]
    assert (per["hours"], per["value"], per["corrections"]) == ("6", "3600.00", 1)
    assert (per["attested_by"], per["attested_on"]) == (attester("Kongsberg"), "2010-04-05")
    assert per["attestation"]["event_id"] == ids["attested"]
    added = detail[ids["added"]]
    assert (added["value"], added["corrections"], added["attestation"]) == ("1800.00", 1, None)
    assert detail[recorded("Kari Nordmann", "2010-04-08")]["corrections"] == 0

    changes = work["changes"]
    assert [(c["event_id"], c["kind"], c["entry"]) for c in changes] == [
        (ids["corrected"], "corrected", recorded("Per Hansen", "2010-03-02")),
        (ids["withdrawn"], "withdrawn", recorded("Ola Nordmann", "2010-04-01")),
        (ids["recorrected"], "corrected", ids["added"]),
    ]
    corrected, withdrawn, recorrected = changes
    assert (corrected["before"]["hours"], corrected["after"]["hours"]) == ("7.5", "6")
    assert (corrected["before"]["value"], corrected["after"]["value"]) == ("4500.00", "3600.00")
    assert corrected["reason"] == "Feil i timelisten"
    assert (withdrawn["person"], withdrawn["municipality"]) == ("Ola Nordmann", "Flesberg")
    assert (withdrawn["recorded_work_date"], withdrawn["changed_on"]) == (
        "2010-04-01", "2010-04-03",
    )  # fmt: skip
    assert (withdrawn["before"]["value"], withdrawn["after"]["value"]) == ("550.00", "0.00")
    assert (corrected["lost_attestation"], recorrected["lost_attestation"]) == (False, True)
    log = (await service.get("/audit/events", role="auditor", from_position=1)).json()["events"]
    positions = {event["id"]: event["position"] for event in log}
    assert all(c["position"] == positions[c["event_id"]] for c in changes)
    assert withdrawn["entry_position"] == positions[withdrawn["entry"]]

    [attestation] = work["attestations"]
    assert (attestation["municipality"], attestation["attested_by"]) == (
        "Kongsberg", attester("Kongsberg"),
    )  # fmt: skip
    assert (attestation["period_start"], attestation["period_end"]) == ("2010-03-01", "2010-03-31")
    # Attested: Per's 6 h (3600.00) and the new 2 h (1200.00); the new one corrected since.
    assert (attestation["entries"], attestation["hours"], attestation["value"]) == (
        2, "8", "4800.00",
    )  # fmt: skip
    assert attestation["standing"] == 1 == in_kind["attestations"][0]["standing"]
    assert attestation["position"] == positions[ids["attested"]]

    money = made["financing"]
    grant = next(s for s in money["sources"] if s["id"] == "discretionary-grant")
    api = next(s for s in funding["sources"] if s["id"] == "discretionary-grant")
    assert (grant["received"], grant["repaid"]) == ("100000.00", "20000.00")
    assert (grant["received"], grant["outstanding"]) == (api["received"], api["outstanding"])
    [repayment] = grant["repayments"]
    assert repayment == {
        "amount": "-20000.00",
        "repaid_date": "2010-12-15",
        "reference": "Bank 2010-0099",
        "reason": "Ubrukte midler tilbakebetalt",
        "position": positions[ids["repaid"]],
        "event_id": ids["repaid"],
    }
    flows = grant["receipts"] + grant["repayments"]
    assert sum(ore(flow["amount"]) for flow in flows) == ore(grant["received"])
    assert (money["received_total"], money["repaid_total"]) == (funding["received"], "20000.00")
    own = next(s for s in money["sources"] if s["received_as"] == "in_kind")
    assert own["received"] == work["documented"]
    assert sum(ore(m["attested"]) for m in own["documented"]) == ore(work["attested"])


async def test_the_files_carry_the_corrections_attestations_and_repayments(
    finance: tuple[RunningService, int],
) -> None:
    service, _ = finance
    ids = await correct_withdraw_attest_repay(service)
    position = await service.log_head()

    book = openpyxl.load_workbook(
        io.BytesIO((await accounts(service, position, "xlsx", "en")).content)
    )
    header, changes = _table(_sheet_rows(book["Corrections and withdrawals"]), "Date")
    column = {name: index for index, name in enumerate(header)}
    assert [(row[column["Figures"]], row[column["Event id"]]) for row in changes] == [
        (figures, ids[name])
        for name in ("corrected", "withdrawn", "recorrected")
        for figures in ("Before", "After")
    ]
    withdrawn = [row for row in changes if row[column["Event id"]] == ids["withdrawn"]]
    assert [_money(row[column["Value"]]) for row in withdrawn] == [55000, 0]
    assert {row[column["Change"]] for row in withdrawn} == {"Withdrawn"}
    assert changes[-1][column["Change"]] == "Corrected, attestation lost"
    _, attested = _table(_sheet_rows(book["Attestations"]), "Municipality")
    assert [(row[0], row[5], _money(row[7]), row[8], row[10]) for row in attested] == [
        ("Kongsberg", 2, 480000, 1, ids["attested"]),
    ]
    summary = _sheet_rows(book["In-kind work"])
    header, groups = _table(summary, "Municipality")
    assert header[6:8] == ["Attested", "Unattested"]
    assert [_money(cell) for cell in groups[-1][5:8]] == [1131250, 360000, 771250]
    _, entries = _table(_sheet_rows(book["In-kind documentation"]), "Date")
    assert len(entries) - 1 == 4  # the withdrawn entry is not there
    assert {row[10] for row in entries[:-1]} == {attester("Kongsberg"), None}
    _, flows = _table(_sheet_rows(book["Financing"]), "Financing source", nth=1)
    assert [(row[1], _money(row[5]), row[7]) for row in flows if row[1] == "Repaid"] == [
        ("Repaid", -2000000, ids["repaid"])
    ]
    norsk = openpyxl.load_workbook(io.BytesIO((await accounts(service, position, "xlsx")).content))
    assert norsk.sheetnames[4:6] == ["Korrigert og trukket tilbake", "Attesteringer"]

    text = (await accounts(service, position, "csv", "en")).content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    head = {name: index for index, name in enumerate(rows[0])}
    section = {
        name: [row for row in rows[1:] if row[head["Section"]] == name]
        for name in ("Corrections and withdrawals", "Attestations", "Financing", "In-kind work")
    }
    assert [
        (row[head["Entry"]], row[head["Amount"]], row[head["Event id"]])
        for row in section["Corrections and withdrawals"]
    ] == [
        ("Before", "4500.00", ids["corrected"]), ("After", "3600.00", ids["corrected"]),
        ("Before", "550.00", ids["withdrawn"]), ("After", "0.00", ids["withdrawn"]),
        ("Before", "1200.00", ids["recorrected"]), ("After", "1800.00", ids["recorrected"]),
    ]  # fmt: skip
    assert [
        (row[head["Attested by"]], row[head["Amount"]], row[head["Event id"]])
        for row in section["Attestations"]
    ] == [(attester("Kongsberg"), "4800.00", ids["attested"])]
    assert [
        (row[head["Reference"]], row[head["Amount"]], row[head["Event id"]])
        for row in section["Financing"]
        if row[head["Entry"]] == "Repaid"
    ] == [("Bank 2010-0099", "-20000.00", ids["repaid"])]
    totals = {
        row[head["Entry"]]: row[head["Amount"]]
        for row in section["In-kind work"]
        if row[head["Name"]] == "Total"
    }
    assert (totals["Documented"], totals["Attested"], totals["Unattested"]) == (
        "11312.50", "3600.00", "7712.50",
    )  # fmt: skip

    pdf, _ = _pdf_pages((await accounts(service, position, "pdf", "en")).content)
    printed = SPACES.sub(" ", " ".join(pdf).replace("\r\n", " ").replace("\n", " "))
    for words in (
        "Corrections and withdrawals of in-kind work",
        "Ført i feil prosjekt",
        "Corrected, attestation lost",
        "Attestations",
        "Ubrukte midler tilbakebetalt",
        "20,000.00",
    ):
        assert words in printed, words
