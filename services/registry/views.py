"""The register as it stood on a status date, for the API and the metrics alike.

Registration, membership, assessments, the pilot and retirement are read by their dates; a
network's descriptive facts (name, focus area, state) are as last updated."""

from __future__ import annotations

from datetime import date
from statistics import mean
from typing import Any

from pydantic import BaseModel

from services.registry.domain import PILOT_MAX
from services.registry.events import DIMENSIONS
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


async def networks(db: Queryable, s: str, project: str, day: date) -> list[NetworkView]:
    rows = await db.fetch(
        f"SELECT * FROM {s}.networks WHERE project_id = $1 AND registered_on <= $2 "
        "ORDER BY network",
        project,
        day,
    )
    members = await memberships(db, s, project, day)
    history = await _assessments(db, s, project, day)
    views = []
    for row in rows:
        retired = row["retired_on"] is not None and row["retired_on"] <= day
        done = history.get(row["network"], [])
        views.append(
            NetworkView(
                id=row["network"],
                name=row["name"],
                kind=row["kind"],
                focus_area=row["focus_area"],
                municipalities=row["municipalities"],
                coordinator=row["coordinator"],
                tools=row["tools"],
                state="retired" if retired else row["state"],
                registered_on=row["registered_on"],
                members=len(members.get(row["network"], set())),
                pilot=_pilot(row, day),
                assessments=len(done),
                latest_assessment=done[-1] if done else None,
            )
        )
    return views


def _pilot(row: Any, day: date) -> bool:
    chosen, retired = row["pilot_chosen_on"], row["retired_on"]
    return chosen is not None and chosen <= day and not (retired is not None and retired <= day)


async def memberships(db: Queryable, s: str, project: str, day: date) -> dict[str, set[str]]:
    """Members of each network on `day` (joined by then, not yet left)."""
    rows = await db.fetch(
        f"SELECT network, member FROM {s}.memberships WHERE project_id = $1 AND joined_on <= $2 "
        "AND (left_on IS NULL OR left_on > $2)",
        project,
        day,
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["network"], set()).add(row["member"])
    return found


async def _assessments(
    db: Queryable, s: str, project: str, day: date
) -> dict[str, list[AssessmentView]]:
    rows = await db.fetch(
        f"SELECT * FROM {s}.assessments WHERE project_id = $1 AND assessed_on <= $2 "
        "ORDER BY assessed_on, position",
        project,
        day,
    )
    found: dict[str, list[AssessmentView]] = {}
    for row in rows:
        scores = {dimension: row[dimension] for dimension in DIMENSIONS}
        found.setdefault(row["network"], []).append(
            AssessmentView(
                assessor=row["assessor"],
                assessed_on=row["assessed_on"],
                scores=scores,
                mean=round(mean(scores.values()), 4),
                works_well=row["works_well"],
                works_less_well=row["works_less_well"],
            )
        )
    return found


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
