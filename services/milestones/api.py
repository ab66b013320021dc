"""The schedule routes, as `views` builds them. Every one answers as of `status_date` (default
today), so a 2010 project can be seen as it stood on any day of it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.milestones import views
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
) -> views.MilestonesView:
    baseline = await _baseline(read, project_id, day)
    return await views.milestones_view(read.pool, read.schema, project_id, baseline, day)


@router.get("/goals", summary="Action goals with progress and state", responses=_NOT_FOUND)
async def goals(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.GoalsView:
    baseline = await _baseline(read, project_id, day)
    return await views.goals_view(read.pool, read.schema, project_id, baseline, day)


@router.get("/decisions", summary="Decision points and the decision log", responses=_NOT_FOUND)
async def decisions(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.DecisionsView:
    baseline = await _baseline(read, project_id, day)
    return await views.decisions_view(read.pool, read.schema, project_id, baseline, day)


@router.get(
    "/activities", summary="Activities: planned against reported progress", responses=_NOT_FOUND
)
async def activities(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.ActivitiesView:
    baseline = await _baseline(read, project_id, day)
    return await views.activities_view(read.pool, read.schema, project_id, baseline, day)


@router.get("/baselines", summary="Every baseline of the plan", responses=_NOT_FOUND)
async def baselines(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> list[views.BaselineSummary]:
    found = await views.baseline_summaries(read.pool, read.schema, project_id)
    if not found:
        raise Problem(404, "unknown-project", f"no plan baseline for project {project_id!r}")
    return found


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
) -> views.Comparison:
    found = {b.baseline: b for b in await views.baselines(read.pool, read.schema, project_id)}
    target = to if to is not None else max(found, default=0)
    for number in (from_, target):
        if number not in found:
            raise Problem(
                404, "unknown-baseline", f"project {project_id!r} has no baseline {number}"
            )
    return views.comparison(project_id, found[from_], found[target])


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
