"""The register as it stood on a status date, built from `queries`: the models the routes, the
metrics and the reporting service show.

Registration, membership, assessments, the pilot and retirement are read by their dates; a
network's descriptive facts (name, focus area, state) are as last updated. The pilot's size,
the dimensions and the focus areas are the project's rules in force on the status date, with
their names in every language the plan gives."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from statistics import mean
from typing import Any, Literal

from pydantic import BaseModel

from services.registry import queries
from services.registry.events import DEFAULT_RULES
from services.registry.overlap import Overlap, draw_svg, overlap
from shared.db import Queryable


class NamedView(BaseModel):
    id: str
    name: str
    """In the plan's language."""
    names: dict[str, str]
    """In the other languages the plan gives (`{"en": ...}`)."""


class PilotSize(BaseModel):
    min: int
    max: int


class Rules(BaseModel):
    """The project's rules for its register on the status date."""

    project: str
    status_date: date
    source: Literal["plan", "default"]
    """plan: set by the project's plan (on `set_on`, by `decision_ref` for a revision);
    default: its plan sets none, so the rules every project had before plans held them."""
    set_on: date | None
    reason: str | None
    decision_ref: str | None
    pilot: PilotSize
    dimensions: list[NamedView]
    """Each assessment scores exactly these, 1 to 5."""
    focus_areas: list[NamedView]
    """A network's focus area is one of these by id; none: any text."""


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
    focus_area_name: str
    """The focus area's name in the plan's language; the focus area itself when the plan
    names no such focus area (free text, from before the plan listed them)."""
    focus_area_names: dict[str, str]
    municipalities: list[str]
    coordinator: str | None
    tools: list[str]
    state: str
    """active, passive or dormant; retired once retired by the status date."""
    registered_on: date
    """When the network was registered, in the project it was carried over from for one
    carried over."""
    carried_from: str | None
    """The project whose register the network was carried over from; None: registered in this
    project."""
    carried_on: date | None
    """When it was carried over: from then on it is in this project's register."""
    members: int
    pilot: bool
    assessments: int
    latest_assessment: AssessmentView | None


class Coverage(BaseModel):
    mapped: int
    """Networks registered by the status date (the mapping)."""
    assessed: int
    """Of those, networks assessed at least once."""
    share_assessed: float | None
    active: int
    retired: int


class DimensionScore(BaseModel):
    dimension: str
    name: str
    names: dict[str, str]
    mean: float | None
    min: int | None
    max: int | None
    networks: int
    """Networks whose latest assessment scores the dimension."""


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


async def rules(db: Queryable, s: str, project: str, day: date) -> Rules:
    """The rules in force on `day`: the last the plan set by then (the plan's first, for a day
    before it), else the defaults."""
    found = await queries.rules(db, s, project)
    if not found:
        return Rules(
            project=project,
            status_date=day,
            source="default",
            set_on=None,
            reason=None,
            decision_ref=None,
            pilot=PilotSize(min=DEFAULT_RULES.pilot.min, max=DEFAULT_RULES.pilot.max),
            dimensions=[_named(d.model_dump()) for d in DEFAULT_RULES.dimensions],
            focus_areas=[_named(a.model_dump()) for a in DEFAULT_RULES.focus_areas],
        )
    in_force = [row for row in found if row.set_on <= day] or found[:1]
    row = in_force[-1]
    return Rules(
        project=project,
        status_date=day,
        source="plan",
        set_on=row.set_on,
        reason=row.reason,
        decision_ref=row.decision_ref,
        pilot=PilotSize(min=row.pilot_min, max=row.pilot_max),
        dimensions=[_named(d) for d in row.dimensions],
        focus_areas=[_named(a) for a in row.focus_areas],
    )


async def known_rules(db: Queryable, s: str, project: str, day: date) -> Rules | None:
    """The rules in force on `day`; None for a project the registry holds nothing of."""
    if not await queries.known(db, s, project):
        return None
    return await rules(db, s, project, day)


def _named(item: dict[str, Any]) -> NamedView:
    return NamedView(id=item["id"], name=item["name"], names=item.get("names") or {})


async def networks(db: Queryable, s: str, project: str, day: date) -> list[NetworkView]:
    areas = {area.id: area for area in (await rules(db, s, project, day)).focus_areas}
    members = await queries.memberships(db, s, project, day)
    history: dict[str, list[AssessmentView]] = {}
    for assessment in await queries.assessments(db, s, project, day):
        history.setdefault(assessment.network, []).append(_assessment(assessment))
    views = []
    for row in await queries.networks(db, s, project, day):
        retired = row.retired_on is not None and row.retired_on <= day
        done = history.get(row.network, [])
        area = areas.get(row.focus_area)
        views.append(
            NetworkView(
                id=row.network,
                name=row.name,
                kind=row.kind,
                focus_area=row.focus_area,
                focus_area_name=area.name if area else row.focus_area,
                focus_area_names=area.names if area else {},
                municipalities=row.municipalities,
                coordinator=row.coordinator,
                tools=row.tools,
                state="retired" if retired else row.state,
                registered_on=row.registered_on,
                carried_from=row.carried_from,
                carried_on=row.carried_on,
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


def dimension_scores(found: list[NetworkView], rules: Rules) -> list[DimensionScore]:
    """Each of the project's dimensions across the networks still working, from each one's
    latest assessment (one made under earlier rules may lack a dimension: it counts for those
    it scores)."""
    latest = [
        network.latest_assessment.scores
        for network in found
        if network.latest_assessment is not None and network.state != "retired"
    ]
    listed = []
    for dimension in rules.dimensions:
        values = [s[dimension.id] for s in latest if dimension.id in s]
        listed.append(
            DimensionScore(
                dimension=dimension.id,
                name=dimension.name,
                names=dimension.names,
                mean=round(mean(values), 4) if values else None,
                min=min(values, default=None),
                max=max(values, default=None),
                networks=len(values),
            )
        )
    return listed


def pilot(found: list[NetworkView], rules: Rules) -> Pilot:
    chosen = [network.id for network in found if network.pilot]
    bounds = rules.pilot
    return Pilot(
        networks=chosen,
        count=len(chosen),
        target_min=bounds.min,
        target_max=bounds.max,
        within_target=bounds.min <= len(chosen) <= bounds.max,
    )


def register(project: str, day: date, found: list[NetworkView]) -> Register:
    return Register(project=project, status_date=day, networks=found, coverage=coverage(found))


def scores(project: str, day: date, found: list[NetworkView], rules: Rules) -> Scores:
    return Scores(project=project, status_date=day, dimensions=dimension_scores(found, rules))


def pilot_view(project: str, day: date, found: list[NetworkView], rules: Rules) -> PilotView:
    return PilotView(project=project, status_date=day, **pilot(found, rules).model_dump())


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
