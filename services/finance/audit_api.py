"""The auditor's finance exports as CSV: cost bookings with their reversals and vouchers, and the
documentation of in-kind work with a summary per municipality.

Every entry row carries the `event_id` and log `position` of the event it comes from, so an
auditor can find it in an exported log (`GET /audit/events`) and check it there against the
hash chain. Amounts are decimal strings in NOK, dates ISO 8601.

Each takes `lang`: `en` (the default, unless `PTRACK_LANGUAGE` says otherwise) writes `,`
between fields and a decimal point; `nb` writes `;` and a decimal comma, UTF-8 with a byte order
mark, as a spreadsheet set to Norwegian reads it (see `accounts.tables`). The columns are the
same in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.finance import audit_queries, queries
from services.finance.accounts.tables import CsvStyle, csv_style
from services.finance.accounts.tables import hours_text as hours
from services.finance.accounts.tables import safe_text as _text
from shared.http.deps import Auditor, Fresh, ProjectId, ReadSideDep, not_found
from shared.http.problems import Problem

router = APIRouter(prefix="/projects/{project_id}/audit", tags=["finance audit"])

CSV = "text/csv; charset=utf-8"
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}},
        "description": "A CSV file (UTF-8; with `lang=nb`, `;`-separated with decimal commas "
        "and a byte order mark) with a header row",
    },
    **not_found("No such project"),
}
CsvLanguage = Annotated[
    Literal["nb", "en"] | None,
    Query(
        description="`en`: `,` and a decimal point; `nb`: `;`, a decimal comma and a byte order "
        "mark (default: the service's language setting, else `en`)"
    ),
]

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
    "corrections",
    "attested_by",
    "attested_on",
)
"""The last three came with corrections and attestations: added at the end, so a sheet reading
the earlier columns by place still reads them."""
SUMMARY_COLUMNS = ("row", "municipality", "persons", "entries", "hours", "value", "attested")


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
    project_id: ProjectId,
    read: ReadSideDep,
    _: Auditor,
    position: Fresh,
    lang: CsvLanguage = None,
) -> Response:
    await _project(read, project_id)
    style = _style(read, lang)
    entries = await audit_queries.ledger(read.pool, read.schema, project_id)
    rows = [_ledger_row(entry, style) for entry in entries]
    return _csv(BOOKING_COLUMNS, rows, f"{project_id}-bookings.csv", position, style)


def _ledger_row(entry: dict[str, Any], style: CsvStyle) -> tuple[object, ...]:
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
        style.amount(entry["amount_ore"] if booked else -entry["amount_ore"]),
        style.amount(entry["reversed_ore"]) if booked else "",
        style.amount(entry["amount_ore"] - entry["reversed_ore"]) if booked else "",
        "" if booked else _day(entry["reversal_date"]),
        _text(entry["reason"]),
        _uuid(entry["event_id"]),
        entry["position"],
    )


@router.get(
    "/in-kind.csv",
    summary="The documentation of in-kind work, entry by entry",
    description=(
        "The standing entries as corrected (a withdrawn one is left out: it is worth nothing), "
        "by municipality and work date; `value` = hours × hourly rate, to the øre; "
        "`corrections` how often the entry was corrected, and who attested it and when (empty "
        "while unattested; a correction after an attestation takes it off)."
    ),
    response_class=Response,
    responses=_RESPONSES,
)
async def in_kind_csv(
    project_id: ProjectId,
    read: ReadSideDep,
    _: Auditor,
    position: Fresh,
    lang: CsvLanguage = None,
) -> Response:
    await _project(read, project_id)
    style = _style(read, lang)
    entries = await audit_queries.in_kind_entries(read.pool, read.schema, project_id)
    rows = [
        (
            _text(entry["municipality"]),
            _text(entry["person"]),
            _text(entry["role"]),
            entry["activity"],
            _day(entry["work_date"]),
            style.decimal(hours(entry["hours"])),
            style.amount(entry["rate_ore"]),
            style.amount(entry["value_ore"]),
            _text(entry["description"]),
            _uuid(entry["event_id"]),
            entry["position"],
            entry["corrections"],
            _text(entry["attested_by"]),
            _day(entry["attested_on"]) if entry["attested_on"] else "",
        )
        for entry in entries
    ]
    return _csv(IN_KIND_COLUMNS, rows, f"{project_id}-in-kind.csv", position, style)


@router.get(
    "/in-kind-summary.csv",
    summary="In-kind work per municipality, with a total row",
    description=(
        "`row` is `municipality` for each municipality and `total` for the last row (whose "
        "`municipality` is empty). `persons` counts distinct names within a municipality; the "
        "total adds those counts up. `attested`: the part of `value` attested."
    ),
    response_class=Response,
    responses=_RESPONSES,
)
async def in_kind_summary_csv(
    project_id: ProjectId,
    read: ReadSideDep,
    _: Auditor,
    position: Fresh,
    lang: CsvLanguage = None,
) -> Response:
    await _project(read, project_id)
    style = _style(read, lang)
    groups = await audit_queries.in_kind_by_municipality(read.pool, read.schema, project_id)
    rows: list[Sequence[object]] = [
        (
            "municipality",
            _text(group["municipality"]),
            group["persons"],
            group["entries"],
            style.decimal(hours(group["hours"])),
            style.amount(group["value_ore"]),
            style.amount(group["attested_ore"]),
        )
        for group in groups
    ]
    rows.append(
        (
            "total",
            "",
            sum(group["persons"] for group in groups),
            sum(group["entries"] for group in groups),
            style.decimal(hours(sum((Decimal(group["hours"]) for group in groups), Decimal(0)))),
            style.amount(sum(group["value_ore"] for group in groups)),
            style.amount(sum(group["attested_ore"] for group in groups)),
        )
    )
    return _csv(SUMMARY_COLUMNS, rows, f"{project_id}-in-kind-summary.csv", position, style)


def _style(read: ReadSideDep, lang: str | None) -> CsvStyle:
    return csv_style(lang or read.settings.language or "en")


def _csv(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    filename: str,
    position: int,
    style: CsvStyle,
) -> Response:
    # Built in memory: a project's entries number in the hundreds, not millions.
    return Response(
        style.encode(columns, rows),
        media_type=CSV,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # What `Fresh` reports on the JSON routes (a returned Response skips its headers):
            # the file holds every entry up to this log position.
            "Ptrack-Position": str(position),
        },
    )


def _day(value: date) -> str:
    return value.isoformat()


def _uuid(value: UUID) -> str:
    return str(value)
