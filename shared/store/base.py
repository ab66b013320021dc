"""What every event store adapter promises, as types and one protocol.

The contract (tested against every adapter in tests/integration/test_store_contract.py):
- positions are 1..N with no gap, in commit order;
- an append states the stream version it expects (or none); a mismatch raises
  `WrongExpectedVersion` carrying the current version;
- an event id is recorded once: appending the same ids with the same content returns the
  original events (`duplicate=True`); the same id with other content raises `EventIdReused`;
- `append_all` is atomic: every request is recorded, or none;
- a unit whose content the log cannot store raises `EventRefused` and fails alone: the other
  units that shared its group commit are recorded;
- every event carries `hash = sha256(prev_hash || canonical event)`, a chain over the whole log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from shared.canonical import canonical_json

GENESIS_HASH = bytes(32)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended. `data` must be JSON without floats."""

    event_id: UUID
    type: str
    data: Mapping[str, Any]
    occurred_at: datetime
    schema_version: int = 1
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        # One spelling of time in the log, so hashes and comparisons agree with what PostgreSQL
        # hands back (always UTC).
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    event_id: UUID
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    occurred_at: datetime
    recorded_at: datetime
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]
    prev_hash: bytes
    hash: bytes


@dataclass(frozen=True, slots=True)
class AppendRequest:
    stream_id: str
    events: Sequence[NewEvent]
    expected_version: int | None = None
    """The stream's current version the caller decided against; 0 = the stream must not exist;
    None = append whatever the version."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    events: tuple[StoredEvent, ...]
    duplicate: bool = False
    """True when every event was already recorded with the same content (an idempotent retry)."""


@dataclass(frozen=True, slots=True)
class LogHead:
    position: int
    hash: bytes


class WrongExpectedVersion(Exception):
    def __init__(self, stream_id: str, expected: int, current: int) -> None:
        super().__init__(f"stream {stream_id!r} is at version {current}, not {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.current = current


class EventIdReused(Exception):
    """An event id already in the log came again with other content (or in a mixed batch)."""

    def __init__(self, event_ids: Sequence[UUID]) -> None:
        ids = ", ".join(str(event_id) for event_id in event_ids)
        super().__init__(f"event id already recorded with other content: {ids}")
        self.event_ids = tuple(event_ids)


class StoreUnavailable(Exception):
    """The log could not be reached; the append may be retried with the same event ids."""


class EventRefused(Exception):
    """The log refused a unit for its content (a value the database cannot store, such as a
    NUL character). A retry fails the same way, so it is the sender's error, and it fails only
    the unit that carries it: the others of its group commit are recorded."""


class EventStore(Protocol):
    def submit(self, requests: Sequence[AppendRequest]) -> asyncio.Future[list[AppendResult]]:
        """Queue an atomic unit now, in call order; the future resolves when it is committed."""
        ...

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None = None
    ) -> AppendResult: ...

    async def append_all(self, requests: Sequence[AppendRequest]) -> list[AppendResult]: ...

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]: ...

    def read_all(
        self, from_position: int = 1, to_position: int | None = None, page_size: int = 1000
    ) -> AsyncIterator[StoredEvent]: ...

    async def get_events(self, event_ids: Sequence[UUID]) -> dict[UUID, StoredEvent]: ...

    async def head(self) -> LogHead: ...


def same_content(stored: StoredEvent, stream_id: str, new: NewEvent) -> bool:
    """Idempotency compares what the event says, not who sent it when (metadata differs)."""
    return (
        stored.stream_id == stream_id
        and stored.type == new.type
        and stored.schema_version == new.schema_version
        and stored.occurred_at == new.occurred_at
        and canonical_json(stored.data) == canonical_json(new.data)
    )
