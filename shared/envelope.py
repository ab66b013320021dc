"""CloudEvents 1.0 in JSON structured mode: what integrations post and what the relay publishes.

ptrack extensions: `schemaversion` (the payload's schema), `expectedversion` (optimistic
concurrency on post), and on the way out `recordedtime`, `position`, `streamversion`, `hash`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from shared.store.base import StoredEvent
from shared.text import NotBlank

# The CloudEvents spec leaves `id` free-form; the log keys on a UUID. A UUID is kept as sent;
# anything else is mapped (with its source, since CloudEvents ids are unique per source) to a
# name-based UUID, so a retry with the same id lands on the same event.
_ID_NAMESPACE = uuid.UUID("2f1c3c4e-8a55-4f0e-9d7b-6c1f0f7a9e21")

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200), NotBlank]
StreamName = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]


class CloudEventIn(BaseModel):
    """One posted event. Unknown attributes are refused so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"]
    id: ShortText
    source: ShortText
    type: ShortText
    subject: StreamName
    time: AwareDatetime | None = None
    datacontenttype: Literal["application/json"] | None = None
    dataschema: ShortText | None = None
    data: dict[str, Any]
    schemaversion: int | None = Field(default=None, ge=1)
    expectedversion: int | None = Field(default=None, ge=0)
    traceparent: ShortText | None = None
    tracestate: ShortText | None = None

    def event_id(self) -> uuid.UUID:
        try:
            return uuid.UUID(self.id)
        except ValueError:
            return uuid.uuid5(_ID_NAMESPACE, f"{self.source}\n{self.id}")


def to_cloudevent(event: StoredEvent, service: str) -> dict[str, Any]:
    """The published form of a logged event."""
    source = event.metadata.get("source") or f"/ptrack/{service}"
    return {
        "specversion": "1.0",
        "id": str(event.event_id),
        "source": source,
        "type": event.type,
        "subject": event.stream_id,
        "time": _iso(event.occurred_at),
        "datacontenttype": "application/json",
        "data": event.data,
        "schemaversion": event.schema_version,
        "recordedtime": _iso(event.recorded_at),
        "position": event.position,
        "streamversion": event.stream_version,
        "hash": event.hash.hex(),
        "prevhash": event.prev_hash.hex(),
        "ptrackservice": service,
        "ptrackmetadata": dict(event.metadata),
    }


def from_cloudevent(message: dict[str, Any]) -> StoredEvent:
    """Inverse of `to_cloudevent`, for consumers of the stream."""
    return StoredEvent(
        position=int(message["position"]),
        event_id=uuid.UUID(message["id"]),
        stream_id=message["subject"],
        stream_version=int(message["streamversion"]),
        type=message["type"],
        schema_version=int(message["schemaversion"]),
        occurred_at=datetime.fromisoformat(message["time"]),
        recorded_at=datetime.fromisoformat(message["recordedtime"]),
        data=message["data"],
        metadata=message.get("ptrackmetadata", {}),
        prev_hash=bytes.fromhex(message["prevhash"]),
        hash=bytes.fromhex(message["hash"]),
    )


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
