"""The register routes, as `views` builds them; each answers as of `status_date` (default
today)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from services.registry import views
from shared.http.deps import (
    Fresh,
    ProjectId,
    Reader,
    ReadSideDep,
    StatusDate,
    not_found,
)
from shared.http.problems import Problem

router = APIRouter(prefix="/projects/{project_id}/networks", tags=["registry"])
rules_router = APIRouter(prefix="/projects/{project_id}", tags=["registry"])

_NOT_FOUND = not_found("No such project or network")


@rules_router.get(
    "/rules",
    summary="The project's rules for its register: pilot size, dimensions, focus areas",
    responses=_NOT_FOUND,
)
async def rules(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.Rules:
    found = await views.known_rules(read.pool, read.schema, project_id, day)
    if found is None:
        raise Problem(404, "unknown-project", f"nothing is registered for {project_id!r}")
    return found


async def _register(read: ReadSideDep, project_id: str, day: date) -> list[views.NetworkView]:
    found = await views.networks(read.pool, read.schema, project_id, day)
    if not found:
        raise Problem(404, "unknown-project", f"no networks registered for {project_id!r} by {day}")
    return found


@router.get("", summary="The register, with each network's latest assessment", responses=_NOT_FOUND)
async def register(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.Register:
    return views.register(project_id, day, await _register(read, project_id, day))


@router.get("/coverage", summary="Networks mapped and assessed", responses=_NOT_FOUND)
async def coverage(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.Coverage:
    return views.coverage(await _register(read, project_id, day))


@router.get(
    "/scores", summary="Assessment scores per dimension across networks", responses=_NOT_FOUND
)
async def scores(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.Scores:
    found = await _register(read, project_id, day)
    return views.scores(
        project_id, day, found, await views.rules(read.pool, read.schema, project_id, day)
    )


@router.get(
    "/pilot", summary="Networks chosen for the pilot, against its size", responses=_NOT_FOUND
)
async def pilot(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.PilotView:
    found = await _register(read, project_id, day)
    return views.pilot_view(
        project_id, day, found, await views.rules(read.pool, read.schema, project_id, day)
    )


@router.get("/overlap", summary="Shared members between networks, as a graph", responses=_NOT_FOUND)
async def overlap_graph(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.OverlapView:
    found = await _register(read, project_id, day)
    return await views.overlap_view(read.pool, read.schema, project_id, day, found)


@router.get(
    "/overlap.svg",
    summary="The overlap graph as a picture",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **_NOT_FOUND},
)
async def overlap_picture(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> Response:
    found = await _register(read, project_id, day)
    svg = await views.overlap_svg(read.pool, read.schema, project_id, day, found)
    return Response(svg, media_type="image/svg+xml")


@router.get("/{network}", summary="One network with its assessment history", responses=_NOT_FOUND)
async def network_detail(
    project_id: ProjectId,
    network: Annotated[str, Path(max_length=64)],
    read: ReadSideDep,
    day: StatusDate,
    _: Reader,
    __: Fresh,
) -> views.NetworkView:
    for found in await _register(read, project_id, day):
        if found.id == network:
            return found
    raise Problem(404, "unknown-network", f"no network {network!r} in {project_id!r} by {day}")
