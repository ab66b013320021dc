"""`ptrack audit verify` on a service's real log, stream and read models: clean when nothing
was touched; each kind of trouble found where it is."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest

from ptrack.audit.checkpoints import kept_checkpoints
from ptrack.audit.verify import ServiceAudit, as_json, audit
from services.finance.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from tests.integration.finance_fixtures import booking, plan_events


@pytest.fixture
async def finance(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        assert (await service.post(*plan_events(), role="admin")).status_code == 201
        for n in range(20):
            assert (await service.post(booking(f"GL-{n}", "10.00"))).status_code == 201
        assert await service.runtime.read_models_reach(22, 10)
        yield service


async def finance_audit(settings: Settings, **options: Any) -> ServiceAudit:
    [result] = await audit(settings, ["finance"], **options)
    return result


async def wait_published(service: RunningService, position: int) -> None:
    import asyncio

    for _ in range(200):
        if service.runtime.relay.position >= position:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the relay did not publish in time")


async def test_an_untouched_service_is_clean(
    finance: RunningService, settings: Settings, tmp_path: Path
) -> None:
    await wait_published(finance, 22)
    kept = await finance.client.post("/audit/checkpoints", headers=finance.auth("auditor"))
    (tmp_path / "kept.json").write_text(json.dumps(kept.json()))
    result = await finance_audit(settings, kept=kept_checkpoints([tmp_path / "kept.json"]))
    assert result.ok, as_json([result])
    assert result.results["chain"]["checked"] == 22
    assert result.results["jetstream"]["messages"] == 22
    assert [r["projection"] for r in result.results["read_models"]] == ["finance"]
    assert [c["ok"] for c in result.results["kept_checkpoints"]] == [True]


async def test_drift_in_a_read_model_is_found(
    finance: RunningService, settings: Settings, pool: asyncpg.Pool[asyncpg.Record]
) -> None:
    schema = settings.schema_for("finance")
    await pool.execute(f"UPDATE {schema}.bookings SET amount_ore = 1 WHERE booking_id = 'GL-3'")
    result = await finance_audit(settings, jetstream=False)
    assert not result.ok
    [model] = result.results["read_models"]
    assert model["tables"]["bookings"] == {"only_live": 1, "only_replay": 1}
    assert model["tables"]["budget_lines"] == {"only_live": 0, "only_replay": 0}


async def test_a_message_missing_from_jetstream_is_found(
    finance: RunningService, settings: Settings
) -> None:
    await wait_published(finance, 22)
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(settings.nats_stream)
        await js.delete_msg(settings.nats_stream, info.state.first_seq + 5)
    finally:
        await nc.close()
    result = await finance_audit(settings, drift=False)
    stream = result.results["jetstream"]
    assert (stream["missing_count"], stream["missing"]) == (1, [6])
    assert not result.ok


async def test_a_damaged_chain_is_not_clean(
    finance: RunningService, settings: Settings, pool: asyncpg.Pool[asyncpg.Record]
) -> None:
    schema = settings.schema_for("finance")
    await pool.execute(f"ALTER TABLE {schema}.events DISABLE TRIGGER USER")
    await pool.execute(f"DELETE FROM {schema}.events WHERE position = 9")
    result = await finance_audit(settings, jetstream=False, drift=False)
    damage = result.results["chain"]["damage"]
    assert (damage["position"], damage["kind"]) == (9, "deleted")
    assert json.loads(as_json([result]))["ok"] is False
