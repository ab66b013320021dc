"""Does each read model still equal a fresh replay of its log? A model changed behind the
projection's back (or by a projection bug) shows as rows only in one of the two."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import asyncpg

from shared.checkpoints import read_checkpoint
from shared.privacy.keyring import Keyring, open_keyring
from shared.projection import ReadModel, TableDiff, compare_schemas, rebuild_into
from shared.service import ServiceSpec
from shared.settings import Settings

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


@dataclass
class DriftReport:
    service: str
    projection: str
    position: int
    """The log position both sides were compared at (the live model's checkpoint)."""
    tables: dict[str, TableDiff] = field(default_factory=dict)
    """Per table: the live model (left) against the replay (right)."""

    @property
    def ok(self) -> bool:
        return all(table.equal for table in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "service": self.service,
            "projection": self.projection,
            "position": self.position,
            "tables": {
                name: {"only_live": t.only_left, "only_replay": t.only_right}
                for name, t in self.tables.items()
            },
        }


async def check_drift(pool: Pool, settings: Settings, spec: ServiceSpec) -> list[DriftReport]:
    """Every projection and feed of one service, each against a replay of its log."""
    schema = settings.schema_for(spec.name)
    keyring = await open_keyring(pool, settings)
    return [
        await _drift(pool, spec.name, schema, model, keyring)
        for model in spec.read_models(settings)
    ]


async def _drift(
    pool: Pool, service: str, schema: str, model: ReadModel, keyring: Keyring
) -> DriftReport:
    live_copy = f"{schema}_audit_live"
    replay = f"{schema}_audit_replay"
    tables = model.projection.tables
    async with pool.acquire() as conn:
        for scratch in (live_copy, replay):
            await conn.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
        await conn.execute(f"CREATE SCHEMA {live_copy}")
        # The live model and its checkpoint copied in one snapshot, so a projection going on
        # meanwhile cannot make the comparison look like drift.
        async with conn.transaction(isolation="repeatable_read"):
            position = await read_checkpoint(conn, schema, model.checkpoint)
            for table in tables:
                await conn.execute(
                    f"CREATE TABLE {live_copy}.{table} AS SELECT * FROM {schema}.{table}"
                )
    try:
        await rebuild_into(pool, replay, model, to_position=position, keyring=keyring)
        found = await compare_schemas(pool, live_copy, replay, tables)
        return DriftReport(service, model.projection.name, position, found)
    finally:
        async with pool.acquire() as conn:
            for scratch in (live_copy, replay):
                await conn.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
