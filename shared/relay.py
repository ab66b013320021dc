"""The relay: the log is the outbox. It tails the log by position and publishes each event to
JetStream with `Nats-Msg-Id` = event id, then stores how far it got.

- At-least-once with deduplication: a crash between publish and checkpoint republishes a few
  events; JetStream drops them inside its duplicate window, consumers skip seen positions beyond.
- One active relay per log: it holds a session advisory lock on a dedicated connection; a second
  replica waits and takes over when that connection (or its process) dies.
- NATS or PostgreSQL being down only pauses it: it backs off and resumes from its checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg
import orjson

from shared.bus import Bus, ensure_stream
from shared.checkpoints import read_checkpoint, write_checkpoint
from shared.envelope import to_cloudevent
from shared.registry import EventTypes
from shared.retry import keep_running
from shared.store.base import StoredEvent
from shared.store.postgres import PostgresEventStore, lock_key

log = logging.getLogger(__name__)

CHECKPOINT = "relay"


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
    ) -> None:
        self.store = store
        self.bus = bus
        self.dsn = dsn
        self.event_types = event_types
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.idle_poll_seconds = idle_poll_seconds
        self.position = 0
        self.is_leader = False
        self.published_total = 0
        self.failures_total = 0
        self.last_publish_at: float | None = None
        self._lock_key = lock_key("relay", store.schema)
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
            js = await self.bus.jetstream()
            await ensure_stream(js, self.bus.stream)
            while not self.stopping:
                if conn.is_closed():
                    raise ConnectionError("lost the relay's leader connection")
                if not await self.publish_pending():
                    await self._wait_for_appends()
        finally:
            self.is_leader = False
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
        self.store.appended.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.store.appended.wait(), self.idle_poll_seconds)

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
        await self._publish(events)
        await write_checkpoint(self.store.pool, self.store.schema, CHECKPOINT, events[-1].position)
        self.position = events[-1].position
        self.published_total += len(events)
        self.last_publish_at = time.time()
        return len(events)

    async def _publish(self, events: list[StoredEvent]) -> None:
        js = await self.bus.jetstream()
        prefix = self.bus.stream.subject_prefix
        service = self.event_types.service
        acks = []
        for event in events:
            subject = _subject(self.event_types, prefix, event.type)
            payload = orjson.dumps(to_cloudevent(event, service))
            headers = {"Nats-Msg-Id": str(event.event_id), "Ptrack-Position": str(event.position)}
            acks.append(await js.publish_async(subject, payload, headers=headers))
        # Every ack must come back before the checkpoint moves; a timeout republishes the page.
        async with asyncio.timeout(self.ack_timeout):
            await asyncio.gather(*acks)


def _subject(event_types: EventTypes, prefix: str, type_name: str) -> str:
    try:
        return event_types.subject(prefix, type_name)
    except LookupError:
        # An event type retired from the code still flows, under an `unknown` category.
        return f"{prefix}.{event_types.service}.unknown.{type_name}"
