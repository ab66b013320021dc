"""The reporting service as the system knew it at a recorded moment.

The live feeds answer with everything recorded so far, including corrections dated back: the
status of 31 May asked today counts a reversal recorded in September but dated 31 May. To show
what the steering group saw in June, the same queries read the feeds as they stood after the
last event each source log had recorded by then (`recorded_at <= T`).

The feeds' tables keep their history (`shared.projection.versioning`), so a moment is a schema
of views filtering the live tables by position: made in milliseconds whatever the size of the
logs, and read as fast as the live tables. Only when a live feed has not yet applied its log up
to that moment (stopped, or far behind) is the moment rebuilt from the source logs instead,
into tables of a scratch schema; both give the same rows.

A view is made once and shared: it is registered in `<schema>.time_travel_views` (by every
replica, through the database), reused while it is among the most recently used, and dropped
after that. A view is only made for a moment every append has settled past, so it never changes
afterwards and needs no invalidation.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import asyncpg

from shared.db import Conn
from shared.projection import ReadModel, rebuild_into
from shared.projection.versioning import create_views_at
from shared.runtime import Runtime
from shared.service import ServiceSpec
from shared.store.base import StoredEvent
from shared.store.postgres import checked_identifier, lock_key

VIEWS_KEPT = 4
"""Moments kept at most: a schema of views is made again in milliseconds (a rebuilt one holds
copies of the tables, and is what the limit is for)."""
FEED_POLL_SECONDS = 0.02

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
T = TypeVar("T")


class NotYetRecorded(Exception):
    """The moment is not in the past for every source log: appends may still land before it."""

    def __init__(self, recorded: datetime, now: datetime) -> None:
        super().__init__(
            f"{recorded.isoformat()} is not in the past (the database clock says "
            f"{now.isoformat()}); ask without as_of_recorded for what is known now"
        )
        self.recorded = recorded
        self.now = now


@dataclass(frozen=True)
class View:
    schema: str
    recorded: datetime
    positions: dict[str, int]
    """Per feed, the last position of its source log recorded by then."""


def as_utc(moment: datetime) -> datetime:
    """A timestamp without a zone is taken as UTC, the zone the log records in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(recorded: datetime) -> datetime:
    # Nothing is recorded before 1970, so earlier moments share its (empty) view, and view
    # names stay digits.
    return max(as_utc(recorded), _EPOCH)


class TimeTravel:
    def __init__(self, runtime: Runtime, *, kept: int = VIEWS_KEPT) -> None:
        self.runtime = runtime
        self.kept = kept
        self.registry = f"{runtime.schema}.time_travel_views"
        self.prefix = f"{runtime.schema}_asof_"
        self._building = asyncio.Lock()
        # Across replicas: one builds at a time, the others then find its view registered.
        self._lock_key = lock_key("time-travel", runtime.schema)
        self.models = models_fingerprint(runtime.spec)

    def schema_for(self, recorded: datetime) -> str:
        micros = (_moment(recorded) - _EPOCH) // _MICROSECOND
        return checked_identifier(f"{self.prefix}{micros}")

    async def query(self, recorded: datetime, read: Callable[[View], Awaitable[T]]) -> T:
        """`read` against the view as of `recorded`, building it if needed. A view dropped
        while it was read (evicted by another replica) is built again once."""
        recorded = _moment(recorded)
        for attempt in (1, 2):
            view = await self.view(recorded)
            try:
                return await read(view)
            except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
                if attempt == 2:
                    raise
                await self.runtime.pool.execute(
                    f"DELETE FROM {self.registry} WHERE schema_name = $1", view.schema
                )
        raise AssertionError("unreachable")

    async def view(self, recorded: datetime) -> View:
        recorded = _moment(recorded)
        schema = self.schema_for(recorded)
        found = await self._touch(schema, recorded)
        if found is not None:
            return found
        async with self._building, self.runtime.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", self._lock_key)
            try:
                return await self._build(conn, schema, recorded)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", self._lock_key)

    async def _touch(self, schema: str, recorded: datetime) -> View | None:
        """The registered view, marked as used now; None when there is none (yet)."""
        try:
            row = await self.runtime.pool.fetchrow(
                f"UPDATE {self.registry} SET used_at = clock_timestamp() "
                "WHERE schema_name = $1 AND models = $2 RETURNING positions",
                schema,
                self.models,
            )
        except asyncpg.UndefinedTableError:  # no view was ever built
            return None
        return None if row is None else View(schema, recorded, dict(row["positions"]))

    async def _build(self, conn: Conn, schema: str, recorded: datetime) -> View:
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {self.registry} (
                schema_name text        PRIMARY KEY,
                recorded_at timestamptz NOT NULL,
                positions   jsonb       NOT NULL,
                models      text        NOT NULL,
                built_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
                used_at     timestamptz NOT NULL DEFAULT clock_timestamp()
            )"""
        )
        # Another request (or replica) may have built it while this one waited for the lock.
        found = await self._touch(schema, recorded)
        if found is not None:
            return found
        await self._settled(conn, recorded)
        # A view built by other read-model code (before a deploy) is stale: build it anew.
        await conn.execute(f"DELETE FROM {self.registry} WHERE schema_name = $1", schema)
        await self._drop_unregistered(conn)
        models = self.runtime.spec.read_models(self.runtime.settings)
        positions = {
            model.projection.name: await _last_recorded(conn, model.source_schema, recorded)
            for model in models
        }
        if await self._feeds_reach(positions):
            async with conn.transaction():
                await conn.execute(f"CREATE SCHEMA {schema}")
                for model in models:
                    await create_views_at(
                        conn,
                        self.runtime.schema,
                        schema,
                        model.projection.tables,
                        positions[model.projection.name],
                    )
        else:
            positions = await self._rebuild(schema, recorded, models)
        # Registered only once complete: readers never see a view half built.
        await conn.execute(
            f"INSERT INTO {self.registry} (schema_name, recorded_at, positions, models) "
            "VALUES ($1, $2, $3, $4)",
            schema,
            recorded,
            positions,
            self.models,
        )
        await self._evict(conn)
        return View(schema, recorded, positions)

    async def _feeds_reach(self, positions: dict[str, int]) -> bool:
        """Whether each live feed has applied its source log up to `positions`, waiting up to
        the read wait for one that is close behind (checkpoints are shared by the replicas)."""
        names = [f"projection:{name}" for name in positions]
        deadline = asyncio.get_running_loop().time() + self.runtime.settings.read_wait_seconds
        while True:
            rows = await self.runtime.pool.fetch(
                f"SELECT name, position FROM {self.runtime.schema}.checkpoints "
                "WHERE name = ANY($1::text[])",
                names,
            )
            reached = {row["name"]: row["position"] for row in rows}
            if all(reached.get(f"projection:{name}", 0) >= at for name, at in positions.items()):
                return True
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(FEED_POLL_SECONDS)

    async def _rebuild(
        self, schema: str, recorded: datetime, models: list[ReadModel]
    ) -> dict[str, int]:
        positions: dict[str, int] = {}
        for model in models:
            last: list[int] = [0]
            await rebuild_into(self.runtime.pool, schema, model, keep=_recorded_by(recorded, last))
            positions[model.projection.name] = last[0]
        return positions

    async def _settled(self, conn: Conn, recorded: datetime) -> None:
        """Raise NotYetRecorded unless no append can still record an event at or before
        `recorded`. An append takes its log's advisory lock, then stamps `recorded_at` from the
        clock, then commits: once a shared hold on each lock is granted, every append stamped
        earlier has committed, and every later one will be stamped after the clock read here."""
        async with conn.transaction():
            for feed in sorted(self.runtime.spec.feeds, key=lambda f: f.source.service):
                source = self.runtime.settings.schema_for(feed.source.service)
                await conn.execute(
                    "SELECT pg_advisory_xact_lock_shared($1)", lock_key("append", source)
                )
            now: datetime = await conn.fetchval("SELECT clock_timestamp()")
        if recorded >= now:
            raise NotYetRecorded(recorded, now)

    async def _drop_unregistered(self, conn: Conn) -> None:
        """Views whose build was cut short (a crash, a cancelled request) or whose row is gone.
        Safe under the lock: no other build is running, and readers use registered views."""
        rows = await conn.fetch(
            f"SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) "
            f"AND nspname NOT IN (SELECT schema_name FROM {self.registry})",
            self.prefix,
        )
        for row in rows:
            # Only this module's names (prefix + digits): a replay into, say, `..._asof_june`
            # belongs to someone else.
            if row["nspname"][len(self.prefix) :].isdigit():
                await conn.execute(
                    f"DROP SCHEMA IF EXISTS {checked_identifier(row['nspname'])} CASCADE"
                )

    async def _evict(self, conn: Conn) -> None:
        rows = await conn.fetch(
            f"DELETE FROM {self.registry} WHERE schema_name IN (SELECT schema_name FROM "
            f"{self.registry} ORDER BY used_at DESC OFFSET $1) RETURNING schema_name",
            self.kept,
        )
        for row in rows:
            await conn.execute(
                f"DROP SCHEMA IF EXISTS {checked_identifier(row['schema_name'])} CASCADE"
            )


def models_fingerprint(spec: ServiceSpec) -> str:
    """Identifies the code that builds the feeds' tables (each projection's module: its DDL and
    how it applies events), so views survive restarts but not a change of that code."""
    digest = hashlib.sha256()
    for feed in spec.feeds:
        module = sys.modules[type(feed.projection).__module__]
        try:
            digest.update(inspect.getsource(module).encode())
        except (OSError, TypeError):  # no source at hand: the DDL at least
            digest.update(feed.projection.schema_sql("s").encode())
    return digest.hexdigest()[:16]


async def _last_recorded(conn: Conn, source_schema: str, recorded: datetime) -> int:
    """The last position of a log recorded by `recorded` (0 when none was)."""
    position = await conn.fetchval(
        f"SELECT position FROM {checked_identifier(source_schema)}.events "
        "WHERE recorded_at <= $1 ORDER BY recorded_at DESC, position DESC LIMIT 1",
        recorded,
    )
    return int(position or 0)


def _recorded_by(recorded: datetime, last: list[int]) -> Callable[[StoredEvent], bool]:
    """Keeps the events recorded by `recorded`, noting the last position kept in `last[0]`."""

    def keep(event: StoredEvent) -> bool:
        if event.recorded_at > recorded:
            return False
        last[0] = max(last[0], event.position)
        return True

    return keep
