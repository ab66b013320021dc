"""Reads over the milestones read model: the plan's baselines and the dated history of what was
reported, each limited to what happened by a day. Rows, not states (those are `schedule`'s)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from shared.db import Queryable

_BASELINE_COLUMNS = "baseline, effective_on, reason, decision_ref, fingerprint, content"


@dataclass(frozen=True)
class BaselineRow:
    baseline: int
    effective_on: date
    reason: str | None
    decision_ref: str | None
    fingerprint: str
    content: dict[str, Any]
    """The plan as baselined (`events.PlanContent`, as JSON)."""


@dataclass(frozen=True)
class MilestoneEntry:
    milestone: str
    kind: str
    """reached, forecast or reopened."""
    on_date: date
    expected_on: date | None
    """A forecast's expected date."""
    evidence: str | None
    reported_by: str | None


@dataclass(frozen=True)
class GoalReport:
    goal: str
    reported_on: date
    share: Decimal
    status: str
    comment: str | None


@dataclass(frozen=True)
class ActivityReport:
    activity: str
    reported_on: date
    share: Decimal


@dataclass(frozen=True)
class DecisionRow:
    decision_point: str
    decided_on: date
    outcome: str
    minutes_ref: str
    revision: bool
    note: str | None


async def projects(db: Queryable, s: str) -> list[str]:
    """Every project with a baseline."""
    rows = await db.fetch(f"SELECT DISTINCT project_id FROM {s}.baselines ORDER BY 1")
    return [row["project_id"] for row in rows]


async def baselines(db: Queryable, s: str, project: str) -> list[BaselineRow]:
    rows = await db.fetch(
        f"SELECT {_BASELINE_COLUMNS} FROM {s}.baselines WHERE project_id = $1 ORDER BY baseline",
        project,
    )
    return [BaselineRow(*row.values()) for row in rows]


async def baseline_on(db: Queryable, s: str, project: str, day: date) -> BaselineRow | None:
    """The baseline in force on `day`: the latest one effective by then, else the first."""
    row = await db.fetchrow(
        f"SELECT {_BASELINE_COLUMNS} FROM {s}.baselines WHERE project_id = $1 "
        "ORDER BY (effective_on <= $2) DESC, CASE WHEN effective_on <= $2 THEN -baseline "
        "ELSE baseline END LIMIT 1",
        project,
        day,
    )
    return None if row is None else BaselineRow(*row.values())


async def milestone_log(db: Queryable, s: str, project: str, day: date) -> list[MilestoneEntry]:
    """What was reported of the milestones by `day`, in business order (by date, then log
    order), so replaying it gives their state on `day`."""
    rows = await db.fetch(
        f"SELECT milestone, kind, on_date, expected_on, evidence, reported_by FROM "
        f"{s}.milestone_log WHERE project_id = $1 AND on_date <= $2 ORDER BY on_date, position",
        project,
        day,
    )
    return [MilestoneEntry(*row.values()) for row in rows]


async def latest_goal_reports(
    db: Queryable, s: str, project: str, day: date
) -> dict[str, GoalReport]:
    columns = "goal, reported_on, share, status, comment"
    rows = await db.fetch(_latest_sql(f"{s}.goal_reports", columns), project, day)
    return {row["goal"]: GoalReport(*row.values()) for row in rows}


async def latest_activity_reports(
    db: Queryable, s: str, project: str, day: date
) -> dict[str, ActivityReport]:
    columns = "activity, reported_on, share"
    rows = await db.fetch(_latest_sql(f"{s}.activity_reports", columns), project, day)
    return {row["activity"]: ActivityReport(*row.values()) for row in rows}


def _latest_sql(table: str, columns: str) -> str:
    """The latest report per goal or activity (the first of `columns`) of project `$1` made by
    day `$2`."""
    key = columns.split(",", 1)[0]
    return (
        f"SELECT DISTINCT ON ({key}) {columns} FROM {table} WHERE project_id = $1 "
        f"AND reported_on <= $2 ORDER BY {key}, reported_on DESC, position DESC"
    )


async def activity_reports(db: Queryable, s: str, project: str) -> list[ActivityReport]:
    """Every progress report on the project's activities, oldest first (the later of two on
    the same day last)."""
    rows = await db.fetch(
        f"SELECT activity, reported_on, share FROM {s}.activity_reports "
        "WHERE project_id = $1 ORDER BY reported_on, position",
        project,
    )
    return [ActivityReport(*row.values()) for row in rows]


async def decisions(db: Queryable, s: str, project: str, day: date) -> list[DecisionRow]:
    """Every decision made by `day`, oldest first."""
    rows = await db.fetch(
        f"SELECT decision_point, decided_on, outcome, minutes_ref, revision, note FROM "
        f"{s}.decisions WHERE project_id = $1 AND decided_on <= $2 ORDER BY decided_on, position",
        project,
        day,
    )
    return [DecisionRow(*row.values()) for row in rows]
