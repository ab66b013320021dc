"""The cross-service routes: the status of a project on a day, and its S-curves.

Both answer as of a business day (`status_date`: what we know now about that day) and,
optionally, as of a moment of recording (`as_of_recorded`: what the system knew then); see
`services.reporting.timetravel`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from services.finance import queries as finance_queries
from services.milestones import queries as milestone_queries
from services.reporting.evm import EvmInputs, known_series
from services.reporting.inputs import evm_inputs
from services.reporting.status import ProjectStatus, project_status
from services.reporting.timetravel import FeedsBehind, NotYetRecorded, TimeTravel, View, as_utc
from shared.db import Conn, Queryable
from shared.http.deps import ProjectId, Reader, RuntimeDep, not_found
from shared.http.problems import FieldError, Problem, invalid
from shared.runtime import Runtime

router = APIRouter(prefix="/projects/{project_id}", tags=["reporting"])
projects_router = APIRouter(tags=["reporting"])
_NOT_FOUND = not_found("Nothing is known about this project")
T = TypeVar("T")


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


@dataclass(frozen=True)
class AsOf:
    """The day asked about, and the moment of recording to look from (None: now)."""

    day: date
    recorded: datetime | None


async def _as_of(
    status_date: Annotated[
        date | None,
        Query(
            description="See the project as it stood on this day (default: today, UTC; with "
            "`as_of_recorded`, that moment's UTC day)."
        ),
    ] = None,
    as_of_recorded: Annotated[
        datetime | None,
        Query(
            description="Answer as the system knew it at this moment (ISO 8601, UTC when no "
            "zone is given): only events recorded by then count, so a correction recorded "
            "later and dated back does not. Must be in the past; `wait` is not needed."
        ),
    ] = None,
) -> AsOf:
    try:
        recorded = None if as_of_recorded is None else as_utc(as_of_recorded)
    except OverflowError:  # 0001-01-01T00:00+00:01 is a valid time whose UTC day is year 0
        raise invalid(
            "as_of_recorded is out of range",
            [FieldError("/query/as_of_recorded", "in_range", "must fall in years 1 to 9999 UTC")],
        ) from None
    return AsOf(status_date or (recorded or datetime.now(UTC)).date(), recorded)


AsOfDep = Annotated[AsOf, Depends(_as_of)]


async def _time_travel(request: Request) -> TimeTravel:
    travel: TimeTravel = request.app.state.time_travel  # made when the service starts
    return travel


TimeTravelDep = Annotated[TimeTravel, Depends(_time_travel)]


async def _read(
    runtime: Runtime,
    travel: TimeTravel,
    as_of: AsOf,
    response: Response,
    wait: bool,
    read: Callable[[Queryable, str], Awaitable[T]],
) -> T:
    """`read(db, schema)` against the live feeds, or against them as of `as_of.recorded` (read
    through views that the feeds already hold the history for: nothing to wait for)."""
    if as_of.recorded is None:
        await _caught_up(runtime, response, wait)
        return await read(runtime.pool, runtime.schema)

    async def in_view(conn: Conn, view: View) -> T:
        response.headers["Ptrack-As-Of-Recorded"] = view.recorded.isoformat()
        response.headers["Ptrack-Feed-Positions"] = ", ".join(
            f"{name}={position}" for name, position in view.positions.items()
        )
        return await read(conn, view.schema)

    try:
        return await travel.query(as_of.recorded, in_view)
    except NotYetRecorded as error:
        raise invalid(
            str(error), [FieldError("/query/as_of_recorded", "in_the_past", str(error))]
        ) from None
    except FeedsBehind as error:
        raise Problem(503, "read-model-behind", str(error), headers={"Retry-After": "1"}) from None


@router.get(
    "/status",
    summary="Earned value, schedule, money, networks and surveys on a day",
    responses=_NOT_FOUND,
)
async def status(
    project_id: ProjectId,
    runtime: RuntimeDep,
    as_of: AsOfDep,
    travel: TimeTravelDep,
    _: Reader,
    response: Response,
    wait: Annotated[bool, Query(description="Wait until the feeds have caught up.")] = False,
) -> ProjectStatus:
    async def read(db: Queryable, schema: str) -> ProjectStatus | None:
        threshold = runtime.settings.anonymity_threshold
        return await project_status(db, schema, project_id, as_of.day, threshold)

    found = await _read(runtime, travel, as_of, response, wait, read)
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
    as_of: AsOfDep,
    travel: TimeTravelDep,
    _: Reader,
    response: Response,
    scope: Annotated[
        Literal["money", "total"], Query(description="money, or total with in-kind")
    ] = "money",
    step: Annotated[Literal["week", "month"], Query()] = "month",
    wait: Annotated[bool, Query(description="Wait until the feeds have caught up.")] = False,
) -> dict[str, Any]:
    day = as_of.day

    async def read(db: Queryable, schema: str) -> EvmInputs | None:
        return await evm_inputs(db, schema, project_id, day)

    inputs = await _read(runtime, travel, as_of, response, wait, read)
    if inputs is None:
        raise Problem(404, "unknown-project", f"no plan baseline for project {project_id!r}")
    body: dict[str, Any] = {
        "project": project_id,
        "scope": scope,
        "step": step,
        "status_date": day.isoformat(),
        "points": known_series(inputs, status_date=day, scope=scope, step=step),
    }
    if as_of.recorded is not None:
        body["as_of_recorded"] = as_of.recorded.isoformat()
    return body


class ProjectSummary(BaseModel):
    id: str
    name: str | None
    period_start: date | None
    period_end: date | None
    has_budget: bool
    has_plan: bool


@projects_router.get("/projects", summary="Every project with a budget or a plan")
async def projects(runtime: RuntimeDep, _: Reader) -> list[ProjectSummary]:
    pool, schema = runtime.pool, runtime.schema
    budgets = {p.project_id: p for p in await finance_queries.projects(pool, schema)}
    planned = set(await milestone_queries.projects(pool, schema))
    return [
        ProjectSummary(
            id=project_id,
            name=budget.name if budget else None,
            period_start=budget.period_start if budget else None,
            period_end=budget.period_end if budget else None,
            has_budget=budget is not None,
            has_plan=project_id in planned,
        )
        for project_id in sorted({*budgets, *planned})
        for budget in [budgets.get(project_id)]
    ]
