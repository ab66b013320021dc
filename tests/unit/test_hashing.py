"""The database seals events from `canonical_parts`; the chain's definition is
`canonical_fields`. Both must give the same bytes for every event, or verification fails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from hypothesis import given
from hypothesis import strategies as st

from shared.store.hashing import CanonicalParts, _timestamp, canonical_fields, canonical_parts

json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(), json_values, max_size=5)
times = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda value: value.astimezone(UTC))


def assembled(parts: CanonicalParts, position: int, recorded_at: datetime, version: int) -> bytes:
    """The database function's concatenation, spelled in Python."""
    head, middle, tail = parts.head, parts.middle, parts.tail
    stamp = _timestamp(recorded_at).encode()
    return (
        head
        + str(position).encode()
        + b',"recorded_at":"'
        + stamp
        + b'"'
        + middle
        + str(version).encode()
        + tail
    )


@given(
    event_id=st.uuids(),
    stream_id=st.text(min_size=1),
    type_=st.text(min_size=1),
    schema_version=st.integers(1, 2**31 - 1),
    occurred_at=times,
    recorded_at=times,
    data=json_objects,
    metadata=json_objects,
    position=st.integers(1, 2**62),
    version=st.integers(1, 2**31 - 1),
)
def test_the_parts_assemble_to_the_canonical_event(
    event_id: UUID,
    stream_id: str,
    type_: str,
    schema_version: int,
    occurred_at: datetime,
    recorded_at: datetime,
    data: dict[str, Any],
    metadata: dict[str, Any],
    position: int,
    version: int,
) -> None:
    parts = canonical_parts(event_id, stream_id, type_, schema_version, occurred_at, data, metadata)
    expected = canonical_fields(
        position,
        event_id,
        stream_id,
        version,
        type_,
        schema_version,
        occurred_at,
        recorded_at,
        data,
        metadata,
    )
    assert assembled(parts, position, recorded_at, version) == expected
    # What the database stores is what was hashed.
    assert orjson.loads(parts.data) == data
    assert orjson.loads(parts.metadata) == metadata


def test_a_time_in_another_zone_is_sealed_as_utc() -> None:
    oslo = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Oslo"))
    head = canonical_parts(UUID(int=1), "s", "t", 1, oslo, {}, {}).head
    assert b'"occurred_at":"2026-03-01T12:00:00.000000Z"' in head
