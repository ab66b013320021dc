"""What the status of a project is computed from, read from the reporting schema's copies of
the other services' read models: the plan's time-phased budget, reported progress, booked cost,
the value of in-kind work, funding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.finance.queries import received_sql
from services.milestones import views as schedule
from services.milestones.events import IN_KIND
from services.reporting.evm import ActualCost, PlannedCost, ProgressReport
from shared.db import Queryable


@dataclass(frozen=True)
class EvmInputs:
    start: date
    end: date
    planned: list[PlannedCost]
    progress: list[ProgressReport]
    actual: list[ActualCost]


async def evm_inputs(db: Queryable, s: str, project: str, day: date) -> EvmInputs | None:
    """None when the project has no plan baseline yet."""
    baseline = await schedule.baseline_on(db, s, project, day)
    if baseline is None:
        return None
    plan = baseline.plan
    planned = [
        PlannedCost(activity.id, month, amount, line == IN_KIND)
        for activity in plan.activities
        for line, months in activity.planned.items()
        for month, amount in months.items()
    ]
    progress = [
        ProgressReport(row["activity"], row["reported_on"], row["share"])
        for row in await db.fetch(
            f"SELECT activity, reported_on, share FROM {s}.activity_reports "
            "WHERE project_id = $1 ORDER BY reported_on, position",
            project,
        )
    ]
    rows = await db.fetch(
        f"""
        SELECT booking_date AS on_date, amount_ore AS amount, false AS in_kind
            FROM {s}.bookings WHERE project_id = $1
        UNION ALL
        SELECT reversal_date, -amount_ore, false FROM {s}.reversals WHERE project_id = $1
        UNION ALL
        SELECT work_date, value_ore, true FROM {s}.in_kind WHERE project_id = $1
        ORDER BY 1
        """,
        project,
    )
    actual = [ActualCost(row["on_date"], row["amount"], row["in_kind"]) for row in rows]
    return EvmInputs(plan.period_start, plan.period_end, planned, progress, actual)


async def lines_on(db: Queryable, s: str, project: str, day: date) -> list[dict[str, Any]]:
    """Each budget line with what was booked on it by `day` (net of reversals by then)."""
    rows = await db.fetch(
        f"""
        SELECT l.line_id, l.name, l.budget_ore,
               coalesce((SELECT sum(b.amount_ore) FROM {s}.bookings b WHERE b.project_id = $1
                         AND b.line_id = l.line_id AND b.booking_date <= $2), 0)::bigint
             - coalesce((SELECT sum(r.amount_ore) FROM {s}.reversals r WHERE r.project_id = $1
                         AND r.line_id = l.line_id AND r.reversal_date <= $2), 0)::bigint
               AS used_ore
        FROM {s}.budget_lines l WHERE l.project_id = $1 ORDER BY l.ordinal
        """,
        project,
        day,
    )
    return [dict(row) for row in rows]


async def in_kind_on(db: Queryable, s: str, project: str, day: date) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT municipality, sum(hours) AS hours, sum(value_ore)::bigint AS value_ore "
        f"FROM {s}.in_kind WHERE project_id = $1 AND work_date <= $2 "
        "GROUP BY municipality ORDER BY municipality",
        project,
        day,
    )
    return [dict(row) for row in rows]


async def funding_on(db: Queryable, s: str, project: str, day: date) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""
        SELECT f.source_id, f.name, f.kind, f.planned_ore, {received_sql(s, "$2")} AS received_ore
        FROM {s}.funding_sources f WHERE f.project_id = $1 ORDER BY f.ordinal
        """,
        project,
        day,
    )
    return [dict(row) for row in rows]
