"""A data subject's own copy (the right of access, GDPR art. 15): every event of every log that
holds their personal data, with that data opened, and the erasures recorded of them.

The logs are searched in the database for the subject's id (it is in every sealed value of the
subject, in the clear), so only the events that name them are read and opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from ptrack.stack.catalog import SERVICES
from shared.privacy.erasure import NoSuchSubject
from shared.privacy.keyring import open_keyring
from shared.privacy.personal import Handle, sealed_subjects
from shared.privacy.personal import opened as opened_data
from shared.settings import Settings
from shared.store.base import StoredEvent
from shared.store.postgres import EVENT_COLUMNS

OTHERS = "(another person)"
"""What a subject's copy shows for another person's data in the same event."""


@dataclass(frozen=True)
class Recorded:
    service: str
    position: int
    type: str
    stream: str
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]
    """The event's data with the subject's fields opened (another person's read `OTHERS`)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "position": self.position,
            "type": self.type,
            "about": self.stream,
            "happened": self.occurred_at.isoformat(),
            "recorded": self.recorded_at.isoformat(),
            "data": self.data,
        }


@dataclass
class SubjectRecord:
    handle: Handle
    subject: UUID
    events: list[Recorded] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": f"{self.handle.kind}:{self.handle.value}",
            "subject_id": str(self.subject),
            "events": [event.to_dict() for event in self.events],
        }

    def lines(self) -> list[str]:
        """What a person reads: one line per event, their data as recorded."""
        found = [
            f"{len(self.events)} recorded events hold personal data of "
            f"{self.handle.kind}:{self.handle.value}:"
        ]
        for event in self.events:
            fields = ", ".join(f"{key}: {value}" for key, value in _plain(event.data).items())
            found.append(
                f"  {event.occurred_at.date()}  {event.service} {event.type} "
                f"(log position {event.position}): {fields}"
            )
        return found


async def subject_record(
    pool: asyncpg.Pool[asyncpg.Record],
    settings: Settings,
    handle: Handle,
    progress: Callable[[str], None] = lambda _: None,
) -> SubjectRecord:
    keyring = await open_keyring(pool, settings)
    subject = await keyring.find(handle)
    if subject is None:
        raise NoSuchSubject(f"nobody is recorded as {handle.kind}:{handle.value}")
    record = SubjectRecord(handle, subject)
    await keyring.load([subject])

    def theirs(owner: UUID, path: str, token: str) -> Any:
        # Only the subject's own fields: others named in the same event stay hidden.
        return keyring.unseal(owner, path, token) if owner == subject else OTHERS

    for name in SERVICES:
        schema = settings.schema_for(name)
        if await pool.fetchval("SELECT to_regclass($1::text)", f"{schema}.events") is None:
            continue
        progress(f"{name}: searching the log")
        rows = await pool.fetch(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM {schema}.events "
            "WHERE strpos(data::text, $1) > 0 ORDER BY position",
            str(subject),
        )
        for row in rows:
            event = StoredEvent(*row)
            if subject not in sealed_subjects(event.data):
                continue
            opened = opened_data(dict(event.data), theirs)
            record.events.append(
                Recorded(
                    name,
                    event.position,
                    event.type,
                    event.stream_id,
                    event.occurred_at,
                    event.recorded_at,
                    opened,
                )
            )
    return record


def _plain(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and "$personal" not in value:
            flat.update(_plain(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
