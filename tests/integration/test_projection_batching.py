"""How a read-model writer batches read-model writes, on a real PostgreSQL: statements on
different tables may swap places when the projection allows it, statements that read keep
their place in log order, and a table's statements keep theirs."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.projection import Statement
from shared.projection.batch import StatementBatch
from shared.settings import Settings


async def _run(
    pool: asyncpg.Pool[asyncpg.Record], schema: str, statements: list[Statement], commutes: bool
) -> list[tuple[str, str]]:
    """Apply the statements through a batch; the (table, value) rows in execution order."""
    async with pool.acquire() as conn:
        await conn.execute(
            f"""
            CREATE SCHEMA {schema};
            CREATE SEQUENCE {schema}.done;
            CREATE TABLE {schema}.a (seq bigint DEFAULT nextval('{schema}.done'), v text);
            CREATE TABLE {schema}.b (seq bigint DEFAULT nextval('{schema}.done'), v text);
            CREATE TABLE {schema}.r (seq bigint DEFAULT nextval('{schema}.done'), v text);
            """
        )
        async with (
            conn.transaction(),
            StatementBatch(conn, commutes_across_tables=commutes) as batch,
        ):
            for statement in statements:
                await batch.add([statement])
        rows = await conn.fetch(
            f"SELECT 'a' AS t, seq, v FROM {schema}.a UNION ALL "
            f"SELECT 'b', seq, v FROM {schema}.b UNION ALL "
            f"SELECT 'r', seq, v FROM {schema}.r ORDER BY seq"
        )
    return [(row["t"], row["v"]) for row in rows]


def _statements(schema: str) -> list[Statement]:
    def insert(table: str, value: str) -> Statement:
        return (f"INSERT INTO {schema}.{table} (v) VALUES ($1)", (value,))

    def reads(value: str) -> Statement:
        # Like a reversal: it writes only if the row it refers to is already there.
        sql = f"INSERT INTO {schema}.r (v) SELECT v FROM {schema}.a WHERE v = $1"
        return (sql, (value,))

    def touch(table: str, value: str) -> Statement:
        return (f"UPDATE {schema}.{table} SET v = v WHERE v = $1", (value,))

    args: list[Any] = [
        insert("a", "1"),
        insert("b", "x"),
        touch("b", "x"),  # another statement on b: what was pending goes first
        reads("1"),
        insert("a", "2"),
        reads("2"),  # must come after a/2, though r's run began before it
        insert("b", "y"),
        insert("a", "3"),
        insert("b", "z"),  # joins b/y's run: written before a/3
    ]
    return args


async def test_writes_to_other_tables_are_grouped_but_reads_keep_their_place(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings
) -> None:
    schema = settings.schema_for("batching")
    done = await _run(pool, schema, _statements(schema), commutes=True)
    assert ("r", "1") in done, done
    assert ("r", "2") in done, done
    assert done.index(("a", "2")) < done.index(("r", "2"))
    assert done.index(("b", "z")) < done.index(("a", "3")), "grouped by table"
    # Each table's own rows in log order.
    for table in "abr":
        values = [value for kind, value in done if kind == table]
        assert values == sorted(values), done


async def test_without_the_projections_leave_every_statement_in_log_order(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings
) -> None:
    schema = settings.schema_for("batching")
    done = await _run(pool, schema, _statements(schema), commutes=False)
    assert done == [
        ("a", "1"),
        ("b", "x"),
        ("r", "1"),
        ("a", "2"),
        ("r", "2"),
        ("b", "y"),
        ("a", "3"),
        ("b", "z"),
    ]
