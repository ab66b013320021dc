"""The schedule as it stood on a status date, built from `queries`: the models the routes, the
metrics and the reporting service show. Shared by all of them, so a board and a query never
disagree."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from services.milestones import queries
from services.milestones.events import PlanContent
from services.milestones.schedule import (
    DECISION_STATES,
    MILESTONE_STATES,
    DecisionState,
    GoalState,
    MilestoneState,
    decision_state,
    goal_state,
    milestone_status,
    planned_share,
)
from shared.db import Queryable


class BaselineSummary(BaseModel):
    baseline: int
    effective_on: date
    reason: str | None
    decision_ref: str | None
    fingerprint: str


class Baseline(BaselineSummary):
    plan: PlanContent


class MilestoneView(BaseModel):
    id: str
    title: str
    titles: dict[str, str]
    """The title in other languages than the plan's, by language (`{"en": ...}`)."""
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
    titles: dict[str, str]
    """The title in other languages than the plan's, by language (`{"en": ...}`)."""
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
    titles: dict[str, str]
    """The title in other languages than the plan's, by language (`{"en": ...}`)."""
    due_month: str
    owner_role: str
    state: DecisionState
    decisions: list[DecisionView]
    """Every decision on this point up to the status date, oldest first."""


class ActivityView(BaseModel):
    id: str
    title: str
    titles: dict[str, str]
    """The title in other languages than the plan's, by language (`{"en": ...}`)."""
    months: list[str]
    goals: list[str]
    planned_share: str
    """How much should be done by the status date (its months counted evenly)."""
    reported_share: str
    reported_on: date | None
    variance: str
    """reported − planned: negative is behind plan."""


class AsOf(BaseModel):
    project: str
    status_date: date
    baseline: int


class MilestonesView(AsOf):
    milestones: list[MilestoneView]
    by_state: dict[str, int]
    worst_slip_days: int | None
    """The largest slip among milestones not reached on time; null when none slips."""


class GoalsView(AsOf):
    goals: list[GoalView]


class DecisionsView(AsOf):
    decision_points: list[DecisionPointView]
    by_state: dict[str, int]


class ActivitiesView(AsOf):
    activities: list[ActivityView]


class Change(BaseModel):
    kind: str
    """milestone, goal, decision_point or activity."""
    id: str
    change: str
    """added, removed, or changed."""
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    shift_days: int | None
    """For a changed due date or deadline: days later (+) or earlier (−)."""


class Comparison(BaseModel):
    project: str
    from_baseline: int
    to_baseline: int
    changes: list[Change]


async def baselines(db: Queryable, s: str, project: str) -> list[Baseline]:
    return [_baseline(row) for row in await queries.baselines(db, s, project)]


async def baseline_on(db: Queryable, s: str, project: str, day: date) -> Baseline | None:
    """The baseline in force on `day`: the latest one effective by then, else the first."""
    row = await queries.baseline_on(db, s, project, day)
    return None if row is None else _baseline(row)


def _baseline(row: queries.BaselineRow) -> Baseline:
    return Baseline(
        baseline=row.baseline,
        effective_on=row.effective_on,
        reason=row.reason,
        decision_ref=row.decision_ref,
        fingerprint=row.fingerprint,
        plan=PlanContent.model_validate(row.content),
    )


async def baseline_summaries(db: Queryable, s: str, project: str) -> list[BaselineSummary]:
    return [
        BaselineSummary(**b.model_dump(exclude={"plan"})) for b in await baselines(db, s, project)
    ]


async def milestones(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[MilestoneView]:
    actual: dict[str, queries.MilestoneEntry] = {}
    forecast: dict[str, date | None] = {}
    for entry in await queries.milestone_log(db, s, project, day):
        if entry.kind == "reached":
            actual[entry.milestone] = entry
        elif entry.kind == "reopened":
            actual.pop(entry.milestone, None)
        else:
            forecast[entry.milestone] = entry.expected_on
    views = []
    for milestone in plan.milestones:
        reached = actual.get(milestone.id)
        reached_on = reached.on_date if reached else None
        status = milestone_status(milestone.due, forecast.get(milestone.id), reached_on, day)
        views.append(
            MilestoneView(
                id=milestone.id,
                title=milestone.title,
                titles=dict(milestone.titles),
                proves=milestone.proves,
                due=milestone.due,
                forecast=forecast.get(milestone.id),
                actual=reached_on,
                slip_days=status.slip_days,
                state=status.state,
                evidence=reached.evidence if reached else None,
                reported_by=reached.reported_by if reached else None,
            )
        )
    return views


def milestones_by_state(found: Sequence[MilestoneView]) -> dict[str, int]:
    counts = Counter(view.state for view in found)
    return {state: counts[state] for state in MILESTONE_STATES}


def worst_slip_days(found: Sequence[MilestoneView]) -> int | None:
    return max((view.slip_days for view in found if view.slip_days > 0), default=None)


async def goals(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[GoalView]:
    latest = await queries.latest_goal_reports(db, s, project, day)
    proving: dict[str, list[str]] = {}
    for milestone in plan.milestones:
        for goal_id in milestone.proves:
            proving.setdefault(goal_id, []).append(milestone.id)
    views = []
    for goal in plan.goals:
        report = latest.get(goal.id)
        share = report.share if report else None
        status = report.status if report else None
        views.append(
            GoalView(
                id=goal.id,
                title=goal.title,
                titles=dict(goal.titles),
                deadline=goal.deadline,
                share_complete=_decimal(share or Decimal(0)),
                reported_status=status,
                reported_on=report.reported_on if report else None,
                comment=report.comment if report else None,
                state=goal_state(goal.deadline, share, status, day),
                milestones=proving.get(goal.id, []),
            )
        )
    return views


async def decision_points(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[DecisionPointView]:
    log: dict[str, list[DecisionView]] = {}
    for row in await queries.decisions(db, s, project, day):
        log.setdefault(row.decision_point, []).append(
            DecisionView(
                decided_on=row.decided_on,
                outcome=row.outcome,
                minutes_ref=row.minutes_ref,
                revision=row.revision,
                note=row.note,
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
                titles=dict(point.titles),
                due_month=point.due_month,
                owner_role=point.owner_role,
                state=decision_state(point.due_month, outcome, day),
                decisions=decisions,
            )
        )
    return views


def decisions_by_state(found: Sequence[DecisionPointView]) -> dict[str, int]:
    counts = Counter(view.state for view in found)
    return {state: counts[state] for state in DECISION_STATES}


async def activities(
    db: Queryable, s: str, project: str, plan: PlanContent, day: date
) -> list[ActivityView]:
    latest = await queries.latest_activity_reports(db, s, project, day)
    views = []
    for activity in plan.activities:
        report = latest.get(activity.id)
        planned = planned_share(activity.months, day)
        reported = report.share if report else Decimal(0)
        views.append(
            ActivityView(
                id=activity.id,
                title=activity.title,
                titles=dict(activity.titles),
                months=activity.months,
                goals=activity.goals,
                planned_share=_decimal(planned),
                reported_share=_decimal(reported),
                reported_on=report.reported_on if report else None,
                variance=_decimal(reported - planned),
            )
        )
    return views


async def milestones_view(
    db: Queryable, s: str, project: str, baseline: Baseline, day: date
) -> MilestonesView:
    found = await milestones(db, s, project, baseline.plan, day)
    return MilestonesView(
        project=project,
        status_date=day,
        baseline=baseline.baseline,
        milestones=found,
        by_state=milestones_by_state(found),
        worst_slip_days=worst_slip_days(found),
    )


async def goals_view(
    db: Queryable, s: str, project: str, baseline: Baseline, day: date
) -> GoalsView:
    found = await goals(db, s, project, baseline.plan, day)
    return GoalsView(project=project, status_date=day, baseline=baseline.baseline, goals=found)


async def decisions_view(
    db: Queryable, s: str, project: str, baseline: Baseline, day: date
) -> DecisionsView:
    found = await decision_points(db, s, project, baseline.plan, day)
    return DecisionsView(
        project=project,
        status_date=day,
        baseline=baseline.baseline,
        decision_points=found,
        by_state=decisions_by_state(found),
    )


async def activities_view(
    db: Queryable, s: str, project: str, baseline: Baseline, day: date
) -> ActivitiesView:
    found = await activities(db, s, project, baseline.plan, day)
    return ActivitiesView(
        project=project, status_date=day, baseline=baseline.baseline, activities=found
    )


def comparison(project: str, before: Baseline, after: Baseline) -> Comparison:
    return Comparison(
        project=project,
        from_baseline=before.baseline,
        to_baseline=after.baseline,
        changes=changes(before.plan, after.plan),
    )


def changes(before: PlanContent, after: PlanContent) -> list[Change]:
    """Every milestone, goal, decision point and activity added, removed or changed from one
    plan to the other: those of `before` in its order, then those `after` added."""
    found: list[Change] = []
    for kind, items, day_field in (
        ("milestone", "milestones", "due"),
        ("goal", "goals", "deadline"),
        ("decision_point", "decision_points", None),
        ("activity", "activities", None),
    ):
        old = {item.id: item.model_dump(mode="json") for item in getattr(before, items)}
        new = {item.id: item.model_dump(mode="json") for item in getattr(after, items)}
        for item_id in [*old, *[i for i in new if i not in old]]:
            was, now = old.get(item_id), new.get(item_id)
            if was == now:
                continue
            shift = None
            if was and now and day_field and was[day_field] != now[day_field]:
                shift = (
                    date.fromisoformat(now[day_field]) - date.fromisoformat(was[day_field])
                ).days
            change = "added" if was is None else "removed" if now is None else "changed"
            found.append(
                Change(
                    kind=kind, id=item_id, change=change, before=was, after=now, shift_days=shift
                )
            )
    return found


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
