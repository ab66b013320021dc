"""Turns append requests into log rows: the rules every adapter shares.

A group commit hands many independent units (each a list of requests that must land together)
to one `BatchBuilder`. Each unit is checked against the log as it stands plus the units before it
in the same batch, then either becomes rows with positions and hashes, or an outcome without
rows (a duplicate, or an error for that unit alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from shared.store.base import (
    AppendRequest,
    AppendResult,
    EventIdReused,
    LogHead,
    StoredEvent,
    WrongExpectedVersion,
    same_content,
)
from shared.store.hashing import canonical_fields, chained_hash

Outcome = list[AppendResult] | WrongExpectedVersion | EventIdReused


class BatchBuilder:
    def __init__(
        self,
        head: LogHead,
        recorded_at: datetime,
        existing: dict[UUID, StoredEvent],
        versions: dict[str, int],
    ) -> None:
        self._position = head.position
        self._hash = head.hash
        self._recorded_at = recorded_at
        self._existing = dict(existing)
        self._versions = dict(versions)
        self.rows: list[StoredEvent] = []

    def add(self, unit: Sequence[AppendRequest]) -> Outcome:
        ids = [event.event_id for request in unit for event in request.events]
        if len(set(ids)) != len(ids):
            return EventIdReused(sorted({i for i in ids if ids.count(i) > 1}, key=str))
        known = [i for i in ids if i in self._existing]
        if known:
            return self._duplicate_or_reused(unit, known, len(ids))
        versions: dict[str, int] = {}
        for request in unit:
            current = versions.get(request.stream_id, self._versions.get(request.stream_id, 0))
            if request.expected_version is not None and request.expected_version != current:
                return WrongExpectedVersion(request.stream_id, request.expected_version, current)
            versions[request.stream_id] = current + len(request.events)
        return [self._record(request) for request in unit]

    def _duplicate_or_reused(
        self, unit: Sequence[AppendRequest], known: list[UUID], total: int
    ) -> Outcome:
        different = [
            event.event_id
            for request in unit
            for event in request.events
            if event.event_id in self._existing
            and not same_content(self._existing[event.event_id], request.stream_id, event)
        ]
        if different or len(known) != total:
            # A retry that also carries new events is ambiguous: say which ids were seen before.
            return EventIdReused(different or known)
        return [
            AppendResult(
                tuple(self._existing[event.event_id] for event in request.events), duplicate=True
            )
            for request in unit
        ]

    def _record(self, request: AppendRequest) -> AppendResult:
        stored: list[StoredEvent] = []
        version = self._versions.get(request.stream_id, 0)
        for event in request.events:
            self._position += 1
            version += 1
            canonical = canonical_fields(
                self._position,
                event.event_id,
                request.stream_id,
                version,
                event.type,
                event.schema_version,
                event.occurred_at,
                self._recorded_at,
                event.data,
                event.metadata,
            )
            seal = chained_hash(self._hash, canonical)
            row = StoredEvent(
                position=self._position,
                event_id=event.event_id,
                stream_id=request.stream_id,
                stream_version=version,
                type=event.type,
                schema_version=event.schema_version,
                occurred_at=event.occurred_at,
                recorded_at=self._recorded_at,
                data=event.data,
                metadata=event.metadata,
                prev_hash=self._hash,
                hash=seal,
            )
            self._hash = seal
            self._existing[event.event_id] = row
            stored.append(row)
        self._versions[request.stream_id] = version
        self.rows.extend(stored)
        return AppendResult(tuple(stored))
