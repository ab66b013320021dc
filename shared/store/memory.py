"""An in-memory event store: the same contract as PostgreSQL, for unit tests and fakes."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from uuid import UUID

from shared.canonical import nul_pointers
from shared.store.base import (
    GENESIS_HASH,
    AppendRequest,
    AppendResult,
    EventRefused,
    LogHead,
    NewEvent,
    StoredEvent,
)
from shared.store.batch import BatchBuilder


class InMemoryEventStore:
    def __init__(self) -> None:
        self._log: list[StoredEvent] = []
        self._by_id: dict[UUID, StoredEvent] = {}
        self._streams: dict[str, list[StoredEvent]] = defaultdict(list)
        self._lock = asyncio.Lock()

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None = None
    ) -> AppendResult:
        [result] = await self.append_all([AppendRequest(stream_id, events, expected_version)])
        return result

    def submit(self, requests: Sequence[AppendRequest]) -> asyncio.Future[list[AppendResult]]:
        # Tasks start in creation order and the lock is FIFO, so units commit in call order.
        return asyncio.ensure_future(self.append_all(requests))

    async def append_all(self, requests: Sequence[AppendRequest]) -> list[AppendResult]:
        if not requests or any(not request.events for request in requests):
            raise ValueError("nothing to append")
        # What PostgreSQL's jsonb refuses, refused here too, so both keep one contract.
        for request in requests:
            for event in request.events:
                if refused := nul_pointers({"data": event.data, "metadata": event.metadata}):
                    raise EventRefused(f"the log cannot store a NUL character (at {refused[0]})")
        async with self._lock:
            ids = [event.event_id for request in requests for event in request.events]
            builder = BatchBuilder(
                head=await self.head(),
                recorded_at=datetime.now(UTC),
                existing={i: self._by_id[i] for i in ids if i in self._by_id},
                versions={r.stream_id: len(self._streams.get(r.stream_id, [])) for r in requests},
            )
            outcome = builder.add(requests)
            if isinstance(outcome, Exception):
                raise outcome
            for row in builder.rows:
                self._log.append(row)
                self._by_id[row.event_id] = row
                self._streams[row.stream_id].append(row)
            return outcome

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        return list(self._streams.get(stream_id, [])[max(from_version, 1) - 1 :])

    async def read_all(
        self, from_position: int = 1, to_position: int | None = None, page_size: int = 1000
    ) -> AsyncIterator[StoredEvent]:
        position = max(from_position, 1)
        while True:
            page = self._log[position - 1 : position - 1 + page_size]
            for event in page:
                if to_position is not None and event.position > to_position:
                    return
                yield event
            if len(page) < page_size:
                return
            position += page_size

    async def get_events(self, event_ids: Sequence[UUID]) -> dict[UUID, StoredEvent]:
        return {i: self._by_id[i] for i in event_ids if i in self._by_id}

    async def head(self) -> LogHead:
        if not self._log:
            return LogHead(0, GENESIS_HASH)
        return LogHead(self._log[-1].position, self._log[-1].hash)
