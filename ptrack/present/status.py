"""The project's status and its S-curve series, fetched from the reporting service for
`ptrack status` and `ptrack report`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx

from shared.client import AsyncServiceClient

ATTEMPTS = 10
"""`wait=true` answers 503 while the reporting feeds catch up; a fresh stack can take a while."""


async def fetch_status(
    base_url: str,
    key: str,
    project: str,
    as_of: date | None,
    *,
    as_of_recorded: datetime | None = None,
    scope: str = "money",
    client: httpx.AsyncClient | None = None,
    timeout: float = 30.0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status and the monthly S-curve series of `project` from the reporting service, with
    `wait=true` so both include every event the other services have recorded by now.

    `as_of` None asks for the service's default day (today); the series is then asked for the
    day the status answered for, so the two always describe the same day. `client` lets a
    caller (a test with an in-process app) bring its own transport. A project with a budget but
    no plan baseline has no series: its points are then empty.

    `as_of_recorded` asks for what the system knew at that moment (corrections recorded later
    left out); the day then defaults to that moment's UTC date."""
    base = f"{base_url.rstrip('/')}/projects/{project}"
    params = {"wait": "true"}
    if as_of is not None:
        params["status_date"] = as_of.isoformat()
    if as_of_recorded is not None:
        params["as_of_recorded"] = as_of_recorded.isoformat()
    async with AsyncServiceClient(key, attempts=ATTEMPTS, timeout=timeout, http=client) as api:
        status: dict[str, Any] = await api.get_json(f"{base}/status", params)
        day = status["status_date"]
        series_params = {**params, "status_date": day, "scope": scope, "step": "month"}
        series: dict[str, Any] | None = await api.find_json(f"{base}/evm/series", series_params)
    if series is None:
        series = {
            "project": project,
            "scope": scope,
            "step": "month",
            "status_date": day,
            "points": [],
        }
    return status, series


async def fetch_baselines(
    base_url: str,
    key: str,
    project: str,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float = 30.0,
) -> list[dict[str, Any]] | None:
    """Every baseline of the plan from the milestones service (`GET /projects/{p}/baselines`:
    number, effective_on, reason, decision_ref), or None where it has no plan for `project`."""
    url = f"{base_url.rstrip('/')}/projects/{project}/baselines"
    async with AsyncServiceClient(key, attempts=ATTEMPTS, timeout=timeout, http=client) as api:
        found: list[dict[str, Any]] | None = await api.find_json(url)
    return found


async def fetch_budget_revisions(
    base_url: str,
    key: str,
    project: str,
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float = 30.0,
) -> list[dict[str, Any]] | int | None:
    """The budget revisions the finance service has recorded for `project`, or None where it has
    no budget for it.

    Its budget answer (`GET /projects/{p}/budget`) counts them (`project.revisions`); where it
    also lists them (`revisions`: each with revised_on, decision_ref, reason, changes,
    in_kind_delta and frame_delta, as its `budget_revisions` table holds them) the list is
    given, so the report can show each with its decision."""
    url = f"{base_url.rstrip('/')}/projects/{project}/budget"
    async with AsyncServiceClient(key, attempts=ATTEMPTS, timeout=timeout, http=client) as api:
        budget: dict[str, Any] | None = await api.find_json(url)
    if budget is None:
        return None
    listed = budget.get("revisions")
    if isinstance(listed, list):
        return listed
    count: int = budget["project"]["revisions"]
    return count


async def fetch_history(
    finance_url: str, milestones_url: str, key: str, project: str
) -> dict[str, Any]:
    """The plan's history beside its status, for the report: `baselines` and
    `budget_revisions` (see above). What these services answer is as recorded now: they have no
    `as_of_recorded`; the report keeps to what took effect by its status date."""
    return {
        "baselines": await fetch_baselines(milestones_url, key, project),
        "budget_revisions": await fetch_budget_revisions(finance_url, key, project),
    }
