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
    subject: UUID
    position: int
    """The erasure's position in the privacy log."""
    rebuilt: dict[str, int]
    """Read models rebuilt, per service: how many."""


async def erase(
    pool: asyncpg.Pool[asyncpg.Record],
    settings: Settings,
    handle: Handle,
    *,
    basis: Basis,
    requested_by: str,
    reason: str,
    progress: Callable[[str], None] = lambda _: None,
) -> Erasure:
    keyring = await open_keyring(pool, settings)
    subject = await keyring.find(handle)
    if subject is None:
        raise NoSuchSubject(f"nobody is recorded as {handle.kind}:{handle.value}")
    log = PostgresEventStore(pool, keyring.schema)
    await log.migrate()
    try:
        now = datetime.now(UTC)
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
                    now,
                )
            ],
        )
    finally:
        await log.close()
    progress(f"erasure of subject {subject} recorded at position {recorded.events[0].position}")
    await keyring.erase(subject)
    progress("key destroyed; rebuilding every read model without it")
    services = await services_with_logs(pool, settings)
    report = await replay(
        pool, settings, services=services, swap=True, into="erasure", progress=progress
    )
    return Erasure(
        subject,
        recorded.events[0].position,
        {name: len(found.models) for name, found in report.services.items()},
    )
