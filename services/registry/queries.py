"""Reads over the registry read model: networks, dated memberships and assessments, each
limited to what was true by a day. Rows, not views (those are `views`')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

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
    carried_from: str | None
    """The project the network was carried over from; None: registered in this one."""
    carried_on: date | None


@dataclass(frozen=True)
class AssessmentRow:
    network: str
    assessor: str
    assessed_on: date
    scores: dict[str, int]
    """Per dimension, 1-5."""
    works_well: str | None
    works_less_well: str | None


@dataclass(frozen=True)
class RulesRow:
    set_on: date
    pilot_min: int
    pilot_max: int
    dimensions: list[dict[str, Any]]
    """Each `{"id", "name", "names"}`."""
    focus_areas: list[dict[str, Any]]
    reason: str | None
    decision_ref: str | None


async def projects(db: Queryable, s: str) -> list[str]:
    """Every project with a registered network."""
    rows = await db.fetch(f"SELECT DISTINCT project_id FROM {s}.networks ORDER BY 1")
    return [row["project_id"] for row in rows]


async def networks(db: Queryable, s: str, project: str, day: date) -> list[NetworkRow]:
    """The networks in the project's register by `day` (registered, or carried over from
    another project, by then), by id."""
    rows = await db.fetch(
        f"SELECT network, name, kind, focus_area, municipalities, coordinator, tools, state, "
        f"registered_on, retired_on, pilot_chosen_on, carried_from, carried_on FROM {s}.networks "
        "WHERE project_id = $1 AND COALESCE(carried_on, registered_on) <= $2 ORDER BY network",
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
        f"SELECT network, assessor, assessed_on, scores, works_well, works_less_well "
        f"FROM {s}.assessments WHERE project_id = $1 AND assessed_on <= $2 "
        "ORDER BY assessed_on, position",
        project,
        day,
    )
    return [AssessmentRow(*row.values()) for row in rows]


async def known(db: Queryable, s: str, project: str) -> bool:
    """Whether the registry holds anything of the project: a network or its rules."""
    found = await db.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM {s}.networks WHERE project_id = $1) "
        f"OR EXISTS (SELECT 1 FROM {s}.rules WHERE project_id = $1)",
        project,
    )
    return bool(found)


async def rules(db: Queryable, s: str, project: str) -> list[RulesRow]:
    """Every set of rules the project's plan gave, in the order recorded."""
    rows = await db.fetch(
        f"SELECT set_on, pilot_min, pilot_max, dimensions, focus_areas, reason, decision_ref "
        f"FROM {s}.rules WHERE project_id = $1 ORDER BY position",
        project,
    )
    return [RulesRow(*row.values()) for row in rows]


async def member_names(db: Queryable, s: str, project: str) -> dict[str, str]:
    rows = await db.fetch(f"SELECT member, name FROM {s}.members WHERE project_id = $1", project)
    return {row["member"]: row["name"] for row in rows}
