"""Swapping rebuilt read models in: tables rebuilt in a scratch schema replace the live ones in
one transaction, while the live projections go on running. Behind `ptrack replay --swap` and the
rebuild after an erasure."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg

from shared.checkpoints import read_checkpoint, write_checkpoint
from shared.db import Conn, is_transient
from shared.privacy.keyring import Keyring
from shared.privacy.sealing import open_data
from shared.projection.versioning import (
    SET_POSITION,
    history_table,
    version_tables,
    versioned_tables,
)
from shared.projection.writer import FAILURES_SQL, ReadModel
from shared.store.postgres import PostgresEventStore

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


class SwapError(Exception):
    """The rebuilt model cannot replace the live one; nothing live was changed."""


async def swap_in_models(
    pool: Pool, models: list[ReadModel], scratch: str, live: str, keyring: Keyring
) -> dict[str, int]:
    """Move the rebuilt tables into the live schema in one transaction; returns each model's
    position there."""
    positions: dict[str, int] = {}
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {live}")
        await conn.execute(FAILURES_SQL.format(schema=live))
        # A runner applies a batch only while it holds its checkpoint row (FOR UPDATE), and takes
        # that row before touching its tables: holding every row first means no batch is half
        # applied while the tables change hands, and no lock cycle with a runner is possible.
        live_positions: dict[str, int] = {}
        for model in sorted(models, key=lambda m: m.checkpoint):
            await conn.execute(
                f"INSERT INTO {live}.checkpoints (name, position) VALUES ($1, 0) "
                "ON CONFLICT (name) DO NOTHING",
                model.checkpoint,
            )
            live_positions[model.checkpoint] = int(
                await conn.fetchval(
                    f"SELECT position FROM {live}.checkpoints WHERE name = $1 FOR UPDATE",
                    model.checkpoint,
                )
            )
        for model in models:
            position = await read_checkpoint(conn, scratch, model.checkpoint)
            ahead = live_positions[model.checkpoint]
            if ahead > position:
                # The live model went on while the replay ran. Readers were already told it
                # includes those positions (min_position), so the rebuilt one must too before it
                # replaces it; and the runner's in-memory position would not fetch them again.
                position = await _apply_tail(
                    pool, conn, model, scratch, live, position, ahead, keyring
                )
            histories = [history_table(table) for table in versioned_tables(model.projection)]
            for table in [*model.projection.tables, *histories]:
                grants = await _grants(conn, live, table)
                # CASCADE: the reporting service's time-travel views over the table go with it;
                # it makes them again on the next question.
                await conn.execute(f"DROP TABLE IF EXISTS {live}.{table} CASCADE")
                await conn.execute(f"ALTER TABLE {scratch}.{table} SET SCHEMA {live}")
                # Grants belong to the dropped table; default privileges do not apply to a table
                # moved in, so e.g. the dashboards' read-only role would lose SELECT.
                for grant in grants:
                    await conn.execute(grant.format(table=f"{live}.{table}"))
            # The moved tables' history triggers and defaults still name the scratch schema's
            # functions, which go with it below: the live schema's take their place.
            await version_tables(conn, live, versioned_tables(model.projection))
            await write_checkpoint(conn, live, model.checkpoint, position)
            positions[model.projection.name] = position
        await conn.execute(f"DROP SCHEMA {scratch} CASCADE")
    return positions


async def _apply_tail(
    pool: Pool,
    conn: Conn,
    model: ReadModel,
    scratch: str,
    live: str,
    position: int,
    until: int,
    keyring: Keyring,
) -> int:
    """Apply log positions `position + 1 .. until` to the rebuilt tables, each in a savepoint:
    one the projection cannot apply is set aside in the live failures, as a runner would."""
    store = PostgresEventStore(pool, model.source_schema)  # committed events: any connection
    async for event in store.read_all(position + 1, until):
        try:
            async with conn.transaction():
                data = await open_data(keyring, event.data)
                found = model.source.to_model(event.type, event.schema_version, data)
                await conn.execute(SET_POSITION, str(event.position))
                await model.projection.apply(conn, scratch, event, found)
        except Exception as error:
            if is_transient(error):
                raise
            await conn.execute(
                f"INSERT INTO {live}.projection_failures "
                "(projection, position, event_id, subject, error) VALUES ($1, $2, $3, $4, $5)",
                model.projection.name,
                event.position,
                event.event_id,
                None,
                repr(error)[:2000],
            )
        position = event.position
    if position != until:
        raise SwapError(f"{model.source_schema} ends at {position}, the live model at {until}")
    return position


async def _grants(conn: Conn, schema: str, table: str) -> list[str]:
    """GRANT statements (with `{table}` to fill in) repeating the table's privileges for
    others than its owner."""
    rows = await conn.fetch(
        """
        SELECT a.privilege_type, a.is_grantable,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                    ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
        FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) AS a
        WHERE c.oid = to_regclass($1::text) AND a.grantee <> c.relowner
        ORDER BY 3, 1
        """,
        f"{schema}.{table}",
    )
    return [
        f"GRANT {row['privilege_type']} ON {{table}} TO {row['grantee']}"
        + (" WITH GRANT OPTION" if row["is_grantable"] else "")
        for row in rows
    ]
