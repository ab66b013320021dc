"""How a milestone, goal, decision point or activity stands on a given day: pure functions of
the plan, what was reported, and the status date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

DUE_SOON_DAYS = 14

MilestoneState = Literal["planned", "due_soon", "overdue", "reached_on_time", "reached_late"]
MILESTONE_STATES: tuple[MilestoneState, ...] = (
    "planned",
    "due_soon",
    "overdue",
    "reached_on_time",
    "reached_late",
)
GoalState = Literal["not_started", "on_track", "at_risk", "off_track", "overdue", "done"]
GOAL_STATES: tuple[GoalState, ...] = (
    "not_started",
    "on_track",
    "at_risk",
    "off_track",
    "overdue",
    "done",
)
DecisionState = Literal["pending", "overdue", "deferred", "approved", "rejected"]
DECISION_STATES: tuple[DecisionState, ...] = (
    "pending",
    "overdue",
    "deferred",
    "approved",
    "rejected",
)


@dataclass(frozen=True)
class MilestoneStatus:
    state: MilestoneState
    slip_days: int
    """Reached: actual − due. Not reached: max(forecast or due, status date) − due, the least
    slip it can still end with (negative when a forecast is ahead of plan)."""


def milestone_status(
    due: date, forecast: date | None, actual: date | None, status_date: date
) -> MilestoneStatus:
    if actual is not None:
        slip = (actual - due).days
        return MilestoneStatus("reached_late" if slip > 0 else "reached_on_time", slip)
    slip = (max(forecast or due, status_date) - due).days
    if status_date > due:
        return MilestoneStatus("overdue", slip)
    if (due - status_date).days <= DUE_SOON_DAYS:
        return MilestoneStatus("due_soon", slip)
    return MilestoneStatus("planned", slip)


def goal_state(
    deadline: date, share: Decimal | None, reported: str | None, status_date: date
) -> GoalState:
    if reported == "done" or share == 1:
        return "done"
    if status_date > deadline:
        return "overdue"
    if reported in ("on_track", "at_risk", "off_track"):
        return reported  # type: ignore[return-value]
    return "not_started"


def month_end(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, calendar.monthrange(year, number)[1])


def decision_state(due_month: str, outcome: str | None, status_date: date) -> DecisionState:
    if outcome in ("approved", "rejected", "deferred"):
        return outcome  # type: ignore[return-value]
    return "overdue" if status_date > month_end(due_month) else "pending"


def planned_share(months: list[str], status_date: date) -> Decimal:
    """How much of an activity should be done by `status_date`, counting its months evenly and
    the current month by the share of its days gone."""
    if not months:
        return Decimal(0)
    done = Decimal(0)
    for month in months:
        end = month_end(month)
        start = end.replace(day=1)
        if status_date >= end:
            done += 1
        elif status_date >= start:
            done += Decimal(status_date.day) / Decimal(end.day)
    return (done / len(months)).quantize(Decimal("0.0001"))
