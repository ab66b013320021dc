"""Erasing data subjects from the command line: the erasures recorded and the keys destroyed
(`shared.privacy.erasure`), then every service's read models rebuilt without them.

The running services rebuild their own models when they hear of an erasure; this does it too,
for the services that are not running. Whichever comes first does the work, the other finds it
done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from ptrack.replay import read_models, services_with_logs
from shared.auth import erase_holders
from shared.privacy.erasure import (
    Basis,
    NoSuchSubject,
    find_subjects,
    rebuild_after_erasures,
    record_erasures,
)
from shared.privacy.keyring import open_keyring
from shared.privacy.personal import Handle
from shared.settings import Settings

__all__ = ["Erasure", "NoSuchSubject", "erase"]


@dataclass(frozen=True)
class Erasure:
    subjects: list[UUID]
    positions: list[int]
    """Each erasure's position in the privacy log."""
    rebuilt: list[str]
    """The services whose read models this command rebuilt (a running service may have been
    first)."""

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
    """Erase each subject a handle names (all must be known, or nothing is done), then rebuild
    the read models of every service once."""
    keyring = await open_keyring(pool, settings)
    subjects = await find_subjects(keyring, handles)
    recorded = await record_erasures(
        pool,
        keyring,
        subjects,
        basis=basis,
        requested_by=requested_by,
        reason=reason,
        metadata={"actor": "ptrack privacy"},
        progress=progress,
    )
    erased = [(found.handle, found.subject) for found in recorded]
    await erase_holders(pool, settings.schema_for("auth"), erased)
    progress("keys destroyed; rebuilding every read model without them")
    rebuilt = []
    for name in await services_with_logs(pool, settings):
        if await rebuild_after_erasures(
            pool,
            settings.schema_for(name),
            read_models(settings, name),
            keyring,
            progress=progress,
        ):
            rebuilt.append(name)
    return Erasure(
        [found.subject for found in recorded], [found.position for found in recorded], rebuilt
    )
