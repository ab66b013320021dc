"""The hash chain: each event's hash covers its predecessor's hash and its own canonical form."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from shared.canonical import canonical_json


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(
    *,
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
) -> bytes:
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
        }
    )


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()
