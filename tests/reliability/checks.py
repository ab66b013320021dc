"""After a fault and a quiet period: is every accepted event in the log, in JetStream and in the
read models exactly once, and every refused one nowhere?"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats

from shared.audit.stream import compare_stream
from shared.checkpoints import read_checkpoint
from shared.relay import CHECKPOINT as RELAY_CHECKPOINT
from shared.store.postgres import PostgresEventStore
from tests.reliability.stack import Stack
from tests.reliability.workload import READ_MODEL_TABLES, WRITERS, Post

QUIET_TIMEOUT = 120.0


async def quiesce(stack: Stack, pool: asyncpg.Pool[asyncpg.Record]) -> float:
    """Wait until, for every service, the relay and every projection have reached the head of
    the log; returns how long that took."""
    started = time.monotonic()
    while True:
        behind = await _behind(stack, pool)
        if not behind:
            return time.monotonic() - started
        stack.check_alive()
        if time.monotonic() - started > QUIET_TIMEOUT:
            raise AssertionError(f"not caught up within {QUIET_TIMEOUT:.0f}s: {behind}")
        await asyncio.sleep(0.1)


async def _behind(stack: Stack, pool: asyncpg.Pool[asyncpg.Record]) -> dict[str, Any]:
    behind: dict[str, Any] = {}
    for service in WRITERS:
        schema = stack.schema(service)
        head = await pool.fetchval(f"SELECT coalesce(max(position), 0) FROM {schema}.events")
        positions = {"relay": await read_checkpoint(pool, schema, RELAY_CHECKPOINT)}
        for reader in (service, "reporting"):
            name = f"projection:{service}"
            positions[reader] = await read_checkpoint(pool, stack.schema(reader), name)
        if any(position != head for position in positions.values()):
            behind[service] = {"head": head, **positions}
    return behind


@dataclass
class Findings:
    lost: int = 0
    """Accepted events missing from the log, the stream or a read model (each place counts)."""
    doubled: int = 0
    """Events found more than once in the log or a read model, or log rows no post explains."""
    stream_duplicates: int = 0
    """Messages for a position the stream holds already (harmless for consumers; counted)."""
    refused_recorded: int = 0
    problems: list[str] = field(default_factory=list)

    def note(self, problem: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(problem)


async def verify(
    stack: Stack,
    pool: asyncpg.Pool[asyncpg.Record],
    posts: Sequence[Post],
    current: Sequence[Post],
) -> Findings:
    """Check the answers of this phase's posts (`current`), and the data of every post made so
    far (`posts`, all phases): a later fault must not undo what an earlier one left right."""
    findings = Findings()
    for post in current:
        for problem in post.problems:
            findings.note(f"{post.phase} {post.service} {post.ids[0]}: {problem}")
    nc = await nats.connect(stack.settings.nats_url)
    try:
        js = nc.jetstream()
        for service in WRITERS:
            mine = [post for post in posts if post.service == service]
            expected = {i: p for post in mine if post.accepted for i, p in post.positions.items()}
            refused = {i for post in mine if not post.valid for i in post.ids}
            await _check_log(pool, stack.schema(service), expected, refused, findings, service)
            report = await compare_stream(
                js,
                stack.settings.nats_stream,
                stack.settings.subject_prefix,
                service,
                PostgresEventStore(pool, stack.schema(service)),
            )
            findings.lost += report.missing_count
            findings.doubled += report.mismatched_count + report.unreadable
            findings.stream_duplicates += report.duplicates
            if not report.ok or report.duplicates:
                findings.note(f"stream of {service}: {report.to_dict()}")
            for reader in (service, "reporting"):
                await _check_read_models(pool, stack.schema(reader), service, mine, findings)
    finally:
        await nc.close()
    return findings


async def _check_log(
    pool: asyncpg.Pool[asyncpg.Record],
    schema: str,
    expected: dict[str, int],
    refused: set[str],
    findings: Findings,
    service: str,
) -> None:
    rows = await pool.fetch(f"SELECT event_id::text AS id, position FROM {schema}.events")
    logged = Counter(row["id"] for row in rows)
    position_of = {row["id"]: row["position"] for row in rows}
    for event_id, position in expected.items():
        if logged[event_id] == 0:
            findings.lost += 1
            findings.note(f"log of {service}: accepted event {event_id} is missing")
        elif position_of[event_id] != position:
            findings.doubled += 1
            findings.note(
                f"log of {service}: {event_id} at {position_of[event_id]}, not {position}"
            )
    unexplained = [i for i in logged if i not in expected]
    recorded_refused = [i for i in unexplained if i in refused]
    findings.refused_recorded += len(recorded_refused)
    findings.doubled += len(unexplained) - len(recorded_refused)
    findings.doubled += sum(count - 1 for count in logged.values() if count > 1)
    if unexplained:
        findings.note(f"log of {service}: {len(unexplained)} event(s) no accepted post explains")
    head = max((row["position"] for row in rows), default=0)
    if head != len(rows):
        findings.note(f"log of {service}: {len(rows)} rows up to position {head}")


async def _check_read_models(
    pool: asyncpg.Pool[asyncpg.Record],
    schema: str,
    service: str,
    posts: Sequence[Post],
    findings: Findings,
) -> None:
    """The service's own read model, or the reporting service's copy of it."""
    for event_type, (owner, table) in READ_MODEL_TABLES.items():
        if owner != service:
            continue
        positions = {
            post.positions[str(event["id"])]
            for post in posts
            if post.accepted
            for event in post.events
            if event["type"] == event_type
        }
        rows = await pool.fetch(f"SELECT position, count(*) AS n FROM {schema}.{table} GROUP BY 1")
        counts = {row["position"]: row["n"] for row in rows}
        missing = positions - set(counts)
        extra = sum(n - 1 for n in counts.values() if n > 1)
        extra += sum(n for position, n in counts.items() if position not in positions)
        findings.lost += len(missing)
        findings.doubled += extra
        if missing or extra:
            findings.note(
                f"{schema}.{table}: {len(missing)} accepted {event_type} missing "
                f"(e.g. positions {sorted(missing)[:5]}), {extra} row(s) too many"
            )
    failures = await pool.fetchval(
        f"SELECT count(*) FROM {schema}.projection_failures WHERE projection = $1", service
    )
    if failures:
        findings.note(f"{schema}.projection_failures holds {failures} row(s) for {service}")
