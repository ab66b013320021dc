"""Writing a read model: batches of events and the checkpoint in one transaction, in log order;
rebuilding it from the log. Nothing here knows NATS: the JetStream consumer, a catch-up from
the log, a replay and a time-travel view all hand events to the same writer.

Its guarantees:
- a batch of events and the projection's checkpoint are written in one PostgreSQL transaction,
  so a crash at any point replays harmlessly;
- events are applied strictly in log order: a position already applied is skipped (a
  redelivery), a position ahead of the checkpoint first pulls the missing ones from the
  PostgreSQL log (a stream may redeliver out of order, or have lost a message);
- an event the projection cannot apply is recorded in `projection_failures`, counted, and
  skipped, so one bad event does not stop the board;
- `rebuild()` reads the PostgreSQL log and swaps the new model in atomically.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

from shared.checkpoints import read_checkpoint, write_checkpoint
from shared.db import Conn, is_transient
from shared.event_types import EventTypes
from shared.privacy.keyring import Keyring
from shared.privacy.personal import sealed_subjects
from shared.privacy.sealing import open_data
from shared.projection.batch import StatementBatch
from shared.projection.protocol import Projection, Statement, StatementProjection
from shared.projection.versioning import (
    SET_POSITION,
    history_table,
    needs_position,
    version_tables,
    versioned_tables,
)
from shared.store.base import EventStore, StoredEvent
from shared.store.postgres import PostgresEventStore, lock_key

log = logging.getLogger(__name__)

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


class LogBehind(Exception):
    """A message names a position the log does not (yet) have: retry later."""


@dataclass(frozen=True)
class ReadModel:
    """One read model of a service and the log it is built from: the service's own log, or
    another service's for a feed (the reporting service's cross-service models)."""

    projection: Projection
    source: EventTypes
    source_schema: str

    @property
    def checkpoint(self) -> str:
        """The name the model's position is kept under, in whichever schema it is written."""
        return f"projection:{self.projection.name}"


Keep = Callable[[StoredEvent], bool]
"""Which events a rebuild applies (time travel: those recorded, or dated, by some moment)."""


class ReadModelWriter:
    def __init__(
        self,
        projection: Projection,
        *,
        pool: asyncpg.Pool[asyncpg.Record],
        schema: str,
        log_store: EventStore,
        event_types: EventTypes,
        keyring: Keyring | None = None,
    ) -> None:
        self.projection = projection
        self.keyring = keyring
        """Opens the personal fields of the events read (erased subjects read `erased-…`)."""
        # Asked once: isinstance against a runtime-checkable protocol is slow, per event.
        self._statements = projection if isinstance(projection, StatementProjection) else None
        self._commutes = bool(getattr(projection, "commutes_across_tables", False))
        self.pool = pool
        self.schema = schema
        self.log_store = log_store
        """The log followed: the service's own, or another service's for a feed."""
        self.event_types = event_types
        self.checkpoint_name = f"projection:{projection.name}"
        self.position = 0
        self.needs_rebuild = False
        """Set by `migrate` when the tables hold rows from before they kept their history."""
        self.failures_total = 0
        self._apply_lock = asyncio.Lock()
        self._advanced = asyncio.Condition()

    @classmethod
    def of(
        cls,
        model: ReadModel,
        pool: asyncpg.Pool[asyncpg.Record],
        schema: str,
        keyring: Keyring | None = None,
    ) -> ReadModelWriter:
        """A writer of `model` into `schema` (the live one, or a scratch schema)."""
        return cls(
            model.projection,
            pool=pool,
            schema=schema,
            log_store=PostgresEventStore(pool, model.source_schema),
            event_types=model.source,
            keyring=keyring,
        )

    async def migrate(self) -> None:
        """Create the read model's tables; safe to run from several replicas at once (`CREATE
        ... IF NOT EXISTS` alone is not: two can both find a table missing)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key("migrate", self.schema))
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            await conn.execute(self.projection.schema_sql(self.schema))
            await conn.execute(FAILURES_SQL.format(schema=self.schema))
            self.needs_rebuild = await version_tables(
                conn, self.schema, versioned_tables(self.projection)
            )
        self.position = await read_checkpoint(self.pool, self.schema, self.checkpoint_name)

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
            StatementBatch(conn, commutes_across_tables=self._commutes) as batch,
        ):
            position = await self._locked_checkpoint(conn)
            await self._load_keys(events)
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
        self, conn: Conn, batch: StatementBatch, position: int, until: int, careful: bool
    ) -> int:
        async for missing in self.log_store.read_all(position + 1, until):
            await self._apply_one(conn, batch, missing, careful)
            position = missing.position
        if position != until:
            raise LogBehind(f"log ends at {position}, a message names {until + 1}")
        return position

    async def _apply_page(
        self, conn: Conn, batch: StatementBatch, page: Sequence[StoredEvent], careful: bool
    ) -> None:
        await self._load_keys(page)
        for event in page:
            await self._apply_one(conn, batch, event, careful)

    async def _load_keys(self, events: Sequence[StoredEvent]) -> None:
        """Every key these events' sealed values need, in one query: not one per person met
        (a rebuild meets every person the log names)."""
        if self.keyring is None:
            return
        subjects = {
            subject
            for event in events
            if self.event_types.holds_personal(event.type)
            for subject in sealed_subjects(event.data)
        }
        await self.keyring.load(subjects)

    async def _apply_one(
        self, conn: Conn, batch: StatementBatch, event: StoredEvent, careful: bool
    ) -> None:
        data = event.data
        if self.event_types.holds_personal(event.type):
            data = await open_data(self.keyring, data)
        if not careful:
            model = self.event_types.to_model(event.type, event.schema_version, data)
            if self._statements is not None:
                await batch.add(_positioned(event, self._statements.statements(
                    self.schema, event, model)))  # fmt: skip
            else:
                await batch.flush()  # what came before must be written first
                await conn.execute(SET_POSITION, str(event.position))
                await self.projection.apply(conn, self.schema, event, model)
            return
        try:
            async with conn.transaction():  # a savepoint
                model = self.event_types.to_model(event.type, event.schema_version, data)
                await conn.execute(SET_POSITION, str(event.position))
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

    async def record_failure(
        self, position: int | None, event_id: object, subject: str | None, error: str
    ) -> None:
        """Set aside what could not be applied (an event, or a message that is none)."""
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
        keep: Keep | None = None,
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
        keep: Keep | None,
        *,
        careful: bool,
    ) -> int:
        async with (
            self.pool.acquire() as conn,
            conn.transaction(),
            StatementBatch(conn, commutes_across_tables=self._commutes) as batch,
        ):
            await self._locked_checkpoint(conn)
            histories = [history_table(table) for table in versioned_tables(self.projection)]
            tables = ", ".join(
                f"{self.schema}.{table}" for table in [*self.projection.tables, *histories]
            )
            await conn.execute(f"TRUNCATE {tables}")
            position = 0
            page: list[StoredEvent] = []
            async for event in self.log_store.read_all(1, to_position, page_size=page_size):
                if keep is None or keep(event):
                    page.append(event)
                position = event.position
                if len(page) >= page_size:
                    await self._apply_page(conn, batch, page, careful)
                    page = []
            await self._apply_page(conn, batch, page, careful)
            await batch.flush()
            await write_checkpoint(conn, self.schema, self.checkpoint_name, position)
        return position


def _positioned(event: StoredEvent, statements: list[Statement]) -> list[Statement]:
    """An event's statements, after the one setting its position when any of them reads it
    (an insert naming `sys_from` does not: a run of those stays one `executemany`)."""
    if any(needs_position(sql) for sql, _ in statements):
        return [(SET_POSITION, (str(event.position),)), *statements]
    return statements


async def rebuild_into(
    pool: asyncpg.Pool[asyncpg.Record],
    schema: str,
    model: ReadModel,
    *,
    to_position: int | None = None,
    keep: Keep | None = None,
    keyring: Keyring | None = None,
) -> int:
    """Build `model` from its log into `schema` (a scratch schema, a view in time): the one
    rebuild behind replays, drift checks and time travel. Returns the position reached."""
    writer = ReadModelWriter.of(model, pool, schema, keyring)
    await writer.migrate()
    return await writer.rebuild(to_position=to_position, keep=keep)
