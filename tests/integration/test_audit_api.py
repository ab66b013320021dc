"""The auditor's HTTP endpoints: the log paged and as NDJSON, verification, checkpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from services.finance.app import build
from shared.audit.signing import SignedCheckpoint
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from tests.integration.finance_fixtures import booking, plan_events


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        assert (await service.post(*plan_events(), role="admin")).status_code == 201
        for n in range(5):
            assert (await service.post(booking(f"GL-{n}", "10.00"))).status_code == 201
        yield service


async def test_the_log_pages_and_streams(finance: RunningService) -> None:
    page = (await finance.get("/audit/events", role="auditor", limit=3)).json()
    assert [e["position"] for e in page["events"]] == [1, 2, 3]
    assert page["next_position"] == 4
    assert page["events"][1]["prevhash"] == page["events"][0]["hash"]
    streamed = await finance.client.get(
        "/audit/events",
        params={"from_position": 2},
        headers={**finance.auth("auditor"), "Accept": "application/x-ndjson"},
    )
    assert streamed.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in streamed.text.splitlines()]
    assert [e["position"] for e in lines] == [2, 3, 4, 5, 6, 7]
    assert lines[0]["type"] == "FinancingPlanned"


async def test_checkpoints_are_signed_kept_and_verified(finance: RunningService) -> None:
    signed = await finance.client.post("/audit/checkpoints", headers=finance.auth("auditor"))
    assert signed.status_code == 201, signed.text
    checkpoint = SignedCheckpoint.from_dict(signed.json())
    assert checkpoint.position == 7
    assert checkpoint.signature_valid()
    listed = (await finance.get("/audit/checkpoints", role="auditor")).json()
    assert listed["checkpoints"] == [signed.json()]
    assert bytes.fromhex(listed["public_key"]) == checkpoint.public_key
    report = (await finance.get("/audit/verify", role="auditor")).json()
    assert report["ok"] is True
    assert report["chain"]["checked"] == 7
    assert [c["ok"] for c in report["checkpoints"]] == [True]


@pytest.mark.parametrize("role", ["manager", "integration"])
async def test_only_auditors_and_admins_audit(finance: RunningService, role: str) -> None:
    assert (await finance.get("/audit/verify", role=role)).status_code == 403  # type: ignore[arg-type]
    assert (await finance.get("/audit/events", role="admin")).status_code == 200
