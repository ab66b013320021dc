"""The chain check of a whole log, split into ranges that processes verify side by side.

Recomputing hashes is Python work, one core's worth per process: a log of a million events takes
one process about 10 s here, however fast the database reads. Each range is verified from the
stored hash of the row before it, and the ranges are then joined: every range must be intact,
end where the next begins, and have begun from the hash its predecessor ended on. So an intact
log gets the report one pass would give. Where anything is wrong the log is walked again in one
pass, from a little before the range where it begins (all before that verified), so damage is
classified exactly as `verify_chain` alone would (it looks back at recent rows and ahead).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.audit.chain import LOOKAHEAD, ChainReport, Damage, Progress
from shared.audit.stored import verify_from, verify_stored
from shared.db import create_pool
from shared.store.base import GENESIS_HASH
from shared.store.postgres import PostgresEventStore

MIN_EVENTS_PER_JOB = 50_000
"""Below this a process costs more to start (about a second) than it saves."""
PAGE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class Range:
    first: int
    last: int | None
    """None: to the end of the log, including what is appended meanwhile (as one pass would)."""
    prev_hash: bytes
    """The stored hash of the row before `first`: where this range's chain must begin."""


async def verify_log(
    dsn: str,
    schema: str,
    *,
    jobs: int,
    progress: Progress | None = None,
    min_events_per_job: int = MIN_EVENTS_PER_JOB,
) -> ChainReport:
    """`verify_chain` over the log in `<schema>.events`, with up to `jobs` processes."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        store = PostgresEventStore(pool, schema)
        head = (await store.head()).position
        jobs = max(1, min(jobs, head // max(min_events_per_job, 1)))
        ranges = await _ranges(store, head, jobs) if jobs > 1 else None
        if ranges is None:
            return await verify_stored(store, progress=progress)
        reports = await _verify_ranges(dsn, schema, ranges, progress)
        return await _joined(store, ranges, reports, progress)
    finally:
        await pool.close()


async def _ranges(store: PostgresEventStore, head: int, jobs: int) -> list[Range] | None:
    size = -(-head // jobs)
    firsts = [1 + index * size for index in range(jobs)]
    hashes = await _stored_hashes(store, [first - 1 for first in firsts[1:]])
    if len(hashes) != jobs - 1:
        return None  # a boundary row is missing: one pass will say where and how
    return [
        Range(
            first,
            None if index == jobs - 1 else first + size - 1,
            GENESIS_HASH if first == 1 else hashes[first - 1],
        )
        for index, first in enumerate(firsts)
    ]


async def _stored_hashes(store: PostgresEventStore, positions: list[int]) -> dict[int, bytes]:
    """The hashes the log holds at these positions (a missing row is missing here too)."""
    rows = await store.pool.fetch(
        f"SELECT position, hash FROM {store.schema}.events WHERE position = ANY($1::bigint[])",
        positions,
    )
    return {row["position"]: bytes(row["hash"]) for row in rows}


async def _verify_ranges(
    dsn: str, schema: str, ranges: Sequence[Range], progress: Progress | None
) -> list[ChainReport]:
    # Spawned, not forked: a fork would copy this process's event loop and connections.
    context = multiprocessing.get_context("spawn")
    counts: Any = context.Array("q", len(ranges))  # events verified so far, per range
    with ProcessPoolExecutor(
        len(ranges),
        mp_context=context,
        initializer=_share_counts,
        initargs=(counts,),
    ) as pool:
        futures = [
            asyncio.wrap_future(pool.submit(_verify_range, dsn, schema, index, chunk))
            for index, chunk in enumerate(ranges)
        ]
        while not all(future.done() for future in futures):
            await asyncio.wait(futures, timeout=0.25)
            if progress is not None:
                progress(sum(counts[:]))
        return [_report(await future) for future in futures]


async def _joined(
    store: PostgresEventStore,
    ranges: Sequence[Range],
    reports: Sequence[ChainReport],
    progress: Progress | None,
) -> ChainReport:
    verified = 0
    for index, (chunk, report) in enumerate(zip(ranges, reports, strict=True)):
        intact = (
            report.ok
            and (chunk.last is None or report.head_position == chunk.last)
            and (index == 0 or chunk.prev_hash == reports[index - 1].head_hash)
        )
        if not intact:
            # One pass from a little before the range (all before it verified).
            return await verify_from(store, max(1, chunk.first - LOOKAHEAD - 2), progress=progress)
        verified += report.checked
    return ChainReport(verified, reports[-1].head_position, reports[-1].head_hash)


# -- in the worker processes -------------------------------------------------------------------

_counts: Any = None


def _share_counts(counts: Any) -> None:
    global _counts
    _counts = counts


def _verify_range(dsn: str, schema: str, index: int, chunk: Range) -> tuple[Any, ...]:
    return asyncio.run(_verify_range_async(dsn, schema, index, chunk))


async def _verify_range_async(dsn: str, schema: str, index: int, chunk: Range) -> tuple[Any, ...]:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        store = PostgresEventStore(pool, schema)

        def advanced(checked: int) -> None:
            _counts[index] = checked

        report = await verify_stored(
            store,
            from_position=chunk.first,
            to_position=chunk.last,
            start_prev_hash=chunk.prev_hash,
            progress=advanced,
        )
    finally:
        await pool.close()
    damage = report.damage
    return (
        report.checked,
        report.head_position,
        report.head_hash,
        None if damage is None else (damage.position, damage.kind, damage.detail),
    )


def _report(fields: tuple[Any, ...]) -> ChainReport:
    checked, head_position, head_hash, damage = fields
    return ChainReport(
        checked, head_position, head_hash, None if damage is None else Damage(*damage)
    )
