"""Several processes of one service on one database and one stream: replicas taking posts
together, relays handing over when the leading one dies, reporting workers sharing a durable
consumer. Nothing is lost, nothing is applied twice, and the log stays one gap-free chain.

Replicas start at the same moment, as a deployment's do: both migrate the same fresh schemas,
which an advisory lock serialises (`CREATE TABLE IF NOT EXISTS` alone is not safe against
itself)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from ptrack.plan.model import read_plan
from services.finance.events import EVENT_TYPES as FINANCE_EVENTS
from services.reporting.app import SPEC as REPORTING
from shared.audit.chain import verify_chain
from shared.audit.drift import check_drift
from shared.auth import Role
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore, lock_key
from shared.testing.apps import cloudevent
from shared.testing.waiting import eventually
from tests.cluster.conftest import Fleet
from tests.cluster.support import (
    Pool,
    Poster,
    checkpoint,
    compare_with_log,
    gauge,
    head,
    jetstream,
    last_position,
    lock_holder,
    log_id_counts,
    log_positions,
)
from tests.integration.finance_fixtures import PROJECT, booking, plan_events

LOAD = 600
RATE = 150.0


async def _assert_log_holds_once(pool: Pool, schema: str, accepted: set[str], total: int) -> None:
    """Positions 1..total without gaps, the chain intact, every accepted event id once."""
    assert await log_positions(pool, schema) == (total, 1, total)
    chain = await verify_chain(PostgresEventStore(pool, schema).read_all(1))
    assert chain.ok, chain.to_dict()
    assert chain.checked == total
    counts = await log_id_counts(pool, schema)
    assert all(counts[event_id] == 1 for event_id in accepted)
    assert sum(counts.values()) == total


async def _assert_stream_holds_once(
    servers: list[str], settings: Settings, pool: Pool, total: int
) -> None:
    """The relay got the whole log into JetStream, each position once."""
    schema = settings.schema_for("finance")

    async def published() -> bool:
        async with jetstream(servers) as js:
            at = await last_position(js, settings.nats_stream)
        return await checkpoint(pool, schema, "relay") == total and at == total

    await eventually(published, timeout=60, what="the relay published the whole log")
    report = await compare_with_log(servers, settings, pool, "finance")
    assert report.ok, report.to_dict()
    assert (report.messages, report.duplicates) == (total, 0), report.to_dict()
    assert (report.first_position, report.last_position) == (1, total), report.to_dict()


async def _assert_bookings_once(pool: Pool, schema: str, bookings: set[str], total: int) -> None:
    """The read model took the whole log and holds each booking once."""

    async def projected() -> bool:
        return await checkpoint(pool, schema, "projection:finance") == total

    await eventually(projected, timeout=60, what="the read model took the whole log")
    rows = await pool.fetch(f"SELECT event_id FROM {schema}.bookings")
    in_model = Counter(str(row["event_id"]) for row in rows)
    assert set(in_model) == bookings
    assert sum(in_model.values()) == len(bookings)
    assert await pool.fetchval(f"SELECT count(*) FROM {schema}.projection_failures") == 0


@pytest.mark.slow
async def test_two_replicas_take_posts_together(
    settings: Settings, pool: Pool, fleet: Fleet, keys: dict[Role, str]
) -> None:
    replicas = [fleet.service("finance", settings, f"finance-{n}") for n in (1, 2)]
    await fleet.start(*replicas)  # at the same moment, on fresh schemas: migrations serialise
    schema = settings.schema_for("finance")
    poster = Poster([replica.url for replica in replicas], keys["integration"])
    try:
        for event in plan_events():
            assert (await poster.post(event)).accepted
        poster.outcomes.clear()  # the figures below are the load's
        # Every booking goes to the next replica in turn: both append to one project's stream,
        # so they keep deciding against states the other has just moved on.
        await poster.run([booking(f"GL-{n}", "1.00") for n in range(LOAD)], rate=RATE)
    finally:
        await poster.close()

    assert not poster.failed, poster.failed[:5]
    accepted = {outcome.event_id for outcome in poster.accepted}
    assert len(accepted) == LOAD
    answered = Counter(outcome.replica for outcome in poster.accepted)
    assert set(answered) == {0, 1}, answered
    total = 2 + LOAD
    await _assert_log_holds_once(pool, schema, accepted, total)
    await _assert_stream_holds_once([settings.nats_url], settings, pool, total)
    await _assert_bookings_once(pool, schema, accepted, total)
    print(
        f"\ntwo replicas: {LOAD} bookings at {RATE:.0f}/s, accepted {len(accepted)} "
        f"({answered[0]} by one, {answered[1]} by the other), lost 0, doubled 0; "
        f"version conflicts retried {poster.retried_conflicts}; "
        f"longest client wait {poster.slowest.wait:.3f} s"
    )


@pytest.mark.slow
async def test_the_other_relay_takes_over_when_the_leader_dies(
    settings: Settings, pool: Pool, fleet: Fleet, keys: dict[Role, str]
) -> None:
    replicas = [fleet.service("finance", settings, f"finance-{n}") for n in (1, 2)]
    await fleet.start(*replicas)  # at the same moment, on fresh schemas: migrations serialise
    schema, manager = settings.schema_for("finance"), keys["manager"]
    leadership = lock_key("relay", schema)

    async def leaders() -> list[float | None]:
        return [await gauge(replica.url, manager, "ptrack_relay_leader") for replica in replicas]

    async def one_leader() -> bool:
        return sorted(await leaders(), key=str) == [0.0, 1.0]

    await eventually(one_leader, timeout=30, what="exactly one relay leads")
    leader_index = (await leaders()).index(1.0)
    leader, survivor = replicas[leader_index], replicas[1 - leader_index]

    poster = Poster([replica.url for replica in replicas], keys["integration"])
    marker = cloudevent(
        "FundingReceived",
        PROJECT,
        {"source": "grant", "amount": "1000.00", "received_date": "2010-04-01"},
    )
    marker_subject = FINANCE_EVENTS.subject(settings.subject_prefix, "FundingReceived")
    try:
        for event in plan_events():
            assert (await poster.post(event)).accepted
        poster.outcomes.clear()
        load = poster.start([booking(f"GL-{n}", "1.00") for n in range(LOAD)], rate=RATE)

        async def under_way() -> bool:
            return len(poster.accepted) >= LOAD // 3 or load.done()

        await eventually(under_way, timeout=60, what="the load is under way")
        dead_holder = await lock_holder(pool, leadership)
        assert dead_holder is not None
        await asyncio.to_thread(leader.kill)  # returns once the process is gone
        killed_at = time.monotonic()
        published_by_the_dead = await checkpoint(pool, schema, "relay")

        async def survivor_published() -> bool:
            # The relay moves its checkpoint only after JetStream acknowledged a page. Once
            # the survivor holds the leadership lock (the dead process's sessions are gone by
            # then), a move is the survivor's first publish. Timed on the database, not over
            # HTTP, so a busy survivor's slow answers do not count into it.
            holder = await lock_holder(pool, leadership)
            if holder is None or holder == dead_holder:
                return False
            return await checkpoint(pool, schema, "relay") > published_by_the_dead

        # Posted after the kill, to the survivor: only its relay can publish it. The time until
        # JetStream holds it is the delay a client sees end to end (its post included).
        marker_posted = poster.start([marker], rate=1.0, first_replica=1 - leader_index)
        await eventually(survivor_published, timeout=60, what="the survivor publishes")
        takeover = time.monotonic() - killed_at
        await marker_posted

        async with jetstream([settings.nats_url]) as js:

            async def marker_published() -> bool:
                try:
                    message = await js.get_last_msg(settings.nats_stream, marker_subject)
                except Exception:  # nothing on that subject yet
                    return False
                return marker["id"] in (message.data or b"").decode()

            await eventually(marker_published, timeout=60, what="the marker is published")
        marker_in_stream = time.monotonic() - killed_at
        await load
    finally:
        await poster.close()

    async def survivor_leads() -> bool:
        return await gauge(survivor.url, manager, "ptrack_relay_leader") == 1.0

    await eventually(survivor_leads, timeout=10, what="the survivor reports leading")
    # The killed replica comes back as a follower: still exactly one leader.
    await fleet.start(leader)
    assert await leaders() == [0.0 if replica is leader else 1.0 for replica in replicas]

    assert not poster.failed, poster.failed[:5]
    accepted = {outcome.event_id for outcome in poster.accepted}
    assert marker["id"] in accepted
    bookings = accepted - {marker["id"]}
    assert len(bookings) == LOAD
    total = 2 + LOAD + 1
    await _assert_log_holds_once(pool, schema, accepted, total)
    await _assert_stream_holds_once([settings.nats_url], settings, pool, total)
    await _assert_bookings_once(pool, schema, bookings, total)
    receipts = await pool.fetch(f"SELECT event_id FROM {schema}.funding_receipts")
    assert [str(row["event_id"]) for row in receipts] == [marker["id"]]
    print(
        f"\nrelay takeover: {LOAD} bookings at {RATE:.0f}/s over two replicas, the leading "
        f"one killed after {LOAD // 3}; accepted {len(bookings)} and a marker, lost 0, "
        f"doubled 0; the survivor's first publish {takeover:.2f} s after the kill, the marker "
        f"posted after the kill in JetStream after {marker_in_stream:.2f} s; posts moved to "
        f"the survivor {poster.moved_on}; longest client wait {poster.slowest.wait:.3f} s"
    )
    assert takeover < 10.0


PLAN = read_plan(Path(__file__).resolve().parents[2] / "plans" / "kongsbergregionen-2010.yaml")


def _history() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A project's first months: bookings on every line, and progress on every activity."""
    lines = [line["id"] for line in PLAN.data["budget"]["lines"]]
    activities = [activity["id"] for activity in PLAN.data["activities"]]
    finance = [
        PLAN.event("BudgetApproved", PLAN.budget()),
        PLAN.event("FinancingPlanned", PLAN.financing()),
        *(
            booking(
                f"GL-{n}",
                "10.00",
                line=lines[n % len(lines)],
                day=f"2010-{3 + n % 9:02d}-{1 + n % 28:02d}",
                project=PLAN.project_id,
            )
            for n in range(300)
        ),
    ]
    schedule = {**PLAN.schedule(), "baseline": 1, "baselined_on": "2010-02-01"}
    milestones = [
        PLAN.event("PlanBaselined", schedule),
        *(
            cloudevent(
                "ActivityProgressReported",
                PLAN.project_id,
                {
                    "activity": activities[n % len(activities)],
                    "share_complete": f"{(n // len(activities) + 1) / 20:.2f}",
                    "reported_on": f"2010-{3 + n % 9:02d}-{1 + n % 28:02d}",
                },
            )
            for n in range(20 * len(activities))
        ),
    ]
    return finance, milestones


def _feed_positions(response: httpx.Response) -> dict[str, int]:
    """`Ptrack-Feed-Positions: finance=12, milestones=3, ...`: how far this process's own
    feeds have applied, as it knows it."""
    header = response.headers["Ptrack-Feed-Positions"]
    return {
        name: int(value)
        for name, _, value in (part.strip().partition("=") for part in header.split(","))
    }


@pytest.mark.slow
async def test_two_reporting_workers_share_a_consumer(
    settings: Settings, pool: Pool, fleet: Fleet, keys: dict[Role, str]
) -> None:
    # Without the fallback to reading the source logs, a worker's position can only move by
    # what it took from the shared JetStream consumer: both moving shows both consumed, and a
    # complete model shows JetStream delivered everything to the pair.
    workers_settings = settings.model_copy(update={"projection_catch_up_seconds": 3600.0})
    finance = fleet.service("finance", settings)
    milestones = fleet.service("milestones", settings)
    workers = [fleet.service("reporting", workers_settings, f"reporting-{n}") for n in (1, 2)]
    await fleet.start(finance, milestones, workers[0])
    await fleet.start(workers[1])

    finance_history, milestones_history = _history()
    to_finance = Poster([finance.url], keys["integration"])
    to_milestones = Poster([milestones.url], keys["integration"])
    try:
        # The plans first (the events after them are decided against them), then the rest
        # at a steady pace, to both services at once.
        for poster, history in ((to_finance, finance_history), (to_milestones, milestones_history)):
            assert (await poster.post(history[0])).accepted
        assert (await to_finance.post(finance_history[1])).accepted
        await asyncio.gather(
            to_finance.run(finance_history[2:], rate=60.0),
            to_milestones.run(milestones_history[1:], rate=40.0),
        )
    finally:
        await to_finance.close()
        await to_milestones.close()
    assert not to_finance.failed, to_finance.failed[:5]
    assert not to_milestones.failed, to_milestones.failed[:5]
    heads = {
        "finance": await head(pool, settings.schema_for("finance")),
        "milestones": await head(pool, settings.schema_for("milestones")),
    }
    assert heads == {"finance": len(finance_history), "milestones": len(milestones_history)}

    reporting = settings.schema_for("reporting")

    async def fed() -> bool:
        reached = [await checkpoint(pool, reporting, f"projection:{name}") for name in heads]
        return reached == list(heads.values())

    await eventually(fed, timeout=90, what="the reporting feeds took both logs")

    consumed = []
    async with httpx.AsyncClient(timeout=30.0) as client:
        for worker in workers:
            response = await client.get(
                f"{worker.url}/projects/{PLAN.project_id}/status",
                params={"status_date": "2010-06-30"},
                headers={"Authorization": f"Bearer {keys['manager']}"},
            )
            assert response.status_code == 200, response.text
            consumed.append(_feed_positions(response))

    # Applied once: each feed's model equals a replay of its source log to the same position.
    drift = await check_drift(pool, settings, REPORTING)
    by_feed = {report.projection: report for report in drift}
    for name, position in heads.items():
        assert by_feed[name].position == position
    assert all(report.ok for report in drift), [report.to_dict() for report in drift]
    bookings = await pool.fetchval(f"SELECT count(*) FROM {reporting}.bookings")
    assert bookings == len(finance_history) - 2
    assert await pool.fetchval(f"SELECT count(*) FROM {reporting}.projection_failures") == 0

    print(
        f"\ntwo reporting workers: finance log {heads['finance']}, milestones log "
        f"{heads['milestones']}; feed positions each worker reached by itself: {consumed}"
    )
    for positions in consumed:
        assert positions["finance"] > 0 or positions["milestones"] > 0, consumed
