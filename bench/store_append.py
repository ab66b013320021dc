"""Ours at the store level: `PostgresEventStore.append` of single events, in a fresh schema.

Each concurrent writer appends to its own stream and states the version it expects, as the
service's recorder does; all of them share one store, so at concurrency > 1 group commit can
put several writers' events into one transaction (one lock, one INSERT, one fsync).
"""

from __future__ import annotations

from bench.model import Measurement
from bench.payload import new_event
from bench.timing import Window, run_async
from shared.db import create_pool
from shared.store.postgres import PostgresEventStore

LABEL = "ptrack PostgresEventStore"


async def appends(url: str, schema: str, concurrency: int, window: Window) -> Measurement:
    # The service's pool size: the store writes on one connection at a time anyway.
    pool = await create_pool(url, max_size=10)
    store = PostgresEventStore(pool, schema)
    await store.migrate()
    versions = [0] * concurrency

    async def append(index: int) -> int:
        stream = f"ours-{index}"
        booking = f"o{index}-{versions[index] + 1}"
        result = await store.append(stream, [new_event(booking)], expected_version=versions[index])
        versions[index] = result.events[-1].stream_version
        return len(result.events)

    try:
        measured = await run_async(LABEL, append, concurrency, window)
        head = (await store.head()).position
    finally:
        await store.close()
        await pool.close()
    return Measurement(
        measured.label,
        measured.events,
        measured.seconds,
        measured.errors,
        {**measured.details, "log_head": head},
    )
