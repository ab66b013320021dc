"""The growth scenario: what reading one project costs as the log grows.

    python -m bench.growth     # PTRACK_BENCH_GROWTH_SIZES=10000,100000,1000000 by default
    PTRACK_BENCH_GROWTH_PROJECTS=100 PTRACK_BENCH_GROWTH_NAME=growth-100p python -m bench.growth

The five services run as deployed (`bench.stack`: `ptrack serve` each, the reporting service's
feeds fed through JetStream). The default plan is loaded for each of P projects (its project id
suffixed `-p000`, `-p001`, ...), then the finance log is grown, in steps, to each size in
`PTRACK_BENCH_GROWTH_SIZES` (finance events in the log, the plans' included) with `CostBooked`
events posted in batches of up to 500 (`POST /events`, one project per batch, projects in
turn), so every project holds about a P-th of the bookings. At each size, once every read model
has caught up (and the finance log and the reporting service's bookings are vacuumed and
analysed, as autovacuum would have done to an older log), it measures for the first project,
each beside the raw read of the same rows:

- live status: `GET /projects/{id}/status` on the reporting service, p50 of several requests;
  raw: a plain SQL count and sum of the project's `CostBooked` rows in the finance log;
- as-of-recorded status at a new moment (the database clock once every model caught up): the
  first request (which makes the moment's views over the versioned feeds) and the p50 of
  repeated ones; raw: the same sum limited to `recorded_at <= moment`;
- replay of the finance read model with `ptrack.replay.replay` (into a scratch schema, dropped
  after); raw: the log's rows in position order (`bench.audit_child.raw`, keyset pages).

It writes bench/results/growth.json, growth.md (the table) and growth.png (log-log: log size on
x, milliseconds on y, one line per measure: a flat line is a cost that does not grow with the
log, a slope of 1 a cost that grows with all of it); `PTRACK_BENCH_GROWTH_NAME=growth-100p`
writes growth-100p.{json,md,png} instead, leaving the default run's files. The run fails (exit
1, after writing the results) unless every status answered 200, the raw sums found the project's
bookings, and every replay read the whole log without setting an event aside.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import matplotlib
import orjson

from bench import audit_child
from bench.console import conclude, say, warn
from bench.facts import environment
from bench.servers import bench_database, find_nats, find_postgres, new_run_id, without_password
from bench.stack import PLAN, Stack, services
from ptrack.plan.load import load_plan
from ptrack.plan.model import Plan, read_plan
from ptrack.replay import drop_replay, replay
from shared.http.events import CLOUDEVENT_BATCH
from tests.integration.finance_fixtures import booking

RESULTS = Path(__file__).parent / "results"
SIZES_VARIABLE = "PTRACK_BENCH_GROWTH_SIZES"
PROJECTS_VARIABLE = "PTRACK_BENCH_GROWTH_PROJECTS"
NAME_VARIABLE = "PTRACK_BENCH_GROWTH_NAME"
"""The results' file name (default `growth`), so a run of other sizes keeps the default one."""
DEFAULT_SIZES = "10000,100000,1000000"
DEFAULT_PROJECTS = 10
REQUESTS = 15
"""Timed requests per latency figure (after two warm-ups); the figure is their median."""
BATCH = 500
AMOUNT = "125.00"
SETTLE_SECONDS = 1800.0
"""How long the read models may take to catch up after a step (a million events: minutes)."""
MEASURES = (
    ("live_status_ms", "live status p50"),
    ("raw_status_ms", "raw: SQL sum of the project's bookings, p50"),
    ("as_of_first_ms", "as-of-recorded status, first at a new moment"),
    ("as_of_repeated_ms", "as-of-recorded status, repeated, p50"),
    ("raw_as_of_ms", "raw: SQL sum recorded by then, p50"),
    ("replay_ms", "replay of the finance read model"),
    ("raw_read_ms", "raw: the log's rows in position order"),
)


def main() -> int:
    try:
        sizes = [int(size) for size in os.environ.get(SIZES_VARIABLE, DEFAULT_SIZES).split(",")]
        projects = int(os.environ.get(PROJECTS_VARIABLE, DEFAULT_PROJECTS))
    except ValueError:
        sizes, projects = [], 0
    if not sizes or sizes != sorted(sizes) or projects < 1 or sizes[0] < 10 * projects:
        warn(
            f"{SIZES_VARIABLE} must be ascending whole numbers (comma-separated), the first at "
            f"least 10 per project, and {PROJECTS_VARIABLE} a whole number of at least 1"
        )
        return 2
    try:
        results_name()
    except ValueError as error:
        warn(str(error))
        return 2
    postgres_url = find_postgres()  # outside the event loop: the probe runs its own
    with find_nats() as nats_url:
        return asyncio.run(_run(postgres_url, nats_url, sizes, projects))


async def _run(postgres_url: str, nats_url: str, sizes: list[int], projects: int) -> int:
    run_id = new_run_id()
    say(
        f"growth run {run_id}: sizes {sizes}, {projects} projects, "
        f"PostgreSQL {without_password(postgres_url)}"
    )
    rows: list[dict[str, Any]] = []
    async with bench_database(postgres_url, run_id) as database:
        facts = await environment(database.url, None)
        async with services(database, nats_url, run_id) as stack:
            ids = await _load_plans(stack, projects)
            poster = _Poster(stack, ids)
            for size in sizes:
                await poster.grow_to(size)
                started = time.perf_counter()
                await stack.settled(SETTLE_SECONDS)
                say(f"read models caught up in {time.perf_counter() - started:.1f} s")
                # As an older log would be (autovacuum's work done): hint bits set and
                # statistics known, so no reader measured pays for writing them.
                await stack.pool.execute(f"VACUUM (ANALYZE) {stack.schema('finance')}.events")
                for table in ("bookings", "bookings__history"):
                    await stack.pool.execute(
                        f"VACUUM (ANALYZE) {stack.schema('reporting')}.{table}"
                    )
                rows.append(await _measure(stack, database.url, ids[0], size, poster))
    checks = _checks(rows)
    results = {
        "run_id": run_id,
        "environment": facts,
        "projects": projects,
        "sizes": sizes,
        "requests_per_latency": REQUESTS,
        "rows": rows,
        "checks": checks,
        "ok": all(check["ok"] for check in checks.values()),
    }
    table = markdown_table(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = results_name()
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown_document(results, table, name))
    chart(rows, RESULTS / f"{name}.png", projects)
    say(f"wrote {RESULTS}/{name}.json, {name}.md, {name}.png")
    return conclude(
        table, checks, "every status answered, the raw sums found the bookings, replays whole"
    )


def results_name() -> str:
    name = os.environ.get(NAME_VARIABLE, "growth")
    if not name.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"{NAME_VARIABLE} must be letters, digits, - and _: {name!r}")
    return name


# -- the log -------------------------------------------------------------------------------------


def _copy(plan: Plan, index: int) -> Plan:
    project = {**plan.data["project"], "id": f"{plan.project_id}-p{index:03d}"}
    return Plan(plan.path, {**plan.data, "project": project})


async def _load_plans(stack: Stack, projects: int) -> list[str]:
    plan = read_plan(PLAN)
    urls = {name: process.url for name, process in stack.processes.items()}
    ids = []
    started = time.perf_counter()
    for index in range(projects):
        copy = _copy(plan, index)
        await asyncio.to_thread(load_plan, copy, urls, stack.token)
        ids.append(copy.project_id)
    say(f"the default plan loaded for {projects} projects in {time.perf_counter() - started:.1f} s")
    return ids


class _Poster:
    """Grows the finance log with `CostBooked` batches, projects in turn."""

    def __init__(self, stack: Stack, ids: list[str]) -> None:
        self.stack = stack
        self.ids = ids
        plan = read_plan(PLAN)
        self.lines = [str(line["id"]) for line in plan.data["budget"]["lines"]]
        start = date.fromisoformat(str(plan.data["project"]["period"]["start"]))
        end = date.fromisoformat(str(plan.data["project"]["period"]["end"]))
        self.days = [(start + timedelta(days=k)).isoformat() for k in range((end - start).days + 1)]
        self.booked: dict[str, int] = dict.fromkeys(ids, 0)
        self.turn = 0
        self.seconds = 0.0
        self.posted = 0

    async def head(self) -> int:
        schema = self.stack.schema("finance")
        return int(
            await self.stack.pool.fetchval(
                f"SELECT coalesce(max(position), 0) FROM {schema}.events"
            )
        )

    async def grow_to(self, size: int) -> None:
        head = await self.head()
        if head >= size:
            say(f"the finance log holds {head:,} events already (asked {size:,})")
            return
        say(f"growing the finance log from {head:,} to {size:,} events")
        finance = self.stack.finance()
        headers = {**finance.auth, "Content-Type": CLOUDEVENT_BATCH}
        started = time.perf_counter()
        posted, last_said = 0, started
        # Batches of at most BATCH, as many as a multiple of the projects, so that every
        # project gets the same share of each step.
        batches = -(-(size - head) // BATCH)
        batches = -(-batches // len(self.ids)) * len(self.ids)
        batch = -(-(size - head) // batches)
        async with httpx.AsyncClient(base_url=finance.base_url, timeout=120) as client:
            while head + posted < size:
                count = min(batch, size - head - posted)
                project = self.ids[self.turn % len(self.ids)]
                self.turn += 1
                events = [self._booking(project) for _ in range(count)]
                answer = await client.post("/events", content=orjson.dumps(events), headers=headers)
                if answer.status_code != 201:
                    raise RuntimeError(f"a batch was refused: {answer.status_code} {answer.text}")
                posted += count
                if time.perf_counter() - last_said > 10:
                    last_said = time.perf_counter()
                    say(f"  posted {head + posted:,} / {size:,}")
        seconds = time.perf_counter() - started
        self.seconds += seconds
        self.posted += posted
        say(f"posted {posted:,} events in {seconds:.1f} s ({posted / seconds:,.0f}/s)")

    def _booking(self, project: str) -> dict[str, Any]:
        number = self.booked[project] = self.booked[project] + 1
        return booking(
            f"G-{number:07d}",
            AMOUNT,
            line=self.lines[number % len(self.lines)],
            day=self.days[number % len(self.days)],
            project=project,
            source="urn:bench:growth",
        )


# -- the measures ---------------------------------------------------------------------------------


async def _median_ms(call: Callable[[], Awaitable[object]], warm: int = 2) -> float:
    for _ in range(warm):
        await call()
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def _measure(
    stack: Stack, url: str, project: str, size: int, poster: _Poster
) -> dict[str, Any]:
    finance = stack.schema("finance")
    events = await poster.head()
    say(f"measuring at {events:,} events, project {project}")
    statuses: dict[str, int] = {}
    headers = stack.finance().auth
    reporting = stack.processes["reporting"].url
    sum_sql = (
        f"SELECT count(*), coalesce(sum((data->>'amount')::numeric), 0) FROM {finance}.events "
        "WHERE stream_id = $1 AND type = 'CostBooked'"
    )
    async with httpx.AsyncClient(base_url=reporting, headers=headers, timeout=1800) as client:

        async def status(what: str, **params: str) -> None:
            answer = await client.get(f"/projects/{project}/status", params=params)
            statuses[f"{what} {answer.status_code}"] = (
                statuses.get(f"{what} {answer.status_code}", 0) + 1
            )

        async def live() -> None:
            await status("live")

        live_ms = await _median_ms(live)
        raw_rows: list[Any] = []

        async def raw_status() -> None:
            raw_rows.append(await stack.pool.fetchrow(sum_sql, project))

        raw_status_ms = await _median_ms(raw_status)
        # A new moment: after every append (all caught up), not asked about before.
        moment: datetime = await stack.pool.fetchval("SELECT clock_timestamp()")
        await asyncio.sleep(0.05)
        at = moment.isoformat()

        async def as_of() -> None:
            await status("as_of", as_of_recorded=at)

        started = time.perf_counter()
        await as_of()
        first_ms = (time.perf_counter() - started) * 1000
        repeated_ms = await _median_ms(as_of, warm=0)

        async def raw_as_of() -> None:
            await stack.pool.fetchrow(sum_sql + " AND recorded_at <= $2", project, moment)

        raw_as_of_ms = await _median_ms(raw_as_of)
    say(
        f"  live status {live_ms:.1f} ms (raw {raw_status_ms:.1f} ms), as-of first "
        f"{first_ms:.0f} ms, repeated {repeated_ms:.1f} ms (raw {raw_as_of_ms:.1f} ms)"
    )
    into = f"growth{size}"
    started = time.perf_counter()
    report = await replay(stack.pool, stack.settings, services=["finance"], into=into)
    replay_seconds = time.perf_counter() - started
    rebuilt = report.services["finance"]
    await drop_replay(stack.pool, stack.settings, services=["finance"], into=into)
    raw_read = await audit_child.raw(url, finance, events)
    say(
        f"  replay {rebuilt.events_read / replay_seconds:,.0f} events/s "
        f"({replay_seconds:.1f} s), raw read {raw_read['events'] / raw_read['seconds']:,.0f}/s"
    )
    count, total = raw_rows[-1]
    return {
        "size": size,
        "events": events,
        "project": project,
        "project_bookings": int(count),
        "project_bookings_posted": poster.booked[project],
        "project_booked_sum": str(total),
        "live_status_ms": round(live_ms, 2),
        "raw_status_ms": round(raw_status_ms, 2),
        "as_of_recorded": at,
        "as_of_first_ms": round(first_ms, 1),
        "as_of_repeated_ms": round(repeated_ms, 2),
        "raw_as_of_ms": round(raw_as_of_ms, 2),
        "replay_ms": round(replay_seconds * 1000, 1),
        "replay_events": rebuilt.events_read,
        "replay_failures": rebuilt.failures,
        "replay_events_per_second": round(rebuilt.events_read / replay_seconds),
        "raw_read_ms": round(raw_read["seconds"] * 1000, 1),
        "raw_read_events": raw_read["events"],
        "raw_read_events_per_second": round(raw_read["events"] / raw_read["seconds"]),
        "statuses": statuses,
    }


def _checks(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answered = all(all(key.endswith(" 200") for key in row["statuses"]) for row in rows)
    found = all(row["project_bookings"] == row["project_bookings_posted"] for row in rows)
    whole = all(
        row["replay_events"] == row["events"] == row["raw_read_events"]
        and row["replay_failures"] == 0
        for row in rows
    )
    return {
        "every_status_answered_200": {
            "ok": answered,
            "statuses": [row["statuses"] for row in rows],
        },
        "raw_sum_found_the_bookings": {
            "ok": found,
            "found": [row["project_bookings"] for row in rows],
            "posted": [row["project_bookings_posted"] for row in rows],
        },
        "replay_and_raw_read_the_whole_log": {
            "ok": whole,
            "events": [row["events"] for row in rows],
            "replayed": [row["replay_events"] for row in rows],
            "raw_read": [row["raw_read_events"] for row in rows],
            "failures": [row["replay_failures"] for row in rows],
        },
    }


# -- the report -----------------------------------------------------------------------------------


def _times(ours: float, raw: float) -> str:
    return f"{ours / raw:,.1f}" if raw else "n/a"


def markdown_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| Events | Project's bookings | Live status p50 (ms) | Raw sum p50 (ms) | x raw "
        "| As-of first (ms) | As-of repeated p50 (ms) | Raw sum by then p50 (ms) "
        "| First x raw | Repeated x raw | First / live | Replay (events/s) "
        "| Raw read (events/s) | Replay of raw rate |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        replay_rate, raw_rate = row["replay_events_per_second"], row["raw_read_events_per_second"]
        lines.append(
            f"| {row['events']:,} | {row['project_bookings']:,} "
            f"| {row['live_status_ms']:,.1f} | {row['raw_status_ms']:,.1f} "
            f"| {_times(row['live_status_ms'], row['raw_status_ms'])} "
            f"| {row['as_of_first_ms']:,.0f} | {row['as_of_repeated_ms']:,.1f} "
            f"| {row['raw_as_of_ms']:,.1f} "
            f"| {_times(row['as_of_first_ms'], row['raw_as_of_ms'])} "
            f"| {_times(row['as_of_repeated_ms'], row['raw_as_of_ms'])} "
            f"| {_times(row['as_of_first_ms'], row['live_status_ms'])} "
            f"| {replay_rate:,} | {raw_rate:,} "
            f"| {replay_rate / raw_rate if raw_rate else 0:.3f} |"
        )
    return "\n".join(lines)


def _slopes(rows: list[dict[str, Any]]) -> list[str]:
    """Per measure, the log-log slope from the smallest to the largest size."""
    if len(rows) < 2:
        return []
    first, last = rows[0], rows[-1]
    grown = math.log(last["events"] / first["events"])
    lines = []
    for key, label in MEASURES:
        if first[key] > 0 and last[key] > 0:
            lines.append(f"- {label}: {math.log(last[key] / first[key]) / grown:.2f}")
    return lines


def markdown_document(results: dict[str, Any], table: str, name: str = "growth") -> str:
    env = results["environment"]
    postgres = env["postgresql"]
    git = env.get("git") or {}
    rows = results["rows"]
    checks = results["checks"]
    lines = [
        "# ptrack growth benchmark: latest run",
        "",
        f"Run {results['run_id']} on {env['date']}: {env['cpu_count']} CPUs, "
        f"PostgreSQL {postgres['server_version']}, Python {env['python']}, commit "
        f"{git.get('commit', 'unknown')[:12]}"
        f"{' with uncommitted changes' if git.get('uncommitted_changes') else ''}.",
        "",
        f"The finance log grown to each size with `CostBooked` batches across "
        f"{results['projects']} projects (the default plan loaded for each); the measured "
        f"project, {rows[0]['project'] if rows else ''}, holds about 1/{results['projects']} "
        f"of the bookings. Latencies are medians of {results['requests_per_latency']} requests "
        "after two warm-ups; the first as-of-recorded request is one request at a moment not "
        "asked about before. `x raw` is our time over the raw read's time (1 would be as cheap "
        "as the plain SQL); `Replay of raw rate` is replay events/s over the raw ordered read's.",
        "",
        table,
        "",
        "Log-log slope of each measure from the smallest to the largest log (0: does not grow "
        f"with the log; 1: grows with all of it; see {name}.png):",
        "",
        *_slopes(rows),
        "",
        "Checks: "
        + ", ".join(f"{name} {'ok' if check['ok'] else 'FAILED'}" for name, check in checks.items())
        + ".",
        "",
        f"Details: {name}.json.",
        "",
    ]
    return "\n".join(lines)


def chart(rows: list[dict[str, Any]], path: Path, projects: int) -> None:
    matplotlib.use("Agg")  # files only: no display on a server or in CI; before pyplot loads
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 6))
    sizes = [row["events"] for row in rows]
    for key, label in MEASURES:
        style = "--" if key.startswith("raw") else "-"
        axis.plot(sizes, [row[key] for row in rows], style, marker="o", label=label)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("finance events in the log")
    axis.set_ylabel("milliseconds")
    axis.set_title(f"ptrack: cost as the log grows ({projects} projects, one measured)")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
