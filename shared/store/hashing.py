"""The hash chain: each event's hash covers its predecessor's hash and its own canonical form."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID

import orjson

from shared.canonical import canonical_json
from shared.store.base import StoredEvent


@lru_cache(maxsize=4096)
def _timestamp(value: datetime) -> str:
    # Cached: a batch shares one recorded_at, and many events share a business date.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(event: StoredEvent, *, reject_floats: bool = True) -> bytes:
    """Every field of the event but the hashes, in the one spelling the chain is computed over."""
    return canonical_fields(
        event.position,
        event.event_id,
        event.stream_id,
        event.stream_version,
        event.type,
        event.schema_version,
        event.occurred_at,
        event.recorded_at,
        event.data,
        event.metadata,
        reject_floats=reject_floats,
    )


def canonical_fields(
    position: int,
    event_id: UUID,
    stream_id: str,
    stream_version: int,
    type: str,
    schema_version: int,
    occurred_at: datetime,
    recorded_at: datetime,
    data: Mapping[str, Any],
    metadata: Mapping[str, Any],
    *,
    reject_floats: bool = True,
) -> bytes:
    """`canonical_event` from the fields, for sealing an event before it exists as one."""
    return canonical_json(
        {
            "position": position,
            "event_id": str(event_id),
            "stream_id": stream_id,
            "stream_version": stream_version,
            "type": type,
            "schema_version": schema_version,
            "occurred_at": _timestamp(occurred_at),
            "recorded_at": _timestamp(recorded_at),
            "data": data,
            "metadata": metadata,
        },
        reject_floats=reject_floats,
    )


class CanonicalParts(NamedTuple):
    """An event's canonical form in pieces, for sealing inside PostgreSQL (see
    `canonical_parts`); `data` and `metadata` are the canonical JSON of those fields alone,
    so the database can store what was hashed without encoding it again."""

    head: bytes
    middle: bytes
    tail: bytes
    data: bytes
    metadata: bytes


def canonical_parts(
    event_id: UUID,
    stream_id: str,
    type: str,
    schema_version: int,
    occurred_at: datetime,
    data: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> CanonicalParts:
    """`canonical_fields` cut where the three values only known under the log's lock go, for
    sealing inside PostgreSQL in the same round trip that takes the lock. The seal is
    `head + position + ',"recorded_at":"' + recorded_at + '"' + middle + stream_version + tail`
    (times as `_timestamp` spells them). Keys are in sorted order, as `canonical_json` spells
    them; tests/unit/test_hashing.py checks the assembly equals `canonical_fields`."""
    data_json = canonical_json(data)
    metadata_json = canonical_json(metadata)
    head = b"".join(
        (
            b'{"data":',
            data_json,
            b',"event_id":"',
            str(event_id).encode(),
            b'","metadata":',
            metadata_json,
            b',"occurred_at":"',
            _timestamp(occurred_at).encode(),
            b'","position":',
        )
    )
    middle = b"".join(
        (
            b',"schema_version":',
            str(schema_version).encode(),
            b',"stream_id":',
            orjson.dumps(stream_id),
            b',"stream_version":',
        )
    )
    tail = b',"type":' + orjson.dumps(type) + b"}"
    return CanonicalParts(head, middle, tail, data_json, metadata_json)


def chained_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()


def event_hash(event: StoredEvent) -> bytes:
    """sha256(prev_hash || canonical event): what `event.hash` must be. Refuses content that
    has no canonical form (a float), so nothing unverifiable is ever sealed."""
    return chained_hash(event.prev_hash, canonical_event(event))


def recomputed_hash(event: StoredEvent) -> bytes:
    """The hash of a stored event, to compare with the one it was sealed with. No float check
    (the walk costs more than the hash): a float cannot have been sealed, so content holding
    one fails the comparison as an edit, which is what it is."""
    return chained_hash(event.prev_hash, canonical_event(event, reject_floats=False))
