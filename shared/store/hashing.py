"""The hash chain: each event's hash covers its predecessor's hash and its own canonical form."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache

from shared.canonical import canonical_json
from shared.store.base import StoredEvent


@lru_cache(maxsize=4096)
def _timestamp(value: datetime) -> str:
    # Cached: a batch shares one recorded_at, and many events share a business date.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(event: StoredEvent) -> bytes:
    """Every field of the event but the hashes, in the one spelling the chain is computed over."""
    return canonical_json(
        {
            "position": event.position,
            "event_id": str(event.event_id),
            "stream_id": event.stream_id,
            "stream_version": event.stream_version,
            "type": event.type,
            "schema_version": event.schema_version,
            "occurred_at": _timestamp(event.occurred_at),
            "recorded_at": _timestamp(event.recorded_at),
            "data": event.data,
            "metadata": event.metadata,
        }
    )


def event_hash(event: StoredEvent) -> bytes:
    """sha256(prev_hash || canonical event): what `event.hash` must be."""
    return hashlib.sha256(event.prev_hash + canonical_event(event)).digest()
