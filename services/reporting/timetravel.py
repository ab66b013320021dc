"""The reporting service as the system knew it at a recorded moment.

The live feeds answer with everything recorded so far, including corrections dated back: the
status of 31 May asked today counts a reversal recorded in September but dated 31 May. To show
what the steering group saw in June, the same queries read the feeds as they stood after the
last event each source log had recorded by then (`recorded_at <= T`).

The feeds' tables keep their history (`shared.projection.versioning`), so a past moment is a
filter on the live tables, not a rebuild. `<schema>__as_of` holds one view per feed table that
shows it as of the position the reading transaction sets for that feed (`ptrack.as_of_<feed>`);
a read sets the four positions and runs the usual queries against that schema. Nothing is made
per moment: the first question about a moment costs what any other does.

The views are made when the service starts, and again whenever the feeds' tables change shape
(a deploy) or were replaced (a swap drops what depends on them). Tables a projection keeps no
history of (`unversioned_tables`) are shown as they stand. The views name the tables' columns:
a read-model migration that drops or retypes a column must drop `<schema>__as_of` first.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from shared.db import Conn
from shared.projection.versioning import views_sql
from shared.runtime import Runtime
from shared.store.postgres import checked_identifier, lock_key

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SET_AS_OF = "SELECT set_config('ptrack.as_of_' || $1::text, $2::text, true)"
T = TypeVar("T")

_AS_OF_FUNCTION = """
CREATE FUNCTION {v}.as_of(feed text) RETURNS bigint LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    position text := current_setting('ptrack.as_of_' || feed, true);
BEGIN
    IF position IS NULL OR position = '' THEN
        RAISE EXCEPTION 'no position to read % as of (set ptrack.as_of_%)', feed, feed;
    END IF;
    RETURN position::bigint;
END $fn$;
"""


class NotYetRecorded(Exception):
    """The moment is not in the past for every source log: appends may still land before it."""

    def __init__(self, recorded: datetime, now: datetime) -> None:
        super().__init__(
            f"{recorded.isoformat()} is not in the past (the database clock says "
            f"{now.isoformat()}); ask without as_of_recorded for what is known now"
        )
        self.recorded = recorded
        self.now = now


class FeedsBehind(Exception):
    """A live feed has not yet applied its source log up to the moment asked about."""

    def __init__(self, behind: dict[str, int]) -> None:
        super().__init__(
            "the reporting feeds have not yet applied what was recorded by then: "
            + ", ".join(f"{name} up to position {at}" for name, at in behind.items())
        )
        self.behind = behind


@dataclass(frozen=True)
class View:
    schema: str
    recorded: datetime
    positions: dict[str, int]
    """Per feed, the last position of its source log recorded by then."""


def as_utc(moment: datetime) -> datetime:
    """A timestamp without a zone is taken as UTC, the zone the log records in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class TimeTravel:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.schema = checked_identifier(f"{runtime.schema}__as_of")
        self._ready = False
        self._making = asyncio.Lock()
        # Across replicas: one makes the views at a time, the others then find them made.
        self._lock_key = lock_key("time-travel", runtime.schema)

    @classmethod
    async def ready(cls, runtime: Runtime) -> TimeTravel:
        """Time travel over the runtime's feeds, its views made."""
        travel = cls(runtime)
        await travel._views_ready()
        return travel

    async def query(self, recorded: datetime, read: Callable[[Conn, View], Awaitable[T]]) -> T:
        """`read(conn, view)` with `conn` reading `view.schema` as of `recorded`. Views dropped
        under it (a swap, a deploy) are made again once."""
        recorded = max(as_utc(recorded), _EPOCH)  # nothing is recorded before 1970
        for attempt in (1, 2):
            await self._views_ready(again=attempt == 2)
            async with self.runtime.pool.acquire() as conn:
                positions = await self._positions(conn, recorded)
                await self._feeds_reach(positions)
                try:
                    async with conn.transaction(readonly=True):
                        for name, position in positions.items():
                            await conn.execute(SET_AS_OF, name, str(position))
                        return await read(conn, View(self.schema, recorded, positions))
                except (asyncpg.UndefinedTableError, asyncpg.UndefinedFunctionError):
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    async def _positions(self, conn: Conn, recorded: datetime) -> dict[str, int]:
        """Per feed, the last position its source log recorded by `recorded`; NotYetRecorded
        unless no append can still record an event at or before it. An append takes its log's
        advisory lock, then stamps `recorded_at` from the clock, then commits: once a shared
        hold on each lock is granted, every append stamped earlier has committed, and every
        later one will be stamped after the clock read here."""
        feeds = sorted(self.runtime.spec.feeds, key=lambda f: f.source.service)
        async with conn.transaction():
            for feed in feeds:
                source = self.runtime.settings.schema_for(feed.source.service)
                await conn.execute(
                    "SELECT pg_advisory_xact_lock_shared($1)", lock_key("append", source)
                )
            now: datetime = await conn.fetchval("SELECT clock_timestamp()")
        if recorded >= now:
            raise NotYetRecorded(recorded, now)
        positions: dict[str, int] = {}
        for feed in feeds:
            source = checked_identifier(self.runtime.settings.schema_for(feed.source.service))
            # Stamps never go back along a log: the last one by then is the last position.
            position = await conn.fetchval(
                f"SELECT position FROM {source}.events WHERE recorded_at <= $1 "
                "ORDER BY recorded_at DESC, position DESC LIMIT 1",
                recorded,
            )
            positions[feed.projection.name] = int(position or 0)
        return positions

    async def _feeds_reach(self, positions: dict[str, int]) -> None:
        """Wait (up to the read wait) until each live feed has applied its source log up to
        `positions`: the views show what the feeds hold. The checkpoints are what every replica
        shares; this one's writers say when they get there."""
        behind = await self._behind(positions)
        if behind:
            timeout = self.runtime.settings.read_wait_seconds
            feeds = self.runtime.feeds
            await asyncio.gather(
                *(feeds[name].wait_for(at, timeout) for name, at in behind.items())
            )
            behind = await self._behind(positions)
        if behind:
            raise FeedsBehind(behind)

    async def _behind(self, positions: dict[str, int]) -> dict[str, int]:
        """The feeds whose checkpoint is short of `positions`, with the position each needs."""
        rows = await self.runtime.pool.fetch(
            f"SELECT name, position FROM {self.runtime.schema}.checkpoints "
            "WHERE name = ANY($1::text[])",
            [f"projection:{name}" for name in positions],
        )
        reached = {row["name"].removeprefix("projection:"): row["position"] for row in rows}
        return {name: at for name, at in positions.items() if reached.get(name, 0) < at}

    # -- the views ----------------------------------------------------------------------------

    async def _views_ready(self, *, again: bool = False) -> None:
        if self._ready and not again:
            return
        async with self._making, self.runtime.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", self._lock_key)
            statements = await self._views_sql(conn)
            fingerprint = hashlib.sha256("\n".join(statements).encode()).hexdigest()[:16]
            made = await conn.fetchval(
                "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1",
                self.schema,
            )
            if made != fingerprint or again:
                await conn.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
                await conn.execute(f"CREATE SCHEMA {self.schema}")
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(f"COMMENT ON SCHEMA {self.schema} IS '{fingerprint}'")
            await self._drop_earlier_views(conn)
        self._ready = True

    async def _views_sql(self, conn: Conn) -> list[str]:
        """The DDL of the views, from the feeds' tables as they are now."""
        statements = [_AS_OF_FUNCTION.format(v=self.schema)]
        for feed in self.runtime.spec.feeds:
            name = checked_identifier(feed.projection.name)
            at = f"(SELECT {self.schema}.as_of('{name}'))"
            statements += await views_sql(
                conn, self.runtime.schema, self.schema, feed.projection, at
            )
        return statements

    async def _drop_earlier_views(self, conn: Conn) -> None:
        """What time travel made before its views (a schema rebuilt per moment, and their
        register), left by an earlier version."""
        prefix = f"{self.runtime.schema}_asof_"
        for row in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", prefix
        ):
            if row["nspname"][len(prefix) :].isdigit():
                await conn.execute(
                    f"DROP SCHEMA IF EXISTS {checked_identifier(row['nspname'])} CASCADE"
                )
        await conn.execute(f"DROP TABLE IF EXISTS {self.runtime.schema}.time_travel_views")
