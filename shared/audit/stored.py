"""The chain check of a log in PostgreSQL, hashing what the database stores.

A row's JSON columns keep the text they were sealed with (json, not jsonb), so the database can
spell each row's canonical form from its columns (`PostgresEventStore.read_sealed`) and checking
a row is one sha256: nothing decoded, nothing encoded again. That is the common case.

A page holding a row that does not hash that way is checked again, from that row, the way
`verify_chain` checks any log: decoded and encoded again. Rows stored before the columns kept
their text (jsonb spelled them its own way) pass there; damage is found there, and classified
by `verify_chain` alone, so this gives the report `verify_chain` gives, only sooner.
"""

from __future__ import annotations

import hashlib

from shared.audit.chain import LOOKAHEAD, ChainReport, Progress, verify_chain
from shared.store.base import GENESIS_HASH
from shared.store.postgres import PostgresEventStore

PAGE_SIZE = 5000


async def verify_stored(
    store: PostgresEventStore,
    *,
    from_position: int = 1,
    to_position: int | None = None,
    start_prev_hash: bytes = GENESIS_HASH,
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
) -> ChainReport:
    """`verify_chain` over `store`'s rows from `from_position` to `to_position` (the end when
    None), whose predecessor's hash is `start_prev_hash`."""
    expected, prev_hash = from_position, start_prev_hash
    sha256 = hashlib.sha256
    async for rows in store.read_sealed(expected, to_position, page_size):
        for position, link, seal, canonical in rows:
            if (
                position != expected
                or link != prev_hash
                or sha256(link + canonical).digest() != seal
            ):
                break
            expected, prev_hash = position + 1, seal
        else:
            if progress is not None:
                progress(expected - from_position)
            continue
        # Decoded, from the first row that did not hash as stored to the page's end.
        page_end = max(rows[-1][0], expected)
        report = await verify_chain(
            store.read_all(expected, page_end, page_size),
            start_position=expected,
            start_prev_hash=prev_hash,
        )
        if not report.ok or report.head_position != page_end:
            return await verify_from(
                store,
                max(from_position, expected - LOOKAHEAD - 2),
                first=from_position,
                first_prev_hash=start_prev_hash,
                to_position=to_position,
                progress=progress,
            )
        expected, prev_hash = page_end + 1, report.head_hash
        if progress is not None:
            progress(expected - from_position)
    return ChainReport(expected - from_position, expected - 1, prev_hash)


async def verify_from(
    store: PostgresEventStore,
    start: int,
    *,
    first: int = 1,
    first_prev_hash: bytes = GENESIS_HASH,
    to_position: int | None = None,
    progress: Progress | None = None,
) -> ChainReport:
    """`verify_chain` from `start` to `to_position` (the end when None), every row from `first`
    to `start` verified already: the report counts from `first`. Where damage was seen, start a
    little before it (`LOOKAHEAD`): it may begin before the row that shows it, and is told
    apart by the rows after it."""
    prev_hash = first_prev_hash
    if start > first:  # a row verified already: its stored hash is where the chain goes on
        stored = await store.pool.fetchval(
            f"SELECT hash FROM {store.schema}.events WHERE position = $1", start - 1
        )
        prev_hash = bytes(stored)
    offset = start - first

    def advanced(checked: int) -> None:
        if progress is not None:
            progress(offset + checked)

    report = await verify_chain(
        store.read_all(start, to_position, PAGE_SIZE),
        start_position=start,
        start_prev_hash=prev_hash,
        progress=advanced,
    )
    return ChainReport(
        offset + report.checked, report.head_position, report.head_hash, report.damage
    )
