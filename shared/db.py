"""PostgreSQL connections: pool creation with JSON codecs, and the connection types we accept."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, TypeAlias

import asyncpg
import orjson
from asyncpg.pool import PoolConnectionProxy

log = logging.getLogger(__name__)

Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
"""A connection, whether taken from a pool or made directly."""
Queryable: TypeAlias = "Conn | asyncpg.Pool[asyncpg.Record]"
"""Anything with fetch/execute: a connection or a pool."""


_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "40")
"""Connection exception, insufficient resources, operator intervention (a shutdown),
transaction rollback (serialization failure, deadlock)."""


def is_transient(error: BaseException) -> bool:
    """Worth retrying later: the database or network, not the request or the event."""
    if is_content_error(error):
        return False
    if isinstance(error, OSError | TimeoutError | asyncpg.InterfaceError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES


def is_content_error(error: BaseException) -> bool:
    """The values sent cannot be stored (SQLSTATE class 22, "data exception": a NUL in text or
    jsonb, a number or a date out of range), or asyncpg could not encode them (its DataError,
    which subclasses InterfaceError), or orjson could not (a lone surrogate). Sending the same
    values again fails again."""
    if isinstance(error, asyncpg.DataError | UnicodeError | orjson.JSONEncodeError):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")


def _encode_json(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


async def init_connection(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """Pool `init` hook: json and jsonb travel as Python objects, parsed by orjson."""
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, wait_seconds: float = 0.0
) -> asyncpg.Pool[asyncpg.Record]:
    """A pool with our codecs; with `wait_seconds`, keeps trying while the server starts."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=min_size, max_size=max_size, init=init_connection
            )
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as error:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("PostgreSQL not reachable yet: %r", error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        assert pool is not None
        return pool
