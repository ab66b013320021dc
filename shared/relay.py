"""The relay: the log is the outbox. It tails the log by position and publishes each event to
JetStream with `Nats-Msg-Id` = event id, and stores how far it got (when idle, and every
`checkpoint_interval_seconds` while busy, so no page waits for a commit).

- At-least-once with deduplication: a crash between publish and checkpoint republishes what
  went since the last save; JetStream drops it inside its duplicate window, consumers skip seen
  positions beyond.
- One active relay per log: it holds a session advisory lock on a dedicated connection; a second
  replica waits and takes over when that connection (or its process) dies.
- NATS or PostgreSQL being down only pauses it: it backs off and resumes from its checkpoint.
- Reconciliation: an acknowledged message is not necessarily a kept one (a server without
  fsync on every write can lose its tail in a crash; an operator may delete messages). When it
  becomes leader, after NATS reconnects, and every `reconcile_interval_seconds`, the relay
  counts the stream's messages on its service's subjects (one cheap request) and, only when the
  count is not what it expects, scans their headers for the positions that are gone and
  publishes those again from the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

import asyncpg
import orjson
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from shared.bus import Bus, ensure_stream, stored_messages
from shared.checkpoints import read_checkpoint, write_checkpoint
from shared.envelope import to_cloudevent
from shared.event_types import EventTypes
from shared.retry import keep_running
from shared.store.base import StoredEvent
from shared.store.postgres import PostgresEventStore, lock_key

log = logging.getLogger(__name__)

CHECKPOINT = "relay"
POSITION_HEADER = "Ptrack-Position"


class Relay:
    def __init__(
        self,
        store: PostgresEventStore,
        bus: Bus,
        event_types: EventTypes,
        *,
        dsn: str,
        batch_size: int = 500,
        ack_timeout: float = 5.0,
        idle_poll_seconds: float = 1.0,
        reconcile_interval_seconds: float = 30.0,
        checkpoint_interval_seconds: float = 0.2,
    ) -> None:
        self.store = store
        self.bus = bus
        self.dsn = dsn
        self.event_types = event_types
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.idle_poll_seconds = idle_poll_seconds
        self.reconcile_interval_seconds = reconcile_interval_seconds
        self.checkpoint_interval_seconds = checkpoint_interval_seconds
        self.position = 0
        self._saved = 0
        """The position last written as the checkpoint."""
        self._checkpoint_due = 0.0
        self.is_leader = False
        self.published_total = 0
        self.failures_total = 0
        self.last_publish_at: float | None = None
        self.reconciliations_total = 0
        """Reconciliations run (each at least one count of the stream's messages)."""
        self.reconciliation_scans_total = 0
        """Reconciliations whose count differed from the expected one, so the stream was read."""
        self.republished_total = 0
        """Events published again because the stream no longer held them."""
        self.last_reconciled_at: float | None = None
        self._lock_key = lock_key("relay", store.schema)
        self._subjects = f"{bus.stream.subject_prefix}.{event_types.service}.>"
        self._expected: int | None = None
        """How many messages the stream holds on our subjects, as far as this leader knows:
        the count at the last reconciliation plus every publish JetStream stored (not dropped
        as a duplicate) since. None until the first reconciliation of a leadership."""
        self._reconcile_due = True
        self._next_reconcile = 0.0
        self._reconnects_seen = 0
        self.stopping = False

    async def run(self) -> None:
        """Publish forever; returns when cancelled or stopping."""
        await keep_running(
            self._lead,
            what="relay",
            stopping=lambda: self.stopping,
            on_failure=self._failed,
        )

    def _failed(self, _: Exception) -> None:
        self.failures_total += 1
        self.is_leader = False

    async def _lead(self) -> None:
        conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(self.dsn)
        try:
            await self._become_leader(conn)
            self.is_leader = True
            await conn.add_listener(self.store.channel, self._on_notify)
            self.position = await read_checkpoint(self.store.pool, self.store.schema, CHECKPOINT)
            self._saved = self.position
            js = await self.bus.jetstream()
            await ensure_stream(js, self.bus.stream)
            # A new leader knows nothing of what the stream kept while it was not publishing
            # (a crash, a failure, another replica leading): check before trusting it.
            self._expected = None
            self._reconcile_due = True
            self._reconnects_seen = await self._reconnects()
            while not self.stopping:
                if conn.is_closed():
                    raise ConnectionError("lost the relay's leader connection")
                # Cleared before reading: an append from here on wakes the wait below, so a
                # short page needs no second, empty read to know the log was caught up.
                self.store.appended.clear()
                published = await self.publish_pending()
                if await self._reconnects() != self._reconnects_seen:
                    # The server may have come back without what it acknowledged before.
                    self._reconnects_seen = await self._reconnects()
                    self._reconcile_due = True
                if self._should_reconcile(published):
                    await self.reconcile()
                if not published:
                    await self.save_checkpoint()
                if published < self.batch_size:
                    await self._wait_for_appends()
        finally:
            self.is_leader = False
            if not conn.is_closed():  # still the leader: no one else moved the checkpoint
                with contextlib.suppress(Exception):
                    await self.save_checkpoint()
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    async def _become_leader(self, conn: asyncpg.Connection[asyncpg.Record]) -> None:
        """Another replica's relay leads while it holds the lock; ask again every second."""
        while True:
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
                return
            await asyncio.sleep(1.0)

    def _on_notify(self, *_: object) -> None:
        self.store.appended.set()

    async def _wait_for_appends(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.store.appended.wait(), self.idle_poll_seconds)

    async def _reconnects(self) -> int:
        return int((await self.bus.ready()).stats["reconnects"])

    def _should_reconcile(self, published: int) -> bool:
        now = time.monotonic()
        if not (self._reconcile_due or now >= self._next_reconcile) or not self.bus.connected:
            return False
        # Count only once caught up: messages a crashed leader published beyond its checkpoint
        # are then behind our position too, and the count is exact. A relay that never catches
        # up still reconciles, an interval late.
        caught_up = published < self.batch_size
        return caught_up or now >= self._next_reconcile + self.reconcile_interval_seconds

    async def publish_pending(self) -> int:
        """Publish the next page after the checkpoint; returns how many were published."""
        events = [
            event
            async for event in self.store.read_all(
                self.position + 1, self.position + self.batch_size, page_size=self.batch_size
            )
        ]
        if not events:
            return 0
        await self._publish(events, lambda event: str(event.event_id))
        self.position = events[-1].position
        self.published_total += len(events)
        self.last_publish_at = time.time()
        if time.monotonic() >= self._checkpoint_due:
            await self.save_checkpoint()
        return len(events)

    async def save_checkpoint(self) -> None:
        """Store how far the relay got, if it moved. Not after every page: a busy relay saves
        every `checkpoint_interval_seconds` and an idle one at once, so a page's way to NATS
        does not wait for a commit. A crash republishes what was published since the last
        save; JetStream drops those as duplicates (`Nats-Msg-Id`)."""
        if self._saved != self.position:
            await write_checkpoint(self.store.pool, self.store.schema, CHECKPOINT, self.position)
            self._saved = self.position
        self._checkpoint_due = time.monotonic() + self.checkpoint_interval_seconds

    async def _publish(
        self, events: list[StoredEvent], message_id: Callable[[StoredEvent], str]
    ) -> None:
        js = await self.bus.jetstream()
        prefix = self.bus.stream.subject_prefix
        service = self.event_types.service
        acks = []
        for event in events:
            subject = _subject(self.event_types, prefix, event.type)
            payload = orjson.dumps(to_cloudevent(event, service))
            headers = {"Nats-Msg-Id": message_id(event), POSITION_HEADER: str(event.position)}
            acks.append(await js.publish_async(subject, payload, headers=headers))
        # Every ack must come back before the checkpoint moves; a timeout republishes the page.
        async with asyncio.timeout(self.ack_timeout):
            answers = await asyncio.gather(*acks)
        if self._expected is not None:
            self._expected += sum(1 for answer in answers if not answer.duplicate)

    # -- reconciliation --------------------------------------------------------------------

    async def reconcile(self) -> int:
        """Make sure the stream holds every position up to the checkpoint; publish again the
        ones it lost. Returns how many events were republished."""
        js = await self.bus.jetstream()
        self.reconciliations_total += 1
        count, config = await self._count(js)
        expected = self.position if self._expected is None else self._expected
        republished = 0
        if count != expected:
            self.reconciliation_scans_total += 1
            missing = await self._missing(js, config, count)
            self._expected = count
            if missing:
                log.warning(
                    "relay %s: the stream lacks %d published position(s) (first %s); "
                    "publishing them again",
                    self.event_types.service,
                    len(missing),
                    missing[:10],
                )
                republished = await self._republish(missing)
        else:
            self._expected = count
        self._reconcile_due = False
        self._next_reconcile = time.monotonic() + self.reconcile_interval_seconds
        self.last_reconciled_at = time.time()
        return republished

    async def _count(self, js: JetStreamContext) -> tuple[int, StreamConfig]:
        """Messages on our subjects, by one stream info request that counts per subject."""
        name = self.bus.stream.name
        try:
            info = await js.stream_info(name, subjects_filter=self._subjects)
        except NotFoundError:  # deleted behind our back: everything we published is gone
            await ensure_stream(js, self.bus.stream)
            info = await js.stream_info(name, subjects_filter=self._subjects)
        return sum((info.state.subjects or {}).values()), info.config

    async def _missing(self, js: JetStreamContext, config: StreamConfig, count: int) -> list[int]:
        """Positions up to the checkpoint that no message on our subjects carries."""
        upto = self.position
        seen = bytearray(upto + 1)  # one byte per position: a million events cost a megabyte
        if count:
            await self._scan(js, seen)
        present = [p for p in range(1, upto + 1) if seen[p]]
        # A stream with retention limits drops old messages on purpose: only positions from the
        # oldest it still holds are owed. Without limits (ours), every position is.
        first = (present[0] if present else upto + 1) if _has_limits(config) else 1
        return [p for p in range(first, upto + 1) if not seen[p]]

    async def _scan(self, js: JetStreamContext, seen: bytearray) -> None:
        # Headers only: the position is a header, so the payloads need not travel.
        messages = stored_messages(js, self.bus.stream.name, self._subjects, headers_only=True)
        async for batch in messages:
            for message in batch:
                position = await self._position_of(js, message)
                if position is not None and 0 < position < len(seen):
                    seen[position] = 1

    async def _position_of(self, js: JetStreamContext, message: Msg) -> int | None:
        value = (message.headers or {}).get(POSITION_HEADER)
        with contextlib.suppress(ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            if value is not None:
                return int(value)
            # Published without the header (by hand?): the payload names the position.
            stored = await js.get_msg(self.bus.stream.name, message.metadata.sequence.stream)
            return int(orjson.loads(stored.data or b"{}")["position"])
        return None

    async def _republish(self, missing: list[int]) -> int:
        # JetStream remembers every Nats-Msg-Id for its duplicate window, also of a message
        # deleted since: a copy under the event id alone would be dropped as a duplicate. The
        # suffix is new for every reconciliation; consumers read the id from the payload.
        suffix = f":r{time.time_ns() // 1_000_000}"
        republished = 0
        for low, high in _ranges(missing):
            page: list[StoredEvent] = []
            async for event in self.store.read_all(low, high, page_size=self.batch_size):
                page.append(event)
                if len(page) == self.batch_size:
                    await self._publish(page, lambda e: f"{e.event_id}{suffix}")
                    republished += len(page)
                    page = []
            if page:
                await self._publish(page, lambda e: f"{e.event_id}{suffix}")
                republished += len(page)
        self.republished_total += republished
        return republished


def _has_limits(config: StreamConfig) -> bool:
    limits = (config.max_msgs, config.max_bytes, config.max_age, config.max_msgs_per_subject)
    return any(limit is not None and limit > 0 for limit in limits)


def _ranges(positions: list[int]) -> list[tuple[int, int]]:
    """Sorted positions as inclusive runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for position in positions:
        if runs and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


def _subject(event_types: EventTypes, prefix: str, type_name: str) -> str:
    try:
        return event_types.subject(prefix, type_name)
    except LookupError:
        # An event type retired from the code still flows, under an `unknown` category.
        return f"{prefix}.{event_types.service}.unknown.{type_name}"
