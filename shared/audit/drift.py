"""Does each read model still equal a fresh replay of its log? A model changed behind the
projection's back (or by a projection bug) shows as rows only in one of the two."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import asyncpg

from shared.bus import Bus, StreamSettings
from shared.checkpoints import read_checkpoint
from shared.event_types import EventTypes
from shared.projection import Projection, ProjectionRunner
from shared.service import ServiceSpec
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


@dataclass
class TableDrift:
    only_live: int
    only_replay: int

    @property
    def ok(self) -> bool:
        return self.only_live == 0 and self.only_replay == 0


@dataclass
class DriftReport:
    service: str
    projection: str
    position: int
    """The log position both sides were compared at (the live model's checkpoint)."""
    tables: dict[str, TableDrift] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(table.ok for table in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "service": self.service,
            "projection": self.projection,
            "position": self.position,
            "tables": {
                name: {"only_live": t.only_live, "only_replay": t.only_replay}
                for name, t in self.tables.items()
            },
        }


async def check_drift(pool: Pool, settings: Settings, spec: ServiceSpec) -> list[DriftReport]:
    """Every projection and feed of one service, each against a replay of its log."""
    schema = settings.schema_for(spec.name)
    followed: list[tuple[Projection, EventTypes]] = [
        *((projection, spec.event_types) for projection in spec.projections),
        *((feed.projection, feed.source) for feed in spec.feeds),
    ]
    return [
        await _drift(pool, settings, spec.name, schema, projection, source)
        for projection, source in followed
    ]


async def _drift(
    pool: Pool,
    settings: Settings,
    service: str,
    schema: str,
    projection: Projection,
    source: EventTypes,
) -> DriftReport:
    live_copy = f"{schema}_audit_live"
    replay = f"{schema}_audit_replay"
    checkpoint = f"projection:{projection.name}"
    async with pool.acquire() as conn:
        for scratch in (live_copy, replay):
            await conn.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
        await conn.execute(f"CREATE SCHEMA {live_copy}")
        # The live model and its checkpoint copied in one snapshot, so a projection going on
        # meanwhile cannot make the comparison look like drift.
        async with conn.transaction(isolation="repeatable_read"):
            position = await read_checkpoint(conn, schema, checkpoint)
            for table in projection.tables:
                await conn.execute(
                    f"CREATE TABLE {live_copy}.{table} AS SELECT * FROM {schema}.{table}"
                )
    runner = ProjectionRunner(
        projection,
        pool=pool,
        schema=replay,
        log_store=PostgresEventStore(pool, settings.schema_for(source.service)),
        event_types=source,
        bus=Bus(settings.nats_url, "audit", StreamSettings("unused", "unused", 60.0)),
    )
    try:
        await runner.migrate()
        if position:
            await runner.rebuild(to_position=position)
        report = DriftReport(service, projection.name, position)
        for table in projection.tables:
            report.tables[table] = await _compare(pool, f"{live_copy}.{table}", f"{replay}.{table}")
        return report
    finally:
        async with pool.acquire() as conn:
            for scratch in (live_copy, replay):
                await conn.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")


async def _compare(pool: Pool, live: str, replay: str) -> TableDrift:
    only_live = await pool.fetchval(
        f"SELECT count(*) FROM (SELECT * FROM {live} EXCEPT ALL SELECT * FROM {replay}) AS d"
    )
    only_replay = await pool.fetchval(
        f"SELECT count(*) FROM (SELECT * FROM {replay} EXCEPT ALL SELECT * FROM {live}) AS d"
    )
    return TableDrift(int(only_live), int(only_replay))
