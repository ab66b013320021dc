"""Networks carried over from the 2010 register into a roll-out project, through the HTTP API:
a retry answers the original receipt and records nothing twice; bad carry-overs are problems
naming the field and the rule, and a batch holding one records none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry.app import build
from shared.privacy.sealing import open_data
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.test_registry_scripted import PROJECT, history, member

ROLLOUT = "kongsbergregionen-2011"


def carry_over(*networks: str, origin: str = PROJECT, **more: str) -> dict[str, Any]:
    data = {"from_project": origin, "networks": list(networks), "carried_on": "2011-01-10"}
    return cloudevent("NetworksCarriedOver", ROLLOUT, {**data, **more})


def carried_over() -> list[dict[str, Any]]:
    """After the scripted `history`: two networks carried into the roll-out, then a member
    leaving one of them in 2010 and another joining one in 2011 (each project's own)."""
    return [
        carry_over("N01", "N07", reason="the roll-out builds on the mapping"),
        cloudevent("MemberLeft", PROJECT, {"network": "N01", "member": "kari",
                                           "left_on": "2010-12-31"}),
        cloudevent("MemberJoined", ROLLOUT, {"network": "N07", "member": member("eva"),
                                             "joined_on": "2011-02-01"}),
    ]  # fmt: skip


@pytest.fixture
async def registry(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        response = await service.post(*history(), role="admin")
        assert response.status_code == 201, response.text
        yield service


async def test_a_retry_of_a_carry_over_answers_the_original_receipt(
    registry: RunningService,
) -> None:
    posted = carry_over("N01", "N07")
    first = await registry.post(posted)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert [e["type"] for e in receipt["events"]] == [
        "NetworksCarriedOver", "NetworkCarriedIn", "NetworkCarriedIn",
    ]  # fmt: skip
    head = await registry.log_head()
    assert receipt["position"] == head
    again = await registry.post(posted)
    assert again.status_code == 200, again.text
    assert again.json() == {**receipt, "duplicate": True}
    assert await registry.log_head() == head
    stream = await registry.runtime.store.read_stream(ROLLOUT)
    assert [(e.type, e.data.get("network")) for e in stream] == [
        ("NetworksCarriedOver", None), ("NetworkCarriedIn", "N01"), ("NetworkCarriedIn", "N07"),
    ]  # fmt: skip
    # The members are personal data: sealed in the log, opened with the service's keyring.
    assert all("$personal" in member for member in stream[1].data["members"])
    opened = await open_data(registry.runtime.keyring, stream[1].data)
    assert opened["members"] == ["kari", "ola", "own-n01", "per"]


REGISTERED = cloudevent(
    "NetworkRegistered", ROLLOUT,
    {"network": "N02", "name": "Registered here", "kind": "internal", "focus_area": "x",
     "registered_on": "2011-01-05"},
)  # fmt: skip
CASES = [
    ("unknown project", [carry_over("N01", origin="nowhere-2009")], 422, "/data/from_project",
     "known_project"),
    ("from itself", [REGISTERED, carry_over("N02", origin=ROLLOUT)], 422, "/1/data/from_project",
     "other_project"),
    ("unknown network", [carry_over("N01", "N99")], 422, "/data/networks/1", "known_network"),
    ("named twice", [carry_over("N01", "N01")], 422, "/data/networks/1", "unique"),
    ("retired", [carry_over("N12")], 409, "/data/networks/0", "not_retired"),
    ("registered here", [REGISTERED, carry_over("N01", "N02")], 409, "/1/data/networks/1",
     "unique"),
    ("every network, one registered here", [REGISTERED, carry_over()], 409, "/1/data/networks",
     "unique"),
    ("posted as if derived", [cloudevent("NetworkCarriedIn", ROLLOUT,
     {"network": "N01", "from_project": PROJECT, "members": ["kari"],
      "carried_on": "2011-01-10"})], 422, "/data", "carried_over_only"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("events", "status", "pointer", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_a_bad_carry_over_is_refused_and_records_nothing_of_its_batch(
    registry: RunningService,
    events: list[dict[str, Any]],
    status: int,
    pointer: str,
    rule: str,
) -> None:
    before = await registry.log_head()
    response = await registry.post(*events)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = [(e["pointer"], e["rule"]) for e in response.json()["errors"]]
    assert (pointer, rule) in errors, errors
    assert await registry.log_head() == before
    assert await registry.runtime.store.read_stream(ROLLOUT) == []


async def test_each_project_keeps_its_own_members_after_the_carry_over_also_when_rebuilt(
    registry: RunningService,
) -> None:
    for event in carried_over():
        response = await registry.post(event)
        assert response.status_code == 201, response.text

    async def members() -> dict[tuple[str, str], int]:
        found = {}
        for project in (PROJECT, ROLLOUT):
            response = await registry.get(
                f"/projects/{project}/networks",
                status_date="2011-03-01",
                min_position=str(await registry.log_head()),
            )
            assert response.status_code == 200, response.text
            for network in response.json()["networks"]:
                if network["id"] in ("N01", "N07"):
                    found[project, network["id"]] = network["members"]
        return found

    # kari left N01 in 2010 after it was carried over: still a member in 2011. eva joined
    # N07 in 2011 only.
    expected = {(PROJECT, "N01"): 3, (PROJECT, "N07"): 3, (ROLLOUT, "N01"): 4, (ROLLOUT, "N07"): 4}
    assert await members() == expected
    await registry.runtime.writers["registry"].rebuild()
    assert await members() == expected
