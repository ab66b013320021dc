"""An auditor's copies: the log exported to a file verifies on its own and shows any change to
it; the finance CSVs list every booking, reversal and in-kind entry with its place in the log."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from ptrack.audit.export import export_bookings_csv, export_in_kind_csv, export_log
from ptrack.audit.exported_log import verify_file
from services.finance.app import build
from services.finance.audit_api import (
    BOOKING_COLUMNS,
    IN_KIND_COLUMNS,
    SUMMARY_COLUMNS,
)
from services.finance.audit_api import (
    router as audit_router,
)
from shared.client import ApiError
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.finance_fixtures import PROJECT, booking, plan_events

BASE = "http://test"
EVENTS = 10


def cost(booking_id: str, amount: str, text: str, **data: str) -> dict[str, Any]:
    event = booking(booking_id, amount, line=data.pop("line", "external-expertise"))
    event["data"].update(text=text, **data)
    return event


def reversal(booking_id: str, amount: str, day: str, reason: str, **data: str) -> dict[str, Any]:
    payload = {"booking_id": booking_id, "amount": amount, "reversal_date": day, "reason": reason}
    return cloudevent("CostReversed", PROJECT, {**payload, **data})


def hours(municipality: str, person: str, day: str, spent: str, rate: str) -> dict[str, Any]:
    data = {
        "municipality": municipality,
        "person": person,
        "role": "adviser",
        "activity": "mapping",
        "work_date": day,
        "hours": spent,
        "hourly_rate": rate,
        "description": "Mapping the region's networks",
    }
    return cloudevent("InKindHoursRecorded", PROJECT, data)


def with_audit_routes(app: FastAPI) -> FastAPI:
    # Until the finance app lists the audit router itself; then it is there once already.
    paths = {route.path for route in app.routes if isinstance(route, APIRoute)}
    if "/projects/{project_id}/audit/bookings.csv" not in paths:
        app.include_router(audit_router)
    return app


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(with_audit_routes(build(settings))) as service:
        history = [
            *plan_events(),  # 1, 2
            cost("GL-1", "12500.00", "Workshop", supplier="Nettverkskompetanse AS"),  # 3
            cost("GL-2", "3000.00", "=1+1", line="project-management", booking_date="2010-04-01"),
            # 4: GL-2
            reversal("GL-1", "4000.00", "2010-04-02", "split", voucher="V-R1"),  # 5
            reversal("GL-1", "1000.00", "2010-05-02", "wrong line"),  # 6
            hours("Kongsberg", "Per Hansen", "2010-03-02", "2", "600.00"),  # 7
            hours("Flesberg", "Ola Nordmann", "2010-03-03", "7.5", "550.00"),  # 8
            hours("Flesberg", "Kari Nordmann", "2010-03-01", "3.25", "410.50"),  # 9
            hours("Flesberg", "Ola Nordmann", "2010-04-01", "1", "550.00"),  # 10
        ]
        for event in history:
            answer = await service.post(event, role="admin")
            assert answer.status_code == 201, answer.text
        # The CSVs read the read model: wait until it holds the whole history.
        ready = await service.get(f"/projects/{PROJECT}/budget", min_position=EVENTS)
        assert ready.status_code == 200, ready.text
        yield service


async def export(finance: RunningService, out: Path, from_position: int = 1) -> int:
    key = finance.keys["auditor"]
    return await export_log(BASE, key, out, from_position=from_position, client=finance.client)


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def position_of(line: bytes) -> int:
    position: int = orjson.loads(line)["position"]
    return position


# --- the log ------------------------------------------------------------------------------------


async def test_an_exported_log_verifies_on_its_own(finance: RunningService, tmp_path: Path) -> None:
    out = tmp_path / "finance.ndjson"
    assert await export(finance, out) == EVENTS
    assert [position_of(line) for line in lines(out)] == list(range(1, EVENTS + 1))
    assert not (tmp_path / "finance.ndjson.part").exists()

    seen: list[int] = []
    report = await verify_file(out, progress=seen.append)
    assert report.ok, report.to_dict()
    assert (report.checked, report.head_position) == (EVENTS, EVENTS)
    assert report.head_hash == (await finance.runtime.store.head()).hash
    assert seen == [EVENTS]
    assert (await verify_file(out, first_position=1)).ok


async def test_one_altered_digit_is_found_at_its_position(
    finance: RunningService, tmp_path: Path
) -> None:
    out = tmp_path / "finance.ndjson"
    await export(finance, out)
    rows = lines(out)
    assert b'"amount":"12500.00"' in rows[2]
    rows[2] = rows[2].replace(b'"amount":"12500.00"', b'"amount":"12600.00"')
    orjson.loads(rows[2])  # still valid JSON: only the chain can tell
    out.write_bytes(b"".join(rows))

    report = await verify_file(out)
    assert not report.ok
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (3, "edited")
    assert (report.checked, report.head_position) == (2, 2)
    assert report.to_dict()["damage"] == {
        "position": 3,
        "kind": "edited",
        "detail": "the row at 3 no longer matches its hash",
    }


async def test_a_byte_outside_the_hashed_event_counts_too(
    finance: RunningService, tmp_path: Path
) -> None:
    # `source` is not part of the hash; the line must still be exactly as exported.
    out = tmp_path / "finance.ndjson"
    await export(finance, out)
    rows = lines(out)
    assert b'"source":"urn:test"' in rows[5]
    rows[5] = rows[5].replace(b'"source":"urn:test"', b'"source":"urn:tesT"', 1)
    out.write_bytes(b"".join(rows))

    report = await verify_file(out)
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (6, "edited")
    assert report.damage.detail == (
        "line 6 is not a valid exported event: source not as exported for the event it carries"
    )
    assert report.checked == 5


async def test_a_line_that_is_no_longer_json_is_damage_not_an_error(
    finance: RunningService, tmp_path: Path
) -> None:
    out = tmp_path / "finance.ndjson"
    await export(finance, out)
    rows = lines(out)
    rows[4] = rows[4].replace(b'"type":', b'"type";', 1)
    out.write_bytes(b"".join(rows))

    report = await verify_file(out)
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (5, "edited")
    assert report.damage.detail.startswith("line 5 is not a valid exported event: not JSON")
    assert (report.checked, report.head_position) == (4, 4)

    # A line cut short (an attribute gone) is damage just the same.
    rows = lines(out)
    rows[4] = orjson.dumps({k: v for k, v in orjson.loads(rows[3]).items() if k != "hash"})
    out.write_bytes(b"".join(rows[:4]) + rows[4] + b"\n" + b"".join(rows[5:]))
    report = await verify_file(out)
    assert report.damage is not None
    assert report.damage.detail == "line 5 is not a valid exported event: hash missing"

    # A float has no canonical spelling to hash: damage too, not an error from the check.
    rows = lines(out)
    rows[2] = rows[2].replace(b'"amount":"12500.00"', b'"amount":12500.5')
    out.write_bytes(b"".join(rows))
    report = await verify_file(out)
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (3, "edited")
    assert "floats have no canonical form" in report.damage.detail


async def test_a_deleted_line_is_found(finance: RunningService, tmp_path: Path) -> None:
    out = tmp_path / "finance.ndjson"
    await export(finance, out)
    rows = lines(out)
    out.write_bytes(b"".join(rows[:3] + rows[4:]))

    report = await verify_file(out)
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (4, "deleted")
    assert report.checked == 3

    # The first line gone reads as an export from position 2, unless the start is insisted on.
    out.write_bytes(b"".join(rows[1:]))
    assert (await verify_file(out)).ok
    report = await verify_file(out, first_position=1)
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (1, "deleted")


async def test_a_partial_export_verifies_on_its_own(
    finance: RunningService, tmp_path: Path
) -> None:
    whole, part = tmp_path / "whole.ndjson", tmp_path / "from-3.ndjson"
    await export(finance, whole)
    assert await export(finance, part, from_position=3) == EVENTS - 2
    assert lines(part) == lines(whole)[2:]

    report = await verify_file(part)
    assert report.ok, report.to_dict()
    assert (report.checked, report.head_position) == (EVENTS - 2, EVENTS)
    assert report.head_hash == (await verify_file(whole)).head_hash

    # Damage in a partial export is placed by the positions the file holds.
    rows = lines(part)
    out = tmp_path / "broken.ndjson"
    out.write_bytes(b"garbage\n" + b"".join(rows[1:]))
    report = await verify_file(out)
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (3, "edited")
    assert report.damage.detail.startswith("line 1 is not a valid exported event")


async def test_a_first_line_at_position_one_must_start_the_chain(
    finance: RunningService, tmp_path: Path
) -> None:
    out = tmp_path / "finance.ndjson"
    await export(finance, out)
    rows = lines(out)
    rows[0] = rows[0].replace(b'"prevhash":"' + b"0" * 64, b'"prevhash":"' + b"1" + b"0" * 63)
    out.write_bytes(b"".join(rows))
    report = await verify_file(out)
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (1, "edited")


async def test_an_empty_export_is_an_empty_log(finance: RunningService, tmp_path: Path) -> None:
    out = tmp_path / "none.ndjson"
    assert await export(finance, out, from_position=EVENTS + 1) == 0
    report = await verify_file(out)
    assert report.ok
    assert report.checked == 0


async def test_export_refuses_a_reader_without_the_auditor_role(
    finance: RunningService, tmp_path: Path
) -> None:
    out = tmp_path / "finance.ndjson"
    with pytest.raises(ApiError) as refused:
        await export_log(BASE, finance.keys["manager"], out, client=finance.client)
    assert refused.value.status == 403
    assert not out.exists()
    assert not (tmp_path / "finance.ndjson.part").exists()


# --- the finance CSVs ---------------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


async def test_bookings_for_norwegian_spreadsheets(finance: RunningService, tmp_path: Path) -> None:
    """`--lang nb`: `;` between columns, a decimal comma, and a byte-order mark so a Norwegian
    Excel reads the file as UTF-8; the same rows as the English file."""
    key = finance.keys["auditor"]
    english, norwegian = tmp_path / "en.csv", tmp_path / "nb.csv"
    assert (
        await export_bookings_csv(BASE, key, PROJECT, english, client=finance.client, lang="en")
        == 4
    )
    assert (
        await export_bookings_csv(BASE, key, PROJECT, norwegian, client=finance.client, lang="nb")
        == 4
    )
    raw = norwegian.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    nb_rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    en_rows = list(csv.reader(english.read_text(encoding="utf-8").splitlines()))
    assert len(nb_rows) == len(en_rows) == 5
    amount = en_rows[0].index("amount")
    assert [row[amount].replace(".", ",") for row in en_rows[1:]] == [
        row[amount].replace("\u00a0", "").replace(" ", "") for row in nb_rows[1:]
    ]
    assert any("," in row[amount] for row in nb_rows[1:])


async def test_bookings_with_reversals_and_vouchers(
    finance: RunningService, tmp_path: Path
) -> None:
    out = tmp_path / "bookings.csv"
    key = finance.keys["auditor"]
    assert await export_bookings_csv(BASE, key, PROJECT, out, client=finance.client) == 4
    header, rows = read_csv(out)
    assert header == list(BOOKING_COLUMNS)
    picked = [
        (r["entry"], r["booking_id"], r["voucher"], r["amount"], r["reversed"], r["net"])
        for r in rows
    ]
    assert picked == [
        ("booking", "GL-1", "V-GL-1", "12500.00", "5000.00", "7500.00"),
        ("reversal", "GL-1", "V-R1", "-4000.00", "", ""),
        ("reversal", "GL-1", "", "-1000.00", "", ""),
        ("booking", "GL-2", "V-GL-2", "3000.00", "0.00", "3000.00"),
    ]
    gl1, first, second, gl2 = rows
    assert (gl1["booking_date"], gl1["line"], gl1["supplier"], gl1["text"]) == (
        "2010-03-15",
        "external-expertise",
        "Nettverkskompetanse AS",
        "Workshop",
    )
    assert (first["reversal_date"], first["reason"], first["line"]) == (
        "2010-04-02",
        "split",
        "external-expertise",
    )
    assert (second["reversal_date"], second["reason"]) == ("2010-05-02", "wrong line")
    # Text that a spreadsheet would run as a formula is defused.
    assert gl2["text"] == "'=1+1"
    assert [int(r["position"]) for r in rows] == [3, 5, 6, 4]

    # Each row leads to its event in the log.
    log = tmp_path / "finance.ndjson"
    await export(finance, log)
    by_position = {position_of(line): orjson.loads(line) for line in lines(log)}
    for row in rows:
        event = by_position[int(row["position"])]
        assert event["id"] == row["event_id"]
        assert event["type"] == ("CostBooked" if row["entry"] == "booking" else "CostReversed")

    # Both ways of adding up give the net cost the budget shows.
    budget = (await finance.get(f"/projects/{PROJECT}/budget")).json()
    net = sum(Decimal(r["net"]) for r in rows if r["entry"] == "booking")
    assert net == sum(Decimal(r["amount"]) for r in rows) == Decimal(budget["money"]["used"])


async def test_in_kind_documentation_and_its_summary(
    finance: RunningService, tmp_path: Path
) -> None:
    entries, summary = tmp_path / "in-kind.csv", tmp_path / "in-kind-summary.csv"
    key = finance.keys["auditor"]
    counts = await export_in_kind_csv(BASE, key, PROJECT, entries, summary, client=finance.client)
    assert counts == (4, 2)

    header, rows = read_csv(entries)
    assert header == list(IN_KIND_COLUMNS)
    assert [(r["municipality"], r["work_date"], r["person"]) for r in rows] == [
        ("Flesberg", "2010-03-01", "Kari Nordmann"),
        ("Flesberg", "2010-03-03", "Ola Nordmann"),
        ("Flesberg", "2010-04-01", "Ola Nordmann"),
        ("Kongsberg", "2010-03-02", "Per Hansen"),
    ]
    for row in rows:
        worth = (Decimal(row["hours"]) * Decimal(row["hourly_rate"])).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert Decimal(row["value"]) == worth
    assert [r["value"] for r in rows] == ["1334.13", "4125.00", "550.00", "1200.00"]
    assert [r["position"] for r in rows] == ["9", "8", "10", "7"]
    assert rows[0]["role"] == "adviser"
    assert rows[0]["description"] == "Mapping the region's networks"

    header, totals = read_csv(summary)
    assert header == list(SUMMARY_COLUMNS)
    assert [(t["row"], t["municipality"], t["persons"], t["entries"]) for t in totals] == [
        ("municipality", "Flesberg", "2", "3"),
        ("municipality", "Kongsberg", "1", "1"),
        ("total", "", "3", "4"),
    ]
    view = (await finance.get(f"/projects/{PROJECT}/in-kind")).json()
    assert [(g["key"], g["hours"], g["value"], g["entries"]) for g in view["by_municipality"]] == [
        (t["municipality"], t["hours"], t["value"], int(t["entries"])) for t in totals[:-1]
    ]
    assert (totals[-1]["hours"], totals[-1]["value"]) == (view["hours"], view["recorded"])
    assert sum(Decimal(r["value"]) for r in rows) == Decimal(view["recorded"])


async def test_the_csvs_are_files_for_auditors(finance: RunningService) -> None:
    for name in ("bookings.csv", "in-kind.csv", "in-kind-summary.csv"):
        path = f"/projects/{PROJECT}/audit/{name}"
        answer = await finance.get(path, role="auditor")
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"] == (f'attachment; filename="{PROJECT}-{name}"')
        assert int(answer.headers["ptrack-position"]) >= EVENTS
        assert (await finance.get(path, role="admin")).status_code == 200
        assert (await finance.get(path, role="manager")).status_code == 403
        unknown = await finance.get(f"/projects/nowhere/audit/{name}", role="auditor")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert unknown.json()["detail"] == "no approved budget for project 'nowhere'"


async def test_csv_export_of_an_unknown_project_fails_plainly(
    finance: RunningService, tmp_path: Path
) -> None:
    out = tmp_path / "bookings.csv"
    key = finance.keys["auditor"]
    with pytest.raises(ApiError, match="no approved budget"):
        await export_bookings_csv(BASE, key, "nowhere", out, client=finance.client)
    assert not out.exists()
