"""Tampering with the log in SQL, as someone with the database password might, is detected
with the position and the kind of damage; a consistent rewrite only by a signed checkpoint."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

import asyncpg
import pytest

from shared.audit.chain import verify_chain
from shared.audit.parallel import verify_log
from shared.audit.signing import Signer, check_checkpoint
from shared.audit.stored import verify_stored
from shared.store import NewEvent
from shared.store.hashing import event_hash
from shared.store.postgres import PostgresEventStore

WHEN = datetime(2010, 5, 3, tzinfo=UTC)
Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


@pytest.fixture
async def store(pool: Pool, test_id: str) -> AsyncIterator[PostgresEventStore]:
    store = PostgresEventStore(pool, f"t{test_id}_log")
    await store.migrate()
    for n in range(30):
        event = NewEvent(uuid.uuid4(), "CostBooked", {"n": n, "amount": f"{n}00.00"}, WHEN)
        await store.append(f"project-{n % 3}", [event])
    # What an intruder with the owner's password does first: switch off the append-only guard.
    await pool.execute(f"ALTER TABLE {store.schema}.events DISABLE TRIGGER USER")
    yield store
    await store.close()


async def row(store: PostgresEventStore, position: int) -> dict[str, object]:
    found = [e async for e in store.read_all(position, position)]
    return {"event": found[0]}


async def shift(pool: Pool, schema: str, from_position: int, by: int) -> None:
    """Move rows from `from_position` on by `by` positions (in two steps: no key clashes)."""
    await pool.execute(
        f"UPDATE {schema}.events SET position = position + 1000000 WHERE position >= $1",
        from_position,
    )
    await pool.execute(
        f"UPDATE {schema}.events SET position = position - 1000000 + $1 WHERE position >= 1000000",
        by,
    )


async def edit_payload(pool: Pool, schema: str) -> None:
    await pool.execute(
        f"UPDATE {schema}.events "
        "SET data = jsonb_set(data::jsonb, '{amount}', '\"99999.00\"')::json WHERE position = 12"
    )


async def edit_and_rehash(pool: Pool, schema: str) -> None:
    store = PostgresEventStore(pool, schema)
    [event] = [e async for e in store.read_all(12, 12)]
    forged = replace(event, data={**event.data, "amount": "99999.00"})
    await pool.execute(
        f"UPDATE {schema}.events SET data = $1, hash = $2 WHERE position = 12",
        forged.data,
        event_hash(forged),
    )


async def delete_row(pool: Pool, schema: str) -> None:
    await pool.execute(f"DELETE FROM {schema}.events WHERE position = 12")


async def delete_and_renumber(pool: Pool, schema: str) -> None:
    await delete_row(pool, schema)
    await shift(pool, schema, 13, -1)


async def _insert_forged(pool: Pool, schema: str, consistent: bool) -> None:
    store = PostgresEventStore(pool, schema)
    [before] = [e async for e in store.read_all(11, 11)]
    await shift(pool, schema, 12, +1)
    forged = replace(
        before,
        position=12,
        event_id=uuid.uuid4(),
        stream_id="forged",
        stream_version=1,
        data={"n": -1, "amount": "50000.00"},
        prev_hash=before.hash,
        hash=b"\0" * 32,
    )
    if consistent:
        forged = replace(forged, hash=event_hash(forged))
    await pool.execute(
        f"INSERT INTO {schema}.events SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12",
        forged.position, forged.event_id, forged.stream_id, forged.stream_version, forged.type,
        forged.schema_version, forged.occurred_at, forged.recorded_at, forged.data,
        forged.metadata, forged.prev_hash, forged.hash,
    )  # fmt: skip


async def insert_forged_row(pool: Pool, schema: str) -> None:
    await _insert_forged(pool, schema, consistent=True)


async def insert_careless_row(pool: Pool, schema: str) -> None:
    await _insert_forged(pool, schema, consistent=False)


async def swap_rows(pool: Pool, schema: str) -> None:
    await pool.execute(f"UPDATE {schema}.events SET position = 999999 WHERE position = 12")
    await pool.execute(f"UPDATE {schema}.events SET position = 12 WHERE position = 20")
    await pool.execute(f"UPDATE {schema}.events SET position = 20 WHERE position = 999999")


Tamper = Callable[[Pool, str], Awaitable[None]]


@pytest.mark.parametrize(
    ("tamper", "position", "kind"),
    [
        (edit_payload, 12, "edited"),
        (edit_and_rehash, 12, "edited"),
        (delete_row, 12, "deleted"),
        (delete_and_renumber, 12, "deleted"),
        (insert_forged_row, 12, "inserted"),
        (insert_careless_row, 12, "inserted"),
        (swap_rows, 12, "reordered"),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
async def test_tampering_is_found_with_its_position_and_kind(
    store: PostgresEventStore, pool: Pool, tamper: Tamper, position: int, kind: str
) -> None:
    assert (await verify_chain(store.read_all(page_size=7))).ok
    await tamper(pool, store.schema)
    report = await verify_chain(store.read_all(page_size=7))
    assert report.damage is not None
    assert (report.damage.position, report.damage.kind) == (position, kind), report.damage.detail
    assert report.checked == position - 1
    assert await verify_stored(store, page_size=7) == report


async def test_a_consistent_rewrite_is_found_only_by_a_signed_checkpoint(
    store: PostgresEventStore, pool: Pool, tmp_path: Path
) -> None:
    signer = Signer.load_or_create(tmp_path / "keys" / "finance.key")
    checkpoint = signer.sign("finance", await store.head())
    assert (await check_checkpoint(checkpoint, store, signer.public_key)).ok

    # Rewrite from 12 on with every hash recomputed: the chain itself looks perfect.
    events = [e async for e in store.read_all(1)]
    previous = events[10].hash
    for event in events[11:]:
        data = {**event.data, "amount": "99999.00"} if event.position == 12 else event.data
        forged = replace(event, data=data, prev_hash=previous)
        forged = replace(forged, hash=event_hash(forged))
        await pool.execute(
            f"UPDATE {store.schema}.events SET data = $2, prev_hash = $3, hash = $4 "
            "WHERE position = $1",
            forged.position, forged.data, forged.prev_hash, forged.hash,
        )  # fmt: skip
        previous = forged.hash
    assert (await verify_chain(store.read_all())).ok, "a consistent rewrite passes the chain"

    found = await check_checkpoint(checkpoint, store, signer.public_key)
    assert not found.ok
    assert "rewritten" in found.detail
    # A checkpoint signed afresh by someone else's key is not trusted.
    intruder = Signer.load_or_create(tmp_path / "keys" / "intruder.key")
    fake = intruder.sign("finance", await store.head())
    assert not (await check_checkpoint(fake, store, signer.public_key)).ok
    assert not replace(checkpoint, position=checkpoint.position - 1).signature_valid()


def rehash_at(position: int) -> Tamper:
    async def tamper(pool: Pool, schema: str) -> None:
        store = PostgresEventStore(pool, schema)
        [event] = [e async for e in store.read_all(position, position)]
        forged = replace(event, data={**event.data, "amount": "99999.00"})
        await pool.execute(
            f"UPDATE {schema}.events SET data = $1, hash = $2 WHERE position = $3",
            forged.data,
            event_hash(forged),
            position,
        )

    tamper.__name__ = f"edit_and_rehash_{position}"
    return tamper


def swap(first: int, second: int) -> Tamper:
    async def tamper(pool: Pool, schema: str) -> None:
        for source, target in ((first, 999999), (second, first), (999999, second)):
            await pool.execute(
                f"UPDATE {schema}.events SET position = $2 WHERE position = $1", source, target
            )

    tamper.__name__ = f"swap_{first}_{second}"
    return tamper


async def untouched(pool: Pool, schema: str) -> None:
    pass


@pytest.mark.parametrize(
    "tamper",
    [
        untouched,
        edit_payload,
        delete_and_renumber,
        insert_forged_row,
        # With 3 jobs the 30 rows split at 10|11 and 20|21: damage on and across the seams.
        rehash_at(10),
        rehash_at(11),
        swap(9, 11),
        swap(20, 21),
    ],
    ids=lambda value: value.__name__,
)
async def test_verifying_in_parallel_reports_what_one_pass_does(
    store: PostgresEventStore, pool: Pool, pg_url: str, tamper: Tamper
) -> None:
    await tamper(pool, store.schema)
    one_pass = await verify_chain(store.read_all(page_size=7))
    in_parallel = await verify_log(pg_url, store.schema, jobs=3, min_events_per_job=1)
    assert in_parallel == one_pass
    assert in_parallel.ok == (tamper is untouched)
    assert await verify_stored(store, page_size=7) == one_pass


@pytest.mark.parametrize("position", [10, 11, 30])
async def test_a_row_deleted_at_a_seam_is_found_in_parallel(
    store: PostgresEventStore, pool: Pool, pg_url: str, position: int
) -> None:
    await pool.execute(f"DELETE FROM {store.schema}.events WHERE position = $1", position)
    one_pass = await verify_chain(store.read_all(page_size=7))
    in_parallel = await verify_log(pg_url, store.schema, jobs=3, min_events_per_job=1)
    assert in_parallel == one_pass
    if position < 30:
        assert in_parallel.damage is not None
        assert (in_parallel.damage.position, in_parallel.damage.kind) == (position, "deleted")
