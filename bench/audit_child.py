"""One measurement of the audit scenario, alone in its own process.

    python -m bench.audit_child {raw,verify,replay} --schema S --events N --out result.json

Each measurement runs in a fresh interpreter so its peak resident memory is its own: in one
process the second measurement would start from the first one's heap. The database URL comes
from the environment (`PTRACK_BENCH_AUDIT_DATABASE_URL`), not the command line, where a password
would show in the process list. The result (events, seconds, memory, CPU, what was checked) is
written as JSON to `--out`; progress lines go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import asyncpg

from bench import cpu
from bench.console import say, set_origin
from services.finance.events import EVENT_TYPES
from services.finance.readmodels import FinanceProjection
from shared.audit.parallel import verify_log
from shared.audit.stored import verify_stored
from shared.db import init_connection
from shared.projection import ReadModelWriter
from shared.store.base import StoredEvent
from shared.store.postgres import EVENT_COLUMNS, PostgresEventStore

URL_VARIABLE = "PTRACK_BENCH_AUDIT_DATABASE_URL"
PAGE_SIZE = 5000
"""Rows per keyset page for raw and verify (what `ptrack audit verify` reads with)."""
_COLUMNS = ", ".join(EVENT_COLUMNS)


class Ticker:
    """Progress: a line every few seconds (a million events take minutes to replay) with the
    rate so far and lately, and the time at each tenth of the log, so that a rate which sinks
    as the log grows shows in the results and not only on the terminal."""

    def __init__(self, what: str, total: int, every: float = 5.0) -> None:
        self.what = what
        self.total = total
        self.every = every
        self.start()

    def start(self) -> None:
        """Counting starts now: setup before the measured window is left out."""
        self.started = time.perf_counter()
        self._last = (self.started, 0)
        self._next_tenth = 1
        self.tenths: list[tuple[int, float]] = []
        """(events so far, seconds so far) at each tenth of `total`."""

    def __call__(self, count: int) -> None:
        now = time.perf_counter()
        while self._next_tenth <= 10 and count >= self.total * self._next_tenth // 10:
            self.tenths.append((count, now - self.started))
            self._next_tenth += 1
        last_time, last_count = self._last
        if now - last_time < self.every:
            return
        self._last = (now, count)
        average = count / (now - self.started)
        recent = (count - last_count) / (now - last_time)
        say(
            f"  {self.what}: {count:,} / {self.total:,} events "
            f"({average:,.0f}/s so far, {recent:,.0f}/s lately)"
        )

    def rates_by_tenth(self) -> list[dict[str, float]]:
        """Events per second within each tenth of the log, in order."""
        rates, previous = [], (0, 0.0)
        for count, seconds in self.tenths:
            if seconds > previous[1]:
                rate = (count - previous[0]) / (seconds - previous[1])
                rates.append({"to_event": count, "events_per_second": round(rate, 1)})
            previous = (count, seconds)
        return rates


Result = dict[str, Any]
"""events, seconds, and whatever the measurement checked (`details`)."""


async def raw(url: str, schema: str, total: int) -> Result:
    """The floor: the log's rows in position order, keyset pages, each row made a tuple.

    Plain asyncpg with its default codecs: jsonb stays text (not parsed), no event objects, no
    hashing. Same query shape and page size as the store's `read_all`."""
    conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(url)
    try:
        page = await conn.prepare(
            f"SELECT {_COLUMNS} FROM {schema}.events "
            "WHERE position >= $1 AND position <= $2 ORDER BY position LIMIT $3"
        )
        tick = Ticker("raw", total)

        async def read() -> Result:
            position, count, last = 1, 0, 0
            while True:
                rows = [tuple(record) for record in await page.fetch(position, 2**62, PAGE_SIZE)]
                count += len(rows)
                tick(count)
                if rows:
                    last = rows[-1][0]
                if len(rows) < PAGE_SIZE:
                    return {"events": count, "details": {"page_size": PAGE_SIZE, "last": last}}
                position = last + 1

        return await _timed(read, tick, [conn.get_server_pid()])
    finally:
        await conn.close()


async def verify(url: str, schema: str, total: int) -> Result:
    """What an auditor runs: the store's reader and the chain check over the whole log."""
    pool = await _pool(url)
    try:
        store = PostgresEventStore(pool, schema)
        tick = Ticker("verify", total)

        async def check() -> Result:
            report = await verify_stored(store, page_size=PAGE_SIZE, progress=tick)
            return {
                "events": report.checked,
                "details": {"page_size": PAGE_SIZE, "report": report.to_dict()},
            }

        return await _timed(check, tick, await _backend_pids(pool))
    finally:
        await pool.close()


async def verify_parallel(url: str, schema: str, total: int) -> Result:
    """The same check as `ptrack audit verify` makes it: ranges verified in one process per
    CPU (`verify_log`). Peak RSS is this process's; each worker holds about as much again."""
    jobs = os.cpu_count() or 1
    pool = await _pool(url)
    try:
        tick = Ticker(f"verify, {jobs} processes", total)

        async def check() -> Result:
            report = await verify_log(url, schema, jobs=jobs, progress=tick)
            return {
                "events": report.checked,
                "details": {"jobs": jobs, "page_size": PAGE_SIZE, "report": report.to_dict()},
            }

        return await _timed(check, tick, await _backend_pids(pool))
    finally:
        await pool.close()


class _CountingStore(PostgresEventStore):
    """The service's store, counting what the rebuild reads so progress can be shown (one more
    generator step per event: noise next to the read-model writes)."""

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], schema: str, tick: Ticker) -> None:
        super().__init__(pool, schema)
        self._tick = tick

    async def read_all(
        self, from_position: int = 1, to_position: int | None = None, page_size: int = 1000
    ) -> AsyncIterator[StoredEvent]:
        count = 0
        async for event in super().read_all(from_position, to_position, page_size):
            yield event
            count += 1
            if count % 1000 == 0:
                self._tick(count)


async def replay(url: str, schema: str, total: int) -> Result:
    """A full rebuild of the finance read model, as the service (and an audit's drift check)
    runs it: typed decoding (upcasters, pydantic models) and the projection's writes."""
    pool = await _pool(url)
    try:
        tick = Ticker("replay", total)
        writer = ReadModelWriter(
            FinanceProjection(),
            pool=pool,
            schema=schema,
            log_store=_CountingStore(pool, schema, tick),
            event_types=EVENT_TYPES,
        )
        await writer.migrate()  # the read model's tables: DDL, not part of the replay

        async def rebuild() -> Result:
            position = await writer.rebuild()
            return {"events": position, "details": {"position": position}}

        result = await _timed(rebuild, tick, await _backend_pids(pool))
        result["details"].update(await _read_model_facts(pool, schema, writer))
        return result
    finally:
        await pool.close()


async def _pool(url: str) -> asyncpg.Pool[asyncpg.Record]:
    # The service's pool (same JSON codecs), with two connections, as a rebuild uses: one
    # holds the transaction with the read-model writes, the other pages through the log. A
    # fixed pair lets the CPU of exactly the backends serving this measurement be read (see
    # `_backend_pids`); so asyncpg must not replace one after its 50 000th query, as it does
    # by default (the rebuild's connection passes that on a long log), or its CPU is lost.
    pool = await asyncpg.create_pool(
        url, min_size=2, max_size=2, init=init_connection, max_queries=2**62
    )
    assert pool is not None
    return pool


async def _backend_pids(pool: asyncpg.Pool[asyncpg.Record]) -> list[int]:
    async with pool.acquire() as first, pool.acquire() as second:
        return [first.get_server_pid(), second.get_server_pid()]


async def _read_model_facts(
    pool: asyncpg.Pool[asyncpg.Record], schema: str, writer: ReadModelWriter
) -> dict[str, Any]:
    """What the rebuild left behind, so the parent can check it applied every event."""
    counts = {}
    for table in ("bookings", "reversals", "in_kind", "projects", "budget_lines"):
        counts[table] = int(await pool.fetchval(f"SELECT count(*) FROM {schema}.{table}"))
    failures = int(await pool.fetchval(f"SELECT count(*) FROM {schema}.projection_failures"))
    return {
        "page_size": 1000,  # rebuild()'s default, as the service calls it
        "rows": counts,
        "failures_recorded": failures,
        "failures_total": writer.failures_total,
    }


async def _timed(
    body: Callable[[], Awaitable[Result]], tick: Ticker, backends: list[int]
) -> Result:
    # The backends serving this measurement, by pid: summing every `postgres` process would
    # count (and, when they exit mid-window, subtract) other sessions on a shared server.
    # None when the server is not on this machine.
    probes = {"reader": cpu.this_process, "postgres": _backends_probe(backends)}
    usage = cpu.CpuWindow(probes)
    rss_at_start = _status_megabytes("VmRSS")
    usage.start()
    tick.start()
    started = time.perf_counter()
    result = await body()
    seconds = time.perf_counter() - started
    result["details"]["rates_by_tenth"] = tick.rates_by_tenth()
    return {
        **result,
        "seconds": seconds,
        "rss_at_start_mb": rss_at_start,
        "cpu_percent_of_one_core": usage.stop(),
    }


def _backends_probe(pids: list[int]) -> cpu.CpuProbe:
    def probe() -> float | None:
        total = 0.0
        for pid in pids:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                return None
            # A remote server's pid may belong to some other local process.
            if stat[stat.index("(") + 1 : stat.rindex(")")] != "postgres":
                return None
            total += cpu.parse_seconds(stat)
        return total

    return probe


def _status_megabytes(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)  # the kernel reports kB
    except OSError:
        pass
    return None


def _peak_rss_megabytes() -> float | None:
    # VmHWM is the high-water mark of this program's own address space. Not ru_maxrss: Linux
    # carries that across exec, so a child forked from a parent holding hundreds of MB (the
    # log generator) would report the parent's size.
    return _status_megabytes("VmHWM")


MEASUREMENTS: dict[str, Callable[[str, str, int], Coroutine[Any, Any, Result]]] = {
    "raw": raw,
    "verify": verify,
    "verify_parallel": verify_parallel,
    "replay": replay,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_child")
    parser.add_argument("what", choices=sorted(MEASUREMENTS))
    parser.add_argument("--schema", required=True)
    parser.add_argument("--events", type=int, required=True, help="events in the log")
    parser.add_argument("--out", type=Path, required=True, help="where the JSON result goes")
    parser.add_argument("--clock-origin", type=float, help="the parent's start (monotonic)")
    args = parser.parse_args(argv)
    if args.clock_origin is not None:
        set_origin(args.clock_origin)
    url = os.environ.get(URL_VARIABLE)
    if not url:
        print(f"{URL_VARIABLE} is not set", file=sys.stderr)
        return 2
    result = asyncio.run(MEASUREMENTS[args.what](url, args.schema, args.events))
    result["peak_rss_mb"] = _peak_rss_megabytes()
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
