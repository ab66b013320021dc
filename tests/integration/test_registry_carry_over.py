"""Networks carried over from the 2010 register into a roll-out project, through the HTTP API:
a retry answers the original receipt and records nothing twice; bad carry-overs are problems
naming the field and the rule, and a batch holding one records none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.test_registry_scripted import PROJECT, history

ROLLOUT = "kongsbergregionen-2011"


def carry_over(*networks: str, origin: str = PROJECT, **extra: Any) -> dict[str, Any]:
    data = {"from_project": origin, "networks": list(networks), "carried_on": "2011-01-10"}
    return cloudevent("NetworksCarriedOver", ROLLOUT, data, **extra)


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
    assert stream[1].data["members"] == ["kari", "ola", "own-n01", "per"]


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
