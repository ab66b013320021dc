"""Reads over the registry read model: networks, dated memberships and assessments, each
limited to what was true by a day. Rows, not views (those are `views`')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.registry.events import DIMENSIONS
from shared.db import Queryable


@dataclass(frozen=True)
class NetworkRow:
    network: str
    name: str
    kind: str
    focus_area: str
    municipalities: list[str]
    coordinator: str | None
    tools: list[str]
    state: str
    """As last updated: active, passive or dormant."""
    registered_on: date
    retired_on: date | None
    pilot_chosen_on: date | None


@dataclass(frozen=True)
class AssessmentRow:
    network: str
    assessor: str
    assessed_on: date
    scores: dict[str, int]
    """Per dimension, 1-5."""
    works_well: str | None
    works_less_well: str | None


async def projects(db: Queryable, s: str) -> list[str]:
    """Every project with a registered network."""
    rows = await db.fetch(f"SELECT DISTINCT project_id FROM {s}.networks ORDER BY 1")
    return [row["project_id"] for row in rows]


async def networks(db: Queryable, s: str, project: str, day: date) -> list[NetworkRow]:
    """The networks registered by `day`, by id."""
    rows = await db.fetch(
        f"SELECT network, name, kind, focus_area, municipalities, coordinator, tools, state, "
        f"registered_on, retired_on, pilot_chosen_on FROM {s}.networks "
        "WHERE project_id = $1 AND registered_on <= $2 ORDER BY network",
        project,
        day,
    )
    return [NetworkRow(*row.values()) for row in rows]


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


async def assessments(db: Queryable, s: str, project: str, day: date) -> list[AssessmentRow]:
    """Every assessment made by `day`, oldest first."""
    rows = await db.fetch(
        f"SELECT network, assessor, assessed_on, {', '.join(DIMENSIONS)}, works_well, "
        f"works_less_well FROM {s}.assessments WHERE project_id = $1 AND assessed_on <= $2 "
        "ORDER BY assessed_on, position",
        project,
        day,
    )
    return [
        AssessmentRow(
            network=row["network"],
            assessor=row["assessor"],
            assessed_on=row["assessed_on"],
            scores={dimension: row[dimension] for dimension in DIMENSIONS},
            works_well=row["works_well"],
            works_less_well=row["works_less_well"],
        )
        for row in rows
    ]


async def member_names(db: Queryable, s: str, project: str) -> dict[str, str]:
    rows = await db.fetch(f"SELECT member, name FROM {s}.members WHERE project_id = $1", project)
    return {row["member"]: row["name"] for row in rows}
