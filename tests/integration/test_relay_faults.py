"""Faults between the log, NATS and the read model lose nothing and double nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import orjson

from ptrack.stack.processes import ServiceProcess, settings_env
from services.finance.app import build
from services.finance.events import EVENT_TYPES
from services.finance.readmodels import FinanceProjection
from shared.auth import auth_sql, create_key
from shared.http.events import CLOUDEVENT_BATCH
from shared.projection import ReadModelWriter
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore, migrate
from shared.testing.apps import running
from shared.testing.servers import own_nats_server
from shared.testing.waiting import eventually
from tests.integration.finance_fixtures import PROJECT, booking, plan_events


async def test_nats_down_while_200_bookings_are_posted(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], tmp_path: Path
) -> None:
    server = own_nats_server(tmp_path / "nats")
    # No fallback to reading the log: every event must come through JetStream.
    settings = settings.model_copy(
        update={"nats_url": server.url, "projection_catch_up_seconds": 3600.0}
    )
    try:
        async with running(build(settings)) as finance:
            runtime = finance.runtime
            assert (await finance.post(*plan_events(), role="admin")).status_code == 201
            assert await runtime.writers["finance"].wait_for(2, timeout=30)

            server.stop()

            async def disconnected() -> bool:
                return not runtime.bus.connected

            await eventually(disconnected, timeout=10)
            # Still ready: a load balancer must keep sending writes while NATS is away.
            ready = await finance.client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": True, "nats": False}
            semaphore = asyncio.Semaphore(20)

            async def post(n: int) -> int:
                async with semaphore:
                    return (await finance.post(booking(f"GL-{n}", "10.00"))).status_code

            statuses = await asyncio.gather(*(post(n) for n in range(200)))
            assert statuses == [201] * 200, "NATS being down must not block or fail a write"
            assert await finance.log_head() == 202
            assert runtime.writers["finance"].position == 2

            server.start()
            assert await runtime.writers["finance"].wait_for(202, timeout=60)

            rows = await pool.fetch(
                f"SELECT booking_id FROM {runtime.schema}.bookings WHERE project_id = $1",
                PROJECT,
            )
            assert sorted(r["booking_id"] for r in rows) == sorted(f"GL-{n}" for n in range(200))
            line = await pool.fetchval(
                f"SELECT sum(amount_ore) FROM {runtime.schema}.bookings WHERE line_id = $1",
                "external-expertise",
            )
            assert line == 200 * 1000
            assert await _stream_event_ids(server.url, settings) == await _log_event_ids(
                pool, runtime.schema
            )
    finally:
        server.stop()


async def _log_event_ids(pool: asyncpg.Pool[asyncpg.Record], schema: str) -> list[str]:
    rows = await pool.fetch(f"SELECT event_id FROM {schema}.events ORDER BY position")
    return [str(row["event_id"]) for row in rows]


async def _stream_event_ids(url: str, settings: Settings) -> list[str]:
    """Every message in the stream, in stream order: each event once."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(settings.nats_stream)
        ids = []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(settings.nats_stream, sequence)
            ids.append(orjson.loads(message.data or b"{}")["id"])
        return ids
    finally:
        await nc.close()


async def test_a_projection_killed_mid_batch_equals_a_rebuild(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], tmp_path: Path, drop_stream: None
) -> None:
    auth_schema = settings.schema_for("auth")
    await migrate(pool, auth_schema, auth_sql(auth_schema))
    token, _ = await create_key(pool, auth_schema, name="test", role="admin")
    service = ServiceProcess("finance", settings_env(settings), tmp_path)
    service.start()
    schema = settings.schema_for("finance")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": CLOUDEVENT_BATCH}
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
            plan = await client.post(
                "/events", content=orjson.dumps(plan_events()), headers=headers
            )
            assert plan.status_code == 201, plan.text
            for start in range(0, 3000, 500):
                batch = [booking(f"GL-{n}", "1.00") for n in range(start, start + 500)]
                response = await client.post(
                    "/events", content=orjson.dumps(batch), headers=headers
                )
                assert response.status_code == 201, response.text
        head = 3002

        async def projecting() -> bool:
            checkpoint = await _checkpoint(pool, schema)
            return 0 < checkpoint < head

        await eventually(projecting, timeout=30)
        service.kill()
        killed_at = await _checkpoint(pool, schema)
        assert killed_at < head, "the projection must have been behind when killed"

        service.start()

        async def caught_up() -> bool:
            return await _checkpoint(pool, schema) == head

        await eventually(caught_up, timeout=60)
        live = await _read_model(pool, schema)
    finally:
        service.stop()

    scratch = f"{settings.schema_prefix}scratch"
    writer = ReadModelWriter(
        FinanceProjection(),
        pool=pool,
        schema=scratch,
        log_store=PostgresEventStore(pool, schema),
        event_types=EVENT_TYPES,
    )
    await writer.migrate()
    assert await writer.rebuild() == head
    rebuilt = await _read_model(pool, scratch)
    assert live == rebuilt
    assert len(live["bookings"]) == 3000


async def _checkpoint(pool: asyncpg.Pool[asyncpg.Record], schema: str) -> int:
    try:
        value = await pool.fetchval(
            f"SELECT position FROM {schema}.checkpoints WHERE name = 'projection:finance'"
        )
    except asyncpg.UndefinedTableError:
        return 0
    return int(value or 0)


async def _read_model(pool: asyncpg.Pool[asyncpg.Record], schema: str) -> dict[str, list[Any]]:
    tables = {}
    for table in FinanceProjection.tables:
        rows = await pool.fetch(f"SELECT * FROM {schema}.{table} ORDER BY 1, 2")
        tables[table] = [tuple(row.values()) for row in rows]
    return tables
