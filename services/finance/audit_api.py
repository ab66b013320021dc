"""The auditor's finance exports as CSV: cost bookings with their reversals and vouchers, and the
documentation of in-kind work with a summary per municipality.

Every entry row carries the `event_id` and log `position` of the event it comes from, so an
auditor can find it in an exported log (`GET /audit/events`) and check it there against the
hash chain. Amounts are decimal strings in NOK, dates ISO 8601.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from services.finance import audit_queries, queries
from shared.http.deps import Auditor, Fresh, ProjectId, ReadSideDep, not_found
from shared.http.problems import Problem
from shared.money import format_ore

router = APIRouter(prefix="/projects/{project_id}/audit", tags=["finance audit"])

CSV = "text/csv; charset=utf-8"
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "A CSV file (UTF-8) with a header row"},
    **not_found("No such project"),
}

BOOKING_COLUMNS = (
    "entry",
    "booking_id",
    "booking_date",
    "line",
    "voucher",
    "supplier",
    "text",
    "amount",
    "reversed",
    "net",
    "reversal_date",
    "reason",
    "event_id",
    "position",
)
IN_KIND_COLUMNS = (
    "municipality",
    "person",
    "role",
    "activity",
    "work_date",
    "hours",
    "hourly_rate",
    "value",
    "description",
    "event_id",
    "position",
)
SUMMARY_COLUMNS = ("row", "municipality", "persons", "entries", "hours", "value")


async def _project(read: ReadSideDep, project_id: str) -> queries.Project:
    # The same answer as the finance read routes give for a project without a budget.
    found = await queries.project(read.pool, read.schema, project_id)
    if found is None:
        raise Problem(404, "unknown-project", f"no approved budget for project {project_id!r}")
    return found


@router.get(
    "/bookings.csv",
    summary="Every cost booking and reversal with vouchers, for ticking off against the ledger",
    description=(
        "One `booking` row per booking (amount booked, reversed and net), each followed by one "
        "`reversal` row per reversal of it (its own voucher, date and reason; `amount` negative, "
        "so the amount column sums to the net cost). Bookings by booking date, then log order."
    ),
    response_class=Response,
    responses=_RESPONSES,
)
async def bookings_csv(
    project_id: ProjectId, read: ReadSideDep, _: Auditor, position: Fresh
) -> Response:
    await _project(read, project_id)
    entries = await audit_queries.ledger(read.pool, read.schema, project_id)
    rows = [_ledger_row(entry) for entry in entries]
    return _csv(BOOKING_COLUMNS, rows, f"{project_id}-bookings.csv", position)


def _ledger_row(entry: dict[str, Any]) -> tuple[object, ...]:
    booked = entry["entry"] == "booking"
    return (
        entry["entry"],
        _text(entry["booking_id"]),
        _day(entry["booking_date"]),
        entry["line_id"],
        _text(entry["voucher"]),
        _text(entry["supplier"]),
        _text(entry["text"]),
        # A reversal takes money off: negative, so the column adds up to the net cost.
        format_ore(entry["amount_ore"] if booked else -entry["amount_ore"]),
        format_ore(entry["reversed_ore"]) if booked else "",
        format_ore(entry["amount_ore"] - entry["reversed_ore"]) if booked else "",
        "" if booked else _day(entry["reversal_date"]),
        _text(entry["reason"]),
        _uuid(entry["event_id"]),
        entry["position"],
    )


@router.get(
    "/in-kind.csv",
    summary="The documentation of in-kind work, entry by entry",
    description="By municipality and work date; `value` = hours × hourly rate, to the øre.",
    response_class=Response,
    responses=_RESPONSES,
)
async def in_kind_csv(
    project_id: ProjectId, read: ReadSideDep, _: Auditor, position: Fresh
) -> Response:
    await _project(read, project_id)
    entries = await audit_queries.in_kind_entries(read.pool, read.schema, project_id)
    rows = [
        (
            _text(entry["municipality"]),
            _text(entry["person"]),
            _text(entry["role"]),
            entry["activity"],
            _day(entry["work_date"]),
            hours(entry["hours"]),
            format_ore(entry["rate_ore"]),
            format_ore(entry["value_ore"]),
            _text(entry["description"]),
            _uuid(entry["event_id"]),
            entry["position"],
        )
        for entry in entries
    ]
    return _csv(IN_KIND_COLUMNS, rows, f"{project_id}-in-kind.csv", position)


@router.get(
    "/in-kind-summary.csv",
    summary="In-kind work per municipality, with a total row",
    description=(
        "`row` is `municipality` for each municipality and `total` for the last row (whose "
        "`municipality` is empty). `persons` counts distinct names within a municipality; the "
        "total adds those counts up."
    ),
    response_class=Response,
    responses=_RESPONSES,
)
async def in_kind_summary_csv(
    project_id: ProjectId, read: ReadSideDep, _: Auditor, position: Fresh
) -> Response:
    await _project(read, project_id)
    groups = await audit_queries.in_kind_by_municipality(read.pool, read.schema, project_id)
    rows: list[Sequence[object]] = [
        (
            "municipality",
            _text(group["municipality"]),
            group["persons"],
            group["entries"],
            hours(group["hours"]),
            format_ore(group["value_ore"]),
        )
        for group in groups
    ]
    rows.append(
        (
            "total",
            "",
            sum(group["persons"] for group in groups),
            sum(group["entries"] for group in groups),
            hours(sum((Decimal(group["hours"]) for group in groups), Decimal(0))),
            format_ore(sum(group["value_ore"] for group in groups)),
        )
    )
    return _csv(SUMMARY_COLUMNS, rows, f"{project_id}-in-kind-summary.csv", position)


def hours(value: object) -> str:
    """Hours as the finance API spells them: no float, no trailing zeros (`7.5`, `12`)."""
    number = Decimal(str(value or 0))
    return format(number.normalize(), "f") if number else "0"


def _csv(
    columns: Sequence[str], rows: Iterable[Sequence[object]], filename: str, position: int
) -> Response:
    # Built in memory: a project's entries number in the hundreds, not millions.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return Response(
        buffer.getvalue().encode("utf-8"),
        media_type=CSV,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # What `Fresh` reports on the JSON routes (a returned Response skips its headers):
            # the file holds every entry up to this log position.
            "Ptrack-Position": str(position),
        },
    )


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    """Free text from an integration, made safe to open in a spreadsheet.

    A cell starting with `=`, `+`, `-` or `@` is run as a formula by spreadsheet programs, and
    these files are opened by auditors on their own machines; such text gets a leading
    apostrophe (the usual neutralisation). Only free text is touched: amounts and dates never
    need it, and the event id leads to the text exactly as recorded.
    """
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _day(value: date) -> str:
    return value.isoformat()


def _uuid(value: UUID) -> str:
    return str(value)
