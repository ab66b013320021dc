"""The PostgreSQL event store: one schema per service log, group commit, a hash chain.

Why it is built this way:
- Appends take a transaction-level advisory lock for the log, so position order is commit order
  and a reader tailing by position can never skip an event that commits later with a smaller
  position. The price is one writer at a time per log.
- That one writer is made fast by group commit: requests arriving while a transaction is in
  flight wait in a queue and go together in the next one (one lock, one insert, one fsync).
- Positions and hashes are computed under the lock from the head row, so there is no sequence
  to leave gaps behind a rolled-back transaction.
- A batch with nothing to refuse is sealed inside PostgreSQL (`append_sealed`): lock, checks,
  hash chain, insert and notification in one statement, one round trip. Python sends each
  event's canonical form in pieces (`canonical_parts`) and the database fills in position,
  recorded_at and stream version. A batch holding a retry or a refusal is decided unit by unit
  in Python (`BatchBuilder`, four round trips), so one unit's error never fails the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections import Counter, deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from uuid import UUID

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.canonical import canonical_json, nul_pointers
from shared.db import is_content_error
from shared.store.base import (
    GENESIS_HASH,
    AppendRequest,
    AppendResult,
    EventIdReused,
    EventRefused,
    LogHead,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
    WrongExpectedVersion,
)
from shared.store.batch import BatchBuilder
from shared.store.hashing import canonical_parts

log = logging.getLogger(__name__)

SEALED_PAGES_AHEAD = 2
"""Pages `read_sealed` has asked for at once: as many server processes spell rows."""
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
EVENT_COLUMNS = (
    "position",
    "event_id",
    "stream_id",
    "stream_version",
    "type",
    "schema_version",
    "occurred_at",
    "recorded_at",
    "data",
    "metadata",
    "prev_hash",
    "hash",
)
"""The log table's columns, in the order every query here selects them."""
_COLUMNS = ", ".join(EVENT_COLUMNS)
COMMIT_PATHS = ("sealed", "checked")
"""How a group commit was decided (see `PostgresEventStore.group_commits`)."""


def checked_identifier(name: str) -> str:
    """Schema names go into SQL text; only plain lowercase identifiers are allowed."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def lock_key(purpose: str, schema: str) -> int:
    """A stable signed 64-bit advisory lock key for one purpose on one log."""
    digest = hashlib.sha256(f"ptrack:{purpose}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_LOG_SQL = resources.files("shared.store").joinpath("log.sql").read_text(encoding="utf-8")


def _schema_sql(schema: str) -> str:
    """The log's DDL (shared/store/log.sql) for one schema."""
    return _LOG_SQL.replace("{schema}", checked_identifier(schema))


async def migrate(pool: asyncpg.Pool[asyncpg.Record], schema: str, extra_sql: str = "") -> None:
    """Create the log's schema and tables; safe to run from several replicas at once."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key("migrate", schema))
        await conn.execute(_schema_sql(schema) + extra_sql)


def _stamp(column: str) -> str:
    # As `shared.store.hashing` spells a time, and as `append_sealed` stamps it.
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def _row_to_event(row: asyncpg.Record) -> StoredEvent:
    # Every query here selects EVENT_COLUMNS, StoredEvent's fields in order; bytea arrives as
    # bytes. Unpacking is the cheapest way to build one (a verify builds millions).
    return StoredEvent(*row)


_Outcome = (
    list[AppendResult] | WrongExpectedVersion | EventIdReused | StoreUnavailable | EventRefused
)


@dataclass
class _Pending:
    unit: Sequence[AppendRequest]
    future: asyncio.Future[list[AppendResult]]
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = sum(len(request.events) for request in self.unit)


class PostgresEventStore:
    """The log of one service, in `<schema>.events`. Call `migrate` once before use."""

    def __init__(
        self, pool: asyncpg.Pool[asyncpg.Record], schema: str, *, max_batch_events: int = 2000
    ) -> None:
        self.pool = pool
        self.schema = checked_identifier(schema)
        self.channel = f"{schema}_appended"
        self.max_batch_events = max_batch_events
        self.appended = asyncio.Event()
        """Set after every commit, for in-process tailers (the relay) that want no poll delay."""
        self.group_commits: Counter[str] = Counter()
        """Transactions by how they were decided: "sealed" in the database in one round trip,
        or "checked" unit by unit (a batch holding a retry or a refusal)."""
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._lock_key = lock_key("append", schema)
        # Everything the group commit needs to know, read in one statement after the lock:
        # the head, each stream's version (an index probe per stream), which ids exist.
        self._sql_check = f"""
            SELECT clock_timestamp() AS now, h.position, h.hash,
                   ARRAY(SELECT coalesce((SELECT e.stream_version FROM {schema}.events e
                                          WHERE e.stream_id = s.id
                                          ORDER BY e.stream_version DESC LIMIT 1), 0)
                         FROM unnest($1::text[]) WITH ORDINALITY AS s(id, n) ORDER BY s.n)
                       AS versions,
                   ARRAY(SELECT event_id FROM {schema}.events WHERE event_id = ANY($2::uuid[]))
                       AS existing
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (SELECT position, hash FROM {schema}.events
                               ORDER BY position DESC LIMIT 1) AS h ON true"""
        self._sql_by_ids = (
            f"SELECT {_COLUMNS} FROM {schema}.events WHERE event_id = ANY($1::uuid[])"
        )
        # The insert and the notification in one statement (the notification goes out at commit).
        self._sql_insert = (
            f"WITH inserted AS (INSERT INTO {schema}.events ({_COLUMNS}) SELECT * FROM unnest("
            "$1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[], $6::integer[], "
            "$7::timestamptz[], $8::timestamptz[], $9::json[], $10::json[], $11::bytea[], "
            "$12::bytea[]) RETURNING position) "
            "SELECT pg_notify($13, (SELECT max(position) FROM inserted)::text)"
        )
        self._sql_append_sealed = (
            f"SELECT * FROM {schema}.append_sealed("
            + ", ".join(f"${i}" for i in range(1, 16))
            + ")"
        )
        self._sql_begin = f"BEGIN; SELECT pg_advisory_xact_lock({self._lock_key})"
        self._conn: PoolConnectionProxy[asyncpg.Record] | None = None

    async def migrate(self) -> None:
        await migrate(self.pool, self.schema)

    # -- appending -------------------------------------------------------------------------

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None = None
    ) -> AppendResult:
        [result] = await self.append_all([AppendRequest(stream_id, events, expected_version)])
        return result

    async def append_all(self, requests: Sequence[AppendRequest]) -> list[AppendResult]:
        """Append atomically; waits for the group commit that carries this unit."""
        return await self.submit(requests)

    def submit(self, requests: Sequence[AppendRequest]) -> asyncio.Future[list[AppendResult]]:
        if not requests or any(not request.events for request in requests):
            raise ValueError("nothing to append")
        future: asyncio.Future[list[AppendResult]] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(requests, future))
        self._wake.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_forever(), name=f"{self.schema}-writer")
        return future

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        for pending in self._queue:
            if not pending.future.done():
                pending.future.set_exception(StoreUnavailable("store closed"))
        self._queue.clear()
        if self._conn is not None:
            await self.pool.release(self._conn)
            self._conn = None

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = self._take_batch()
                await self._commit(batch)

    def _take_batch(self) -> list[_Pending]:
        batch, size = [self._queue.pop(0)], 0
        size = batch[0].size
        while self._queue and size + self._queue[0].size <= self.max_batch_events:
            pending = self._queue.pop(0)
            size += pending.size
            batch.append(pending)
        return batch

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            outcomes = await self._commit_batch(batch)
        except Exception as error:
            if len(batch) > 1 and _one_unit_may_cause(error):
                # One unit's content must not fail the units that shared its transaction:
                # commit each alone, so only the one that carries it fails.
                log.warning("group commit refused (%r); committing its units one by one", error)
                for pending in batch:
                    await self._commit([pending])
                return
            outcomes = [_failure(error)] * len(batch)
        for pending, outcome in zip(batch, outcomes, strict=True):
            if pending.future.done():  # the caller went away (cancelled request)
                continue
            if isinstance(outcome, Exception):
                pending.future.set_exception(outcome)
            else:
                pending.future.set_result(outcome)
        self.appended.set()

    async def _commit_batch(self, batch: list[_Pending]) -> list[_Outcome]:
        requests = [request for pending in batch for request in pending.unit]
        ids = [event.event_id for request in requests for event in request.events]
        if len(set(ids)) == len(ids):  # a repeated id needs a decision per unit
            sealed = await self._append_sealed(requests)
            if sealed is not None:
                self.group_commits["sealed"] += 1
                return _split(batch, sealed)
        outcomes = await self._check_and_commit(batch)
        self.group_commits["checked"] += 1
        return outcomes

    async def _append_sealed(self, requests: list[AppendRequest]) -> list[StoredEvent] | None:
        """The whole batch in one round trip, sealed by the database's `append_sealed`; None
        when something in it must be refused or recognised (nothing was written then)."""
        streams = sorted({request.stream_id for request in requests})
        stream_index = {stream: index for index, stream in enumerate(streams, start=1)}
        events = [(request.stream_id, event) for request in requests for event in request.events]
        parts = [
            canonical_parts(
                event.event_id,
                stream_id,
                event.type,
                event.schema_version,
                event.occurred_at,
                event.data,
                event.metadata,
            )
            for stream_id, event in events
        ]
        for part, (_, event) in zip(parts, events, strict=True):
            _refuse_nul(part.data, part.metadata, event)
        conn = await self._writer_connection()
        try:
            row = await conn.fetchrow(
                self._sql_append_sealed,
                self._lock_key,
                self.channel,
                streams,
                [stream_index[request.stream_id] for request in requests],
                [request.expected_version for request in requests],
                [len(request.events) for request in requests],
                [event.event_id for _, event in events],
                [event.type for _, event in events],
                [event.schema_version for _, event in events],
                [event.occurred_at for _, event in events],
                [part.data.decode() for part in parts],
                [part.metadata.decode() for part in parts],
                [part.head for part in parts],
                [part.middle for part in parts],
                [part.tail for part in parts],
            )
        except BaseException:
            await self._discard_writer_connection()
            raise
        assert row is not None
        if row["outcome"] != "ok":
            return None
        position, prev_hash, recorded_at = (
            row["first_position"],
            row["prev_hash"],
            row["recorded_at"],
        )
        stored = []
        for (stream_id, event), version, seal in zip(
            events, row["stream_versions"], row["hashes"], strict=True
        ):
            stored.append(
                StoredEvent(
                    position=position,
                    event_id=event.event_id,
                    stream_id=stream_id,
                    stream_version=version,
                    type=event.type,
                    schema_version=event.schema_version,
                    occurred_at=event.occurred_at,
                    recorded_at=recorded_at,
                    data=event.data,
                    metadata=event.metadata,
                    prev_hash=prev_hash,
                    hash=seal,
                )
            )
            position, prev_hash = position + 1, seal
        return stored

    async def _check_and_commit(self, batch: list[_Pending]) -> list[_Outcome]:
        """One transaction for the whole batch, deciding unit by unit, in four round trips on
        the writer's own connection: begin and lock; check; insert and notify; commit."""
        streams = sorted({r.stream_id for p in batch for r in p.unit})
        ids = [e.event_id for p in batch for r in p.unit for e in r.events]
        conn = await self._writer_connection()
        try:
            await conn.execute(self._sql_begin)
            check = await conn.fetchrow(self._sql_check, streams, ids)
            assert check is not None
            existing: dict[UUID, StoredEvent] = {}
            if check["existing"]:
                rows = await conn.fetch(self._sql_by_ids, check["existing"])
                existing = {row["event_id"]: _row_to_event(row) for row in rows}
            builder = BatchBuilder(
                LogHead(check["position"] or 0, bytes(check["hash"] or GENESIS_HASH)),
                check["now"],
                existing,
                dict(zip(streams, check["versions"], strict=True)),
            )
            outcomes: list[_Outcome] = [builder.add(pending.unit) for pending in batch]
            if builder.rows:
                await conn.execute(self._sql_insert, *_columns(builder.rows), self.channel)
            await conn.execute("COMMIT")
        except BaseException:
            await self._discard_writer_connection()
            raise
        return outcomes

    async def _writer_connection(self) -> PoolConnectionProxy[asyncpg.Record]:
        # Kept across batches: no pool round trip, and its prepared statements stay warm.
        if self._conn is None:
            conn = await self.pool.acquire()
            # The batch statements are index probes whatever their arguments: planning them
            # afresh each time (PostgreSQL's default for the first executions) costs more than
            # running them.
            await conn.execute("SET plan_cache_mode = force_generic_plan")
            self._conn = conn
        return self._conn

    async def _discard_writer_connection(self) -> None:
        """After a failure the connection may be mid-transaction or broken: drop it."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if not conn.is_closed() and conn.is_in_transaction():
                await conn.execute("ROLLBACK", timeout=2)
            await self.pool.release(conn, timeout=2)
        except Exception:
            conn.terminate()
            with contextlib.suppress(Exception):
                await self.pool.release(conn, timeout=1)

    # -- reading ---------------------------------------------------------------------------

    async def restore(self, events: Sequence[StoredEvent]) -> None:
        """Put recorded events back as they were (positions, times, hashes), after the log's
        head: an exported log loaded into a database of its own for an auditor's replay. The
        chain is the caller's to have verified; the table's keys refuse a position taken."""
        if events:
            await self.pool.execute(self._sql_insert, *_columns(list(events)), self.channel)

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM {self.schema}.events "
            "WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version",
            stream_id,
            from_version,
        )
        return [_row_to_event(row) for row in rows]

    async def read_all(
        self, from_position: int = 1, to_position: int | None = None, page_size: int = 1000
    ) -> AsyncIterator[StoredEvent]:
        """Every event from `from_position` on, in order, a page at a time (keyset paging)."""
        sql = (
            f"SELECT {_COLUMNS} FROM {self.schema}.events "
            "WHERE position >= $1 AND position <= $2 ORDER BY position LIMIT $3"
        )
        async for rows in self._pages(sql, from_position, to_position, page_size):
            for row in rows:
                yield _row_to_event(row)

    async def read_sealed(
        self, from_position: int = 1, to_position: int | None = None, page_size: int = 5000
    ) -> AsyncIterator[list[asyncpg.Record]]:
        """Pages of (position, prev_hash, hash, canonical form as the columns spell it), for
        checking the chain without decoding a row. A row whose JSON was stored in another
        spelling (a log from before json columns) does not hash to its seal this way: see
        `shared.audit.stored`.

        Spelling the rows is the database's work, more than the caller's hashing: pages are
        asked for by position range, `SEALED_PAGES_AHEAD` at a time, so that as many server
        processes spell them side by side. Rows appended after the head read at the start
        follow in keyset pages, as `read_all` reads them."""
        spelled = f"""
            SELECT position, prev_hash, hash, convert_to(
                '{{"data":' || data::text || ',"event_id":"' || event_id::text
                || '","metadata":' || metadata::text
                || ',"occurred_at":"' || {_stamp("occurred_at")}
                || '","position":' || position::text
                || ',"recorded_at":"' || {_stamp("recorded_at")}
                || '","schema_version":' || schema_version::text
                || ',"stream_id":' || to_json(stream_id)::text
                || ',"stream_version":' || stream_version::text
                || ',"type":' || to_json(type)::text || '}}', 'UTF8')
            FROM {self.schema}.events"""
        by_range = spelled + " WHERE position BETWEEN $1 AND $2 ORDER BY position"
        last = to_position if to_position is not None else (await self.head()).position
        firsts = iter(range(max(from_position, 1), last + 1, page_size))
        pending: deque[asyncio.Future[list[asyncpg.Record]]] = deque()

        def ask_next() -> None:
            first = next(firsts, None)
            if first is not None:
                end = min(first + page_size - 1, last)
                pending.append(asyncio.ensure_future(self.pool.fetch(by_range, first, end)))

        try:
            for _ in range(SEALED_PAGES_AHEAD):
                ask_next()
            while pending:
                rows = await pending.popleft()
                ask_next()
                if rows:
                    yield rows
        finally:
            for page in pending:  # the caller stopped early
                page.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await page
        if to_position is None:
            keyset = spelled + " WHERE position >= $1 AND position <= $2 ORDER BY position LIMIT $3"
            async for rows in self._pages(keyset, max(from_position, last + 1), None, page_size):
                yield rows

    async def _pages(
        self, sql: str, from_position: int, to_position: int | None, page_size: int
    ) -> AsyncIterator[list[asyncpg.Record]]:
        """Keyset pages of `sql` (positions $1..$2, $3 rows, the position first in each row)."""
        position = max(from_position, 1)
        last = to_position if to_position is not None else 2**62
        if position > last:
            return
        # The next page is asked for before this one is handed out, so PostgreSQL reads it
        # while the caller works (measured: a verify waited about a third of its time).
        page: asyncio.Future[list[asyncpg.Record]] | None = asyncio.ensure_future(
            self.pool.fetch(sql, position, last, page_size)
        )
        try:
            while page is not None:
                rows = await page
                page = None
                if len(rows) == page_size and rows[-1][0] < last:
                    next_from = rows[-1][0] + 1
                    page = asyncio.ensure_future(self.pool.fetch(sql, next_from, last, page_size))
                yield rows
        finally:
            if page is not None:  # the caller stopped early
                page.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await page

    async def get_events(self, event_ids: Sequence[UUID]) -> dict[UUID, StoredEvent]:
        rows = await self.pool.fetch(self._sql_by_ids, list(event_ids))
        return {row["event_id"]: _row_to_event(row) for row in rows}

    async def head(self) -> LogHead:
        row = await self.pool.fetchrow(
            f"SELECT position, hash FROM {self.schema}.events ORDER BY position DESC LIMIT 1"
        )
        return (
            LogHead(0, GENESIS_HASH)
            if row is None
            else LogHead(row["position"], bytes(row["hash"]))
        )


def _one_unit_may_cause(error: Exception) -> bool:
    """A failure that may come from one unit alone: its content, or an integrity violation
    (which cannot happen while every writer takes the lock; if it does, it is isolated too)."""
    return is_content_error(error) or isinstance(error, asyncpg.IntegrityConstraintViolationError)


def _failure(error: Exception) -> EventRefused | StoreUnavailable:
    """What the units of a failed group commit are told."""
    if is_content_error(error):
        return EventRefused(f"the log cannot store this content: {error}")
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        log.error("integrity violation appending one unit: %r", error)
        return StoreUnavailable("the log refused the append")
    # Connection lost, server down, timeout: all may retry.
    log.warning("group commit failed: %r", error)
    return StoreUnavailable(str(error) or type(error).__name__)


def _split(batch: list[_Pending], stored: list[StoredEvent]) -> list[_Outcome]:
    """The sealed events of a batch, back to the units and requests they came in."""
    outcomes: list[_Outcome] = []
    at = 0
    for pending in batch:
        results = []
        for request in pending.unit:
            results.append(AppendResult(tuple(stored[at : at + len(request.events)])))
            at += len(request.events)
        outcomes.append(results)
    return outcomes


def _columns(rows: list[StoredEvent]) -> tuple[list[Any], ...]:
    # Stored as the chain spells them (json keeps the text), so a verify can hash the stored
    # text as it is.
    data = [canonical_json(r.data, reject_floats=False) for r in rows]
    metadata = [canonical_json(r.metadata, reject_floats=False) for r in rows]
    for row, data_json, metadata_json in zip(rows, data, metadata, strict=True):
        _refuse_nul(data_json, metadata_json, row)
    return (
        [r.position for r in rows],
        [r.event_id for r in rows],
        [r.stream_id for r in rows],
        [r.stream_version for r in rows],
        [r.type for r in rows],
        [r.schema_version for r in rows],
        [r.occurred_at for r in rows],
        [r.recorded_at for r in rows],
        [text.decode() for text in data],
        [text.decode() for text in metadata],
        [r.prev_hash for r in rows],
        [r.hash for r in rows],
    )


def _refuse_nul(data_json: bytes, metadata_json: bytes, event: NewEvent | StoredEvent) -> None:
    """json keeps `\\u0000` as written, where jsonb refused it; the log still refuses it, as
    PostgreSQL did (a content error, the unit's alone): no text column could hold it later."""
    spelled = b"\\u0000" in data_json or b"\\u0000" in metadata_json
    if spelled and (refused := nul_pointers({"data": event.data, "metadata": event.metadata})):
        raise asyncpg.exceptions.UntranslatableCharacterError(
            f"a NUL character (U+0000) cannot be stored (at {refused[0]})"
        )
