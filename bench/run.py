"""`make bench`: every scenario in one run, ours and the peers on the same database, then
bench/results/latest.{json,md,png} and the table on stdout.

Scenarios run one after another (never two systems at once), each system in a fresh schema.
Set PTRACK_BENCH_SCALE (default 1) to stretch or shrink every timed window (and the JetStream
scenario's log).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from bench import (
    freshness,
    http_posts,
    jetstream,
    memory,
    peer_asyncpg,
    peer_eventsourcing,
    report,
    stack,
    store_append,
)
from bench.console import say, warn
from bench.facts import environment
from bench.model import Measurement, Scenario
from bench.servers import (
    BenchDatabase,
    bench_database,
    delete_stream,
    find_nats,
    find_postgres,
    new_run_id,
    without_password,
)
from bench.service import finance_service, stream_name
from bench.timing import Window

RESULTS = Path(__file__).parent / "results"
STORE_CONCURRENCY = (1, 32)
HTTP_CONCURRENCY = 32
BATCH_SIZE = 500


@dataclasses.dataclass(frozen=True)
class Windows:
    store: Window
    http: Window
    batch: Window
    freshness: Window
    memory_load: Window
    jetstream_events: int
    """Not a window: the size of the log the JetStream scenario publishes and consumes."""

    @classmethod
    def scaled(cls, scale: float) -> Windows:
        return cls(
            store=Window(1.0 * scale, 5.0 * scale),
            http=Window(3.0 * scale, 10.0 * scale),
            batch=Window(1.0 * scale, 8.0 * scale),
            freshness=Window(2.0 * scale, 10.0 * scale),
            # No warm-up: the peak since the load began is the figure.
            memory_load=Window(0.0, 5.0 * scale),
            jetstream_events=max(1000, round(jetstream.EVENTS * scale)),
        )


def main() -> int:
    scale = float(os.environ.get("PTRACK_BENCH_SCALE", "1"))
    postgres_url = find_postgres()  # outside the event loop: the probe runs its own
    wrk = http_posts.find_wrk()  # may install it: before anything is timed
    with find_nats() as nats_url:
        return asyncio.run(_run(postgres_url, nats_url, wrk, Windows.scaled(scale)))


async def _run(postgres_url: str, nats_url: str, wrk: str | None, windows: Windows) -> int:
    run_id = new_run_id()
    say(f"run {run_id}: PostgreSQL {without_password(postgres_url)}, NATS {nats_url}")
    async with bench_database(postgres_url, run_id) as database:
        say(f"fresh database {database.own_database or '(schemas ' + database.prefix + '*)'}")
        facts = await environment(database.url, wrk)
        scenarios = await _store_scenarios(database, windows.store)
        es_c32 = scenarios[-1].peers[-1]
        http, batch, check = await _service_scenarios(database, nats_url, run_id, wrk, windows)
        scenarios.append(_http_scenario(http, es_c32))
        scenarios.append(await _batch_scenario(database, batch, windows.batch))
        scenarios += await _stack_scenarios(database, nats_url, run_id, wrk, windows)
        say(f"scenario: JetStream through relay and runner, {windows.jetstream_events:,} events")
        scenarios += await jetstream.scenarios(database, nats_url, run_id, windows.jetstream_events)
    results = _results(run_id, facts, windows, scenarios, check)
    table = report.write_all(results, scenarios, RESULTS)
    say(f"wrote {RESULTS}/latest.json, latest.md, latest.png")
    print()
    print(table)
    print()
    failed = [s.key for s in scenarios if s.checks is not None and not s.checks.get("ok")]
    if failed:
        warn(f"scenario checks failed (see latest.json): {', '.join(failed)}")
    if not check["ok"]:
        warn(f"the service's log does not match what it accepted: {check}")
    if failed or not check["ok"]:
        return 1
    say(f"service log verified: head {check['log_head']} = events accepted (plan included)")
    return 0


async def _store_scenarios(database: BenchDatabase, window: Window) -> list[Scenario]:
    scenarios = []
    for concurrency in STORE_CONCURRENCY:
        schema = f"{database.prefix}{{}}_c{concurrency}".format
        say(f"scenario: store append, concurrency {concurrency}")
        ours = await store_append.appends(database.url, schema("ours"), concurrency, window)
        _show(ours)
        raw = await peer_asyncpg.single_inserts(database.url, schema("raw"), concurrency, window)
        _show(raw)
        await peer_eventsourcing.create_schema(database.url, schema("es"))
        library = await asyncio.to_thread(
            peer_eventsourcing.saves, database.url, schema("es"), concurrency, window
        )
        _show(library)
        scenarios.append(
            Scenario(
                f"append-c{concurrency}",
                f"Store append, single events, concurrency {concurrency}",
                ours,
                [raw, library],
            )
        )
    return scenarios


async def _service_scenarios(
    database: BenchDatabase, nats_url: str, run_id: str, wrk: str | None, windows: Windows
) -> tuple[Measurement, Measurement, dict[str, Any]]:
    say("starting the finance service")
    try:
        async with finance_service(database, nats_url, run_id) as service:
            say(f"scenario: HTTP single-event posts, concurrency {HTTP_CONCURRENCY}")
            http = await http_posts.single_posts(service, wrk, HTTP_CONCURRENCY, windows.http)
            _show(http)
            say(f"scenario: HTTP batches of {BATCH_SIZE}, sequential")
            batch = await http_posts.batch_posts(service, BATCH_SIZE, windows.batch)
            _show(batch)
            check = await service.verify()
            say(f"log check: {check}")
    finally:
        try:
            await delete_stream(nats_url, stream_name(run_id))
        except Exception as error:  # cleanup must not hide the run's own outcome
            warn(f"could not delete JetStream stream {stream_name(run_id)}: {error!r}")
    return http, batch, check


async def _stack_scenarios(
    database: BenchDatabase, nats_url: str, run_id: str, wrk: str | None, windows: Windows
) -> list[Scenario]:
    """Memory and freshness need every service running as deployed: one stack for both."""
    say("starting the five services (memory and freshness scenarios)")
    async with stack.services(database, nats_url, run_id) as running:
        say("scenario: resident memory at rest after start-up")
        idle = await memory.at_rest(running, "idle after start-up")
        for line in await running.load_plan():
            say(f"  {line}")
        await running.settled()
        say("scenario: resident memory with the plan loaded and applied")
        planned = await memory.at_rest(running, "plan loaded")
        say(f"scenario: freshness at {freshness.RATE:.0f} events/s")
        fresh, fresh_checks = await freshness.read_models(running, windows.freshness)
        for row in fresh:
            _show_latency(row)
        say(f"scenario: resident memory of finance under HTTP load ({memory.CONNECTIONS} conns)")
        loaded = await memory.finance_under_load(running, wrk, windows.memory_load.seconds)
        say(f"  {loaded.label}: {loaded.figure:.0f} MB ({loaded.rate:,.0f} posts/s)")
    say("scenario: bare FastAPI at rest and under the same load (memory peer)")
    bare_idle, bare_loaded = await memory.bare_fastapi(wrk, windows.memory_load.seconds)
    say(f"scenario: raw nats-py at {freshness.RATE:.0f} events/s (freshness peer)")
    floor, floor_ok = await freshness.nats_floor(nats_url, run_id, windows.freshness)
    _show_latency(floor)
    return [
        freshness.scenario(fresh, fresh_checks, floor, floor_ok),
        *memory.scenarios(idle, planned, loaded, bare_idle, bare_loaded),
    ]


def _http_scenario(http: Measurement, es_c32: Measurement) -> Scenario:
    peer = dataclasses.replace(es_c32, label=f"{es_c32.label} in-process c32 (store scenario)")
    notes = [
        "HTTP single posts: the peer is the eventsourcing library's in-process appends at "
        "concurrency 32 from the store scenario (no HTTP, no validation, no NATS relay)."
    ]
    if http.details.get("client") != "wrk":
        notes.append("wrk was unavailable: the HTTP load came from an in-process httpx client.")
    return Scenario(
        f"http-c{HTTP_CONCURRENCY}",
        f"HTTP single-event posts, concurrency {HTTP_CONCURRENCY}",
        http,
        [peer],
        notes,
    )


async def _batch_scenario(database: BenchDatabase, ours: Measurement, window: Window) -> Scenario:
    say(f"scenario: raw asyncpg batches of {BATCH_SIZE}")
    peers = []
    for copy in (False, True):
        schema = f"{database.prefix}raw_batch_{'copy' if copy else 'many'}"
        peer = await peer_asyncpg.batches(database.url, schema, BATCH_SIZE, window, copy=copy)
        _show(peer)
        peers.append(peer)
    return Scenario(
        f"batch-{BATCH_SIZE}",
        f"Batches of {BATCH_SIZE} events, sequential (ours through HTTP)",
        ours,
        peers,
        ["Batches: ours goes through HTTP, validation and the domain; the peers write rows."],
    )


def _results(
    run_id: str,
    facts: dict[str, Any],
    windows: Windows,
    scenarios: list[Scenario],
    check: dict[str, Any],
) -> dict[str, Any]:
    windows_seconds = dataclasses.asdict(windows)
    return {
        "run_id": run_id,
        "environment": facts,
        "jetstream_log_events": windows_seconds.pop("jetstream_events"),
        "windows_seconds": windows_seconds,
        "scenarios": [scenario.as_json() for scenario in scenarios],
        "log_check": check,
    }


def _show(measurement: Measurement) -> None:
    errors = f", {measurement.errors} errors" if measurement.errors else ""
    say(
        f"  {measurement.label}: {measurement.rate:,.0f} events/s "
        f"({measurement.events} in {measurement.seconds:.1f} s{errors})"
    )


def _show_latency(row: Measurement) -> None:
    d = row.details
    say(
        f"  {row.label}: p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms, "
        f"max {d['max_ms']:.1f} ms ({row.events} events)"
    )


if __name__ == "__main__":
    sys.exit(main())
