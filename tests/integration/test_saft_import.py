"""`POST /imports/saft` on the finance service, in-process on real PostgreSQL and NATS: a file
made to the official schema imported into the default project, again, overlapping, changed,
from a second company, and invalid."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest

from services.finance.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from shared.testing.saft import Line, SaftFile, Transaction, saft_bytes
from tests.integration.finance_fixtures import PROJECT, plan_events
from tests.saft_files import FLESBERG, MAPPING, PROJECT_TAG, kr, ledger


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        response = await service.post(*plan_events(), role="admin")
        assert response.status_code == 201, response.text
        yield service


async def upload(
    finance: RunningService,
    file: SaftFile | bytes,
    *,
    dry_run: bool = False,
    mapping: dict[str, Any] | str = MAPPING,
    project: str = PROJECT,
) -> httpx.Response:
    content = file if isinstance(file, bytes) else saft_bytes(file)
    return await finance.client.post(
        "/imports/saft",
        params={"project": project, "dry_run": str(dry_run).lower()},
        data={"mapping": mapping if isinstance(mapping, str) else json.dumps(mapping)},
        files={"file": ("saft.xml", content, "application/xml")},
        headers=finance.auth("integration"),
    )


def by_line(report: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    return {row["line"]: (row["booked"], row["reversed"], row["net"]) for row in report["by_line"]}


EXPECTED = {
    "external-expertise": ("10000.00", "4000.00", "6000.00"),
    "process-costs": ("4450.00", "800.00", "3650.00"),
    "project-management": ("15000.00", "0.00", "15000.00"),
}


@pytest.mark.parametrize("version", ["1.10", "1.30"])
async def test_a_dry_run_shows_what_the_import_then_records(
    finance: RunningService, version: str
) -> None:
    head = await finance.log_head()
    dry = await upload(finance, ledger(version=version), dry_run=True)
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert await finance.log_head() == head, "a dry run records nothing"
    assert by_line(report) == EXPECTED
    assert report["counts"] == {
        "new": 7, "already_recorded": 0, "conflicts": 0, "not_recorded": 5,
    }  # fmt: skip
    assert sorted(found["reason"] for found in report["not_recorded"]) == [
        "not_matched", "outside_mapping", "vat", "vat", "vat",
    ]  # fmt: skip
    stated = report["file"]["stated"]
    assert stated == {"entries": 6, "total_debit": "48010.00", "total_credit": "48010.00"}
    assert report["file"]["totals_agree"] is True
    # The project's share: every line tagged with it, VAT and stray lines too, split lines as
    # their part.
    assert report["project_share"]["debit"] == "32410.00"
    assert report["project_share"]["credit"] == "6500.00"

    done = await upload(finance, ledger(version=version))
    assert done.status_code == 201, done.text
    recorded = done.json()
    assert recorded["events"] == report["events"], "the dry run showed what was recorded"
    assert recorded["position"] == head + 7

    budget = await finance.get(f"/projects/{PROJECT}/budget", min_position=recorded["position"])
    used = {line["id"]: line["used"] for line in budget.json()["lines"]}
    assert used["external-expertise"] == "6000.00"
    assert used["process-costs"] == "3650.00"
    assert used["project-management"] == "15000.00"

    costs = await finance.get(f"/projects/{PROJECT}/costs", line="external-expertise")
    (invoice,) = costs.json()["items"]
    assert invoice["booking_id"] == "saft:944000001/AP/1001/1"
    assert invoice["amount"] == "10000.00", "the budget excludes VAT: the cost net of it"
    assert invoice["booking_date"] == "2010-03-15"
    assert invoice["voucher"] == "INV-1"
    assert invoice["supplier"] == "Nettverkskompetanse AS", "the name from the master data"
    assert invoice["text"] == "Workshop om nettverkslogikk"


async def test_the_same_file_again_or_an_overlapping_one_records_nothing_twice(
    finance: RunningService,
) -> None:
    first = await upload(finance, ledger(["invoice", "travel", "credit_note"]))
    assert first.status_code == 201, first.text
    assert first.json()["counts"]["new"] == 3
    head = await finance.log_head()

    again = await upload(finance, ledger(["invoice", "travel", "credit_note"]))
    assert again.status_code == 200, again.text
    assert again.json()["counts"] == {
        "new": 0, "already_recorded": 3, "conflicts": 0, "not_recorded": 3,
    }  # fmt: skip
    assert await finance.log_head() == head

    # The next export overlaps: the credit note again, and what came after it. A credit there
    # with nothing to reverse in this file still finds the booking imported before.
    later = ledger(["credit_note", "correction", "split"])
    overlapping = await upload(finance, later)
    assert overlapping.status_code == 201, overlapping.text
    counts = overlapping.json()["counts"]
    assert (counts["new"], counts["already_recorded"]) == (4, 1)
    assert await finance.log_head() == head + 4


async def test_a_changed_transaction_is_a_conflict_showing_both_versions(
    finance: RunningService,
) -> None:
    assert (await upload(finance, ledger(["invoice", "travel"]))).status_code == 201
    head = await finance.log_head()
    changed = Transaction(
        "1001", date(2010, 3, 15), "Workshop om nettverkslogikk (korrigert)",
        [
            Line("1", "6700", kr("11000.00"), "Kostnad", [PROJECT_TAG], source_document="INV-1"),
            Line("2", "2400", kr("-11000.00"), "Leverandør", supplier="S1"),
        ],
    )  # fmt: skip
    answer = await upload(finance, ledger(["invoice", "travel"], changed={"invoice": changed}))
    assert answer.status_code == 409, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    (conflict,) = problem["report"]["conflicts"]
    assert (conflict["journal"], conflict["transaction"], conflict["record"]) == ("AP", "1001", "1")
    assert conflict["recorded"]["data"]["amount"] == "10000.00"
    assert conflict["file"]["data"]["amount"] == "11000.00"
    assert conflict["file"]["data"]["text"] == "Workshop om nettverkslogikk (korrigert)"
    assert await finance.log_head() == head, "nothing recorded, not even the unchanged lines"


async def test_two_companies_with_the_same_ids_each_book_their_own(
    finance: RunningService,
) -> None:
    assert (await upload(finance, ledger(["invoice"]))).status_code == 201
    other = await upload(finance, ledger(["invoice"], company=FLESBERG))
    assert other.status_code == 201, other.text
    (event,) = other.json()["events"]
    assert event["booking_id"] == f"saft:{FLESBERG}/AP/1001/1"
    budget = await finance.get(f"/projects/{PROJECT}/budget", min_position=other.json()["position"])
    used = {line["id"]: line["used"] for line in budget.json()["lines"]}
    assert used["external-expertise"] == "20000.00"


async def test_an_invalid_file_is_refused_with_each_schema_error_and_its_line(
    finance: RunningService,
) -> None:
    head = await finance.log_head()
    good = saft_bytes(ledger())
    bad = good.replace(b"<Period>4</Period>", b"<Period>April</Period>", 1).replace(
        b"<Description>Materiell</Description>", b"<Text>Materiell</Text>", 1
    )
    answer = await upload(finance, bad)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    found = {(error["line"], error["element"]) for error in problem["schema_errors"]}
    lines = bad.decode().splitlines()
    period_line = next(i for i, text in enumerate(lines, 1) if "<Period>April" in text)
    text_line = next(i for i, text in enumerate(lines, 1) if "<Text>Materiell" in text)
    assert found == {(period_line, "Period"), (text_line, "Text")}
    assert {error["rule"] for error in problem["errors"]} == {"schema_valid"}
    assert await finance.log_head() == head


async def test_a_mapping_naming_an_unknown_line_is_refused(finance: RunningService) -> None:
    mapping = {**MAPPING, "accounts": {**MAPPING["accounts"], "catering": ["6800"]}}
    answer = await upload(finance, ledger(), mapping=mapping)
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert (error["pointer"], error["rule"]) == ("/mapping/accounts/catering", "known_line")
    overlapping = {
        **MAPPING,
        "accounts": {"external-expertise": ["6700-6799"], "contingency": ["6750"]},
    }
    answer = await upload(finance, ledger(), mapping=overlapping)
    assert answer.status_code == 422, answer.text
    assert "overlaps" in answer.json()["errors"][0]["detail"]


async def test_a_credit_note_in_a_later_export_reverses_the_booking_imported_before(
    finance: RunningService,
) -> None:
    assert (await upload(finance, ledger(["invoice"]))).status_code == 201
    later = await upload(finance, ledger(["credit_note"]))
    assert later.status_code == 201, later.text
    (reversal,) = later.json()["events"]
    assert reversal["type"] == "CostReversed"
    assert reversal["booking_id"] == "saft:944000001/AP/1001/1", "the invoice, by its voucher"
    assert reversal["amount"] == "4000.00"


async def test_the_upload_limit_holds_for_the_import_alone(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 4000, "max_body_bytes": 100})
    async with running(build(small)) as finance:
        answer = await upload(finance, ledger())
        assert answer.status_code == 413, answer.text
        assert answer.json()["max_body_bytes"] == 4000
        # A file under it gets past the limit, to be refused for what it is: no budget here.
        fits = await upload(finance, b"<AuditFile/>")
        assert fits.status_code == 404, fits.text
        events = await finance.client.post(
            "/events", content=b"[" + b" " * 200 + b"]", headers=finance.auth("integration")
        )
        assert events.status_code == 413, "every other route keeps the body limit"
