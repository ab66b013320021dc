"""Positions that tailers of a log keep in `<schema>.checkpoints` (relay, projections)."""

from __future__ import annotations

from shared.db import Queryable


async def read_checkpoint(conn: Queryable, schema: str, name: str) -> int:
    value = await conn.fetchval(f"SELECT position FROM {schema}.checkpoints WHERE name = $1", name)
    return int(value or 0)


async def write_checkpoint(conn: Queryable, schema: str, name: str, position: int) -> None:
    await conn.execute(
        f"INSERT INTO {schema}.checkpoints (name, position) VALUES ($1, $2) "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
        name,
        position,
    )
