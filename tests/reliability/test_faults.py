"""A steady load of integrations posting to every service while, one after another, each
service process is killed (SIGKILL) and restarted, the finance relay is killed, NATS is killed
and restarted, and PostgreSQL crashes and restarts. After each fault and a quiet period, every
accepted event must be in the log, in JetStream and in the read models exactly once, every
refused one nowhere, and no client may have seen a 500 or waited on a hung request.

The phases share one stack and one ledger, in this order, and each checks everything posted so
far: a later fault must not undo what an earlier one left right."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.reliability.checks import quiesce, verify
from tests.reliability.client import integrations, send_at_rate
from tests.reliability.conftest import Results
from tests.reliability.stack import FINANCE_RELAY, Stack, connect, post_setup, running_stack
from tests.reliability.workload import WRITERS, Post, Workload, setup_posts

EVENTS_PER_PHASE = 2000
EVENTS_PER_SECOND = 100.0
"""Offered across the four writing services. The whole stack (six service processes, their
relays and projections, PostgreSQL, NATS and this client) shares two cores and holds about 110
a second; a steady load below that lets the waits measure the fault rather than a queue."""
FAULT_AFTER_SHARE = 0.3
"""The fault strikes once this share of the phase's posts has its final answer: the load is
well under way, whatever the machine's speed."""
OUTAGE_SECONDS = 2.0
"""How long NATS or PostgreSQL stays down: part of the fault's definition (a service restart
takes what it takes)."""


@dataclass(frozen=True)
class Fault:
    name: str
    strike: Callable[[Stack], Awaitable[None]] | None

    def __str__(self) -> str:
        return self.name


def kill(process: str) -> Callable[[Stack], Awaitable[None]]:
    async def strike(stack: Stack) -> None:
        service = stack.processes[process]
        service.kill()
        # Restarting blocks (a new process must start and answer /readyz): off the event loop,
        # so the integrations keep posting meanwhile.
        await stack.off_loop(service.start)

    return strike


async def restart_nats(stack: Stack) -> None:
    await stack.off_loop(stack.nats.kill)
    await asyncio.sleep(OUTAGE_SECONDS)
    await stack.off_loop(stack.nats.start)


async def restart_postgres(stack: Stack) -> None:
    # An immediate stop is a crash: no checkpoint, every session cut; the start recovers.
    await stack.off_loop(stack.postgres.crash)
    await asyncio.sleep(OUTAGE_SECONDS)
    await stack.off_loop(stack.postgres.start)


FAULTS = [
    Fault("none (baseline)", None),
    Fault("registry killed", kill("registry")),
    Fault("milestones killed", kill("milestones")),
    Fault("surveys killed", kill("surveys")),
    Fault("finance API killed", kill("finance")),
    Fault("finance relay killed", kill(FINANCE_RELAY)),
    Fault("reporting killed", kill("reporting")),
    Fault("NATS killed and restarted", restart_nats),
    Fault("PostgreSQL crashed and restarted", restart_postgres),
]


def _describe(post: Post, started: float) -> dict[str, Any]:
    return {
        "service": post.service,
        "types": sorted({str(event["type"]) for event in post.events}),
        "sent_after_seconds": (post.first_sent or started) - started,
        "waited_seconds": post.waited,
        "answers": post.statuses,
        "connection_errors": post.errors[:5],
    }


@pytest.fixture(scope="module")
def ledger() -> list[Post]:
    """Every post of every phase, with what happened to it."""
    return []


@pytest.fixture(scope="module")
def stack(ledger: list[Post], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as started:
        setup = setup_posts()
        post_setup(started, setup)
        ledger.extend(setup)
        yield started


@pytest.mark.timeout(240)
@pytest.mark.parametrize("fault", FAULTS, ids=str)
async def test_nothing_lost_or_doubled(
    fault: Fault, stack: Stack, ledger: list[Post], results: Results
) -> None:
    await stack.off_loop(stack.ensure_running)
    posts = Workload(fault.name, FAULTS.index(fault)).posts(EVENTS_PER_PHASE)
    ledger.extend(posts)
    answered = 0
    under_way = asyncio.Event()

    def on_answer() -> None:
        nonlocal answered
        answered += 1
        if answered >= FAULT_AFTER_SHARE * len(posts):
            under_way.set()

    async def strike() -> tuple[float, float]:
        await under_way.wait()
        struck = time.monotonic()
        if fault.strike is not None:
            await fault.strike(stack)
        return struck, time.monotonic()

    clients, close = integrations({s: stack.url(s) for s in WRITERS}, stack.integration_key)
    started = time.monotonic()
    striking = asyncio.create_task(strike())
    try:
        await send_at_rate(posts, clients, EVENTS_PER_SECOND, on_answer)
        struck, recovered = await striking
    finally:
        striking.cancel()
        await close()
    finished = max(post.answered_at or started for post in posts)

    pool = await connect(stack)
    try:
        caught_up = await quiesce(stack, pool)
        checking = time.monotonic()
        findings = await verify(stack, pool, ledger, posts)
        checked = time.monotonic() - checking
    finally:
        await pool.close()

    accepted = sum(len(post.events) for post in posts if post.accepted and post.valid)
    waits = sorted(post.waited for post in posts)
    row: dict[str, Any] = {
        "fault": fault.name,
        "offered_events_per_second": EVENTS_PER_SECOND,
        "events_per_second": accepted / (finished - started),
        "events_accepted": accepted,
        "posts": len(posts),
        "refused_as_intended": sum(
            1 for post in posts if not post.valid and post.final == post.expected
        ),
        "lost": findings.lost,
        "doubled": findings.doubled,
        "stream_duplicates": findings.stream_duplicates,
        "refused_but_recorded": findings.refused_recorded,
        "retries": sum(len(post.statuses) + len(post.errors) - 1 for post in posts),
        "longest_wait_seconds": max(waits),
        "p99_wait_seconds": waits[int(len(waits) * 0.99)],
        "slowest_attempt_seconds": max(post.slowest_attempt for post in posts),
        "caught_up_seconds": caught_up,
        "fault_took_seconds": recovered - struck,
        "load_seconds": finished - started,
        "check_seconds": checked,
        "answers": dict(Counter(str(status) for post in posts for status in post.statuses)),
        "connection_errors": sum(len(post.errors) for post in posts),
        "slowest_post": _describe(max(posts, key=lambda post: post.waited), started),
        "problems": findings.problems,
    }
    results.add(row)
    assert not findings.problems, "\n".join(findings.problems)
    assert (findings.lost, findings.doubled, findings.refused_recorded) == (0, 0, 0)
    assert findings.stream_duplicates == 0
