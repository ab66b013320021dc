"""Cross-service queries: the status of a project on a day, and its S-curves."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from services.reporting.evm import SeriesPoint, earned_value, series
from services.reporting.inputs import evm_inputs
from services.reporting.status import ProjectStatus, project_status
from shared.http.deps import ProjectId, Reader, RuntimeDep, StatusDate, not_found
from shared.http.problems import Problem

router = APIRouter(prefix="/projects/{project_id}", tags=["reporting"])
_NOT_FOUND = not_found("Nothing is known about this project")


async def _caught_up(
    runtime: RuntimeDep,
    response: Response,
    wait: Annotated[
        bool,
        Query(description="Wait until every feed has applied its source log as it stands now."),
    ] = False,
) -> None:
    if wait and not await runtime.feeds_reach_sources(runtime.settings.read_wait_seconds):
        raise Problem(
            503, "read-model-behind", "the reporting feeds are still catching up",
            headers={"Retry-After": "1"},
        )  # fmt: skip
    positions = ", ".join(f"{name}={feed.position}" for name, feed in runtime.feeds.items())
    response.headers["Ptrack-Feed-Positions"] = positions


@router.get(
    "/status",
    summary="Earned value, schedule, money, networks and surveys on a day",
    responses=_NOT_FOUND,
)
async def status(
    project_id: ProjectId,
    runtime: RuntimeDep,
    day: StatusDate,
    _: Reader,
    response: Response,
    wait: Annotated[bool, Query(description="Wait until the feeds have caught up.")] = False,
) -> ProjectStatus:
    await _caught_up(runtime, response, wait)
    found = await project_status(
        runtime.pool, runtime.schema, project_id, day, runtime.settings.anonymity_threshold
    )
    if found is None:
        raise Problem(404, "unknown-project", f"nothing is known about project {project_id!r}")
    return found


@router.get(
    "/evm/series",
    summary="The S-curves: PV, EV and AC at the end of each week or month",
    responses=_NOT_FOUND,
)
async def evm_series(
    project_id: ProjectId,
    runtime: RuntimeDep,
    day: StatusDate,
    _: Reader,
    response: Response,
    scope: Annotated[
        Literal["money", "total"], Query(description="money, or total with in-kind")
    ] = "money",
    step: Annotated[Literal["week", "month"], Query()] = "month",
    wait: Annotated[bool, Query(description="Wait until the feeds have caught up.")] = False,
) -> dict[str, Any]:
    await _caught_up(runtime, response, wait)
    inputs = await evm_inputs(runtime.pool, runtime.schema, project_id, day)
    if inputs is None:
        raise Problem(404, "unknown-project", f"no plan baseline for project {project_id!r}")
    # PV runs to the planned end; EV and AC only to the status date (what was known then).
    known_progress = [report for report in inputs.progress if report.reported_on <= day]
    known_actual = [cost for cost in inputs.actual if cost.on <= day]
    points = series(
        inputs.planned, known_progress, known_actual,
        start=inputs.start, end=max(inputs.end, day), scope=scope, step=step,
    )  # fmt: skip
    if inputs.start <= day and all(point.day != day for point in points):
        # The status date itself, so a mid-month status shows where EV and AC stand that day.
        figures = earned_value(
            inputs.planned, known_progress, known_actual,
            start=inputs.start, status_date=day, scope=scope,
        )  # fmt: skip
        points.append(SeriesPoint(day, figures.pv, figures.ev, figures.ac))
        points.sort(key=lambda point: point.day)
    shown = []
    for point in points:
        values = point.to_dict()
        if point.day > day:
            values["ev"] = values["ac"] = None
        shown.append(values)
    return {
        "project": project_id,
        "scope": scope,
        "step": step,
        "status_date": day.isoformat(),
        "points": shown,
    }
