"""The event every store-level system writes: a cost booking, the same payload for ours and the
peers, so the figures differ by how each system records it, not by what it records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.store.base import NewEvent
from shared.store.postgres import EVENT_COLUMNS

EVENT_TYPE = "CostBooked"
OCCURRED_AT = datetime(2010, 3, 15, tzinfo=UTC)
METADATA: dict[str, Any] = {"actor": "key:bench:bench", "source": "urn:bench"}


def booking_data(booking_id: str) -> dict[str, Any]:
    return {
        "booking_id": booking_id,
        "line": "external-expertise",
        "amount": "12500.00",
        "booking_date": "2010-03-15",
        "voucher": f"V-{booking_id}",
    }


def new_event(booking_id: str) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type=EVENT_TYPE,
        data=booking_data(booking_id),
        occurred_at=OCCURRED_AT,
        metadata=METADATA,
    )


RAW_COLUMNS = EVENT_COLUMNS[1:]
"""The raw peer's columns: ours but the position, which its `bigserial` assigns."""
_NO_HASH = bytes(32)


def raw_row(stream_id: str, version: int, booking_id: str) -> tuple[Any, ...]:
    """A row for the raw peer's table, in `RAW_COLUMNS` order. It carries no hash chain (the
    columns are there so rows are as wide as ours) and the position comes from a sequence."""
    return (
        uuid.uuid4(),
        stream_id,
        version,
        EVENT_TYPE,
        1,
        OCCURRED_AT,
        datetime.now(UTC),
        booking_data(booking_id),
        METADATA,
        _NO_HASH,
        _NO_HASH,
    )
