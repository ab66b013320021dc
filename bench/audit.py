"""The audit scenario: reading, verifying and replaying a large log, side by side.

    python -m bench.audit      # PTRACK_BENCH_AUDIT_EVENTS=1000000 by default

One run makes a finance log of N events (`bench.audit_log`), then measures, each in a process
of its own (`bench.audit_child`) so that its peak memory is its own:

- raw: the rows in position order through plain asyncpg, keyset pages, made tuples: the floor;
- verify: `verify_stored` (the auditor's check: each row's canonical form as its columns spell
  it, hashed; rows that do not hash that way decoded as `verify_chain` does), in one process,
  and as `ptrack audit verify` runs it on a large log: `verify_log`, ranges verified
  side by side, one process per CPU (the raw read is one connection: compare with care);
- replay: `ReadModelWriter(FinanceProjection()).rebuild()` (typed decoding and read-model
  writes).

It writes bench/results/audit.json and audit.md and prints the table. The run fails (exit 1,
after writing the results) unless raw read N rows, verify reports an intact chain of N events
ending in the hash the generator computed, and replay applied N events without a failure: a
figure for a broken log or a half-applied replay would be worthless.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench import audit_child
from bench.audit_log import PROJECTS, LogSummary, write_log
from bench.console import conclude, origin, say, warn
from bench.facts import REPO, environment
from bench.model import Measurement, ratio
from bench.servers import bench_database, find_postgres, new_run_id, without_password

RESULTS = Path(__file__).parent / "results"
EVENTS_VARIABLE = "PTRACK_BENCH_AUDIT_EVENTS"
DEFAULT_EVENTS = 1_000_000
MIN_EVENTS = 2 * PROJECTS
"""Every project's plan (BudgetApproved, FinancingPlanned) comes first."""
ORDER = ("raw", "verify", "verify_parallel", "replay")
LABELS = {
    "raw": "raw: asyncpg keyset pages of 5000, rows to tuples",
    "verify": "verify: verify_stored(PostgresEventStore, page_size=5000)",
    "verify_parallel": "verify, one process per CPU: verify_log(jobs=os.cpu_count())",
    "replay": "replay: ReadModelWriter(FinanceProjection()).rebuild()",
}
_PACKAGES = ("pydantic", "pydantic-core", "orjson")
"""Beyond those every run records: the typed decoding and the hashing depend on these."""


def main() -> int:
    try:
        events = int(os.environ.get(EVENTS_VARIABLE, DEFAULT_EVENTS))
    except ValueError:
        events = 0
    if events < MIN_EVENTS:
        warn(f"{EVENTS_VARIABLE} must be a whole number of at least {MIN_EVENTS}")
        return 2
    postgres_url = find_postgres()  # outside the event loop: the probe runs its own
    return asyncio.run(_run(postgres_url, events))


async def _run(postgres_url: str, events: int) -> int:
    run_id = new_run_id()
    say(f"audit run {run_id}: {events:,} events, PostgreSQL {without_password(postgres_url)}")
    async with bench_database(postgres_url, run_id) as database:
        say(f"fresh database {database.own_database or '(schemas ' + database.prefix + '*)'}")
        facts = await environment(database.url, None)
        facts["packages"].update({name: _version(name) for name in _PACKAGES})
        schema = f"{database.prefix}audit"
        say(f"generating the log in {schema}")
        log = await write_log(
            database.url, schema, events, audit_child.Ticker("generated and copied", events)
        )
        say(
            f"log ready: {log.events:,} events in {log.seconds:.1f} s "
            f"({log.events / log.seconds:,.0f}/s), {log.table_bytes / 2**20:,.0f} MB, {log.by_type}"
        )
        children: dict[str, dict[str, Any]] = {}
        for what in ORDER:
            children[what] = await _measure(database.url, schema, events, what)
    measurements = {what: _measurement(what, children[what]) for what in ORDER}
    checks = _checks(events, log, children)
    results = _results(run_id, facts, events, log, measurements, children, checks)
    table = markdown_table(measurements, children)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "audit.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / "audit.md").write_text(markdown_document(results, table, measurements, children))
    say(f"wrote {RESULTS}/audit.json, audit.md")
    return conclude(
        table,
        checks,
        "raw read every row, the chain verified to the generated head hash, the replay "
        "applied every event",
    )


async def _measure(url: str, schema: str, events: int, what: str) -> dict[str, Any]:
    say(f"measuring {LABELS[what]} (own process)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix="ptrack-bench-audit-") as directory:
        out = Path(directory) / "result.json"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.audit_child",
            what,
            "--schema",
            schema,
            "--events",
            str(events),
            "--out",
            str(out),
            "--clock-origin",
            repr(origin()),
            cwd=REPO,
            env={**os.environ, audit_child.URL_VARIABLE: url},
        )
        status = await process.wait()
        if status != 0 or not out.exists():
            raise RuntimeError(f"the {what} measurement failed (exit status {status})")
        result: dict[str, Any] = json.loads(out.read_text())
    result["load_average_before"] = load
    rate = result["events"] / result["seconds"] if result["seconds"] else 0.0
    say(
        f"  {what}: {rate:,.0f} events/s ({result['events']:,} in {result['seconds']:.1f} s), "
        f"peak RSS {_megabytes(result['peak_rss_mb'])} MB"
    )
    return result


def _measurement(what: str, child: dict[str, Any]) -> Measurement:
    return Measurement(LABELS[what], int(child["events"]), float(child["seconds"]))


def _checks(events: int, log: LogSummary, children: dict[str, dict[str, Any]]) -> dict[str, Any]:
    report = children["verify"]["details"]["report"]
    parallel = children["verify_parallel"]["details"]["report"]
    replayed = children["replay"]["details"]
    booked = log.by_type.get("CostBooked", 0)
    return {
        "log_generated": {"ok": log.events == events, "events": log.events},
        "raw_read_every_row": {
            "ok": children["raw"]["events"] == events,
            "rows": children["raw"]["events"],
        },
        "chain_verified": {
            # Intact, every event checked, and ending where the generator's chain ended.
            "ok": report["ok"]
            and report["checked"] == events
            and report["head_hash"] == log.head_hash.hex(),
            "report": report,
            "generated_head_hash": log.head_hash.hex(),
        },
        "chain_verified_in_parallel": {
            "ok": parallel["ok"]
            and parallel["checked"] == events
            and parallel["head_hash"] == log.head_hash.hex(),
            "report": parallel,
        },
        "replay_applied_every_event": {
            "ok": replayed["position"] == events
            and replayed["failures_total"] == 0
            and replayed["failures_recorded"] == 0
            and replayed["rows"]["bookings"] == booked,
            "position": replayed["position"],
            "failures": replayed["failures_total"],
            "bookings": replayed["rows"]["bookings"],
            "cost_booked_events": booked,
        },
    }


def _results(
    run_id: str,
    facts: dict[str, Any],
    events: int,
    log: LogSummary,
    measurements: dict[str, Measurement],
    children: dict[str, dict[str, Any]],
    checks: dict[str, Any],
) -> dict[str, Any]:
    raw = measurements["raw"]
    rows = []
    for what in ORDER:
        child = children[what]
        rows.append(
            {
                "what": what,
                **measurements[what].as_json(),
                "ratio_to_raw": ratio(measurements[what], raw),
                "peak_rss_mb": child["peak_rss_mb"],
                "rss_at_start_mb": child["rss_at_start_mb"],
                "cpu_percent_of_one_core": child["cpu_percent_of_one_core"],
                "load_average_before": child["load_average_before"],
                "details": child["details"],
            }
        )
    return {
        "run_id": run_id,
        "environment": facts,
        "events": events,
        "log": log.as_json(),
        "measurements": rows,
        "checks": checks,
        "ok": all(check["ok"] for check in checks.values()),
    }


def markdown_table(
    measurements: dict[str, Measurement], children: dict[str, dict[str, Any]]
) -> str:
    lines = [
        "| What | Events/s | Ratio to raw | Peak RSS (MB) | Seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    raw = measurements["raw"]
    for what in ORDER:
        measurement = measurements[what]
        value = ratio(measurement, raw)
        lines.append(
            f"| {measurement.label} | {measurement.rate:,.0f} "
            f"| {'n/a' if value is None else f'{value:.3f}'} "
            f"| {_megabytes(children[what]['peak_rss_mb'])} | {measurement.seconds:,.1f} |"
        )
    return "\n".join(lines)


def _bounds_table(children: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| What | Reader CPU (% of one core) | PostgreSQL CPU (% of one core) "
        "| RSS at start (MB) | Load average before |",
        "|---|---:|---:|---:|---:|",
    ]
    for what in ORDER:
        child = children[what]
        usage = child["cpu_percent_of_one_core"]
        load = child["load_average_before"]
        lines.append(
            f"| {what} | {_percent(usage.get('reader'))} | {_percent(usage.get('postgres'))} "
            f"| {_megabytes(child['rss_at_start_mb'])} | {'' if load is None else f'{load:.2f}'} |"
        )
    return "\n".join(lines)


def _tenths(child: dict[str, Any]) -> str:
    rates = child["details"].get("rates_by_tenth") or []
    return ", ".join(f"{rate['events_per_second']:,.0f}" for rate in rates) or "n/a"


def _megabytes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} %"


def markdown_document(
    results: dict[str, Any],
    table: str,
    measurements: dict[str, Measurement],
    children: dict[str, dict[str, Any]],
) -> str:
    env = results["environment"]
    postgres = env["postgresql"]
    git = env.get("git") or {}
    log = results["log"]
    types = ", ".join(f"{count:,} {name}" for name, count in log["by_type"].items())
    checks = results["checks"]
    lines = [
        "# ptrack audit benchmark: latest run",
        "",
        f"Run {results['run_id']} on {env['date']}: {env['cpu_count']} CPUs, "
        f"PostgreSQL {postgres['server_version']}, Python {env['python']}, "
        f"pydantic {env['packages'].get('pydantic')}, commit {git.get('commit', 'unknown')[:12]}"
        f"{' with uncommitted changes' if git.get('uncommitted_changes') else ''}.",
        "",
        f"The log: {results['events']:,} finance events ({types}), "
        f"{log['table_megabytes']:,} MB with indexes, generated and copied in "
        f"{log['seconds']:,} s.",
        "",
        table,
        "",
        "Ratio to raw below 1 means slower than reading the rows alone. Each row was measured "
        "in a process of its own; its peak RSS includes the interpreter and imports (see RSS "
        "at start below).",
        "",
        f"Checks: chain {'intact' if checks['chain_verified']['ok'] else 'NOT VERIFIED'} "
        f"({checks['chain_verified']['report']['checked']:,} events checked, head hash "
        f"{checks['chain_verified']['report']['head_hash'][:16]}…); replay reached position "
        f"{checks['replay_applied_every_event']['position']:,} with "
        f"{checks['replay_applied_every_event']['failures']} failures.",
        "",
        "CPU during each window, in percent of one core: the measuring process, and the "
        "PostgreSQL backends serving its connections (empty if the server is not local). A "
        "Python process near 100 % has run out of CPU; when the two add up to about 100 %, "
        "each waits for the other in turn and the figure is bound by that ping-pong:",
        "",
        _bounds_table(children),
        "",
        "Events per second within each tenth of the log, first to last (a figure that sinks "
        "along the log means a cost that grows with it):",
        "",
        *(f"- {what}: {_tenths(children[what])}" for what in ORDER),
        "",
        "Details: audit.json.",
        "",
    ]
    return "\n".join(lines)


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
