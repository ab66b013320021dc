"""Finance queries over the read model. Amounts are decimal strings (NOK), ratios numbers."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.finance import queries
from shared.http.deps import Fresh, ProjectId, Reader, ReadSideDep, not_found
from shared.http.problems import FieldError, Problem, invalid
from shared.money import format_ore

router = APIRouter(prefix="/projects/{project_id}", tags=["finance"])

Money = str


class ProjectInfo(BaseModel):
    id: str
    name: str
    currency: str
    period_start: date
    period_end: date
    revisions: int


class Usage(BaseModel):
    budget: Money
    used: Money
    remaining: Money
    share_used: float | None
    """used / budget; null when the budget is zero."""


class LineUsage(BaseModel):
    id: str
    name: str
    budget: Money
    booked: Money
    reversed: Money
    used: Money
    """Booked net of reversals."""
    remaining: Money
    share_used: float | None


class OutsidePeriod(BaseModel):
    bookings: int
    reversals: int
    in_kind: int


class BudgetView(BaseModel):
    project: ProjectInfo
    lines: list[LineUsage]
    money: Usage
    """The cost budget (money spent) against bookings net of reversals."""
    in_kind: Usage
    """The documented in-kind budget against recorded in-kind value."""
    frame: Usage
    """Both together, against the whole frame."""
    outside_period: OutsidePeriod
    """Entries dated outside the project period: accepted, but worth a look."""


class InKindGroup(BaseModel):
    key: str
    hours: str
    value: Money
    entries: int


class InKindView(BaseModel):
    project: ProjectInfo
    budget: Money
    recorded: Money
    hours: str
    by_municipality: list[InKindGroup]
    by_activity: list[InKindGroup]
    outside_period: int


class SourceView(BaseModel):
    id: str
    name: str
    kind: str
    planned: Money
    received: Money
    outstanding: Money


class FundingView(BaseModel):
    project: ProjectInfo
    sources: list[SourceView]
    planned: Money
    received: Money
    frame: Money
    planned_matches_frame: bool


class Booking(BaseModel):
    booking_id: str
    event_id: str
    position: int
    line: str
    amount: Money
    reversed: Money
    net: Money
    booking_date: date
    voucher: str
    supplier: str | None
    text: str | None
    outside_period: bool


class CostsPage(BaseModel):
    items: list[Booking]
    next_cursor: str | None
    """Pass as `cursor` for the next page; null on the last page."""


class MonthCost(BaseModel):
    month: str
    booked: Money
    reversed: Money
    net: Money
    cumulative: Money


class CostByMonthView(BaseModel):
    project: ProjectInfo
    months: list[MonthCost]


def _share(used: int, budget: int) -> float | None:
    return round(used / budget, 4) if budget else None


def _usage(budget: int, used: int) -> Usage:
    return Usage(
        budget=format_ore(budget),
        used=format_ore(used),
        remaining=format_ore(budget - used),
        share_used=_share(used, budget),
    )


def _info(project: queries.Project) -> ProjectInfo:
    return ProjectInfo(
        id=project.project_id,
        name=project.name,
        currency=project.currency,
        period_start=project.period_start,
        period_end=project.period_end,
        revisions=project.revisions,
    )


async def _project(read: ReadSideDep, project_id: str) -> queries.Project:
    found = await queries.project(read.pool, read.schema, project_id)
    if found is None:
        raise Problem(404, "unknown-project", f"no approved budget for project {project_id!r}")
    return found


_NOT_FOUND = not_found("No such project")


@router.get("/budget", summary="Budget lines against booked cost", responses=_NOT_FOUND)
async def budget(project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh) -> BudgetView:
    project = await _project(read, project_id)
    lines = await queries.budget_lines(read.pool, read.schema, project_id)
    in_kind = await queries.in_kind_totals(read.pool, read.schema, project_id, "municipality")
    outside = await queries.outside_period(read.pool, read.schema, project)
    money_budget = sum(line["budget_ore"] for line in lines)
    spent = sum(line["booked_ore"] - line["reversed_ore"] for line in lines)
    in_kind_value = sum(group["value_ore"] for group in in_kind)
    return BudgetView(
        project=_info(project),
        lines=[
            LineUsage(
                id=line["line_id"],
                name=line["name"],
                booked=format_ore(line["booked_ore"]),
                reversed=format_ore(line["reversed_ore"]),
                **_usage(
                    line["budget_ore"], line["booked_ore"] - line["reversed_ore"]
                ).model_dump(),
            )
            for line in lines
        ],
        money=_usage(money_budget, spent),
        in_kind=_usage(project.in_kind, in_kind_value),
        frame=_usage(project.frame, spent + in_kind_value),
        outside_period=OutsidePeriod(**outside),
    )


@router.get(
    "/in-kind", summary="Documented in-kind work by municipality and activity", responses=_NOT_FOUND
)
async def in_kind(project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh) -> InKindView:
    project = await _project(read, project_id)
    groups = {
        by: await queries.in_kind_totals(read.pool, read.schema, project_id, by)
        for by in ("municipality", "activity")
    }
    outside = await queries.outside_period(read.pool, read.schema, project)

    def view(rows: list[dict[str, Any]]) -> list[InKindGroup]:
        return [
            InKindGroup(
                key=row["key"],
                hours=_hours(row["hours"]),
                value=format_ore(row["value_ore"]),
                entries=row["entries"],
            )
            for row in rows
        ]

    recorded = sum(row["value_ore"] for row in groups["municipality"])
    hours = sum((row["hours"] for row in groups["municipality"]), Decimal(0))
    return InKindView(
        project=_info(project),
        budget=format_ore(project.in_kind),
        recorded=format_ore(recorded),
        hours=_hours(hours),
        by_municipality=view(groups["municipality"]),
        by_activity=view(groups["activity"]),
        outside_period=outside["in_kind"],
    )


@router.get("/funding", summary="Funding planned against received", responses=_NOT_FOUND)
async def funding(project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh) -> FundingView:
    project = await _project(read, project_id)
    sources = await queries.funding_sources(read.pool, read.schema, project_id)
    planned = sum(source["planned_ore"] for source in sources)
    return FundingView(
        project=_info(project),
        sources=[
            SourceView(
                id=source["source_id"],
                name=source["name"],
                kind=source["kind"],
                planned=format_ore(source["planned_ore"]),
                received=format_ore(source["received_ore"]),
                outstanding=format_ore(source["planned_ore"] - source["received_ore"]),
            )
            for source in sources
        ],
        planned=format_ore(planned),
        received=format_ore(sum(source["received_ore"] for source in sources)),
        frame=format_ore(project.frame),
        planned_matches_frame=planned == project.frame,
    )


@router.get(
    "/costs",
    summary="Cost bookings, paged, by booking date",
    responses={**_NOT_FOUND, 422: {"description": "Bad filter or cursor"}},
)
async def costs(
    project_id: ProjectId,
    read: ReadSideDep,
    _: Reader,
    __: Fresh,
    line: Annotated[str | None, Query(max_length=64, description="Only this budget line")] = None,
    from_: Annotated[date | None, Query(alias="from", description="Booked on or after")] = None,
    to: Annotated[date | None, Query(description="Booked on or before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100, description="From `next_cursor`")] = None,
) -> CostsPage:
    project = await _project(read, project_id)
    rows = await queries.bookings_page(
        read.pool,
        read.schema,
        project,
        line=line,
        from_date=from_,
        to_date=to,
        after=_decode_cursor(cursor),
        limit=limit,
    )
    items = [
        Booking(
            booking_id=row["booking_id"],
            event_id=str(row["event_id"]),
            position=row["position"],
            line=row["line_id"],
            amount=format_ore(row["amount_ore"]),
            reversed=format_ore(row["reversed_ore"]),
            net=format_ore(row["amount_ore"] - row["reversed_ore"]),
            booking_date=row["booking_date"],
            voucher=row["voucher"],
            supplier=row["supplier"],
            text=row["text"],
            outside_period=row["outside_period"],
        )
        for row in rows
    ]
    last = rows[-1] if len(rows) == limit else None
    return CostsPage(
        items=items,
        next_cursor=_encode_cursor(last["booking_date"], last["position"]) if last else None,
    )


@router.get(
    "/costs/by-month", summary="Cost per month, with the running total", responses=_NOT_FOUND
)
async def cost_by_month(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> CostByMonthView:
    project = await _project(read, project_id)
    months, cumulative = [], 0
    for row in await queries.cost_by_month(read.pool, read.schema, project_id):
        net = row["booked_ore"] - row["reversed_ore"]
        cumulative += net
        months.append(
            MonthCost(
                month=row["month"].strftime("%Y-%m"),
                booked=format_ore(row["booked_ore"]),
                reversed=format_ore(row["reversed_ore"]),
                net=format_ore(net),
                cumulative=format_ore(cumulative),
            )
        )
    return CostByMonthView(project=_info(project), months=months)


def _hours(value: object) -> str:
    number = Decimal(str(value or 0))
    return format(number.normalize(), "f") if number else "0"


def _encode_cursor(booking_date: date, position: int) -> str:
    return base64.urlsafe_b64encode(f"{booking_date.isoformat()}|{position}".encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[date, int] | None:
    if cursor is None:
        return None
    try:
        day, position = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        after = date.fromisoformat(day), int(position)
        if not 0 < after[1] < 2**63:  # a log position, which PostgreSQL keeps as a bigint
            raise ValueError(position)
        return after
    except ValueError:
        raise invalid(
            "the cursor is not one this API gave out",
            [
                FieldError(
                    "/query/cursor", "valid_cursor", "pass next_cursor from the previous page"
                )
            ],
        ) from None
