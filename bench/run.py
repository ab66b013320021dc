"""`make bench`: every scenario in one run, ours and the peers on the same database, then
bench/results/latest.{json,md,png} and the table on stdout.

Scenarios run one after another (never two systems at once), each system in a fresh schema.
Set PTRACK_BENCH_SCALE (default 1) to stretch or shrink every timed window.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

from bench import http_posts, peer_asyncpg, peer_eventsourcing, report, store_append
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

    @classmethod
    def scaled(cls, scale: float) -> Windows:
        return cls(
            store=Window(1.0 * scale, 5.0 * scale),
            http=Window(3.0 * scale, 10.0 * scale),
            batch=Window(1.0 * scale, 8.0 * scale),
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
    results = _results(run_id, facts, windows, scenarios, check)
    table = report.write_all(results, scenarios, RESULTS)
    say(f"wrote {RESULTS}/latest.json, latest.md, latest.png")
    print()
    print(table)
    print()
    if not check["ok"]:
        warn(f"the service's log does not match what it accepted: {check}")
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
    return {
        "run_id": run_id,
        "environment": facts,
        "windows_seconds": dataclasses.asdict(windows),
        "scenarios": [scenario.as_json() for scenario in scenarios],
        "log_check": check,
    }


def _show(measurement: Measurement) -> None:
    errors = f", {measurement.errors} errors" if measurement.errors else ""
    say(
        f"  {measurement.label}: {measurement.rate:,.0f} events/s "
        f"({measurement.events} in {measurement.seconds:.1f} s{errors})"
    )


if __name__ == "__main__":
    sys.exit(main())
