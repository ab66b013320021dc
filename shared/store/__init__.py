"""The append-only event log: one per service, behind the `EventStore` protocol."""

from shared.store.base import (
    AppendRequest,
    AppendResult,
    EventIdReused,
    EventRefused,
    EventStore,
    LogHead,
    NewEvent,
    StoredEvent,
    StoreUnavailable,
    WrongExpectedVersion,
)

__all__ = [
    "AppendRequest",
    "AppendResult",
    "EventIdReused",
    "EventRefused",
    "EventStore",
    "LogHead",
    "NewEvent",
    "StoreUnavailable",
    "StoredEvent",
    "WrongExpectedVersion",
]
