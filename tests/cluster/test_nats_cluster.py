"""A three-node JetStream cluster under a steady load of posts: the stream leader's node is
killed and later started again. Nothing accepted is lost or doubled, in the log, in the stream
or in the read model, and the returned node's replica of the stream catches up."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from shared.audit.chain import verify_chain
from shared.auth import Role
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore
from shared.testing.waiting import eventually
from tests.cluster.conftest import Fleet
from tests.cluster.support import (
    Pool,
    Poster,
    checkpoint,
    compare_with_log,
    jetstream,
    last_position,
    log_id_counts,
    log_positions,
)
from tests.integration.finance_fixtures import booking, plan_events

LOAD = 900
RATE = 120.0
"""Bookings per second: steady, and under what one process takes on a quiet machine, so long
waits come from the fault rather than from a queue (on a busy machine they come from both:
the median wait printed beside the longest tells which)."""


@pytest.mark.slow
async def test_a_node_killed_under_load_and_brought_back(
    settings: Settings, pool: Pool, fleet: Fleet, keys: dict[Role, str]
) -> None:
    nodes = fleet.nats_cluster("ptrack-test")
    for node in nodes:
        node.start()
    urls = [node.url for node in nodes]
    settings = settings.model_copy(update={"nats_url": ",".join(urls), "nats_replicas": 3})
    stream, schema = settings.nats_stream, settings.schema_for("finance")
    finance = fleet.service("finance", settings)
    poster = Poster([finance.url], keys["integration"])
    async with jetstream(urls) as js:

        async def jetstream_answers() -> bool:
            try:
                await js.account_info()
            except Exception:
                return False
            return True

        # The nodes listen before they have elected a JetStream meta leader.
        await eventually(jetstream_answers, timeout=30, what="the cluster's JetStream answers")
        await fleet.start(finance)
        try:
            for event in plan_events():
                assert (await poster.post(event)).accepted
            poster.outcomes.clear()  # the figures below are the load's

            async def plan_published() -> bool:
                return await last_position(js, stream) == 2

            await eventually(plan_published, timeout=30, what="the plan is in the stream")
            info = await js.stream_info(stream)
            assert info.config.num_replicas == 3
            assert info.cluster is not None
            # The stream leader's node: its death forces an election while the relay publishes.
            victim = next(node for node in nodes if node.name == info.cluster.leader)

            load = poster.start([booking(f"GL-{n}", "1.00") for n in range(LOAD)], rate=RATE)

            async def under_way() -> bool:
                return len(poster.accepted) >= LOAD // 5 or load.done()

            await eventually(under_way, timeout=60, what="the load is under way")
            before_kill = max(outcome.position or 0 for outcome in poster.accepted)
            await asyncio.to_thread(victim.kill)
            killed_at = time.monotonic()

            async def published_without_it() -> bool:
                # Events accepted after the kill reach the stream on the two nodes left.
                return await last_position(js, stream) > before_kill + 50

            await eventually(published_without_it, timeout=60, what="publishing on two nodes")
            resumed = time.monotonic() - killed_at
            await asyncio.to_thread(victim.start)
            back_at = time.monotonic()
            down = back_at - killed_at
            await load

            async def replicas_current() -> bool:
                try:
                    cluster = (await js.stream_info(stream)).cluster
                except Exception:
                    return False
                peers = (cluster.replicas or []) if cluster else []
                names = {peer.name for peer in peers} | {cluster.leader if cluster else None}
                return (
                    victim.name in names
                    and len(peers) == 2
                    and all(peer.current and not peer.offline for peer in peers)
                )

            await eventually(replicas_current, timeout=60, what="every replica is current")
            caught_up = time.monotonic() - back_at

            head = 2 + LOAD

            async def all_published() -> bool:
                return (
                    await checkpoint(pool, schema, "relay") == head
                    and await last_position(js, stream) == head
                )

            async def all_projected() -> bool:
                return await checkpoint(pool, schema, "projection:finance") == head

            await eventually(all_published, timeout=60, what="the relay published the log")
            await eventually(all_projected, timeout=60, what="the read model took the log")
        finally:
            await poster.close()

    assert not poster.failed, poster.failed[:5]
    accepted = {outcome.event_id for outcome in poster.accepted}
    assert len(accepted) == LOAD

    # The log: every accepted post once, positions 1..N, the chain intact.
    in_log = await log_id_counts(pool, schema)
    assert await log_positions(pool, schema) == (head, 1, head)
    store = PostgresEventStore(pool, schema)
    chain = await verify_chain(store.read_all(1))
    assert chain.ok, chain.to_dict()
    assert chain.checked == head

    # The stream, read through every node (the returned one included): each position once.
    reports = [await compare_with_log([node.url], settings, pool, "finance") for node in nodes]
    for report in reports:
        assert report.ok, report.to_dict()
        assert (report.messages, report.duplicates) == (head, 0), report.to_dict()
        assert (report.first_position, report.last_position) == (1, head), report.to_dict()

    # The read model: every booking once, nothing set aside.
    rows = await pool.fetch(f"SELECT event_id FROM {schema}.bookings")
    in_model = Counter(str(row["event_id"]) for row in rows)
    failures = await pool.fetchval(f"SELECT count(*) FROM {schema}.projection_failures")

    lost = len(accepted - set(in_log)) + len(accepted - set(in_model))
    lost += max(report.missing_count for report in reports)
    doubled = sum(1 for counts in (in_log, in_model) for n in counts.values() if n > 1)
    doubled += max(report.duplicates for report in reports)
    slowest = poster.slowest
    print(
        f"\nNATS cluster: {LOAD} bookings at {RATE:.0f}/s, accepted {len(accepted)}, "
        f"lost {lost}, doubled {doubled}; client wait: median {poster.median_wait:.3f} s, "
        f"longest {slowest.wait:.3f} s (a post due {slowest.due - killed_at:+.1f} s from the "
        f"kill); "
        f"killed the stream leader {victim.name}; stream took new events {resumed:.1f} s "
        f"after the kill; node down {down:.1f} s, its replica current {caught_up:.1f} s "
        f"after its return"
    )
    assert set(in_model) == accepted
    assert sum(in_model.values()) == LOAD
    assert failures == 0
    assert (lost, doubled) == (0, 0)
