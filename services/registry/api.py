"""Register queries; each answers as of `status_date` (default today)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel

from services.registry import views
from services.registry.overlap import Overlap, draw_svg, overlap
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

_NOT_FOUND = not_found("No such project or network")


class Register(BaseModel):
    project: str
    status_date: date
    networks: list[views.NetworkView]
    coverage: views.Coverage


class Scores(BaseModel):
    project: str
    status_date: date
    dimensions: list[views.DimensionScore]


class PilotView(views.Pilot):
    project: str
    status_date: date


class LinkView(BaseModel):
    a: str
    b: str
    shared: int


class CentralityView(BaseModel):
    network: str
    members: int
    degree: float
    betweenness: float


class BridgeView(BaseModel):
    member: str
    name: str | None
    networks: list[str]


class OverlapView(BaseModel):
    project: str
    status_date: date
    networks: list[CentralityView]
    links: list[LinkView]
    bridges: list[BridgeView]
    """People (and organisations) in two or more networks, most networks first."""


async def _register(read: ReadSideDep, project_id: str, day: date) -> list[views.NetworkView]:
    found = await views.networks(read.pool, read.schema, project_id, day)
    if not found:
        raise Problem(404, "unknown-project", f"no networks registered for {project_id!r} by {day}")
    return found


@router.get("", summary="The register, with each network's latest assessment", responses=_NOT_FOUND)
async def register(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> Register:
    found = await _register(read, project_id, day)
    return Register(
        project=project_id, status_date=day, networks=found, coverage=views.coverage(found)
    )


@router.get(
    "/coverage", summary="Mapped and assessed: the progress of goal HM1", responses=_NOT_FOUND
)
async def coverage(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> views.Coverage:
    return views.coverage(await _register(read, project_id, day))


@router.get(
    "/scores", summary="Assessment scores per dimension across networks", responses=_NOT_FOUND
)
async def scores(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> Scores:
    found = await _register(read, project_id, day)
    return Scores(project=project_id, status_date=day, dimensions=views.dimension_scores(found))


@router.get(
    "/pilot", summary="Networks chosen for the pilot (the plan's 3-5)", responses=_NOT_FOUND
)
async def pilot(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> PilotView:
    found = await _register(read, project_id, day)
    return PilotView(project=project_id, status_date=day, **views.pilot(found).model_dump())


async def _overlap(
    read: ReadSideDep, project_id: str, day: date
) -> tuple[list[views.NetworkView], Overlap]:
    found = await _register(read, project_id, day)
    working = {network.id for network in found if network.state != "retired"}
    members = await views.memberships(read.pool, read.schema, project_id, day)
    return found, overlap({network: members.get(network, set()) for network in working})


@router.get("/overlap", summary="Shared members between networks, as a graph", responses=_NOT_FOUND)
async def overlap_graph(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> OverlapView:
    _found, result = await _overlap(read, project_id, day)
    rows = await read.pool.fetch(
        f"SELECT member, name FROM {read.schema}.members WHERE project_id = $1", project_id
    )
    names = {row["member"]: row["name"] for row in rows}
    return OverlapView(
        project=project_id,
        status_date=day,
        networks=[CentralityView(**asdict(c)) for c in result.centralities],
        links=[LinkView(**asdict(link)) for link in result.links],
        bridges=[
            BridgeView(member=b.member, name=names.get(b.member), networks=list(b.networks))
            for b in result.bridges
        ],
    )


@router.get(
    "/overlap.svg",
    summary="The overlap graph as a picture",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **_NOT_FOUND},
)
async def overlap_picture(
    project_id: ProjectId, read: ReadSideDep, day: StatusDate, _: Reader, __: Fresh
) -> Response:
    found, result = await _overlap(read, project_id, day)
    svg = draw_svg(
        result,
        labels={network.id: network.name for network in found},
        highlighted={network.id for network in found if network.pilot},
        title=f"Shared members between networks, {project_id}, {day}",
    )
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
