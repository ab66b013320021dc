"""The PostgreSQL log under concurrency: gap-free positions in commit order, one winner."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from shared.audit.chain import verify_chain
from shared.store import NewEvent, WrongExpectedVersion
from shared.store.postgres import PostgresEventStore

WHEN = datetime(2010, 3, 15, tzinfo=UTC)


@pytest.fixture
def store(log_store: PostgresEventStore) -> PostgresEventStore:
    return log_store


async def test_32_writers_leave_a_gap_free_chain_that_readers_never_see_out_of_order(
    store: PostgresEventStore, pool: asyncpg.Pool[asyncpg.Record]
) -> None:
    # Several store instances (as several service replicas would have) share the log.
    stores = [store] + [PostgresEventStore(pool, store.schema) for _ in range(3)]
    done = asyncio.Event()
    seen: list[int] = []
    polls = 0

    async def writer(index: int) -> None:
        target = stores[index % len(stores)]
        for n in range(50):
            await target.append(
                f"writer-{index}", [NewEvent(uuid.uuid4(), "Wrote", {"n": n}, WHEN)]
            )

    async def reader() -> None:
        nonlocal polls
        async with pool.acquire() as conn:
            while True:
                finished = done.is_set()
                rows = await conn.fetch(
                    f"SELECT position FROM {store.schema}.events WHERE position > $1 "
                    "ORDER BY position",
                    seen[-1] if seen else 0,
                )
                got = [row["position"] for row in rows]
                start = (seen[-1] if seen else 0) + 1
                # A tailing reader must only ever see a contiguous continuation.
                assert got == list(range(start, start + len(got))), f"gap seen: {got[:5]}..."
                seen.extend(got)
                polls += 1
                if finished:
                    return

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(index) for index in range(32)))
    done.set()
    await reading
    for extra in stores[1:]:
        await extra.close()

    assert seen == list(range(1, 1601))
    assert polls > 2
    positions = [
        r["position"]
        for r in await pool.fetch(f"SELECT position FROM {store.schema}.events ORDER BY 1")
    ]
    assert positions == list(range(1, 1601))
    report = await verify_chain(store.read_all(page_size=500))
    assert report.ok
    assert report.checked == 1600
    for index in range(32):
        versions = [e.stream_version for e in await store.read_stream(f"writer-{index}")]
        assert versions == list(range(1, 51))


async def test_conflicting_appends_to_one_stream_have_exactly_one_winner(
    store: PostgresEventStore,
) -> None:
    await store.append("budget", [NewEvent(uuid.uuid4(), "Opened", {}, WHEN)])

    async def attempt(n: int) -> int | WrongExpectedVersion:
        try:
            result = await store.append(
                "budget", [NewEvent(uuid.uuid4(), "Changed", {"n": n}, WHEN)], expected_version=1
            )
        except WrongExpectedVersion as conflict:
            return conflict
        return result.events[-1].stream_version

    outcomes = await asyncio.gather(*(attempt(n) for n in range(16)))
    winners = [o for o in outcomes if isinstance(o, int)]
    losers = [o for o in outcomes if isinstance(o, WrongExpectedVersion)]
    assert winners == [2]
    assert len(losers) == 15
    assert all((c.expected, c.current) == (1, 2) for c in losers)
    assert len(await store.read_stream("budget")) == 2
