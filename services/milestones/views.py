"""The schedule as it stood on a status date, read from the history tables. Shared by the API
and the metrics, so a board and a query never disagree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from services.milestones.events import PlanContent
from services.milestones.schedule import (
    DecisionState,
    GoalState,
    MilestoneState,
    decision_state,
    goal_state,
    milestone_status,
    planned_share,
)
from shared.db import Queryable


class Baseline(BaseModel):
    baseline: int
    effective_on: date
    reason: str | None
    decision_ref: str | None
    fingerprint: str
    plan: PlanContent


class MilestoneView(BaseModel):
    id: str
    title: str
    proves: list[str]
    due: date
    """Due date in the baseline in force on the status date."""
    forecast: date | None
    actual: date | None
    slip_days: int
    state: MilestoneState
    evidence: str | None
    reported_by: str | None


class GoalView(BaseModel):
    id: str
    title: str
    deadline: date
    share_complete: str
    reported_status: str | None
    reported_on: date | None
    comment: str | None
    state: GoalState
    milestones: list[str]
    """Milestones that prove this goal."""


class DecisionView(BaseModel):
    decided_on: date
    outcome: str
    minutes_ref: str
    revision: bool
    note: str | None


class DecisionPointView(BaseModel):
    id: str
    title: str
    due_month: str
    owner_role: str
    state: DecisionState
    decisions: list[DecisionView]
    """Every decision on this point up to the status date, oldest first."""


class ActivityView(BaseModel):
    id: str
    title: str
    months: list[str]
    goals: list[str]
    planned_share: str
    """How much should be done by the status date (its months counted evenly)."""
    reported_share: str
    reported_on: date | None
    variance: str
    """reported − planned: negative is behind plan."""


async def baselines(db: Queryable, s: str, project: str) -> list[Baseline]:
    rows = await db.fetch(
        f"SELECT baseline, effective_on, reason, decision_ref, fingerprint, content "
        f"FROM {s}.baselines WHERE project_id = $1 ORDER BY baseline",
        project,
    )
    return [_baseline(row) for row in rows]


async def baseline_on(db: Queryable, s: str, project: str, day: date) -> Baseline | None:
    """The baseline in force on `day`: the latest one effective by then, else the first."""
    row = await db.fetchrow(
        f"SELECT baseline, effective_on, reason, decision_ref, fingerprint, content "
        f"FROM {s}.baselines WHERE project_id = $1 "
        "ORDER BY (effective_on <= $2) DESC, CASE WHEN effective_on <= $2 THEN -baseline "
        "ELSE baseline END LIMIT 1",
        project,
        day,
    )
    return None if row is None else _baseline(row)


def _baseline(row: Any) -> Baseline:
    return Baseline(
        baseline=row["baseline"],
        effective_on=row["effective_on"],
        reason=row["reason"],
        decision_ref=row["decision_ref"],
        fingerprint=row["fingerprint"],
        plan=PlanContent.model_validate(row["content"]),
    )


async def milestones(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[MilestoneView]:
    rows = await db.fetch(
        f"SELECT milestone, kind, on_date, expected_on, evidence, reported_by FROM "
        f"{s}.milestone_log WHERE project_id = $1 AND on_date <= $2 ORDER BY on_date, position",
        project,
        day,
    )
    actual: dict[str, Any] = {}
    forecast: dict[str, date] = {}
    for row in rows:  # replay in business order: the state on `day`
        if row["kind"] == "reached":
            actual[row["milestone"]] = row
        elif row["kind"] == "reopened":
            actual.pop(row["milestone"], None)
        else:
            forecast[row["milestone"]] = row["expected_on"]
    views = []
    for milestone in plan.milestones:
        reached = actual.get(milestone.id)
        reached_on = reached["on_date"] if reached else None
        status = milestone_status(milestone.due, forecast.get(milestone.id), reached_on, day)
        views.append(
            MilestoneView(
                id=milestone.id,
                title=milestone.title,
                proves=milestone.proves,
                due=milestone.due,
                forecast=forecast.get(milestone.id),
                actual=reached_on,
                slip_days=status.slip_days,
                state=status.state,
                evidence=reached["evidence"] if reached else None,
                reported_by=reached["reported_by"] if reached else None,
            )
        )
    return views


async def goals(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[GoalView]:
    latest = await _latest(db, f"{s}.goal_reports", "goal", project, day)
    proving: dict[str, list[str]] = {}
    for milestone in plan.milestones:
        for goal_id in milestone.proves:
            proving.setdefault(goal_id, []).append(milestone.id)
    views = []
    for goal in plan.goals:
        report = latest.get(goal.id)
        share = report["share"] if report else None
        views.append(
            GoalView(
                id=goal.id,
                title=goal.title,
                deadline=goal.deadline,
                share_complete=_decimal(share or Decimal(0)),
                reported_status=report["status"] if report else None,
                reported_on=report["reported_on"] if report else None,
                comment=report["comment"] if report else None,
                state=goal_state(goal.deadline, share, report["status"] if report else None, day),
                milestones=proving.get(goal.id, []),
            )
        )
    return views


async def decision_points(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[DecisionPointView]:
    rows = await db.fetch(
        f"SELECT decision_point, decided_on, outcome, minutes_ref, revision, note FROM "
        f"{s}.decisions WHERE project_id = $1 AND decided_on <= $2 ORDER BY decided_on, position",
        project,
        day,
    )
    log: dict[str, list[DecisionView]] = {}
    for row in rows:
        log.setdefault(row["decision_point"], []).append(
            DecisionView(
                decided_on=row["decided_on"],
                outcome=row["outcome"],
                minutes_ref=row["minutes_ref"],
                revision=row["revision"],
                note=row["note"],
            )
        )
    views = []
    for point in plan.decision_points:
        decisions = log.get(point.id, [])
        outcome = decisions[-1].outcome if decisions else None
        views.append(
            DecisionPointView(
                id=point.id,
                title=point.title,
                due_month=point.due_month,
                owner_role=point.owner_role,
                state=decision_state(point.due_month, outcome, day),
                decisions=decisions,
            )
        )
    return views


async def activities(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[ActivityView]:
    latest = await _latest(db, f"{s}.activity_reports", "activity", project, day)
    views = []
    for activity in plan.activities:
        report = latest.get(activity.id)
        planned = planned_share(activity.months, day)
        reported = report["share"] if report else Decimal(0)
        views.append(
            ActivityView(
                id=activity.id,
                title=activity.title,
                months=activity.months,
                goals=activity.goals,
                planned_share=_decimal(planned),
                reported_share=_decimal(reported),
                reported_on=report["reported_on"] if report else None,
                variance=_decimal(reported - planned),
            )
        )
    return views


async def _latest(db: Queryable, table: str, key: str, project: str, day: date) -> dict[str, Any]:
    """The latest report per goal or activity made by `day`."""
    rows = await db.fetch(
        f"SELECT DISTINCT ON ({key}) * FROM {table} WHERE project_id = $1 AND reported_on <= $2 "
        f"ORDER BY {key}, reported_on DESC, position DESC",
        project,
        day,
    )
    return {row[key]: row for row in rows}


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
