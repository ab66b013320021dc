"""The event store contract, run against every adapter (in-memory and PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from shared.audit.chain import verify_chain
from shared.store import (
    AppendRequest,
    EventIdReused,
    EventRefused,
    EventStore,
    NewEvent,
    WrongExpectedVersion,
)
from shared.store.base import GENESIS_HASH
from shared.store.memory import InMemoryEventStore
from shared.store.postgres import PostgresEventStore

WHEN = datetime(2010, 3, 15, tzinfo=UTC)


def event(kind: str = "Thing", **data: object) -> NewEvent:
    return NewEvent(uuid.uuid4(), kind, {"n": 1, **data}, WHEN)


@pytest.fixture(params=["memory", "postgres"])
async def store(
    request: pytest.FixtureRequest, pool: asyncpg.Pool[asyncpg.Record], test_id: str
) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    pg = PostgresEventStore(pool, f"t{test_id}_log")
    await pg.migrate()
    yield pg
    await pg.close()


async def test_positions_start_at_one_and_streams_count_versions(store: EventStore) -> None:
    first = await store.append("a", [event(), event()], expected_version=0)
    second = await store.append("b", [event()], expected_version=0)
    third = await store.append("a", [event()], expected_version=2)
    assert [e.position for e in first.events] == [1, 2]
    assert [e.stream_version for e in first.events] == [1, 2]
    assert second.events[0].position == 3
    assert second.events[0].stream_version == 1
    assert third.events[0].position == 4
    assert third.events[0].stream_version == 3
    assert [e.position for e in await store.read_stream("a")] == [1, 2, 4]
    assert [e.stream_version for e in await store.read_stream("a", from_version=2)] == [2, 3]
    assert (await store.head()).position == 4


async def test_a_wrong_expected_version_says_the_current_one(store: EventStore) -> None:
    await store.append("a", [event(), event()])
    with pytest.raises(WrongExpectedVersion) as raised:
        await store.append("a", [event()], expected_version=1)
    assert (raised.value.expected, raised.value.current) == (1, 2)
    with pytest.raises(WrongExpectedVersion):
        await store.append("a", [event()], expected_version=0)
    assert (await store.head()).position == 2


async def test_the_same_event_twice_is_recorded_once(store: EventStore) -> None:
    booked = event(amount="1.00")
    first = await store.append("a", [booked], expected_version=0)
    again = await store.append("a", [booked], expected_version=0)
    assert not first.duplicate
    assert again.duplicate
    assert again.events == first.events
    assert (await store.head()).position == 1


async def test_the_same_id_with_other_content_is_refused(store: EventStore) -> None:
    booked = event(amount="1.00")
    await store.append("a", [booked])
    changed = NewEvent(booked.event_id, booked.type, {"amount": "2.00"}, WHEN)
    with pytest.raises(EventIdReused):
        await store.append("a", [changed])
    elsewhere = NewEvent(booked.event_id, booked.type, booked.data, WHEN)
    with pytest.raises(EventIdReused):
        await store.append("b", [elsewhere])
    later = NewEvent(booked.event_id, booked.type, booked.data, WHEN + timedelta(days=1))
    with pytest.raises(EventIdReused):
        await store.append("a", [later])
    with pytest.raises(EventIdReused):  # a retry that also carries something new is ambiguous
        await store.append("a", [booked, event()])
    assert (await store.head()).position == 1


async def test_metadata_does_not_count_as_content(store: EventStore) -> None:
    booked = event()
    await store.append("a", [booked])
    retry = NewEvent(booked.event_id, booked.type, booked.data, WHEN, metadata={"request": "2"})
    assert (await store.append("a", [retry])).duplicate


async def test_append_all_is_atomic(store: EventStore) -> None:
    await store.append("b", [event()])
    with pytest.raises(WrongExpectedVersion):
        await store.append_all(
            [AppendRequest("a", [event()], 0), AppendRequest("b", [event()], expected_version=0)]
        )
    assert (await store.head()).position == 1
    results = await store.append_all(
        [AppendRequest("a", [event()], 0), AppendRequest("b", [event()], expected_version=1)]
    )
    assert [r.events[0].position for r in results] == [2, 3]


async def test_ids_repeated_inside_one_append_are_refused(store: EventStore) -> None:
    once = event()
    with pytest.raises(EventIdReused):
        await store.append("a", [once, once])


async def test_the_chain_links_every_event_to_the_one_before(store: EventStore) -> None:
    for index in range(5):
        await store.append(f"s{index % 2}", [event(i=index), event(i=index)])
    events = [e async for e in store.read_all()]
    assert events[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    report = await verify_chain(store.read_all(page_size=3))
    assert report.ok
    assert report.checked == 10
    assert report.head_hash == (await store.head()).hash


async def test_read_all_pages_and_bounds(store: EventStore) -> None:
    for index in range(7):
        await store.append("a", [event(i=index)])
    assert [e.position for e in [x async for x in store.read_all(3, page_size=2)]] == [
        3,
        4,
        5,
        6,
        7,
    ]
    assert [e.position for e in [x async for x in store.read_all(2, 4, page_size=2)]] == [2, 3, 4]
    assert [x async for x in store.read_all(8)] == []


async def test_events_come_back_as_written(store: EventStore) -> None:
    written = NewEvent(
        uuid.uuid4(),
        "Thing",
        {"text": "Øvre Eiker – «nettverk»", "nested": {"list": [1, "2", None, True]}},
        datetime(2010, 3, 15, 12, 30, 15, 123456, tzinfo=UTC),
        schema_version=2,
        metadata={"actor": "key:abc", "correlation_id": "r1"},
    )
    await store.append("a", [written])
    [read] = await store.read_stream("a")
    assert read.data == written.data
    assert read.metadata == written.metadata
    assert read.occurred_at == written.occurred_at
    assert read.schema_version == 2
    assert (await store.get_events([written.event_id]))[written.event_id] == read


async def test_concurrent_duplicates_land_once(store: EventStore) -> None:
    booked = event()
    results = await asyncio.gather(*(store.append("a", [booked]) for _ in range(10)))
    assert sum(not r.duplicate for r in results) == 1
    assert {r.events[0].position for r in results} == {1}


@pytest.mark.parametrize("with_a_retry", [False, True], ids=["sealed", "checked"])
async def test_content_the_log_cannot_store_fails_only_its_own_unit(
    store: EventStore, with_a_retry: bool
) -> None:
    """One poisoned unit among many in one group commit: it alone is refused, as a content
    error (never "unavailable"), and every other unit is recorded. A retry in the batch sends
    PostgreSQL's commit down the unit-by-unit path, so both paths are covered."""
    retried = event()
    await store.append("r", [retried])
    units = [[AppendRequest(f"s{n}", [event(n=n)])] for n in range(24)]
    poisoned = [
        [AppendRequest("bad-data", [event(text="a\x00b")])],
        [AppendRequest("bad-meta", [NewEvent(uuid.uuid4(), "Thing", {}, WHEN, 1, {"by": "\x00"})])],
    ]
    units[5:5] = [poisoned[0]]
    units[17:17] = [poisoned[1]]
    if with_a_retry:
        units.append([AppendRequest("r", [retried])])
    futures = [store.submit(unit) for unit in units]  # queued together: one group commit
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    refused = [
        unit
        for unit, outcome in zip(units, outcomes, strict=True)
        if isinstance(outcome, Exception)
    ]
    assert refused == poisoned, outcomes
    assert all(isinstance(outcomes[units.index(unit)], EventRefused) for unit in poisoned)
    recorded = [e async for e in store.read_all()]
    assert [e.position for e in recorded] == list(range(1, 26))
    assert sorted(e.stream_id for e in recorded[1:]) == sorted(f"s{n}" for n in range(24))
    assert (await verify_chain(store.read_all())).ok
