"""Schedule rules as pure functions over one project's stream: the plan baselines and what
happened against them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from immutables import Map

from services.milestones.events import (
    IN_KIND,
    ActivityProgressReported,
    DecisionRecorded,
    GoalProgressReported,
    MilestoneForecastChanged,
    MilestoneReached,
    MilestoneReopened,
    MilestonesEvent,
    PlanBaselined,
    PlanContent,
    PlanRevised,
)
from services.milestones.schedule import month_end
from shared.decider import Conflict, Decider, Rejected


@dataclass(frozen=True, slots=True)
class ProjectSchedule:
    baseline: int = 0
    period_start: date | None = None
    goals: frozenset[str] = frozenset()
    milestones: frozenset[str] = frozenset()
    decision_points: frozenset[str] = frozenset()
    activities: frozenset[str] = frozenset()
    reached: Map[str, date] = field(default_factory=Map)
    """Milestones reached (and not reopened), with the day."""
    decided: Map[str, str] = field(default_factory=Map)
    """Decision points with their latest outcome."""


def decide(proposal: MilestonesEvent, state: ProjectSchedule) -> list[MilestonesEvent]:
    match proposal:
        case PlanBaselined():
            if state.baseline:
                raise Conflict("baseline", "once", "the plan has a baseline; use PlanRevised")
            _check_plan(proposal)
        case PlanRevised():
            _require_plan(state, "baseline")
            if proposal.baseline != state.baseline + 1:
                raise Conflict(
                    "baseline",
                    "next_baseline",
                    f"the current baseline is {state.baseline}; a revision makes "
                    f"{state.baseline + 1}",
                )
            _check_plan(proposal)
        case MilestoneReached():
            _known(state, proposal.milestone, state.milestones, "milestone", "milestone")
            _not_before_start(state, proposal.reached_on, "reached_on")
            reached = state.reached.get(proposal.milestone)
            if reached == proposal.reached_on:
                return []  # said before: nothing new
            if reached is not None:
                raise Conflict(
                    "reached_on",
                    "already_reached",
                    f"{proposal.milestone} was reached on {reached}; reopen it to change that",
                )
        case MilestoneForecastChanged():
            _known(state, proposal.milestone, state.milestones, "milestone", "milestone")
            _not_before_start(state, proposal.expected_on, "expected_on")
            _not_before_start(state, proposal.changed_on, "changed_on")
            if proposal.milestone in state.reached:
                raise Conflict(
                    "milestone", "not_reached", f"{proposal.milestone} is reached; reopen it first"
                )
        case MilestoneReopened():
            _known(state, proposal.milestone, state.milestones, "milestone", "milestone")
            _not_before_start(state, proposal.reopened_on, "reopened_on")
            if proposal.milestone not in state.reached:
                raise Conflict("milestone", "reached", f"{proposal.milestone} is not reached")
        case GoalProgressReported():
            _known(state, proposal.goal, state.goals, "goal", "goal")
            _share(proposal.share_complete)
            _not_before_start(state, proposal.reported_on, "reported_on")
        case ActivityProgressReported():
            _known(state, proposal.activity, state.activities, "activity", "activity")
            _share(proposal.share_complete)
            _not_before_start(state, proposal.reported_on, "reported_on")
        case DecisionRecorded():
            point = proposal.decision_point
            _known(state, point, state.decision_points, "decision_point", "decision point")
            _not_before_start(state, proposal.decided_on, "decided_on")
            earlier = state.decided.get(point)
            if earlier in ("approved", "rejected") and not proposal.revision:
                raise Conflict(
                    "revision",
                    "explicit_revision",
                    f"{point} was {earlier} already; set revision to true to change it",
                )
    return [proposal]


def evolve(state: ProjectSchedule, event: MilestonesEvent) -> ProjectSchedule:
    match event:
        case PlanBaselined() | PlanRevised():
            return replace(
                state,
                baseline=event.baseline,
                period_start=event.period_start,
                goals=frozenset(goal.id for goal in event.goals),
                milestones=frozenset(milestone.id for milestone in event.milestones),
                decision_points=frozenset(point.id for point in event.decision_points),
                activities=frozenset(activity.id for activity in event.activities),
            )
        case MilestoneReached():
            return replace(state, reached=state.reached.set(event.milestone, event.reached_on))
        case MilestoneReopened():
            return replace(state, reached=state.reached.delete(event.milestone))
        case DecisionRecorded():
            return replace(state, decided=state.decided.set(event.decision_point, event.outcome))
    return state


DECIDER: Decider[ProjectSchedule, MilestonesEvent] = Decider(ProjectSchedule(), decide, evolve)


def _check_plan(plan: PlanContent) -> None:
    """A baseline must hang together; `ptrack plan check` explains the same rules with lines."""
    if plan.period_end < plan.period_start:
        raise Rejected("period_end", "after_start", "must not be before period_start")
    goals = _unique_ids("goals", [goal.id for goal in plan.goals])
    _unique_ids("milestones", [milestone.id for milestone in plan.milestones])
    _unique_ids("decision_points", [point.id for point in plan.decision_points])
    _unique_ids("activities", [activity.id for activity in plan.activities])
    for index, goal in enumerate(plan.goals):
        _within(plan, goal.deadline, f"goals.{index}.deadline")
    for index, milestone in enumerate(plan.milestones):
        _within(plan, milestone.due, f"milestones.{index}.due")
        for ref, goal_id in enumerate(milestone.proves):
            if goal_id not in goals:
                raise Rejected(
                    f"milestones.{index}.proves.{ref}", "known_goal", f"no goal {goal_id!r}"
                )
    for index, point in enumerate(plan.decision_points):
        _month_within(plan, point.due_month, f"decision_points.{index}.due_month")
    for index, activity in enumerate(plan.activities):
        if not activity.months:
            raise Rejected(f"activities.{index}.months", "not_empty", "an activity needs months")
        for number, month in enumerate(activity.months):
            _month_within(plan, month, f"activities.{index}.months.{number}")
        for ref, goal_id in enumerate(activity.goals):
            if goal_id not in goals:
                raise Rejected(
                    f"activities.{index}.goals.{ref}", "known_goal", f"no goal {goal_id!r}"
                )
        for line, months in activity.planned.items():
            for month in months:
                if month not in activity.months:
                    raise Rejected(
                        f"activities.{index}.planned.{line}.{month}",
                        "within_activity",
                        f"{activity.id} plans {line if line != IN_KIND else 'in-kind work'} in "
                        f"{month}, outside its months",
                    )


def _unique_ids(field_name: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            raise Rejected(f"{field_name}.{index}.id", "unique", f"{value!r} appears twice")
        seen.add(value)
    return seen


def _within(plan: PlanContent, day: date, field_name: str) -> None:
    if not plan.period_start <= day <= plan.period_end:
        raise Rejected(
            field_name,
            "within_period",
            f"{day} is outside the project period {plan.period_start}..{plan.period_end}",
        )


def _month_within(plan: PlanContent, month: str, field_name: str) -> None:
    if month_end(month) < plan.period_start or month_end(month).replace(day=1) > plan.period_end:
        raise Rejected(
            field_name,
            "within_period",
            f"{month} is outside the project period {plan.period_start}..{plan.period_end}",
        )


def _require_plan(state: ProjectSchedule, field_name: str) -> None:
    if not state.baseline:
        raise Rejected(field_name, "baselined", "the project has no plan baseline yet")


def _known(
    state: ProjectSchedule, key: str, known: frozenset[str], field_name: str, what: str
) -> None:
    _require_plan(state, field_name)
    if key not in known:
        listed = ", ".join(sorted(known)[:30]) or "none"
        raise Rejected(
            field_name, f"known_{field_name}", f"unknown {what} {key!r}; known: {listed}"
        )


def _not_before_start(state: ProjectSchedule, day: date, field_name: str) -> None:
    if state.period_start is not None and day < state.period_start:
        raise Rejected(
            field_name,
            "not_before_start",
            f"{day} is before the project starts ({state.period_start})",
        )


def _share(value: Decimal) -> None:
    if not Decimal(0) <= value <= Decimal(1):
        raise Rejected("share_complete", "between_0_and_1", "must be between 0 and 1")
