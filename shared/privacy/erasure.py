"""Erasing data subjects, and the read models rebuilt without them.

An erasure is recorded in the privacy log (`<prefix>privacy.events`, hash-chained as the
services' logs are): which subject (an id that names nobody once the key is gone), on what basis,
who asked, why and when. Then the subject's key is destroyed and the services are told
(`Keyring.erase`). The services' logs are not touched: their personal fields are ciphertext that
nobody can open any more, and the hash chain covers the ciphertext.

What the key opened may still sit in read models (a name in a row). Each service therefore
rebuilds its read models once the privacy log has moved past what they were last rebuilt for
(`rebuild_after_erasures`): when it hears of an erasure, and when it starts (it may have been
down). The command line does the same for every service, so an erasure completes with no service
running. A lock per schema lets one of them do the work; the others find it done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias
from uuid import UUID, uuid4

import asyncpg

from shared.checkpoints import read_checkpoint, write_checkpoint
from shared.privacy.keyring import Keyring
from shared.privacy.personal import Handle
from shared.projection.swap import swap_in_models
from shared.projection.writer import ReadModel, rebuild_into
from shared.store.base import NewEvent
from shared.store.postgres import PostgresEventStore, checked_identifier

log = logging.getLogger(__name__)

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Basis = Literal["request", "retention"]
ERASURES_STREAM = "erasures"
REBUILT_CHECKPOINT = "privacy-erasures"
"""The checkpoint (in a service's schema) of the last erasure its read models were rebuilt
after: a position in the privacy log."""


class NoSuchSubject(LookupError):
    pass


@dataclass(frozen=True)
class Recorded:
    handle: Handle
    subject: UUID
    position: int
    """The erasure's position in the privacy log."""

    @property
    def kind(self) -> str:
        return self.handle.kind


async def find_subjects(keyring: Keyring, handles: Sequence[Handle]) -> list[tuple[Handle, UUID]]:
    """The subject each handle names; NoSuchSubject, before anything is done, for one nobody is
    recorded as."""
    found = []
    for handle in handles:
        subject = await keyring.find(handle)
        if subject is None:
            raise NoSuchSubject(f"nobody is recorded as {handle.kind}:{handle.value}")
        found.append((handle, subject))
    return found


async def record_erasures(
    pool: Pool,
    keyring: Keyring,
    subjects: Sequence[tuple[Handle, UUID]],
    *,
    basis: Basis,
    requested_by: str,
    reason: str,
    metadata: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Recorded]:
    """Record each erasure in the privacy log, then destroy the subject's key (which tells the
    running services). Recorded first: a crash between the two leaves an erasure to repeat, never
    a key gone without its record."""
    privacy_log = PostgresEventStore(pool, keyring.schema)
    await privacy_log.migrate()
    recorded = []
    try:
        for handle, subject in subjects:
            appended = await privacy_log.append(
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
                        metadata=dict(metadata or {}),
                    )
                ],
            )
            position = appended.events[0].position
            progress(f"erasure of subject {subject} recorded at position {position}")
            await keyring.erase(subject)
            recorded.append(Recorded(handle, subject, position))
    finally:
        await privacy_log.close()
    return recorded


async def erasures(pool: Pool, keyring: Keyring) -> list[dict[str, Any]]:
    """Every erasure recorded, oldest first: what the privacy log says (no personal data)."""
    table = f"{keyring.schema}.events"
    if await pool.fetchval("SELECT to_regclass($1::text)", table) is None:
        return []
    rows = await pool.fetch(
        f"SELECT position, data::text AS data, metadata::text AS metadata, recorded_at "
        f"FROM {table} WHERE stream_id = $1 AND type = 'SubjectErased' ORDER BY position",
        ERASURES_STREAM,
    )
    return [
        {
            "position": row["position"],
            "recorded_at": row["recorded_at"],
            **json.loads(row["data"]),
            "recorded_by": json.loads(row["metadata"]).get("actor"),
        }
        for row in rows
    ]


async def rebuilt_for(pool: Pool, schema: str) -> int:
    """The privacy log position a service schema's read models were last rebuilt after."""
    if not await _has_checkpoints(pool, schema):
        return 0
    return await read_checkpoint(pool, schema, REBUILT_CHECKPOINT)


async def _has_checkpoints(pool: Pool, schema: str) -> bool:
    return await pool.fetchval("SELECT to_regclass($1::text)", f"{schema}.checkpoints") is not None


async def rebuild_after_erasures(
    pool: Pool,
    schema: str,
    models: Sequence[ReadModel],
    keyring: Keyring,
    *,
    progress: Callable[[str], None] = lambda _: None,
) -> bool:
    """Rebuild `models` (a service's read models, live in `schema`) from their logs and swap
    them in, if an erasure was recorded since they were last rebuilt. True if this call did it;
    False if there was nothing to do, or another process had just done it."""
    if not models or not await _has_checkpoints(pool, schema):
        return False  # no live read models there to rebuild
    scratch = checked_identifier(f"{schema}_erasure")
    lock_name = f"ptrack-erasure:{schema}"
    async with pool.acquire() as lock:
        # One rebuild per schema at a time (replicas, the command line); the lock goes with the
        # session if the process dies.
        await lock.execute("SELECT pg_advisory_lock(hashtext($1))", lock_name)
        try:
            recorded = await erasures(pool, keyring)
            head = recorded[-1]["position"] if recorded else 0
            if head == 0 or await rebuilt_for(pool, schema) >= head:
                return False
            # Each erasure is recorded before its key is destroyed and before this process
            # hears of it: without this, a key not destroyed yet could open a subject the
            # checkpoint below says is gone.
            for erasure in recorded:
                keyring.forget(UUID(erasure["subject"]))
            await pool.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
            for model in models:
                progress(f"{schema}: rebuilding {model.projection.name} without erased subjects")
                await rebuild_into(pool, scratch, model, keyring=keyring)
            await swap_in_models(pool, list(models), scratch, schema, keyring)
            await write_checkpoint(pool, schema, REBUILT_CHECKPOINT, head)
            log.info("%s: read models rebuilt after erasure %d", schema, head)
            return True
        finally:
            await lock.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_name)
