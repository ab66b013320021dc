"""The demo history against the four services running as processes: after the default plan,
the services show the story the demo tells, and a second run records nothing new."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from ptrack.demo.posting import SERVICES
from ptrack.demo.run import DemoSummary, run_demo
from ptrack.demo.story import DEFAULT_PLAN, STATUS_DATE
from ptrack.plan.load import load_plan
from ptrack.plan.model import read_plan
from shared.settings import Settings
from tests.integration.conftest import StartServices

PROJECT = "kongsbergregionen-2010"
FACTORS = {"understanding", "anchoring", "commitment", "small_visible_successes"}


@pytest.fixture
def services(start_services: StartServices) -> dict[str, str]:
    return start_services((*SERVICES, "reporting"))


@pytest.fixture
async def client(admin_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
    ) as found:
        yield found


class Reader:
    """Reads a service's query API once its read model holds everything the demo posted."""

    def __init__(
        self, client: httpx.AsyncClient, urls: dict[str, str], summary: DemoSummary
    ) -> None:
        self.client, self.urls, self.summary = client, urls, summary

    async def __call__(self, service: str, path: str, **params: str) -> Any:
        position = self.summary.services[service].position
        assert position is not None
        for _ in range(20):
            response = await self.client.get(
                f"{self.urls[service]}{path}", params={**params, "min_position": str(position)}
            )
            if response.status_code != 503:  # 503: the read model is still catching up
                break
        assert response.status_code == 200, response.text
        return response.json()

    async def waiting(self, service: str, path: str, **params: str) -> Any:
        """From a service that records nothing of its own (reporting): once its feeds have
        caught up with their sources."""
        url = f"{self.urls[service]}{path}"
        response = await self.client.get(url, params={**params, "wait": "true"})
        assert response.status_code == 200, response.text
        return response.json()


async def test_the_demo_tells_its_story_once(
    services: dict[str, str],
    admin_key: str,
    client: httpx.AsyncClient,
    pool: asyncpg.Pool[asyncpg.Record],
    settings: Settings,
) -> None:
    plan = read_plan(DEFAULT_PLAN)
    await asyncio.to_thread(load_plan, plan, services, admin_key)
    summary = await asyncio.to_thread(run_demo, services, admin_key, progress=False)
    assert summary.status_date == STATUS_DATE
    assert summary.recorded == summary.posted > 300
    assert all(counts.recorded > 0 for counts in summary.services.values())

    read = Reader(client, services, summary)
    await _milestones_show_m7_missed(read)
    await _finance_shows_bookings_and_in_kind(read, plan.data["municipalities"])
    await _budget_and_plan_agree(read)
    await _registry_shows_mapping_and_pilot(read)
    await _surveys_show_factors_and_suppress_small_groups(read)

    heads = await _heads(pool, settings)
    again = await asyncio.to_thread(run_demo, services, admin_key, progress=False)
    assert (again.posted, again.recorded) == (summary.posted, 0)
    assert await _heads(pool, settings) == heads


async def _milestones_show_m7_missed(read: Reader) -> None:
    found = await read(
        "milestones", f"/projects/{PROJECT}/milestones", status_date=STATUS_DATE.isoformat()
    )
    states = {milestone["id"]: milestone["state"] for milestone in found["milestones"]}
    assert states.pop("M7") == "overdue"
    assert set(states.values()) <= {"reached_on_time", "reached_late"}, states
    assert "reached_late" in states.values()
    on_the_day_after = await read(
        "milestones", f"/projects/{PROJECT}/milestones", status_date="2010-12-20"
    )
    m7 = next(m for m in on_the_day_after["milestones"] if m["id"] == "M7")
    assert m7["state"] == "due_soon", "M7 is overdue only from the day after its due date"
    decisions = await read(
        "milestones", f"/projects/{PROJECT}/decisions", status_date=STATUS_DATE.isoformat()
    )
    assert decisions["by_state"]["approved"] == 3


async def _finance_shows_bookings_and_in_kind(read: Reader, municipalities: list[str]) -> None:
    budget = await read("finance", f"/projects/{PROJECT}/budget")
    shares = {line["id"]: line["share_used"] for line in budget["lines"]}
    assert max(shares.values()) > 0.9, shares
    assert float(budget["money"]["used"]) <= float(budget["money"]["budget"])
    assert budget["frame"]["budget"] == "440000.00", "the revision moved money, not the frame"
    lines = {line["id"]: line for line in budget["lines"]}
    assert lines["contingency"]["budget"] == "10000.00"
    assert float(lines["external-expertise"]["reversed"]) > 0, "the misposting was reversed"
    in_kind = await read("finance", f"/projects/{PROJECT}/in-kind")
    by_municipality = {group["key"]: float(group["value"]) for group in in_kind["by_municipality"]}
    assert set(by_municipality) == set(municipalities)
    assert all(value > 0 for value in by_municipality.values())
    # One time sheet corrected after its attestation, one withdrawn; December's unattested.
    assert (in_kind["corrections"], in_kind["withdrawn"]) == (1, 1)
    assert [a["attested_on"] for a in in_kind["attestations"]] == ["2010-07-05"] * 6 + [
        "2010-12-06"
    ] * 6
    assert 0 < float(in_kind["unattested"]) < float(in_kind["attested"])
    entries = await read("finance", f"/projects/{PROJECT}/in-kind/entries", limit="1000")
    changed = [entry for entry in entries["items"] if entry["history"]]
    assert sorted(entry["history"][0]["kind"] for entry in changed) == ["corrected", "withdrawn"]
    lost = next(entry for entry in changed if entry["history"][0]["kind"] == "corrected")
    assert lost["history"][0]["lost_attestation"]
    assert lost["attested_on"] == "2010-12-06"
    funding = await read("finance", f"/projects/{PROJECT}/funding")
    grant = next(source for source in funding["sources"] if source["kind"] == "grant")
    assert grant["received"] == grant["planned"]


async def _budget_and_plan_agree(read: Reader) -> None:
    """The budget revision of September came with its plan revision (baseline 2)."""
    for day in ("2010-09-05", "2010-09-06", STATUS_DATE.isoformat()):
        status = await read.waiting("reporting", f"/projects/{PROJECT}/status", status_date=day)
        assert status["budget_against_plan"] == [], day
    assert status["schedule"]["baseline"] == 2


async def _registry_shows_mapping_and_pilot(read: Reader) -> None:
    coverage = await read(
        "registry", f"/projects/{PROJECT}/networks/coverage", status_date="2010-04-01"
    )
    assert (coverage["mapped"], coverage["assessed"], coverage["share_assessed"]) == (12, 12, 1.0)
    pilot = await read(
        "registry", f"/projects/{PROJECT}/networks/pilot", status_date=STATUS_DATE.isoformat()
    )
    assert pilot["count"] == 4
    assert pilot["within_target"]
    year_end = await read(
        "registry", f"/projects/{PROJECT}/networks/coverage", status_date=STATUS_DATE.isoformat()
    )
    assert year_end["retired"] == 1
    overlap = await read(
        "registry", f"/projects/{PROJECT}/networks/overlap", status_date=STATUS_DATE.isoformat()
    )
    assert overlap["links"], "people sit in more than one network"


async def _surveys_show_factors_and_suppress_small_groups(read: Reader) -> None:
    factors = await read("surveys", f"/projects/{PROJECT}/success-factors")
    scores = {factor["factor"]: factor["score"] for factor in factors["factors"]}
    assert set(scores) == FACTORS
    assert all(score is not None for score in scores.values()), scores
    surveys = await read("surveys", f"/projects/{PROJECT}/surveys")
    assert len(surveys) == 9  # a before and an after survey per pilot network, the seminar
    assert all(survey["state"] == "closed" for survey in surveys)
    few = [survey["id"] for survey in surveys if survey["responses"] < 5]
    assert len(few) == 1
    results = await read("surveys", f"/surveys/{few[0]}/results")
    assert results["suppressed"] is True
    assert results["respondents"] is None
    seminar = next(survey for survey in surveys if survey["target"]["kind"] == "seminar")
    assert seminar["responses"] >= 20, "webhook and event answers together"
    comparison = await read("surveys", f"/projects/{PROJECT}/pilot-comparison")
    changes = [
        factor["change"]
        for network in comparison["networks"]
        for factor in network["factors"]
        if factor["change"] is not None
    ]
    assert changes
    assert sum(changes) > 0, "answers improve after the pilot"


async def _heads(pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> list[int]:
    return [
        await pool.fetchval(
            f"SELECT coalesce(max(position), 0) FROM {settings.schema_for(s)}.events"
        )
        for s in SERVICES
    ]
