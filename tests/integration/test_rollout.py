"""The 2011 roll-out builds on the 2010 mapping, end to end through the services running as
processes: the default plan loaded and networks mapped, assessed and chosen for the pilot in
2010; the roll-out plan (tests/plans/rollout-2011.yaml) loaded twice carries the working
networks over once, with their members and without registering them again; what 2011
assesses, chooses and changes is its own, and 2010's register reads as it did."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ptrack.plan.load import load_plan
from ptrack.plan.model import read_plan
from shared.settings import Settings
from shared.testing.apps import cloudevent
from shared.testing.privacy import opened_events
from tests.integration.conftest import StartServices
from tests.integration.test_other_plan import Api

ROOT = Path(__file__).resolve().parents[2]
MAPPING, ROLLOUT = "kongsbergregionen-2010", "kongsbergregionen-2011"
NETWORKS = {  # network: focus area, members
    "ikt-forum": ("digitalisering", ("kari", "ola")),
    "helse-nett": ("helse-omsorg", ("kari", "siri")),
    "skole-nett": ("oppvekst", ("per",)),
    "info-nett": ("informasjon", ("anne",)),
    "gammel": ("informasjon", ("tor",)),  # retired in 2010: not carried over
}
SCORES = {"shared_purpose": 4, "activity": 3, "participation": 3, "leadership": 4,
          "tool_use": 2, "member_benefit": 4}  # fmt: skip
VIEWS = ("", "/coverage", "/scores", "/pilot", "/overlap")


def member(person: str) -> dict[str, Any]:
    return {"id": person, "name": person.title(), "kind": "person", "municipality": "Kongsberg"}


def mapped_in_2010() -> list[dict[str, Any]]:
    def event(type_: str, **data: Any) -> dict[str, Any]:
        return cloudevent(type_, MAPPING, data)

    events = []
    for network, (area, members) in NETWORKS.items():
        events.append(
            event(
                "NetworkRegistered",
                network=network,
                name=network.title(),
                kind="internal",
                focus_area=area,
                registered_on="2010-02-20",
            )
        )
        events += [
            event("MemberJoined", network=network, member=member(person), joined_on="2010-02-25")
            for person in members
        ]
    for network in ("ikt-forum", "helse-nett", "skole-nett"):
        events.append(
            event(
                "NetworkAssessed",
                network=network,
                assessor="project group",
                assessed_on="2010-03-10",
                scores=SCORES,
            )
        )
        events.append(
            event(
                "NetworkChosenForPilot",
                network=network,
                chosen_on="2010-04-15",
                reason="active and internal",
            )
        )
    events.append(
        event(
            "NetworkRetired",
            network="gammel",
            retired_on="2010-06-01",
            reason="merged into info-nett",
        )
    )
    return events  # fmt: skip


@pytest.fixture
def services(start_services: StartServices) -> dict[str, str]:
    return start_services(("milestones", "finance", "registry", "surveys", "reporting"))


@pytest.fixture
async def api(services: dict[str, str], admin_key: str) -> AsyncIterator[Api]:
    headers = {"Authorization": f"Bearer {admin_key}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        yield Api(client, services)


async def views(api: Api, project: str, day: str) -> list[Any]:
    return [
        await api.get("registry", f"/projects/{project}/networks{path}", status_date=day)
        for path in VIEWS
    ]


async def registry_log(api: Api) -> list[dict[str, Any]]:
    """The registry's log through the audit route; its head is what reads then wait for."""
    response = await api.client.get(
        f"{api.urls['registry']}/audit/events", params={"limit": "1000"}
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    api.heads["registry"] = events[-1]["position"]
    return events


async def test_the_roll_out_builds_on_the_2010_mapping(
    services: dict[str, str], admin_key: str, api: Api, pool: Any, settings: Settings
) -> None:
    mapping = read_plan(ROOT / "plans" / f"{MAPPING}.yaml")
    await asyncio.to_thread(load_plan, mapping, services, admin_key)
    assert (await api.post("registry", *mapped_in_2010())).status_code == 201
    as_mapped = await views(api, MAPPING, "2010-11-30")
    assert [n["carried_from"] for n in as_mapped[0]["networks"]] == [None] * len(NETWORKS)

    rollout = read_plan(ROOT / "tests" / "plans" / "rollout-2011.yaml")
    loaded = await asyncio.to_thread(load_plan, rollout, services, admin_key)
    assert loaded[-1] == f"plan {ROLLOUT}: 4 network(s) carried over from {MAPPING}"
    again = await asyncio.to_thread(load_plan, rollout, services, admin_key)
    assert again[-1] == f"plan {ROLLOUT}: 4 network(s) already carried over from {MAPPING}"
    log = [e for e in await registry_log(api) if e["subject"] == ROLLOUT]
    assert [e["type"] for e in log] == [
        "RegisterRulesSet", "NetworksCarriedOver", *["NetworkCarriedIn"] * 4,
    ]  # fmt: skip
    # The members are personal data: sealed in the log, opened with the deployment's keys.
    opened = await opened_events(pool, settings, log[2:])
    carried = {e["data"]["network"]: e["data"]["members"] for e in opened}
    assert carried == {
        network: sorted(members)
        for network, (_, members) in NETWORKS.items()
        if network != "gammel"
    }

    register = await api.get("registry", f"/projects/{ROLLOUT}/networks", status_date="2011-02-01")
    found = {n["id"]: n for n in register["networks"]}
    origins = {
        n: (v["carried_from"], v["carried_on"], v["registered_on"]) for n, v in found.items()
    }
    assert origins == dict.fromkeys(carried, (MAPPING, "2011-01-10", "2010-02-20"))
    assert {n: v["members"] for n, v in found.items()} == {n: len(m) for n, m in carried.items()}
    assert found["helse-nett"]["focus_area_name"] == "helse og omsorg"
    assert not [n for n in found.values() if n["assessments"] or n["pilot"]]
    assert register["coverage"] == {
        "mapped": 4, "assessed": 0, "share_assessed": 0.0, "active": 4, "retired": 0,
    }  # fmt: skip
    pilot = await api.get(
        "registry", f"/projects/{ROLLOUT}/networks/pilot", status_date="2011-02-01"
    )
    assert (pilot["count"], pilot["within_target"]) == (0, False)
    overlap = await api.get(
        "registry", f"/projects/{ROLLOUT}/networks/overlap", status_date="2011-02-01"
    )
    assert overlap["bridges"] == [
        {"member": "kari", "name": "Kari", "networks": ["helse-nett", "ikt-forum"]}
    ]
    before = await api.client.get(
        f"{services['registry']}/projects/{ROLLOUT}/networks", params={"status_date": "2011-01-09"}
    )
    assert before.status_code == 404, "not in the roll-out's register before it was carried over"

    await _2011_is_its_own(api)
    assert await views(api, MAPPING, "2010-11-30") == as_mapped

    status = await api.get(
        "reporting", f"/projects/{ROLLOUT}/status", status_date="2011-06-30", wait="true"
    )
    networks = status["networks"]
    assert (networks["coverage"]["mapped"], networks["coverage"]["assessed"]) == (4, 1)
    assert networks["pilot"]["networks"] == ["ikt-forum"]


async def _2011_is_its_own(api: Api) -> None:
    """2011 assesses, chooses and changes members in its register; 2010 records a member late.
    Neither reaches the other."""

    def event(project: str, type_: str, **data: Any) -> dict[str, Any]:
        return cloudevent(type_, project, data)

    changes = [
        event(ROLLOUT, "NetworkAssessed", network="ikt-forum", assessor="roll-out group",
              assessed_on="2011-02-15", scores={**SCORES, "tool_use": 5}),
        event(ROLLOUT, "NetworkChosenForPilot", network="ikt-forum", chosen_on="2011-03-01",
              reason="ready for the school"),
        event(ROLLOUT, "MemberJoined", network="ikt-forum", member=member("nils"),
              joined_on="2011-02-01"),
        event(ROLLOUT, "MemberLeft", network="helse-nett", member="siri", left_on="2011-02-01"),
        event(MAPPING, "MemberJoined", network="helse-nett", member=member("liv"),
              joined_on="2010-12-01"),
    ]  # fmt: skip
    assert (await api.post("registry", *changes)).status_code == 201

    async def network(project: str, name: str) -> dict[str, Any]:
        path = f"/projects/{project}/networks/{name}"
        found: dict[str, Any] = await api.get("registry", path, status_date="2011-12-31")
        return found

    ikt, helse = await network(ROLLOUT, "ikt-forum"), await network(ROLLOUT, "helse-nett")
    assert (ikt["members"], ikt["assessments"], ikt["pilot"]) == (3, 1, True)  # + nils
    assert ikt["latest_assessment"]["scores"]["tool_use"] == 5
    assert helse["members"] == 1, "siri left in 2011; liv joined 2010's after the carry-over"
    ikt, helse = await network(MAPPING, "ikt-forum"), await network(MAPPING, "helse-nett")
    assert (ikt["members"], ikt["assessments"], ikt["pilot"]) == (2, 1, True)
    assert ikt["latest_assessment"]["scores"]["tool_use"] == 2
    assert helse["members"] == 3  # kari, siri, liv
