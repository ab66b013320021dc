"""Budget, in-kind work, funding and cost as the API shows them, built from `queries`; the usage
figures (budget, used, remaining, share used) are also what the reporting service shows.
Amounts are decimal strings (NOK), ratios numbers."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from services.finance import queries
from shared.db import Queryable
from shared.money import format_ore

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
    names: dict[str, str]
    """The name in other languages than the plan's, by language (`{"en": ...}`)."""
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


class LineChangeView(BaseModel):
    line: str
    delta: Money
    """Added to the line's budget (negative: taken from it)."""


class RevisionView(BaseModel):
    revised_on: date
    decision_ref: str
    """The decision (minutes reference) that revised the budget."""
    reason: str
    changes: list[LineChangeView]
    in_kind_delta: Money
    frame_delta: Money
    position: int
    event_id: str


class BudgetView(BaseModel):
    project: ProjectInfo
    lines: list[LineUsage]
    revisions: list[RevisionView]
    """Every revision of the approved budget, in the order recorded."""
    money: Usage
    """The cost budget (money spent) against bookings net of reversals."""
    in_kind: Usage
    """The documented in-kind budget against recorded in-kind value."""
    frame: Usage
    """Both together, against the whole frame."""
    outside_period: OutsidePeriod
    """Entries dated outside the project period: bookings and reversals are accepted but worth a
    look; in-kind work is refused (`within_period`), so its count holds only entries recorded
    before that rule."""
    municipalities: list[str]
    """The project's municipalities: the only ones that may record in-kind work (when it has
    rules)."""
    in_kind_rules: dict[str, Any] | None
    """The rules in-kind work is checked against, as approved or last revised (activities,
    rate ceilings, hours per day, attesters); null for a budget approved without them."""


class InKindGroup(BaseModel):
    key: str
    hours: str
    value: Money
    entries: int
    attested: Money
    """The part of `value` attested by the municipality's contact."""


class AttestationView(BaseModel):
    municipality: str
    period_start: date
    period_end: date
    attested_by: str
    attested_on: date
    entries: int
    """The entries it attested when recorded."""
    hours: str
    value: Money
    standing: int
    """Of those, the entries still attested (not corrected or withdrawn since)."""
    position: int
    event_id: str


class InKindView(BaseModel):
    project: ProjectInfo
    budget: Money
    recorded: Money
    """The documented value: every standing entry as corrected (withdrawn ones count 0)."""
    attested: Money
    unattested: Money
    hours: str
    by_municipality: list[InKindGroup]
    by_activity: list[InKindGroup]
    outside_period: int
    corrections: int
    """Corrections recorded (each entry's figures are shown as corrected)."""
    withdrawn: int
    """Entries withdrawn (worth nothing; listed in `/in-kind/entries`)."""
    attestations: list[AttestationView]


class InKindFigures(BaseModel):
    hours: str
    rate: Money
    activity: str
    work_date: date
    value: Money


class InKindChange(BaseModel):
    kind: Literal["corrected", "withdrawn"]
    changed_on: date
    reason: str
    before: InKindFigures
    after: InKindFigures
    lost_attestation: bool
    """The entry was attested before this change, and is not after it."""
    position: int
    event_id: str


class InKindEntryView(BaseModel):
    entry: str
    """The id of the event that recorded it: what a correction or withdrawal names."""
    position: int
    municipality: str
    person: str
    role: str | None
    activity: str
    work_date: date
    hours: str
    rate: Money
    value: Money
    """hours × rate to the øre, as corrected; 0 when withdrawn."""
    description: str | None
    withdrawn: bool
    attested_by: str | None
    attested_on: date | None
    history: list[InKindChange]
    """Its corrections and withdrawal, in the order recorded (the figures first recorded are
    the first change's `before`)."""


class InKindEntriesPage(BaseModel):
    items: list[InKindEntryView]
    next_cursor: str | None


class RepaymentView(BaseModel):
    source: str
    amount: Money
    repaid_date: date
    reference: str
    reason: str
    position: int
    event_id: str


class SourceView(BaseModel):
    id: str
    name: str
    names: dict[str, str]
    """The name in other languages than the plan's, by language."""
    kind: str
    planned: Money
    received: Money
    """Net of what was paid back."""
    outstanding: Money


class FundingView(BaseModel):
    project: ProjectInfo
    sources: list[SourceView]
    planned: Money
    received: Money
    frame: Money
    planned_matches_frame: bool
    repayments: list[RepaymentView]
    """Money paid back to the sources, in the order recorded (already taken off `received`)."""


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


@dataclass(frozen=True)
class FrameUsage:
    """The three usages of a `BudgetView`: money, in-kind work, and both against the frame."""

    money: Usage
    in_kind: Usage
    frame: Usage


def usage(budget: int, used: int) -> Usage:
    return Usage(
        budget=format_ore(budget),
        used=format_ore(used),
        remaining=format_ore(budget - used),
        share_used=round(used / budget, 4) if budget else None,
    )


def line_used(line: dict[str, Any]) -> int:
    """What a budget line from `queries.budget_lines` has used: booked net of reversals."""
    return int(line["booked_ore"] - line["reversed_ore"])


def frame_usage(
    project: queries.Project, lines: list[dict[str, Any]], in_kind: list[dict[str, Any]]
) -> FrameUsage:
    """Money, in-kind work and the two together against their budgets, from the budget lines
    and the in-kind groups (of any one grouping) of `queries`."""
    spent = sum(line_used(line) for line in lines)
    in_kind_value = sum(group["value_ore"] for group in in_kind)
    return FrameUsage(
        money=usage(sum(line["budget_ore"] for line in lines), spent),
        in_kind=usage(project.in_kind, in_kind_value),
        frame=usage(project.frame, spent + in_kind_value),
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


async def budget(db: Queryable, s: str, project: queries.Project) -> BudgetView:
    lines = await queries.budget_lines(db, s, project.project_id)
    in_kind = await queries.in_kind_totals(db, s, project.project_id, "municipality")
    outside = await queries.outside_period(db, s, project)
    totals = frame_usage(project, lines, in_kind)
    revisions = await queries.budget_revisions(db, s, project.project_id)
    rules = await queries.in_kind_rules(db, s, project.project_id)
    return BudgetView(
        municipalities=rules["municipalities"],
        in_kind_rules=rules["in_kind_rules"],
        project=_info(project),
        revisions=[
            RevisionView(
                revised_on=row["revised_on"],
                decision_ref=row["decision_ref"],
                reason=row["reason"],
                changes=[
                    LineChangeView(line=change["line"], delta=str(change["delta"]))
                    for change in row["changes"]
                ],
                in_kind_delta=format_ore(row["in_kind_delta_ore"]),
                frame_delta=format_ore(row["frame_delta_ore"]),
                position=row["position"],
                event_id=str(row["event_id"]),
            )
            for row in revisions
        ],
        lines=[
            LineUsage(
                id=line["line_id"],
                name=line["name"],
                names=line["names"],
                booked=format_ore(line["booked_ore"]),
                reversed=format_ore(line["reversed_ore"]),
                **usage(line["budget_ore"], line_used(line)).model_dump(),
            )
            for line in lines
        ],
        money=totals.money,
        in_kind=totals.in_kind,
        frame=totals.frame,
        outside_period=OutsidePeriod(**outside),
    )


async def in_kind(db: Queryable, s: str, project: queries.Project) -> InKindView:
    groups = {
        by: await queries.in_kind_totals(db, s, project.project_id, by)
        for by in ("municipality", "activity")
    }
    outside = await queries.outside_period(db, s, project)
    recorded = sum(row["value_ore"] for row in groups["municipality"])
    attested = sum(row["attested_ore"] for row in groups["municipality"])
    hours = sum((row["hours"] for row in groups["municipality"]), Decimal(0))
    changes = await queries.in_kind_change_counts(db, s, project.project_id)
    attestations = await queries.in_kind_attestations(db, s, project.project_id)
    return InKindView(
        project=_info(project),
        budget=format_ore(project.in_kind),
        recorded=format_ore(recorded),
        attested=format_ore(attested),
        unattested=format_ore(recorded - attested),
        hours=_hours(hours),
        by_municipality=_in_kind_groups(groups["municipality"]),
        by_activity=_in_kind_groups(groups["activity"]),
        outside_period=outside["in_kind"],
        corrections=changes["corrected"],
        withdrawn=changes["withdrawn"],
        attestations=[
            AttestationView(
                municipality=row["municipality"],
                period_start=row["period_start"],
                period_end=row["period_end"],
                attested_by=row["attested_by"],
                attested_on=row["attested_on"],
                entries=row["entries"],
                hours=_hours(row["hours"]),
                value=format_ore(row["value_ore"]),
                standing=row["standing"],
                position=row["position"],
                event_id=str(row["event_id"]),
            )
            for row in attestations
        ],
    )


async def in_kind_entries(
    db: Queryable,
    s: str,
    project: queries.Project,
    *,
    municipality: str | None,
    after: tuple[date, int] | None,
    limit: int,
) -> InKindEntriesPage:
    """A page of in-kind entries as corrected, each with its history, in (work date, log
    position) order after the cursor `after`."""
    rows = await queries.in_kind_entries_page(
        db, s, project.project_id, municipality=municipality, after=after, limit=limit
    )
    history: dict[Any, list[InKindChange]] = {}
    if rows:
        changes = await queries.in_kind_changes(
            db, s, project.project_id, [row["event_id"] for row in rows]
        )
        for change in changes:
            history.setdefault(change["entry_id"], []).append(_change(change))
    last = rows[-1] if len(rows) == limit else None
    return InKindEntriesPage(
        items=[
            InKindEntryView(
                entry=str(row["event_id"]),
                position=row["position"],
                municipality=row["municipality"],
                person=row["person"],
                role=row["role"],
                activity=row["activity"],
                work_date=row["work_date"],
                hours=_hours(row["hours"]),
                rate=format_ore(row["rate_ore"]),
                value=format_ore(row["value_ore"]),
                description=row["description"],
                withdrawn=row["withdrawn"],
                attested_by=row["attested_by"],
                attested_on=row["attested_on"],
                history=history.get(row["event_id"], []),
            )
            for row in rows
        ],
        next_cursor=_encode_cursor(last["work_date"], last["position"]) if last else None,
    )


def _change(row: dict[str, Any]) -> InKindChange:
    def figures(when: str) -> InKindFigures:
        return InKindFigures(
            hours=_hours(row[f"hours_{when}"]),
            rate=format_ore(row[f"rate_{when}"]),
            activity=row[f"activity_{when}"],
            work_date=row[f"work_date_{when}"],
            value=format_ore(row[f"value_{when}"]),
        )

    return InKindChange(
        kind=row["kind"],
        changed_on=row["changed_on"],
        reason=row["reason"],
        before=figures("before"),
        after=figures("after"),
        lost_attestation=row["lost_attestation"],
        position=row["position"],
        event_id=str(row["event_id"]),
    )


def _in_kind_groups(rows: list[dict[str, Any]]) -> list[InKindGroup]:
    return [
        InKindGroup(
            key=row["key"],
            hours=_hours(row["hours"]),
            value=format_ore(row["value_ore"]),
            entries=row["entries"],
            attested=format_ore(row["attested_ore"]),
        )
        for row in rows
    ]


async def funding(db: Queryable, s: str, project: queries.Project) -> FundingView:
    sources = await queries.funding_sources(db, s, project.project_id)
    repayments = await queries.funding_repayments(db, s, project.project_id)
    planned = sum(source["planned_ore"] for source in sources)
    return FundingView(
        project=_info(project),
        sources=[
            SourceView(
                id=source["source_id"],
                name=source["name"],
                names=source["names"],
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
        repayments=[
            RepaymentView(
                source=row["source_id"],
                amount=format_ore(row["amount_ore"]),
                repaid_date=row["repaid_date"],
                reference=row["reference"],
                reason=row["reason"],
                position=row["position"],
                event_id=str(row["event_id"]),
            )
            for row in repayments
        ],
    )


async def costs(
    db: Queryable,
    s: str,
    project: queries.Project,
    *,
    line: str | None,
    from_date: date | None,
    to_date: date | None,
    after: tuple[date, int] | None,
    limit: int,
) -> CostsPage:
    """A page of bookings, in (booking date, log position) order after the cursor `after`."""
    rows = await queries.bookings_page(
        db,
        s,
        project,
        line=line,
        from_date=from_date,
        to_date=to_date,
        after=after,
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


async def cost_by_month(db: Queryable, s: str, project: queries.Project) -> CostByMonthView:
    months, cumulative = [], 0
    for row in await queries.cost_by_month(db, s, project.project_id):
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


def decode_cursor(cursor: str) -> tuple[date, int]:
    """The (booking date, position) a `next_cursor` stands for; ValueError for anything this
    API did not give out."""
    day, position = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    after = date.fromisoformat(day), int(position)
    if not 0 < after[1] < 2**63:  # a log position, which PostgreSQL keeps as a bigint
        raise ValueError(position)
    return after
