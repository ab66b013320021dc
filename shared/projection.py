"""Projections: read models built from a service log, fed by a durable JetStream consumer.

The runner's guarantees:
- a batch of events and the projection's checkpoint are written in one PostgreSQL transaction,
  and messages are acked only after it commits, so a crash at any point replays harmlessly;
- events are applied strictly in log order: a position already applied is skipped (a
  redelivery), a position ahead of the checkpoint first pulls the missing ones from the
  PostgreSQL log (JetStream may redeliver out of order, or have lost a message);
- transient failures (database down) `nak` with a delay; an event the projection cannot apply
  is recorded in `projection_failures`, counted, and skipped, so one bad event does not stop
  the board; a message that is not an event at all is terminated and counted the same way;
- `rebuild()` reads the PostgreSQL log, not NATS, and swaps the new model in atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import asyncpg
import orjson
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared.bus import Bus
from shared.checkpoints import read_checkpoint, write_checkpoint
from shared.db import Conn, is_transient
from shared.envelope import from_cloudevent
from shared.event_types import EventModel, EventTypes
from shared.retry import keep_running
from shared.store.base import EventStore, StoredEvent
from shared.store.postgres import lock_key

log = logging.getLogger(__name__)


class Projection(Protocol):
    name: str
    tables: Sequence[str]
    """Tables the projection owns (emptied on rebuild), without schema."""

    def schema_sql(self, schema: str) -> str:
        """Idempotent DDL for the read model tables."""
        ...

    async def apply(
        self, conn: Conn, schema: str, event: StoredEvent, model: EventModel
    ) -> None: ...


Statement = tuple[str, tuple[Any, ...]]
"""SQL text and its arguments."""


@runtime_checkable
class StatementProjection(Projection, Protocol):
    """A projection that says what to write instead of writing it: the runner then sends the
    statements of many events together (consecutive identical statements as one `executemany`),
    which is what makes replaying a long log fast.

    A projection may also set `commutes_across_tables = True` when no statement depends on
    what another table holds (no reads of other tables, no foreign keys between them): the
    runner then keeps the order per table only, and batches far more."""

    def statements(self, schema: str, event: StoredEvent, model: EventModel) -> list[Statement]: ...


_WRITTEN_TABLE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([\w.\"]+)", re.IGNORECASE
)
_READS = re.compile(r"\b(?:SELECT|FROM|JOIN)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)  # a projection has a few statements, sent many times
def _commuting_table(sql: str) -> str | None:
    """The one table a statement writes without reading any: such statements on different
    tables may swap places. None for anything else (it then keeps its place in log order)."""
    match = _WRITTEN_TABLE.match(sql)
    if match is None or _READS.search(sql, match.end()):
        return None
    return match.group(1)


class _Batch:
    """Statements in log order, sent in as few round trips as that order allows. A run of
    statements is written while the caller goes on decoding the next events, so PostgreSQL
    and Python work at the same time; the connection still runs one statement at a time.

    For a projection whose writes to different tables commute (`commutes_across_tables`),
    the order is kept per table only: interleaved events of two kinds (bookings and hours)
    then go as one `executemany` per kind instead of a round trip per short run."""

    def __init__(self, conn: Conn, *, commutes_across_tables: bool = False) -> None:
        self.conn = conn
        self.commutes = commutes_across_tables
        self.runs: dict[str, list[tuple[Any, ...]]] = {}
        """Pending statements by SQL, in the order each SQL first came."""
        self.current: dict[str, str] = {}
        """The table each pending run writes, and its SQL."""
        self._sending: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Batch:
        return self

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        if error is None:
            await self.flush()
        elif self._sending is not None:
            # Failing anyway: let the write in flight end before the transaction rolls back.
            with contextlib.suppress(Exception):
                await self._sending

    async def add(self, statements: list[Statement]) -> None:
        for sql, args in statements:
            if self.commutes and (table := _commuting_table(sql)) is not None:
                # A different statement on a table with one pending must come after it.
                if self.current.get(table, sql) != sql:
                    await self._send()
                self.current[table] = sql
            elif sql not in self.runs or len(self.runs) > 1:
                await self._send()  # in log order: after everything pending
            self.runs.setdefault(sql, []).append(args)

    async def flush(self) -> None:
        """Write everything added so far, and wait until it is written."""
        await self._send()
        await self._written()

    async def _send(self) -> None:
        if not self.runs:
            return
        await self._written()
        runs = list(self.runs.items())
        self.runs, self.current = {}, {}
        self._sending = asyncio.create_task(self._write(runs))

    async def _write(self, runs: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        for sql, args in runs:
            await self.conn.executemany(sql, args)

    async def _written(self) -> None:
        sending, self._sending = self._sending, None
        if sending is not None:
            await sending


FAILURES_SQL = """
CREATE TABLE IF NOT EXISTS {schema}.checkpoints (
    name     text   PRIMARY KEY,
    position bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.projection_failures (
    id          bigserial   PRIMARY KEY,
    projection  text        NOT NULL,
    position    bigint,
    event_id    uuid,
    subject     text,
    error       text        NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);
"""


_FILL_SECONDS = 0.01
"""How long a batch fetch may wait for messages to fill it: the most a busy stream adds to an
event's way into the read model."""


class LogBehind(Exception):
    """A message names a position the log does not (yet) have: retry later."""


class ProjectionRunner:
    def __init__(
        self,
        projection: Projection,
        *,
        pool: asyncpg.Pool[asyncpg.Record],
        schema: str,
        log_store: EventStore,
        event_types: EventTypes,
        bus: Bus,
        batch_size: int = 256,
        catch_up_after_seconds: float = 3.0,
        consumer: str | None = None,
    ) -> None:
        self.projection = projection
        # Asked once: isinstance against a runtime-checkable protocol is slow, per event.
        self._statements = projection if isinstance(projection, StatementProjection) else None
        self._commutes = bool(getattr(projection, "commutes_across_tables", False))
        self.pool = pool
        self.schema = schema
        self.log_store = log_store
        """The log followed: the service's own, or another service's for a feed."""
        self.event_types = event_types
        self.bus = bus
        self.batch_size = batch_size
        self.catch_up_after_seconds = catch_up_after_seconds
        self.checkpoint_name = f"projection:{projection.name}"
        # The consuming service names the durable consumer; the source's subjects feed it.
        owner = consumer or event_types.service
        self.durable = f"{bus.stream.subject_prefix}-{owner}-{projection.name}"
        self.filter_subject = f"{bus.stream.subject_prefix}.{event_types.service}.>"
        self.position = 0
        self.failures_total = 0
        self._apply_lock = asyncio.Lock()
        self._advanced = asyncio.Condition()
        self._behind_since: float | None = None
        self.stopping = False
        """Set before cancelling: some client libraries turn a cancellation into an error, and
        the loop must not mistake that for a reason to retry."""

    async def migrate(self) -> None:
        """Create the read model's tables; safe to run from several replicas at once (`CREATE
        ... IF NOT EXISTS` alone is not: two can both find a table missing)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key("migrate", self.schema))
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            await conn.execute(self.projection.schema_sql(self.schema))
            await conn.execute(FAILURES_SQL.format(schema=self.schema))
        self.position = await read_checkpoint(self.pool, self.schema, self.checkpoint_name)

    # -- consuming -----------------------------------------------------------------------

    async def run(self) -> None:
        """Consume forever; returns when cancelled or stopping."""
        await keep_running(
            self._consume,
            what=f"projection {self.projection.name}",
            stopping=lambda: self.stopping,
            first_delay=0.2,
        )

    async def _consume(self) -> None:
        js = await self.bus.jetstream()
        subscription = await js.pull_subscribe(
            self.filter_subject,
            durable=self.durable,
            stream=self.bus.stream.name,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_ack_pending=10_000,
            ),
        )
        while not self.stopping:
            try:
                # What the stream holds now, or brings within a moment. Not longer: once a
                # message has come, a batch fetch goes on waiting until the batch is full or
                # its time is up, and that wait is every event's delay to the read model.
                messages = await subscription.fetch(self.batch_size, timeout=_FILL_SECONDS)
            except (NatsTimeout, TimeoutError):
                try:
                    # Quiet: wait for the next message alone, which returns as it arrives.
                    messages = await subscription.fetch(1, timeout=1.0)
                except (NatsTimeout, TimeoutError):
                    await self._catch_up_if_stalled()
                    continue
            await self.handle(messages)

    async def handle(self, messages: Sequence[Msg]) -> None:
        events: list[StoredEvent] = []
        for message in messages:
            try:
                events.append(from_cloudevent(orjson.loads(message.data)))
            except Exception as error:
                await self._record_failure(None, None, message.subject, f"undecodable: {error!r}")
                await message.term()
        if not events:
            return
        try:
            await self.apply(events)
        except Exception as error:
            if not (is_transient(error) or isinstance(error, LogBehind)):
                raise
            log.warning(
                "projection %s: transient failure, will retry: %r", self.projection.name, error
            )
            for message in messages:
                with contextlib.suppress(Exception):
                    await message.nak(delay=1.0)
            return
        for message in messages:
            with contextlib.suppress(Exception):
                await message.ack()

    async def _catch_up_if_stalled(self) -> None:
        """No messages came, yet the log may be ahead (NATS lost some, or the relay is down):
        after a grace period, read the rest from the log itself."""
        head = (await self.log_store.head()).position
        if head <= self.position:
            self._behind_since = None
            return
        now = time.monotonic()
        if self._behind_since is None:
            self._behind_since = now
        elif now - self._behind_since >= self.catch_up_after_seconds:
            await self.catch_up()
            self._behind_since = None

    async def catch_up(self) -> None:
        """Apply everything the log holds beyond the checkpoint, a page at a time."""
        page: list[StoredEvent] = []
        async for event in self.log_store.read_all(self.position + 1, page_size=1000):
            page.append(event)
            if len(page) == 1000:
                await self.apply(page)
                page = []
        if page:
            await self.apply(page)

    # -- applying ------------------------------------------------------------------------

    async def apply(self, events: Sequence[StoredEvent]) -> None:
        """Apply events in position order with the checkpoint, in one transaction."""
        async with self._apply_lock:
            try:
                position = await self._apply_batch(events, careful=False)
            except Exception as error:
                if is_transient(error) or isinstance(error, LogBehind):
                    raise
                # Some event in the batch cannot be applied: redo the batch one savepoint per
                # event, so only the bad one is set aside.
                position = await self._apply_batch(events, careful=True)
        await self._advance(position)

    async def _apply_batch(self, events: Sequence[StoredEvent], *, careful: bool) -> int:
        async with (
            self.pool.acquire() as conn,
            conn.transaction(),
            _Batch(conn, commutes_across_tables=self._commutes) as batch,
        ):
            position = await self._locked_checkpoint(conn)
            for event in sorted(events, key=lambda e: e.position):
                if event.position <= position:
                    continue
                if event.position > position + 1:
                    position = await self._fill_gap(
                        conn, batch, position, event.position - 1, careful
                    )
                await self._apply_one(conn, batch, event, careful)
                position = event.position
            await batch.flush()
            await write_checkpoint(conn, self.schema, self.checkpoint_name, position)
        return position

    async def _locked_checkpoint(self, conn: Conn) -> int:
        # Row lock: two workers sharing the consumer apply batches one after the other.
        select = f"SELECT position FROM {self.schema}.checkpoints WHERE name = $1 FOR UPDATE"
        value = await conn.fetchval(select, self.checkpoint_name)
        if value is None:  # the first batch ever: make the row (one round trip less after it)
            await conn.execute(
                f"INSERT INTO {self.schema}.checkpoints (name, position) VALUES ($1, 0) "
                "ON CONFLICT (name) DO NOTHING",
                self.checkpoint_name,
            )
            value = await conn.fetchval(select, self.checkpoint_name)
        return int(value)

    async def _fill_gap(
        self, conn: Conn, batch: _Batch, position: int, until: int, careful: bool
    ) -> int:
        async for missing in self.log_store.read_all(position + 1, until):
            await self._apply_one(conn, batch, missing, careful)
            position = missing.position
        if position != until:
            raise LogBehind(f"log ends at {position}, a message names {until + 1}")
        return position

    async def _apply_one(
        self, conn: Conn, batch: _Batch, event: StoredEvent, careful: bool
    ) -> None:
        if not careful:
            model = self.event_types.to_model(event.type, event.schema_version, event.data)
            if self._statements is not None:
                await batch.add(self._statements.statements(self.schema, event, model))
            else:
                await batch.flush()  # what came before must be written first
                await self.projection.apply(conn, self.schema, event, model)
            return
        try:
            async with conn.transaction():  # a savepoint
                model = self.event_types.to_model(event.type, event.schema_version, event.data)
                await self.projection.apply(conn, self.schema, event, model)
        except Exception as error:
            if is_transient(error):
                raise
            log.error(
                "projection %s cannot apply event %s at %d: %r",
                self.projection.name,
                event.event_id,
                event.position,
                error,
            )
            await self._insert_failure(conn, event.position, event.event_id, None, repr(error))

    async def _record_failure(
        self, position: int | None, event_id: object, subject: str | None, error: str
    ) -> None:
        async with self.pool.acquire() as conn:
            await self._insert_failure(conn, position, event_id, subject, error)

    async def _insert_failure(
        self,
        conn: Conn,
        position: int | None,
        event_id: object,
        subject: str | None,
        error: str,
    ) -> None:
        self.failures_total += 1
        await conn.execute(
            f"INSERT INTO {self.schema}.projection_failures "
            "(projection, position, event_id, subject, error) VALUES ($1, $2, $3, $4, $5)",
            self.projection.name,
            position,
            event_id,
            subject,
            error[:2000],
        )

    async def _advance(self, position: int) -> None:
        async with self._advanced:
            self.position = max(self.position, position)
            self._advanced.notify_all()

    async def wait_for(self, position: int, timeout: float = 10.0) -> bool:
        """Wait until the read model includes `position`; False on timeout."""
        if self.position >= position:  # asyncio.wait_for with no time left never runs it
            return True

        async def reached() -> None:
            async with self._advanced:
                await self._advanced.wait_for(lambda: self.position >= position)

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            return False
        return True

    # -- rebuilding ----------------------------------------------------------------------

    async def rebuild(
        self,
        page_size: int = 1000,
        *,
        to_position: int | None = None,
        keep: Callable[[StoredEvent], bool] | None = None,
    ) -> int:
        """Rebuild the read model from the PostgreSQL log in one transaction; readers see the
        old model until it commits. Returns the position reached.

        `to_position` stops at a position (to compare with a model that far); `keep` leaves
        events out (time travel: only what was recorded, or happened, by some moment). The
        checkpoint is the last position read either way, so a rebuild with `keep` is a view,
        not a model to go on consuming from."""
        async with self._apply_lock:
            try:
                position = await self._rebuild(page_size, to_position, keep, careful=False)
            except Exception as error:
                if is_transient(error):
                    raise
                position = await self._rebuild(page_size, to_position, keep, careful=True)
        async with self._advanced:
            self.position = position
            self._advanced.notify_all()
        return position

    async def _rebuild(
        self,
        page_size: int,
        to_position: int | None,
        keep: Callable[[StoredEvent], bool] | None,
        *,
        careful: bool,
    ) -> int:
        async with (
            self.pool.acquire() as conn,
            conn.transaction(),
            _Batch(conn, commutes_across_tables=self._commutes) as batch,
        ):
            await self._locked_checkpoint(conn)
            tables = ", ".join(f"{self.schema}.{table}" for table in self.projection.tables)
            await conn.execute(f"TRUNCATE {tables}")
            position = 0
            async for event in self.log_store.read_all(1, to_position, page_size=page_size):
                if keep is None or keep(event):
                    await self._apply_one(conn, batch, event, careful)
                position = event.position
            await batch.flush()
            await write_checkpoint(conn, self.schema, self.checkpoint_name, position)
        return position
