"""Schedule queries. Every one answers as of `status_date` (default today), so a 2010 project
can be seen as it stood on any day of it."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from services.milestones import views
from services.milestones.schedule import DECISION_STATES, MILESTONE_STATES
from shared.http.deps import (
    Fresh,
    ProjectId,
    Reader,
    ReadSideDep,
    StatusDate,
    not_found,
)
from shared.http.problems import Problem

router = APIRouter(prefix="/projects/{project_id}", tags=["milestones"])

_NOT_FOUND = not_found("No such project or baseline")


class AsOf(BaseModel):
    project: str
    status_date: date
    baseline: int


class MilestonesView(AsOf):
    milestones: list[views.MilestoneView]
    by_state: dict[str, int]
    worst_slip_days: int | None
    """The largest slip among milestones not reached on time; null when none slips."""


class GoalsView(AsOf):
    goals: list[views.GoalView]


class DecisionsView(AsOf):
    decision_points: list[views.DecisionPointView]
    by_state: dict[str, int]


class ActivitiesView(AsOf):
    activities: list[views.ActivityView]


class BaselineSummary(BaseModel):
    baseline: int
    effective_on: date
    reason: str | None
    decision_ref: str | None
    fingerprint: str


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


async def _baseline(read: ReadSideDep, project_id: str, day: date) -> views.Baseline:
    found = await views.baseline_on(read.pool, read.schema, project_id, day)
    if found is None:
        raise Problem(404, "unknown-project", f"no plan baseline for project {project_id!r}")
    return found


@router.get(
    "/milestones",
    summary="Milestones with due, forecast, actual, slip and state",
    responses=_NOT_FOUND,
)
async def milestones(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> MilestonesView:
    baseline = await _baseline(read, project_id, day)
    found = await views.milestones(read.pool, read.schema, project_id, baseline.plan, day)
    counts = Counter(view.state for view in found)
    slips = [view.slip_days for view in found if view.slip_days > 0]
    return MilestonesView(
        project=project_id,
        status_date=day,
        baseline=baseline.baseline,
        milestones=found,
        by_state={state: counts.get(state, 0) for state in MILESTONE_STATES},
        worst_slip_days=max(slips, default=None),
    )


@router.get("/goals", summary="Action goals with progress and state", responses=_NOT_FOUND)
async def goals(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> GoalsView:
    baseline = await _baseline(read, project_id, day)
    found = await views.goals(read.pool, read.schema, project_id, baseline.plan, day)
    return GoalsView(project=project_id, status_date=day, baseline=baseline.baseline, goals=found)


@router.get("/decisions", summary="Decision points and the decision log", responses=_NOT_FOUND)
async def decisions(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> DecisionsView:
    baseline = await _baseline(read, project_id, day)
    found = await views.decision_points(read.pool, read.schema, project_id, baseline.plan, day)
    counts = Counter(view.state for view in found)
    return DecisionsView(
        project=project_id,
        status_date=day,
        baseline=baseline.baseline,
        decision_points=found,
        by_state={state: counts.get(state, 0) for state in DECISION_STATES},
    )


@router.get(
    "/activities", summary="Activities: planned against reported progress", responses=_NOT_FOUND
)
async def activities(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> ActivitiesView:
    baseline = await _baseline(read, project_id, day)
    found = await views.activities(read.pool, read.schema, project_id, baseline.plan, day)
    return ActivitiesView(
        project=project_id, status_date=day, baseline=baseline.baseline, activities=found
    )


@router.get("/baselines", summary="Every baseline of the plan", responses=_NOT_FOUND)
async def baselines(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> list[BaselineSummary]:
    found = await views.baselines(read.pool, read.schema, project_id)
    if not found:
        raise Problem(404, "unknown-project", f"no plan baseline for project {project_id!r}")
    return [BaselineSummary(**b.model_dump(exclude={"plan"})) for b in found]


@router.get(
    "/baselines/compare",
    summary="What changed between two baselines",
    responses={**_NOT_FOUND, 422: {"description": "Bad baseline numbers"}},
)
async def compare(
    project_id: ProjectId,
    read: ReadSideDep,
    _: Reader,
    __: Fresh,
    from_: Annotated[int, Query(alias="from", ge=1, description="Earlier baseline")] = 1,
    to: Annotated[int | None, Query(ge=1, description="Later baseline (default: latest)")] = None,
) -> Comparison:
    found = {b.baseline: b for b in await views.baselines(read.pool, read.schema, project_id)}
    target = to if to is not None else max(found, default=0)
    for number in (from_, target):
        if number not in found:
            raise Problem(
                404, "unknown-baseline", f"project {project_id!r} has no baseline {number}"
            )
    return Comparison(
        project=project_id,
        from_baseline=from_,
        to_baseline=target,
        changes=_changes(found[from_].plan, found[target].plan),
    )


@router.get("/baselines/{baseline}", summary="One baseline's plan", responses=_NOT_FOUND)
async def baseline(
    project_id: ProjectId,
    baseline: Annotated[int, Path(ge=1)],
    read: ReadSideDep,
    _: Reader,
    __: Fresh,
) -> views.Baseline:
    for found in await views.baselines(read.pool, read.schema, project_id):
        if found.baseline == baseline:
            return found
    raise Problem(404, "unknown-baseline", f"project {project_id!r} has no baseline {baseline}")


def _changes(before: Any, after: Any) -> list[Change]:
    changes: list[Change] = []
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
            changes.append(
                Change(
                    kind=kind, id=item_id, change=change, before=was, after=now, shift_days=shift
                )
            )
    return changes
