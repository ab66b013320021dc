"""The peer library: `eventsourcing` (Python) with its PostgreSQL persistence, used the way its
docs show: an Application saving aggregates. Each save records one new aggregate's Created event.

Its application recorder takes an EXCLUSIVE table lock per insert so that notification ids
follow commit order (the same guarantee our advisory lock gives), but it has no group commit:
concurrent savers queue for the lock one transaction, and one fsync, at a time.
It is synchronous (psycopg 3), so concurrency means threads, one pooled connection each.
"""

from __future__ import annotations

import itertools
from importlib.metadata import version
from uuid import UUID

import asyncpg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from bench.model import Measurement
from bench.servers import pg_params
from bench.timing import Window, run_threads

LABEL = "eventsourcing"


class Booking(Aggregate):
    def __init__(
        self, booking_id: str, line: str, amount: str, booking_date: str, voucher: str
    ) -> None:
        self.booking_id = booking_id
        self.line = line
        self.amount = amount
        self.booking_date = booking_date
        self.voucher = voucher


class Bookings(Application[UUID]):
    pass


def _environment(url: str, schema: str, pool_size: int) -> dict[str, str]:
    params = pg_params(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": params.dbname,
        "POSTGRES_HOST": params.host,
        "POSTGRES_PORT": params.port,
        "POSTGRES_USER": params.user,
        "POSTGRES_PASSWORD": params.password,
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
    }


async def create_schema(url: str, schema: str) -> None:
    """The library creates its tables but not the schema they go in."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()


def saves(url: str, schema: str, concurrency: int, window: Window) -> Measurement:
    """Blocking: run it in a worker thread (`asyncio.to_thread`)."""
    app = Bookings(env=_environment(url, schema, concurrency))
    counter = itertools.count()  # next() on a count is atomic under the GIL

    def save(_: int) -> int:
        booking_id = f"es-{next(counter)}"
        app.save(
            Booking(booking_id, "external-expertise", "12500.00", "2010-03-15", f"V-{booking_id}")
        )
        return 1

    try:
        return run_threads(
            f"{LABEL} {version('eventsourcing')}",
            save,
            concurrency,
            window,
            threads=concurrency,
            pool_size=concurrency,
        )
    finally:
        app.close()
