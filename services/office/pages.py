"""Seeing where a project stands: every project, a project's status on any day (and as
recorded at any moment), its decision log, and its baselines with what moved between them."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from services.office.web import Office, OfficeDep, PageNotFound, SessionDep, render
from shared.client import ApiError
from shared.present.charts import Chart, budget_chart, png, s_curve

router = APIRouter(tags=["office"])
ProjectId = Annotated[str, Path(max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


@router.get("/projects", summary="Every project")
async def projects(request: Request, office: OfficeDep, session: SessionDep) -> Response:
    found = await office.gateway.get(session.key, "reporting", "/projects") or []
    return render(request, office, "projects.html", session, projects=found)


@router.get("/projects/{project_id}", summary="A project's status on a day")
async def status(
    request: Request,
    project_id: ProjectId,
    office: OfficeDep,
    session: SessionDep,
    status_date: Annotated[date | None, Query(description="The business day")] = None,
    as_of_recorded: Annotated[
        datetime | None, Query(description="What the system knew at this moment")
    ] = None,
) -> Response:
    params = {"wait": "true"}
    if status_date is not None:
        params["status_date"] = status_date.isoformat()
    if as_of_recorded is not None:
        moment = as_of_recorded if as_of_recorded.tzinfo else as_of_recorded.replace(tzinfo=UTC)
        params["as_of_recorded"] = moment.isoformat()
    path = f"/projects/{project_id}"
    try:
        found = await office.gateway.get(session.key, "reporting", f"{path}/status", params)
    except ApiError as error:
        return _refused(request, office, session, project_id, error)
    if found is None:
        raise PageNotFound
    day = date.fromisoformat(found["status_date"])
    series_params = {**params, "status_date": day.isoformat(), "step": "month"}
    series = await office.gateway.get(session.key, "reporting", f"{path}/evm/series", series_params)
    charts = await asyncio.to_thread(_charts, found, series, day, session.lang)
    return render(
        request,
        office,
        "status.html",
        session,
        project=project_id,
        status=found,
        charts=charts,
        status_date=status_date,
        as_of_recorded=params.get("as_of_recorded"),
        as_of_input=(as_of_recorded.strftime("%Y-%m-%dT%H:%M") if as_of_recorded else ""),
    )


@router.get("/projects/{project_id}/decisions", summary="The decision log")
async def decisions(
    request: Request, project_id: ProjectId, office: OfficeDep, session: SessionDep
) -> Response:
    found = await office.gateway.get(session.key, "milestones", f"/projects/{project_id}/decisions")
    if found is None:
        raise PageNotFound
    return render(request, office, "decisions.html", session, project=project_id, found=found)


@router.get("/projects/{project_id}/baselines", summary="The baselines and what moved")
async def baselines(
    request: Request, project_id: ProjectId, office: OfficeDep, session: SessionDep
) -> Response:
    path = f"/projects/{project_id}/baselines"
    found = await office.gateway.get(session.key, "milestones", path)
    if found is None:
        raise PageNotFound
    comparison = None
    if len(found) > 1:
        comparison = await office.gateway.get(
            session.key, "milestones", f"{path}/compare", {"from": "1"}
        )
    return render(
        request,
        office,
        "baselines.html",
        session,
        project=project_id,
        baselines=found,
        comparison=comparison,
    )


def _refused(
    request: Request, office: Office, session: Any, project: str, error: ApiError
) -> Response:
    try:
        problem = error.response.json()
    except ValueError:
        problem = {"detail": str(error)}
    return render(
        request,
        office,
        "refused.html",
        session,
        status_code=error.status if error.status in (403, 422) else 502,
        project=project,
        problem=problem,
    )


def _charts(
    status: dict[str, Any], series: dict[str, Any] | None, day: date, lang: str
) -> list[dict[str, str]]:
    """The S-curve and the budget lines as inline images, each with the text a screen reader
    reads instead."""
    made: list[Chart] = []
    if series and series.get("points"):
        curve = s_curve(status, series, day, lang=lang)
        if curve is not None:
            made.append(curve)
    if status.get("money"):
        made.append(budget_chart(status["money"], lang=lang))
    return [
        {
            "src": "data:image/png;base64," + base64.b64encode(png(chart.figure)).decode("ascii"),
            "alt": chart.alt,
            "caption": chart.caption,
        }
        for chart in made
    ]
