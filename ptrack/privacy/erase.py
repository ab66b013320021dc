"""Erasing a data subject: the erasure recorded, the subject's key destroyed, the services told,
and every read model rebuilt so that no table or view holds what the key opened.

The log is not touched: its personal fields are ciphertext, which nobody can open once the key
is gone, and the hash chain covers the ciphertext, so `ptrack audit verify` passes as before.
The erasure is itself an event in the privacy log (`<prefix>privacy.events`, hash-chained like
the services' logs): which subject (an id that names nobody once the key is gone), on what
basis, who asked, why and when. Nothing personal is in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID, uuid4

import asyncpg

from ptrack.replay import replay, services_with_logs
from shared.privacy.keyring import open_keyring
from shared.privacy.personal import Handle
from shared.settings import Settings
from shared.store.base import NewEvent
from shared.store.postgres import PostgresEventStore

Basis = Literal["request", "retention"]
ERASURES_STREAM = "erasures"


class NoSuchSubject(LookupError):
    pass


@dataclass(frozen=True)
class Erasure:
    subjects: list[UUID]
    positions: list[int]
    """Each erasure's position in the privacy log."""
    rebuilt: dict[str, int]
    """Read models rebuilt, per service: how many."""

    @property
    def subject(self) -> UUID:
        return self.subjects[0]

    @property
    def position(self) -> int:
        return self.positions[0]


async def erase(
    pool: asyncpg.Pool[asyncpg.Record],
    settings: Settings,
    *handles: Handle,
    basis: Basis,
    requested_by: str,
    reason: str,
    progress: Callable[[str], None] = lambda _: None,
) -> Erasure:
    """Erase each subject a handle names (all must be known), then rebuild the read models
    once."""
    keyring = await open_keyring(pool, settings)
    subjects = []
    for handle in handles:
        subject = await keyring.find(handle)
        if subject is None:
            raise NoSuchSubject(f"nobody is recorded as {handle.kind}:{handle.value}")
        subjects.append((handle, subject))
    log = PostgresEventStore(pool, keyring.schema)
    await log.migrate()
    positions = []
    try:
        for handle, subject in subjects:
            recorded = await log.append(
                ERASURES_STREAM,
                [
                    NewEvent(
                        uuid4(),
                        "SubjectErased",
                        {
                            "subject": str(subject),
                            "kind": handle.kind,
                            "basis": basis,
                            "requested_by": requested_by,
                            "reason": reason,
                        },
                        datetime.now(UTC),
                    )
                ],
            )
            position = recorded.events[0].position
            positions.append(position)
            progress(f"erasure of subject {subject} recorded at position {position}")
            await keyring.erase(subject)
    finally:
        await log.close()
    progress("keys destroyed; rebuilding every read model without them")
    services = await services_with_logs(pool, settings)
    report = await replay(
        pool, settings, services=services, swap=True, into="erasure", progress=progress
    )
    return Erasure(
        [subject for _, subject in subjects],
        positions,
        {name: len(found.models) for name, found in report.services.items()},
    )
