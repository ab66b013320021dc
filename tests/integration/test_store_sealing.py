"""Group commits are sealed inside PostgreSQL (`append_sealed`, one round trip) unless a unit
must be refused or recognised, when the store decides unit by unit in Python. Both must write
the chain Python verifies, and hand callers exactly what was written."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shared.audit.chain import verify_chain
from shared.audit.stored import verify_stored
from shared.store import AppendRequest, EventIdReused, NewEvent, WrongExpectedVersion
from shared.store.base import StoredEvent
from shared.store.hashing import canonical_event, event_hash
from shared.store.postgres import PostgresEventStore

AWKWARD_TEXT = [
    'quote " and backslash \\ and slash /',
    "tab\tnewline\ncarriage\rbell\x07 unit-separator\x1f",
    "Øvre Eiker – «nettverk» · 日本語 · emoji 🧾",
    "\u2028 line separator, \u2029 paragraph separator",
]


def awkward_event(index: int) -> NewEvent:
    text = AWKWARD_TEXT[index % len(AWKWARD_TEXT)]
    return NewEvent(
        uuid.uuid4(),
        f"Type {text}",
        {
            "text": text,
            text: [index, -(2**62), True, None, {"z": "last", "a": "first", "": "empty"}],
            "nested": {"b": {"y": [], "x": {}}, "a": "ß"},
        },
        datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Oslo")),
        schema_version=1 + index,
        metadata={"actor": f"key:{text}", "correlation_id": str(index)},
    )


@pytest.fixture
def store(log_store: PostgresEventStore) -> PostgresEventStore:
    return log_store


async def test_awkward_content_sealed_in_the_database_verifies_in_python(
    store: PostgresEventStore,
) -> None:
    # Streams named with the same awkward text; concurrent, so several share a group commit.
    results = await asyncio.gather(
        *(
            store.append(f"stream {AWKWARD_TEXT[i % 4]} {i % 3}", [awkward_event(i)])
            for i in range(24)
        )
    )
    returned = {e.position: e for result in results for e in result.events}
    stored = [e async for e in store.read_all()]
    assert [e.position for e in stored] == list(range(1, 25))
    assert all(event_hash(e) == e.hash for e in stored)
    assert (await verify_chain(store.read_all())).ok
    # What callers were told is what the log holds, field for field.
    assert [returned[e.position] for e in stored] == stored
    await assert_stored_as_hashed(store, stored)


async def test_refusals_and_retries_in_a_group_commit_fall_back_and_keep_the_chain(
    store: PostgresEventStore,
) -> None:
    first = await store.append("a", [awkward_event(0)], expected_version=0)
    retried = first.events[0]
    retry = NewEvent(retried.event_id, retried.type, retried.data, retried.occurred_at)
    outcomes = await asyncio.gather(
        store.append("a", [retry]),  # a retry: recognised, not written again
        store.append("a", [awkward_event(1)], expected_version=0),  # stale: refused
        store.append("b", [awkward_event(2)], expected_version=0),
        store.append_all(
            [AppendRequest("a", [awkward_event(3)], 1), AppendRequest("c", [awkward_event(4)])]
        ),
        return_exceptions=True,
    )
    duplicate, stale, fresh, unit = outcomes
    assert not isinstance(duplicate, BaseException)
    assert duplicate.duplicate
    assert duplicate.events == first.events
    assert isinstance(stale, WrongExpectedVersion)
    assert not isinstance(fresh, BaseException)
    assert not fresh.duplicate
    assert isinstance(unit, list)
    assert [r.events[0].stream_version for r in unit] == [2, 1]
    stored = [e async for e in store.read_all()]
    assert len(stored) == 4
    assert (await verify_chain(store.read_all())).ok
    assert store.group_commits["checked"] >= 1
    await assert_stored_as_hashed(store, stored)


async def assert_stored_as_hashed(store: PostgresEventStore, stored: list[StoredEvent]) -> None:
    """The database spells each row's canonical form from its columns byte for byte, so a
    verify hashes what is stored without decoding it (`verify_stored`'s common case)."""
    spelled = [row async for page in store.read_sealed(page_size=3) for row in page]
    assert [row[0] for row in spelled] == [e.position for e in stored]
    for row, event in zip(spelled, stored, strict=True):
        assert row[3] == canonical_event(event), event.position
    assert await verify_stored(store, page_size=3) == await verify_chain(store.read_all())


async def test_batches_without_refusals_take_one_round_trip(store: PostgresEventStore) -> None:
    await asyncio.gather(*(store.append(f"s{i}", [awkward_event(i)]) for i in range(10)))
    assert store.group_commits["checked"] == 0
    assert store.group_commits["sealed"] >= 1
    reused = awkward_event(0)
    with pytest.raises(EventIdReused):
        await store.append("s0", [reused, reused])
    with pytest.raises(WrongExpectedVersion):
        await store.append("s0", [awkward_event(1)], expected_version=0)
    # The repeated id never reaches the database; the stale version is found there, then
    # decided in Python.
    assert store.group_commits["checked"] == 2


async def test_a_log_kept_in_jsonb_before_still_verifies_after_its_migration(
    store: PostgresEventStore,
) -> None:
    for i in range(6):
        await store.append(f"s{i % 2}", [awkward_event(i)])
    # As a log made before the columns kept their text: jsonb respells what it stores.
    await store.pool.execute(
        f"ALTER TABLE {store.schema}.events "
        "ALTER COLUMN data TYPE jsonb USING data::jsonb, "
        "ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb"
    )
    await store.migrate()
    for i in range(6, 12):
        await store.append(f"s{i % 2}", [awkward_event(i)])
    stored = [e async for e in store.read_all()]
    spelled = [row async for page in store.read_sealed() for row in page]
    respelled = [
        e.position for e, row in zip(stored, spelled, strict=True) if row[3] != canonical_event(e)
    ]
    assert respelled == list(range(1, 7)), "only the rows from before keep jsonb's spelling"
    report = await verify_stored(store, page_size=4)
    assert report.ok
    assert report == await verify_chain(store.read_all())
    assert report.checked == 12
