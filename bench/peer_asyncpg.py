"""The floor: raw asyncpg writes into a table shaped like ours, with nothing on top.

No lock, no hash chain, no expected-version check, no read before write; positions come from a
bigserial, so they may have gaps and need not follow commit order (the guarantees ours pays for).
Whatever ours loses against this peer is the price of those guarantees plus the Python around them.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from bench.model import Measurement
from bench.payload import RAW_COLUMNS, raw_row
from bench.timing import Window, run_async
from shared.db import init_connection

LABEL = "raw asyncpg"


def _table_sql(schema: str) -> str:
    return f"""
CREATE SCHEMA {schema};
CREATE TABLE {schema}.events (
    position        bigserial   PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL CHECK (stream_version > 0),
    type            text        NOT NULL,
    schema_version  integer     NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    data            jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    prev_hash       bytea       NOT NULL,
    hash            bytea       NOT NULL,
    UNIQUE (stream_id, stream_version)
);
"""


async def _connect(url: str, *, binary_json: bool = False) -> asyncpg.Connection[asyncpg.Record]:
    # The same JSON codecs (orjson) as the service's pool, so both pay the same encoding.
    conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(url)
    if not binary_json:
        await init_connection(conn)
        return conn
    # COPY travels in binary format, which needs a binary jsonb codec: a version byte, then text.
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            encoder=_jsonb_binary if type_name == "jsonb" else orjson.dumps,
            decoder=_from_jsonb_binary if type_name == "jsonb" else orjson.loads,
            schema="pg_catalog",
            format="binary",
        )
    return conn


def _jsonb_binary(value: Any) -> bytes:
    return b"\x01" + orjson.dumps(value)


def _from_jsonb_binary(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def _fresh_table(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(_table_sql(schema))
    finally:
        await conn.close()


def _insert_sql(schema: str) -> str:
    params = ", ".join(f"${i}" for i in range(1, len(RAW_COLUMNS) + 1))
    return f"INSERT INTO {schema}.events ({', '.join(RAW_COLUMNS)}) VALUES ({params})"


async def single_inserts(url: str, schema: str, concurrency: int, window: Window) -> Measurement:
    """One autocommitted INSERT per event, one connection per concurrent writer."""
    await _fresh_table(url, schema)
    sql = _insert_sql(schema)
    conns = [await _connect(url) for _ in range(concurrency)]
    versions = [0] * concurrency

    async def append(index: int) -> int:
        versions[index] += 1
        stream = f"raw-{index}"
        row = raw_row(stream, versions[index], f"r{index}-{versions[index]}")
        await conns[index].execute(sql, *row)
        return 1

    try:
        return await run_async(
            f"{LABEL} INSERT", append, concurrency, window, connections=concurrency
        )
    finally:
        for conn in conns:
            await conn.close()


async def batches(
    url: str, schema: str, batch_size: int, window: Window, *, copy: bool
) -> Measurement:
    """`batch_size` rows per transaction on one connection, by executemany or by COPY."""
    await _fresh_table(url, schema)
    sql = _insert_sql(schema)
    conn = await _connect(url, binary_json=copy)
    version = 0

    async def append(_: int) -> int:
        nonlocal version
        first, version = version + 1, version + batch_size
        rows = [raw_row("raw-batch", v, f"rb-{v}") for v in range(first, version + 1)]
        async with conn.transaction():
            if copy:
                await conn.copy_records_to_table(
                    "events", records=rows, columns=RAW_COLUMNS, schema_name=schema
                )
            else:
                await conn.executemany(sql, rows)
        return batch_size

    how = "copy_records_to_table" if copy else "executemany"
    try:
        return await run_async(f"{LABEL} {how}", append, 1, window, batch_size=batch_size)
    finally:
        await conn.close()
