"""The register as it stood on a status date, built from `queries`: the models the routes, the
metrics and the reporting service show.

Registration, membership, assessments, the pilot and retirement are read by their dates; a
network's descriptive facts (name, focus area, state) are as last updated."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from statistics import mean

from pydantic import BaseModel

from services.registry import queries
from services.registry.domain import PILOT_MAX
from services.registry.events import DIMENSIONS
from services.registry.overlap import Overlap, draw_svg, overlap
from shared.db import Queryable

PILOT_MIN = 3


class AssessmentView(BaseModel):
    assessor: str
    assessed_on: date
    scores: dict[str, int]
    mean: float
    works_well: str | None
    works_less_well: str | None


class NetworkView(BaseModel):
    id: str
    name: str
    kind: str
    focus_area: str
    municipalities: list[str]
    coordinator: str | None
    tools: list[str]
    state: str
    """active, passive or dormant; retired once retired by the status date."""
    registered_on: date
    members: int
    pilot: bool
    assessments: int
    latest_assessment: AssessmentView | None


class Coverage(BaseModel):
    mapped: int
    """Networks registered by the status date (the mapping of goal HM1)."""
    assessed: int
    """Of those, networks assessed at least once."""
    share_assessed: float | None
    active: int
    retired: int


class DimensionScore(BaseModel):
    dimension: str
    mean: float | None
    min: int | None
    max: int | None
    networks: int


class Pilot(BaseModel):
    networks: list[str]
    count: int
    target_min: int
    target_max: int
    within_target: bool


class Register(BaseModel):
    project: str
    status_date: date
    networks: list[NetworkView]
    coverage: Coverage


class Scores(BaseModel):
    project: str
    status_date: date
    dimensions: list[DimensionScore]


class PilotView(Pilot):
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


async def networks(db: Queryable, s: str, project: str, day: date) -> list[NetworkView]:
    members = await queries.memberships(db, s, project, day)
    history: dict[str, list[AssessmentView]] = {}
    for assessment in await queries.assessments(db, s, project, day):
        history.setdefault(assessment.network, []).append(_assessment(assessment))
    views = []
    for row in await queries.networks(db, s, project, day):
        retired = row.retired_on is not None and row.retired_on <= day
        done = history.get(row.network, [])
        views.append(
            NetworkView(
                id=row.network,
                name=row.name,
                kind=row.kind,
                focus_area=row.focus_area,
                municipalities=row.municipalities,
                coordinator=row.coordinator,
                tools=row.tools,
                state="retired" if retired else row.state,
                registered_on=row.registered_on,
                members=len(members.get(row.network, set())),
                pilot=_pilot(row, day),
                assessments=len(done),
                latest_assessment=done[-1] if done else None,
            )
        )
    return views


def _pilot(row: queries.NetworkRow, day: date) -> bool:
    chosen, retired = row.pilot_chosen_on, row.retired_on
    return chosen is not None and chosen <= day and not (retired is not None and retired <= day)


def _assessment(row: queries.AssessmentRow) -> AssessmentView:
    return AssessmentView(
        assessor=row.assessor,
        assessed_on=row.assessed_on,
        scores=row.scores,
        mean=round(mean(row.scores.values()), 4),
        works_well=row.works_well,
        works_less_well=row.works_less_well,
    )


def coverage(found: list[NetworkView]) -> Coverage:
    assessed = sum(1 for network in found if network.assessments)
    return Coverage(
        mapped=len(found),
        assessed=assessed,
        share_assessed=round(assessed / len(found), 4) if found else None,
        active=sum(1 for network in found if network.state != "retired"),
        retired=sum(1 for network in found if network.state == "retired"),
    )


def dimension_scores(found: list[NetworkView]) -> list[DimensionScore]:
    """Each dimension across the networks still working, from each one's latest assessment."""
    latest = [
        network.latest_assessment.scores
        for network in found
        if network.latest_assessment is not None and network.state != "retired"
    ]
    return [
        DimensionScore(
            dimension=dimension,
            mean=round(mean(s[dimension] for s in latest), 4) if latest else None,
            min=min((s[dimension] for s in latest), default=None),
            max=max((s[dimension] for s in latest), default=None),
            networks=len(latest),
        )
        for dimension in DIMENSIONS
    ]


def pilot(found: list[NetworkView]) -> Pilot:
    chosen = [network.id for network in found if network.pilot]
    return Pilot(
        networks=chosen,
        count=len(chosen),
        target_min=PILOT_MIN,
        target_max=PILOT_MAX,
        within_target=PILOT_MIN <= len(chosen) <= PILOT_MAX,
    )


def register(project: str, day: date, found: list[NetworkView]) -> Register:
    return Register(project=project, status_date=day, networks=found, coverage=coverage(found))


def scores(project: str, day: date, found: list[NetworkView]) -> Scores:
    return Scores(project=project, status_date=day, dimensions=dimension_scores(found))


def pilot_view(project: str, day: date, found: list[NetworkView]) -> PilotView:
    return PilotView(project=project, status_date=day, **pilot(found).model_dump())


async def overlap_view(
    db: Queryable, s: str, project: str, day: date, found: list[NetworkView]
) -> OverlapView:
    result = await _overlap(db, s, project, day, found)
    names = await queries.member_names(db, s, project)
    return OverlapView(
        project=project,
        status_date=day,
        networks=[CentralityView(**asdict(c)) for c in result.centralities],
        links=[LinkView(**asdict(link)) for link in result.links],
        bridges=[
            BridgeView(member=b.member, name=names.get(b.member), networks=list(b.networks))
            for b in result.bridges
        ],
    )


async def overlap_svg(
    db: Queryable, s: str, project: str, day: date, found: list[NetworkView]
) -> str:
    """The overlap graph as an SVG picture, the pilot networks highlighted."""
    return draw_svg(
        await _overlap(db, s, project, day, found),
        labels={network.id: network.name for network in found},
        highlighted={network.id for network in found if network.pilot},
        title=f"Shared members between networks, {project}, {day}",
    )


async def _overlap(
    db: Queryable, s: str, project: str, day: date, found: list[NetworkView]
) -> Overlap:
    """Shared members between the networks still working on `day`."""
    working = {network.id for network in found if network.state != "retired"}
    members = await queries.memberships(db, s, project, day)
    return overlap({network: members.get(network, set()) for network in working})
