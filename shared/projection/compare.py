"""Two copies of a read model compared row by row: a replay against the live model, a drift
check's rebuild against a snapshot of it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

import asyncpg

from shared.db import Conn
from shared.store.postgres import checked_identifier

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


@dataclass(frozen=True)
class TableDiff:
    only_left: int
    only_right: int
    columns_differ: tuple[str, ...] = ()
    """Columns one side has and the other lacks (rows are then compared on the shared ones)."""
    missing: str | None = None
    """`left` or `right` when the table does not exist on that side (counted as empty)."""

    @property
    def equal(self) -> bool:
        return (
            self.only_left == 0
            and self.only_right == 0
            and not self.columns_differ
            and self.missing is None
        )


async def compare_schemas(
    pool: Pool, left: str, right: str, tables: Iterable[str]
) -> dict[str, TableDiff]:
    """Each table of `left` against the same-named table of `right`, row by row: how many rows
    (with their multiplicity) only one side has. Columns are matched by name, not by position,
    so a table whose columns were added in another order still compares."""
    checked_identifier(left)
    checked_identifier(right)
    found: dict[str, TableDiff] = {}
    async with pool.acquire() as conn:
        for table in tables:
            checked_identifier(table)
            found[table] = await _compare_table(conn, left, right, table)
    return found


async def _columns(conn: Conn, schema: str, table: str) -> list[str] | None:
    if await conn.fetchval("SELECT to_regclass($1::text)", f"{schema}.{table}") is None:
        return None
    rows = await conn.fetch(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1::text) "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attname",
        f"{schema}.{table}",
    )
    return [row["attname"] for row in rows]


async def _compare_table(conn: Conn, left: str, right: str, table: str) -> TableDiff:
    left_columns = await _columns(conn, left, table)
    right_columns = await _columns(conn, right, table)
    if left_columns is None or right_columns is None:
        present = left if left_columns is not None else right if right_columns is not None else None
        rows = (
            0 if present is None else await conn.fetchval(f"SELECT count(*) FROM {present}.{table}")
        )
        return TableDiff(
            only_left=int(rows) if present == left else 0,
            only_right=int(rows) if present == right else 0,
            missing="left" if left_columns is None else "right",
        )
    shared = [column for column in left_columns if column in right_columns]
    differ = tuple(sorted(set(left_columns) ^ set(right_columns)))
    columns = ", ".join(f'"{column}"' for column in shared)

    async def only_in(first: str, second: str) -> int:
        count = await conn.fetchval(
            f"SELECT count(*) FROM (SELECT {columns} FROM {first}.{table} "
            f"EXCEPT ALL SELECT {columns} FROM {second}.{table}) AS d"
        )
        return int(count)

    return TableDiff(await only_in(left, right), await only_in(right, left), differ)
