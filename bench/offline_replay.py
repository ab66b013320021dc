"""The offline replay scenario: `ptrack audit replay` on large exports, beside its peers.

    python -m bench.offline_replay     # PTRACK_BENCH_OFFLINE_SIZES=100000,400000 by default
    PTRACK_BENCH_SCALE=0.05 python -m bench.offline_replay     # a quick check

The auditor's replay must "work on large exports with a progress bar and bounded memory". For
each size N (finance events, times `PTRACK_BENCH_SCALE`) one run:

1. makes the default project's finance log of N events (its `BudgetApproved` and
   `FinancingPlanned` from the default plan, then `CostBooked`, some `CostReversed` and
   `InKindHoursRecorded`, in group commits) and its milestones log (the plan's baseline), rows
   made as the store makes them (positions, stream versions, the store's `event_hash` chained
   over the predecessor's) and copied into a schema the store's `migrate` made, in the bench
   database, as `bench.audit_log` does;
2. exports both to NDJSON as `GET /audit/events?format=ndjson` writes them (the store's
   `read_all`, `to_cloudevent(event, service)`, `orjson.dumps`, one line each);
3. measures, each in a process of its own (so its peak memory is its own), one after another,
   and all of them again for each round (`PTRACK_BENCH_OFFLINE_ROUNDS`, default 3; the round
   with the median wall time gives a row its figures):
   - offline: `ptrack audit replay --file finance.ndjson --file milestones.ndjson
     --as-of-business 2010-12-31 --json`, its settings pointing at no server;
   - verify: `ptrack audit verify --file finance.ndjson --json` (its first step, alone);
   - load: the exported events loaded page by page (`PostgresEventStore.restore`) into a
     private PostgreSQL started as the command starts one (its second step, alone);
   - in-database: `ptrack replay --service reporting` (`ptrack.replay.replay(...,
     services=["reporting"])`) against the bench database, where the logs already sit: the
     rebuild the services' operators run, with no verify and no load.

Before the sizes it measures the command on the milestones file alone (one event, as many
rounds): the floor every run pays (interpreter, imports, a private PostgreSQL made and started,
the status).

Wall time is the command's, start to exit; peak RSS is the high-water mark (`VmHWM`) of the
command's own process, written when it exits by a two-line wrapper that runs the module as
`python -m` would. The private PostgreSQL the command starts is a process tree of its own (not
a child of the command): its processes' summed PSS and CPU are sampled beside it. The offline
command runs on a pseudo-terminal, so it draws its progress bar as it would for a person; the
steps the bar shows, and the counts, are read off it: where the time went, and that the bar
counts through a large file as it goes.

It writes bench/results/offline-replay.json and offline-replay.md and prints the table. The run
fails (exit 1, after writing the results) unless every export verifies to the generated head,
every command exits 0, the offline figures are the generated totals, and the offline status is
the in-database replay's, figure for figure.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import fcntl
import json
import os
import pty
import random
import re
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from bench.console import conclude, say, warn
from bench.facts import REPO, environment
from bench.servers import bench_database, find_postgres, new_run_id, without_password
from ptrack.audit.exported_log import exported_events, exported_service
from ptrack.audit.offline import PAGE
from ptrack.command import DEFAULT_PROJECT
from ptrack.plan.model import Plan, read_plan
from ptrack.replay import scratch_schema
from services.finance.domain import in_kind_value
from services.finance.events import EVENT_TYPES as FINANCE_TYPES
from services.milestones.events import EVENT_TYPES as MILESTONES_TYPES
from services.reporting.status import project_status
from shared.canonical import canonical_json
from shared.db import create_pool
from shared.envelope import to_cloudevent
from shared.event_types import EventTypes
from shared.money import format_ore, parse_ore
from shared.servers import PostgresServer
from shared.settings import Settings
from shared.store.base import GENESIS_HASH, StoredEvent
from shared.store.hashing import event_hash
from shared.store.postgres import EVENT_COLUMNS, PostgresEventStore, migrate

RESULTS = Path(__file__).parent / "results"
NAME = "offline-replay"
SIZES_VARIABLE = "PTRACK_BENCH_OFFLINE_SIZES"
DEFAULT_SIZES = "100000,400000"
SCALE_VARIABLE = "PTRACK_BENCH_SCALE"
ROUNDS_VARIABLE = "PTRACK_BENCH_OFFLINE_ROUNDS"
DEFAULT_ROUNDS = 3
"""Each measurement is taken this many times, the rows in turn (round 1: offline, verify, load,
in-database; round 2: ...), and the run with the median wall time is the row's figure: on a
small shared machine one run of a minute may be off by a quarter."""
MIN_EVENTS = 100
PLAN = REPO / "plans" / f"{DEFAULT_PROJECT}.yaml"
"""The default plan, whose budget, financing and schedule open the logs."""
STATUS_DATE = date(2010, 12, 31)
LOGS = ("registry", "milestones", "finance", "surveys")
"""The logs the reporting service reads: the in-database replay needs each to exist."""
CHUNK = 50_000
"""Rows per COPY."""
SEED = 2010
"""The same N gives the same log, head hash included, so runs compare."""
SAMPLE_EVERY = 997
"""Every so many finance events is decoded by the finance models and dumped again."""
SAMPLE_SECONDS = 0.5
"""How often the command's private PostgreSQL is sampled (PSS, CPU)."""
ORDER = ("offline", "verify", "load", "in_database")
LABELS = {
    "floor": "offline, the milestones file alone (1 event): the fixed cost",
    "offline": "offline: `ptrack audit replay --file finance.ndjson --file milestones.ndjson "
    "--as-of-business 2010-12-31 --json`",
    "verify": "verify only: `ptrack audit verify --file finance.ndjson --json`",
    "load": "load only: the files into a private PostgreSQL, pages of 5000 "
    "(`PostgresEventStore.restore`)",
    "in_database": "in-database replay: `ptrack replay --service reporting` on the bench "
    "database (no verify, no load)",
}
PEAK_VARIABLE = "PTRACK_BENCH_PEAK_FILE"
WRAPPER = f"""
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status, open(os.environ["{PEAK_VARIABLE}"], "w") as out:
        out.write(status.read())
atexit.register(_peak)
runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)
"""
"""`python -c WRAPPER module args...` runs `module` as `python -m module args...` does, and
keeps the process's /proc status (its VmHWM) when it exits. Not `ru_maxrss`: Linux carries
that over from the parent that forked the child, and folds in the children it waited for."""

# -- the logs -----------------------------------------------------------------------------------

_START = datetime(2010, 2, 1, 8, 0, tzinfo=UTC)
_LAST_RECORDED = datetime(2011, 1, 20, 16, 0, tzinfo=UTC)
"""The year's bookings are recorded from the approval to late January (the year-end closing);
business dates stay within the project's period."""
_SUPPLIERS = ("Nettverkskompetanse AS", "Kurs og Konferanse AS", "Regionrevisjon IKS", None)
_HOURS = ("0.5", "1", "1.5", "2", "3", "3.75", "4", "6", "7.5")
_RATES = ("450.00", "550.00", "650.00", "700.00")
"""At or under the plan's rate ceiling (700.00)."""
_PEOPLE = 60
_BOOKING = 0.80
_REVERSAL = 0.03


@dataclass
class Totals:
    """What the finance log adds up to, as the generator made it (all of it falls on or before
    the status date)."""

    booked_ore: int = 0
    reversed_ore: int = 0
    in_kind_ore: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "booked": format_ore(self.booked_ore),
            "reversed": format_ore(self.reversed_ore),
            "money_used": format_ore(self.booked_ore - self.reversed_ore),
            "in_kind_used": format_ore(self.in_kind_ore),
            "by_type": dict(sorted(self.by_type.items())),
        }


class _Chain:
    """One log's rows, in order, as the store makes them: position, stream version, the hash
    over the predecessor's, `data` and `metadata` as the canonical text the hash covers."""

    def __init__(self, event_types: EventTypes) -> None:
        self.event_types = event_types
        self.position = 0
        self.hash = GENESIS_HASH
        self.versions: dict[str, int] = {}

    def row(
        self,
        event_id: uuid.UUID,
        stream_id: str,
        kind: str,
        data: dict[str, Any],
        business: date,
        recorded: datetime,
        metadata: dict[str, Any],
        metadata_text: str,
    ) -> tuple[Any, ...]:
        self.position += 1
        version = self.versions[stream_id] = self.versions.get(stream_id, 0) + 1
        occurred = datetime(business.year, business.month, business.day, tzinfo=UTC)
        schema_version = self.event_types.get(kind).schema_version
        unsealed = StoredEvent(
            position=self.position,
            event_id=event_id,
            stream_id=stream_id,
            stream_version=version,
            type=kind,
            schema_version=schema_version,
            occurred_at=occurred,
            recorded_at=recorded,
            data=data,
            metadata=metadata,
            prev_hash=self.hash,
            hash=b"",
        )
        digest = event_hash(unsealed)
        self.hash = digest
        return (
            self.position,
            event_id,
            stream_id,
            version,
            kind,
            schema_version,
            occurred,
            recorded,
            canonical_json(data).decode(),
            metadata_text,
            unsealed.prev_hash,
            digest,
        )

    def stored_form(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """`data` as the service stores it: the model dumped to JSON (defaults filled in)."""
        model = self.event_types.to_model(kind, self.event_types.get(kind).schema_version, data)
        return self.event_types.to_data(model)


def _metadata(actor: str, source: str, correlation: str) -> tuple[dict[str, Any], str]:
    metadata = {"actor": actor, "correlation_id": correlation, "source": source}
    return metadata, canonical_json(metadata).decode()


class FinanceLog:
    """The default project's finance log of `total` events, a chunk at a time."""

    def __init__(self, plan: Plan, total: int, seed: int = SEED) -> None:
        self.plan = plan
        self.project = plan.project_id
        self.total = total
        self.chain = _Chain(FINANCE_TYPES)
        self.totals = Totals()
        self.sampled = 0
        self._random = random.Random(seed)
        budget = plan.budget()
        self._lines = [str(line["id"]) for line in budget["lines"]]
        self._period = (
            date.fromisoformat(budget["period_start"]),
            date.fromisoformat(budget["period_end"]),
        )
        self._municipalities = list(budget["municipalities"])
        self._activities = list(budget["in_kind_rules"]["activities"])
        self._bookings = 0
        self._open: deque[tuple[str, int]] = deque(maxlen=500)
        """Recent bookings that may still be reversed: (booking id, what remains, in øre)."""
        self._left = 0
        self._recorded = _START
        self._timesheets = False
        self._meta: tuple[dict[str, Any], str] = ({}, "")

    @property
    def done(self) -> bool:
        return self.chain.position >= self.total

    def chunk(self, size: int = CHUNK) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        if self.chain.position == 0:
            rows.extend(self._plan_rows())
        while len(rows) < size and not self.done:
            rows.append(self._next_row())
        return rows

    def _plan_rows(self) -> list[tuple[Any, ...]]:
        """As `ptrack plan load` records them: ids fixed by the plan, one request each."""
        rows = []
        approved = date.fromisoformat(self.plan.data["budget"]["approved_on"])
        for kind, raw in (
            ("BudgetApproved", self.plan.budget()),
            ("FinancingPlanned", self.plan.financing()),
        ):
            data = self.chain.stored_form(kind, raw)
            event_id = uuid.UUID(self.plan.event(kind, raw)["id"])
            meta = _metadata("key:admin:plan-loader", "urn:ptrack:plan", self._correlation())
            rows.append(self.chain.row(event_id, self.project, kind, data, approved, _START, *meta))
            self._count(kind)
        return rows

    def _correlation(self) -> str:
        return uuid.UUID(int=self._random.getrandbits(128), version=4).hex

    def _count(self, kind: str) -> None:
        self.totals.by_type[kind] = self.totals.by_type.get(kind, 0) + 1

    def _next_row(self) -> tuple[Any, ...]:
        if self._left == 0:
            self._next_batch()
        self._left -= 1
        day = self._today()
        if self._timesheets:
            kind, data = "InKindHoursRecorded", self._in_kind(day)
        elif self._random.random() * (_BOOKING + _REVERSAL) < _REVERSAL and self._open:
            kind, data = "CostReversed", self._reversal(day)
        else:
            kind, data = "CostBooked", self._booking(day)
        if self.chain.position % SAMPLE_EVERY == 1:
            if self.chain.stored_form(kind, data) != data:
                raise AssertionError(f"{kind} data is not in the stored form: {data}")
            self.sampled += 1
        self._count(kind)
        event_id = uuid.UUID(int=self._random.getrandbits(128), version=4)
        return self.chain.row(event_id, self.project, kind, data, day, self._recorded, *self._meta)

    def _next_batch(self) -> None:
        """One group commit: its events share a recorded time and the request's metadata; the
        clock moves on between commits."""
        fraction = self.chain.position / self.total
        jitter = timedelta(seconds=self._random.uniform(0, 30))
        moment = _START + (_LAST_RECORDED - _START) * fraction + jitter
        self._recorded = max(self._recorded, moment)
        self._timesheets = self._random.random() >= 0.9
        if self._timesheets:
            self._left = self._random.randint(1, 20)
            actor, source = "key:time:timesheets", "urn:timesheets:kommune"
        else:
            # Accounting integrations post bookings in batches of a few to a hundred.
            self._left = min(int(self._random.paretovariate(1.2)), 100)
            actor, source = "key:acct:integration", "urn:accounting:visma"
        self._meta = _metadata(actor, source, self._correlation())

    def _today(self) -> date:
        # Business dates a few days before they were recorded, within the project's period.
        lag = timedelta(days=self._random.randint(0, 10))
        first, last = self._period
        return min(max((self._recorded - lag).date(), first), last)

    def _booking(self, day: date) -> dict[str, Any]:
        self._bookings += 1
        number = self._bookings
        amount = self._random.randint(10_000, 2_500_000)
        booking_id = f"GL-{number:07d}"
        self._open.append((booking_id, amount))
        self.totals.booked_ore += amount
        data: dict[str, Any] = {
            "booking_id": booking_id,
            "line": self._random.choice(self._lines),
            "amount": format_ore(amount),
            "booking_date": day.isoformat(),
            "voucher": f"V-{number}",
        }
        if (supplier := self._random.choice(_SUPPLIERS)) is not None:
            data["supplier"] = supplier
        if self._random.random() < 0.3:
            data["text"] = f"Invoice {number}"
        return data

    def _reversal(self, day: date) -> dict[str, Any]:
        booking_id, remaining = self._open.popleft()
        whole = self._random.random() < 0.7
        amount = remaining if whole else self._random.randint(1, remaining)
        if amount < remaining:
            # Only part is undone: the rest may be reversed later (never more than remains).
            self._open.append((booking_id, remaining - amount))
        self.totals.reversed_ore += amount
        return {
            "booking_id": booking_id,
            "amount": format_ore(amount),
            "reversal_date": day.isoformat(),
            "reason": "Booked on the wrong line" if whole else "Credit note from the supplier",
            "voucher": f"R-{booking_id}",
        }

    def _in_kind(self, day: date) -> dict[str, Any]:
        hours, rate = self._random.choice(_HOURS), self._random.choice(_RATES)
        self.totals.in_kind_ore += in_kind_value(Decimal(hours), parse_ore(rate))
        data: dict[str, Any] = {
            "municipality": self._random.choice(self._municipalities),
            "person": f"Kontakt {self._random.randint(1, _PEOPLE)}",
            "activity": self._random.choice(self._activities),
            "work_date": day.isoformat(),
            "hours": hours,
            "hourly_rate": rate,
        }
        if self._random.random() < 0.5:
            data["role"] = "Nettverkskoordinator"
        if self._random.random() < 0.2:
            data["description"] = "Forberedelse og oppfølging av nettverksmøte"
        return data


def milestones_rows(plan: Plan) -> tuple[list[tuple[Any, ...]], bytes]:
    """The milestones log: the plan's baseline, as `ptrack plan load` records it."""
    chain = _Chain(MILESTONES_TYPES)
    approved = date.fromisoformat(plan.data["budget"]["approved_on"])
    raw = {**plan.schedule(), "baseline": 1, "baselined_on": approved.isoformat()}
    data = chain.stored_form("PlanBaselined", raw)
    event_id = uuid.UUID(plan.event("PlanBaselined", raw)["id"])
    meta = _metadata("key:admin:plan-loader", "urn:ptrack:plan", _correlation_of(plan))
    row = chain.row(event_id, plan.project_id, "PlanBaselined", data, approved, _START, *meta)
    return [row], chain.hash


def _correlation_of(plan: Plan) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"urn:ptrack:plan/{plan.project_id}").hex


@dataclass(frozen=True)
class Logs:
    settings: Settings
    """Whose `schema_for` names the logs in the bench database."""
    finance_file: Path
    milestones_file: Path
    events: int
    head_hash: bytes
    totals: Totals
    generate_seconds: float
    export_seconds: float
    sampled: int
    finance_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_prefix": self.settings.schema_prefix,
            "finance_events": self.events,
            "head_hash": self.head_hash.hex(),
            "totals": self.totals.as_json(),
            "sampled_against_models": self.sampled,
            "generate_seconds": round(self.generate_seconds, 1),
            "export_seconds": round(self.export_seconds, 1),
            "export_events_per_second": round(self.events / self.export_seconds),
            "finance_file_megabytes": round(self.finance_bytes / 2**20, 1),
        }


async def make_logs(url: str, prefix: str, events: int, directory: Path) -> Logs:
    """Both logs in the bench database (and empty registry and surveys logs, which the
    reporting service reads too), then exported to `directory`."""
    settings = Settings(database_url=url, schema_prefix=prefix)
    plan = read_plan(PLAN)
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        for name in LOGS:
            await migrate(pool, settings.schema_for(name))
        started = time.perf_counter()
        rows, _ = milestones_rows(plan)
        await _copy(url, settings.schema_for("milestones"), iter([rows]))
        finance = FinanceLog(plan, events)
        await _copy(url, settings.schema_for("finance"), _chunks(finance), ticking=events)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        files = {}
        for name in ("finance", "milestones"):
            files[name] = directory / f"{name}.ndjson"
            await export(pool, settings.schema_for(name), name, files[name])
        exported = time.perf_counter() - started
    finally:
        await pool.close()
    return Logs(
        settings,
        files["finance"],
        files["milestones"],
        events,
        finance.chain.hash,
        finance.totals,
        generated,
        exported,
        finance.sampled,
        files["finance"].stat().st_size,
    )


def _chunks(log: FinanceLog) -> Iterator[list[tuple[Any, ...]]]:
    while not log.done:
        yield log.chunk()


async def _copy(
    url: str, schema: str, chunks: Iterator[list[tuple[Any, ...]]], ticking: int = 0
) -> None:
    """COPY each chunk while the next is made (in a thread), on a plain connection (json as the
    text the hash covers), then VACUUM (ANALYZE), as an older log would be: no reader measured
    pays for setting hint bits."""
    conn = await asyncpg.connect(url)
    try:
        rows = await asyncio.to_thread(next, chunks, None)
        said = time.perf_counter()
        while rows:
            copy = asyncio.ensure_future(
                conn.copy_records_to_table(
                    "events", records=rows, columns=EVENT_COLUMNS, schema_name=schema
                )
            )
            following = await asyncio.to_thread(next, chunks, None)
            await copy
            if ticking and time.perf_counter() - said > 5:
                said = time.perf_counter()
                say(f"  generated and copied {rows[-1][0]:,} / {ticking:,}")
            rows = following
        await conn.execute(f"VACUUM (ANALYZE) {schema}.events")
    finally:
        await conn.close()


async def export(pool: asyncpg.Pool[asyncpg.Record], schema: str, service: str, path: Path) -> int:
    """The log as `GET /audit/events?format=ndjson` streams it: to the head as it was when
    asked, pages of 1000, `orjson.dumps(to_cloudevent(event, service))` and a newline each."""
    store = PostgresEventStore(pool, schema)
    head = (await store.head()).position
    written = 0
    with await asyncio.to_thread(path.open, "wb") as out:
        lines: list[bytes] = []
        async for event in store.read_all(1, head, page_size=1000):
            lines.append(orjson.dumps(to_cloudevent(event, service)) + b"\n")
            if len(lines) == 1000:
                out.write(b"".join(lines))
                written += len(lines)
                lines = []
        out.write(b"".join(lines))
        written += len(lines)
    return written


# -- one measurement ----------------------------------------------------------------------------


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # After the command name (which may hold spaces): state is the first, ppid the second.
    return text[text.rindex(")") + 2 :].split()


class ServerSampler(threading.Thread):
    """The private PostgreSQL a command starts (its postmaster found by the pid file under
    `scratch`), every SAMPLE_SECONDS: the summed PSS of the postmaster and its backends (PSS,
    so shared buffers count once), and their CPU time (the postmaster's own and its exited
    children's, plus the live backends')."""

    def __init__(self, scratch: Path) -> None:
        super().__init__(daemon=True)
        self.scratch = scratch
        self.stopping = threading.Event()
        self.peak_pss_kb = 0
        self.cpu_seconds = 0.0
        self.samples = 0

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_SECONDS):
            self.sample()

    def stop(self) -> None:
        self.stopping.set()
        self.join()

    def _postmaster(self) -> int | None:
        for pid_file in self.scratch.glob("ptrack-audit-*/postgres/postmaster.pid"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(pid_file.read_text().splitlines()[0])
        return None

    def sample(self) -> None:
        server = self._postmaster()
        if server is None:
            return
        own = _stat_fields(server)
        if own is None:
            return
        pids, cpu_ticks = [server], sum(int(value) for value in own[11:15])
        for stat in Path("/proc").glob("[0-9]*/stat"):
            pid = int(stat.parent.name)
            fields = _stat_fields(pid)
            if fields is not None and fields[1] == str(server):
                pids.append(pid)
                cpu_ticks += int(fields[11]) + int(fields[12])
        self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(pid) for pid in pids))
        self.cpu_seconds = max(self.cpu_seconds, cpu_ticks / _TICKS)
        self.samples += 1


@dataclass
class Run:
    what: str
    events: int
    """Finance events in the log measured (the rate's numerator)."""
    seconds: float
    exit_status: int
    peak_rss_mb: float | None
    cpu_percent_of_one_core: float
    """The command's process (and what it waited for: initdb, pg_ctl), over its wall time."""
    load_average_before: float
    stdout: str
    stderr_tail: str
    server_peak_pss_mb: float | None = None
    server_cpu_seconds: float | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    """What its progress bar showed, step by step (commands run on a terminal)."""
    rounds_seconds: list[float] = field(default_factory=list)
    """The wall time of every round, in order (this run is the median one)."""
    rounds_failed: int = 0
    """Rounds whose command did not exit 0."""

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "label": LABELS[self.what],
            "events": self.events,
            "seconds": round(self.seconds, 2),
            "seconds_each_round": self.rounds_seconds,
            "rounds_failed": self.rounds_failed,
            "events_per_second": round(self.rate, 1),
            "exit_status": self.exit_status,
            "peak_rss_mb": self.peak_rss_mb,
            "cpu_percent_of_one_core": self.cpu_percent_of_one_core,
            "load_average_before": self.load_average_before,
            "private_postgres_peak_pss_mb": self.server_peak_pss_mb,
            "private_postgres_cpu_seconds": self.server_cpu_seconds,
            **({"progress_bar_steps": self.steps} if self.steps else {}),
            **({"stderr_tail": self.stderr_tail} if self.exit_status else {}),
        }


def _clean_environment(home: Path, **more: str) -> dict[str, str]:
    """The bench's environment without any PTRACK_ setting (a deployment's must not leak in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PTRACK_")}
    return {**env, "HOME": str(home), "TMPDIR": str(home), **more}


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
_BAR = re.compile("[\u2501\u2578\u257a]")
"""What rich draws a bar with (━ ╸ ╺): the step's description is the text before it."""
_COUNT = re.compile(r"([\d,]+)(?: of ([\d,]+))?$")
TERMINAL = (50, 200)
"""Rows and columns of the pseudo-terminal: wide enough for every step's description."""


class ProgressWatcher(threading.Thread):
    """Reads what a command draws on its terminal (a pseudo-terminal here) and notes, for each
    step its progress bar shows, when it first and last showed and the highest count it
    showed: the bar's own account of where the time went. Lines that are not the bar (an
    error) are kept too."""

    def __init__(self, fd: int, started: float) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.started = started
        self.steps: dict[str, dict[str, Any]] = {}
        self.lines: list[str] = []

    def run(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the command closed its side: it has ended
                break
            if not chunk:
                break
            now = time.perf_counter() - self.started
            *pieces, pending = re.split(r"[\r\n]", pending + decoder.decode(chunk))
            for piece in pieces:
                self._see(_ANSI.sub("", piece).strip(), now)
        self._see(_ANSI.sub("", pending).strip(), time.perf_counter() - self.started)

    def _see(self, text: str, now: float) -> None:
        if not text:
            return
        bar = _BAR.search(text)
        if bar is None:
            self.lines.append(text)
            return
        description = text[: bar.start()].strip()
        step = self.steps.setdefault(
            description, {"first_seconds": round(now, 2), "count": 0, "of": None}
        )
        step["last_seconds"] = round(now, 2)
        if (count := _COUNT.search(_BAR.sub("", text[bar.start() :]).strip())) is not None:
            step["count"] = max(step["count"], int(count.group(1).replace(",", "")))
            if count.group(2):
                step["of"] = int(count.group(2).replace(",", ""))


BEFORE_THE_BAR = "(before the bar: interpreter, imports, arguments)"
UNNAMED = "(the bar, no step named yet: verifying, until its first count at 10 000 events)"
AFTER_THE_LAST = "; then the status computed and written, the server stopped"


def _steps(watcher: ProgressWatcher, seconds: float) -> list[dict[str, Any]]:
    """Each step the bar showed, in order, with the seconds until the next one showed; first
    the time before the bar showed, and the last step's until the command exited."""
    ordered = sorted(watcher.steps.items(), key=lambda item: item[1]["first_seconds"])
    if not ordered:
        return []
    first = ordered[0][1]["first_seconds"]
    steps: list[dict[str, Any]] = [
        {"step": BEFORE_THE_BAR, "first_seconds": 0.0, "count": 0, "of": None, "seconds": first}
    ]
    for index, (description, step) in enumerate(ordered):
        last = index + 1 == len(ordered)
        ends = seconds if last else ordered[index + 1][1]["first_seconds"]
        name = (description or UNNAMED) + (AFTER_THE_LAST if last else "")
        steps.append({**step, "step": name, "seconds": round(ends - step["first_seconds"], 2)})
    return steps


def measure(
    what: str, events: int, module_args: list[str], env: dict[str, str], terminal: bool = False
) -> Run:
    """`python -m <module_args>` in a process of its own, its wall time, peak RSS (VmHWM),
    CPU and, where it starts one, its private PostgreSQL's peak PSS and CPU. With `terminal`
    its stderr is a pseudo-terminal, so it draws its progress bar as for a person, and the bar's
    steps are noted (`ProgressWatcher`)."""
    scratch = Path(env["TMPDIR"])
    peak_file = scratch / "peak-status"
    out, err = scratch / "stdout", scratch / "stderr"
    load = os.getloadavg()[0]
    sampler = ServerSampler(scratch)
    watcher: ProgressWatcher | None = None
    env = {**env, PEAK_VARIABLE: str(peak_file)}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        if terminal:
            reader, writer = pty.openpty()
            rows, columns = TERMINAL
            fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            env.update(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(rows))
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", WRAPPER, *module_args],
            cwd=REPO,
            env=env,
            stdout=stdout,
            stderr=writer if terminal else stderr,
        )
        if terminal:
            os.close(writer)
            watcher = ProgressWatcher(reader, started)
            watcher.start()
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        if watcher is not None:
            watcher.join(timeout=10)
            os.close(reader)
    peak = None
    if peak_file.exists():
        for line in peak_file.read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = round(int(line.split()[1]) / 1024, 1)
    cpu = round((usage.ru_utime + usage.ru_stime) / seconds * 100, 1)
    stderr_text = err.read_text(errors="replace")
    if watcher is not None:
        stderr_text = "\n".join(watcher.lines)
    run = Run(
        what,
        events,
        seconds,
        process.returncode,
        peak,
        cpu,
        round(load, 2),
        out.read_text(),
        stderr_text[-3000:],
    )
    if sampler.samples:
        run.server_peak_pss_mb = round(sampler.peak_pss_kb / 1024, 1)
        run.server_cpu_seconds = round(sampler.cpu_seconds, 1)
    if watcher is not None:
        run.steps = _steps(watcher, seconds)
    server = f", private PostgreSQL peak PSS {run.server_peak_pss_mb} MB" if sampler.samples else ""
    say(
        f"  {what}: {run.seconds:.1f} s ({run.rate:,.0f} events/s), exit {run.exit_status}, "
        f"peak RSS {run.peak_rss_mb} MB, CPU {cpu:.0f} % of a core{server}"
    )
    for step in run.steps:
        counted = f", counted {step['count']:,}" + (f" of {step['of']:,}" if step["of"] else "")
        say(f"    {step['seconds']:6.1f} s  {step['step']}{counted if step['count'] else ''}")
    if run.exit_status:
        warn(f"{what} failed: {run.stderr_tail}")
    return run


def _in_scratch(
    what: str, events: int, module_args: list[str], env: dict[str, str], terminal: bool = False
) -> Run:
    with tempfile.TemporaryDirectory(prefix="ptrack-bench-offline-") as directory:
        home = Path(directory)
        return measure(what, events, module_args, _clean_environment(home, **env), terminal)


def _nowhere() -> dict[str, str]:
    """Settings that point at no server, as an auditor's machine has none of the stack's."""
    return {
        "PTRACK_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/postgres",
        "PTRACK_NATS_URL": "nats://127.0.0.1:9",
    }


def offline(what: str, events: int, files: list[Path]) -> Run:
    args = ["ptrack.cli", "audit", "replay"]
    for path in files:
        args += ["--file", str(path)]
    args += ["--as-of-business", STATUS_DATE.isoformat(), "--json"]
    return _in_scratch(what, events, args, _nowhere(), terminal=True)


def verify(events: int, path: Path) -> Run:
    args = ["ptrack.cli", "audit", "verify", "--file", str(path), "--json"]
    return _in_scratch("verify", events, args, _nowhere())


def load_only(events: int, files: list[Path]) -> Run:
    args = ["bench.offline_replay", "load", *map(str, files)]
    return _in_scratch("load", events, args, {})


def in_database(events: int, url: str, prefix: str) -> Run:
    with tempfile.TemporaryDirectory(prefix="ptrack-bench-offline-") as directory:
        home = Path(directory)
        env = _clean_environment(
            home,
            PTRACK_DATABASE_URL=url,
            PTRACK_SCHEMA_PREFIX=prefix,
            PTRACK_SIGNING_KEY_DIR=str(home / "keys"),
        )
        return measure(
            "in_database", events, ["ptrack.cli", "replay", "--service", "reporting"], env
        )


# -- the load alone (a child process) ----------------------------------------------------------


async def _load(files: list[Path]) -> dict[str, Any]:
    """The offline replay's second step alone: a private PostgreSQL, as the command starts one,
    and each file's events restored a page at a time, as it loads them."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ptrack-audit-") as scratch:
        server = PostgresServer(Path(scratch) / "postgres")
        started = time.perf_counter()
        server.start()
        result["server_start_seconds"] = round(time.perf_counter() - started, 2)
        try:
            pool = await create_pool(server.url, min_size=1, max_size=4)
            try:
                result["server_version"] = await pool.fetchval("SHOW server_version")
                stores = {name: PostgresEventStore(pool, name) for name in LOGS}
                for store in stores.values():
                    await store.migrate()
                started = time.perf_counter()
                loaded = 0
                for path in files:
                    service = exported_service(path)
                    assert service is not None, path
                    page: list[StoredEvent] = []
                    for event in exported_events(path):
                        page.append(event)
                        if len(page) == PAGE:
                            await stores[service].restore(page)
                            loaded += len(page)
                            page = []
                    await stores[service].restore(page)
                    loaded += len(page)
                result["load_seconds"] = round(time.perf_counter() - started, 2)
                result["events_loaded"] = loaded
            finally:
                await pool.close()
        finally:
            server.stop()
    return result


def _load_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.offline_replay load")
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_load(args.files))))
    return 0


# -- the run ------------------------------------------------------------------------------------


def median_run(runs: list[Run]) -> Run:
    """The run with the median wall time, carrying every round's."""
    chosen = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
    return replace(
        chosen,
        rounds_seconds=[round(run.seconds, 2) for run in runs],
        rounds_failed=sum(1 for run in runs if run.exit_status),
    )


def rounds_asked() -> int:
    return int(os.environ.get(ROUNDS_VARIABLE, str(DEFAULT_ROUNDS)))


def sizes_asked() -> list[int]:
    scale = float(os.environ.get(SCALE_VARIABLE, "1"))
    sizes = [int(size) for size in os.environ.get(SIZES_VARIABLE, DEFAULT_SIZES).split(",")]
    return [max(MIN_EVENTS, round(size * scale)) for size in sizes]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:
        return _load_main(argv[1:])
    try:
        sizes, rounds = sizes_asked(), rounds_asked()
    except ValueError:
        sizes, rounds = [], 0
    if not sizes or sizes != sorted(sizes) or rounds < 1:
        warn(
            f"{SIZES_VARIABLE} must be ascending whole numbers, {SCALE_VARIABLE} a number and "
            f"{ROUNDS_VARIABLE} a whole number of at least 1"
        )
        return 2
    postgres_url = find_postgres()  # outside the event loop: the probe runs its own
    return asyncio.run(_run(postgres_url, sizes, rounds))


@dataclass
class Size:
    logs: Logs
    runs: dict[str, Run]
    offline_status: dict[str, Any] | None
    in_database_status: dict[str, Any] | None
    in_database_failures: int | None
    load_details: dict[str, Any]

    @property
    def events(self) -> int:
        return self.logs.events


async def _run(postgres_url: str, sizes: list[int], rounds: int) -> int:
    run_id = new_run_id()
    scale = float(os.environ.get(SCALE_VARIABLE, "1"))
    say(
        f"offline replay run {run_id}: sizes {sizes} (scale {scale}), {rounds} rounds, PostgreSQL "
        f"{without_password(postgres_url)}"
    )
    measured: list[Size] = []
    floor: Run | None = None
    with tempfile.TemporaryDirectory(prefix="ptrack-bench-offline-files-") as files_dir:
        async with bench_database(postgres_url, run_id) as database:
            facts = await environment(database.url, None)
            for index, events in enumerate(sizes):
                directory = Path(files_dir) / f"n{events}"
                directory.mkdir()
                prefix = f"{database.prefix}n{index}_"
                say(f"making the logs: {events:,} finance events, schemas {prefix}*")
                logs = await make_logs(database.url, prefix, events, directory)
                info = logs.as_json()
                say(
                    f"logs ready: generated in {logs.generate_seconds:.1f} s, exported in "
                    f"{logs.export_seconds:.1f} s, finance.ndjson "
                    f"{info['finance_file_megabytes']:,} MB"
                )
                if floor is None:
                    floors = []
                    for number in range(1, rounds + 1):
                        say(f"round {number}/{rounds}: {LABELS['floor']}")
                        floors.append(
                            await asyncio.to_thread(offline, "floor", 0, [logs.milestones_file])
                        )
                    floor = median_run(floors)
                measured.append(await _measure_size(database.url, logs, rounds))
    assert floor is not None
    checks = _checks(floor, measured)
    results = _results(run_id, facts, scale, rounds, floor, measured, checks)
    table = markdown_table(measured)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{NAME}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (RESULTS / f"{NAME}.md").write_text(markdown_document(results, table, floor, measured))
    say(f"wrote {RESULTS}/{NAME}.json, {NAME}.md")
    return conclude(
        table + "\n\n" + memory_table(floor, measured),
        checks,
        "every export verified to its generated head, every command exited 0, the offline "
        "figures are the generated totals and the in-database replay's",
    )


def _measure_one(what: str, url: str, logs: Logs) -> Run:
    events, files = logs.events, [logs.finance_file, logs.milestones_file]
    if what == "offline":
        return offline(what, events, files)
    if what == "verify":
        return verify(events, logs.finance_file)
    if what == "load":
        return load_only(events, files)
    return in_database(events, url, logs.settings.schema_prefix)


async def _measure_size(url: str, logs: Logs, rounds: int) -> Size:
    each: dict[str, list[Run]] = {what: [] for what in ORDER}
    for number in range(1, rounds + 1):
        for what in ORDER:
            say(f"round {number}/{rounds}: {LABELS[what]} at {logs.events:,} events (own process)")
            each[what].append(await asyncio.to_thread(_measure_one, what, url, logs))
    runs = {what: median_run(each[what]) for what in ORDER}
    offline_status = _json(runs["offline"].stdout).get("status")
    load_details = _json(runs["load"].stdout)
    settings = logs.settings
    scratch = scratch_schema(settings, "reporting")
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        failures, status = None, None
        if runs["in_database"].exit_status == 0:
            failures = await pool.fetchval(f"SELECT count(*) FROM {scratch}.projection_failures")
            found = await project_status(
                pool, scratch, DEFAULT_PROJECT, STATUS_DATE, settings.anonymity_threshold
            )
            status = None if found is None else found.model_dump(mode="json")
    finally:
        await pool.close()
    return Size(
        logs,
        runs,
        offline_status,
        status,
        None if failures is None else int(failures),
        load_details,
    )


def _json(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


# -- checks and results -------------------------------------------------------------------------


def _checks(floor: Run, sizes: list[Size]) -> dict[str, Any]:
    verified, complete, figures, same, loaded, rebuilt = [], [], [], [], [], []
    for size in sizes:
        head = size.logs.head_hash.hex()
        report = _json(size.runs["verify"].stdout)
        verified.append(
            size.runs["verify"].exit_status == 0
            and report.get("ok") is True
            and report.get("checked") == size.events
            and report.get("head_hash") == head
        )
        found = _json(size.runs["offline"].stdout)
        finance = found.get("computed_from", {}).get("finance", {})
        complete.append(
            size.runs["offline"].exit_status == 0
            and finance.get("position") == size.events
            and finance.get("hash") == head
            and size.offline_status is not None
        )
        totals = size.logs.totals.as_json()
        money = (size.offline_status or {}).get("money") or {}
        figures.append(
            {
                "money_used": (money.get("money") or {}).get("used"),
                "expected_money_used": totals["money_used"],
                "in_kind_used": (money.get("in_kind") or {}).get("used"),
                "expected_in_kind_used": totals["in_kind_used"],
            }
        )
        same.append(
            size.offline_status is not None and size.offline_status == size.in_database_status
        )
        loaded.append(
            size.runs["load"].exit_status == 0
            and size.load_details.get("events_loaded") == size.events + 1
        )
        rebuilt.append(size.runs["in_database"].exit_status == 0 and size.in_database_failures == 0)

    def matches(figure: dict[str, Any]) -> bool:
        return _same_amount(figure["money_used"], figure["expected_money_used"]) and _same_amount(
            figure["in_kind_used"], figure["expected_in_kind_used"]
        )

    floor_ok = floor.exit_status == 0 and _json(floor.stdout).get("status") is not None
    failed = {
        f"{size.events} {what}": size.runs[what].rounds_failed
        for size in sizes
        for what in ORDER
        if size.runs[what].rounds_failed
    }
    return {
        "every_round_exited_0": {"ok": not failed and not floor.rounds_failed, "failed": failed},
        "floor_computed_a_status": {"ok": floor_ok, "exit_status": floor.exit_status},
        "every_export_verified_to_the_generated_head": {"ok": all(verified), "each": verified},
        "offline_replay_used_every_event": {"ok": all(complete), "each": complete},
        "offline_figures_are_the_generated_totals": {
            "ok": all(matches(figure) for figure in figures),
            "each": figures,
        },
        "offline_status_is_the_in_database_status": {"ok": all(same), "each": same},
        "load_restored_every_event": {"ok": all(loaded), "each": loaded},
        "in_database_replay_set_nothing_aside": {
            "ok": all(rebuilt),
            "failures": [size.in_database_failures for size in sizes],
        },
    }


def _same_amount(found: Any, expected: str) -> bool:
    if not isinstance(found, str):
        return False
    with contextlib.suppress(ArithmeticError, ValueError):
        return Decimal(found) == Decimal(expected)
    return False


def _ratio(ours: float, peer: float) -> float | None:
    return round(ours / peer, 3) if peer > 0 else None


def _size_ratios(size: Size, floor: Run) -> dict[str, Any]:
    runs = size.runs
    offline_run = runs["offline"]
    beyond = offline_run.seconds - floor.seconds
    return {
        "offline_to_in_database": _ratio(offline_run.rate, runs["in_database"].rate),
        "offline_to_verify": _ratio(offline_run.rate, runs["verify"].rate),
        "offline_to_load": _ratio(offline_run.rate, runs["load"].rate),
        "offline_events_per_second_beyond_the_floor": round(size.events / beyond, 1)
        if beyond > 0
        else None,
    }


def _memory_ratios(sizes: list[Size]) -> dict[str, float | None]:
    """Peak RSS at the largest size over the smallest, per row: 1 is flat."""
    if len(sizes) < 2:
        return {}
    first, last = sizes[0], sizes[-1]
    found: dict[str, float | None] = {}
    for what in ORDER:
        small, large = first.runs[what].peak_rss_mb, last.runs[what].peak_rss_mb
        found[what] = round(large / small, 3) if small and large else None
    small_pss = first.runs["offline"].server_peak_pss_mb
    large_pss = last.runs["offline"].server_peak_pss_mb
    found["offline_private_postgres_pss"] = (
        round(large_pss / small_pss, 3) if small_pss and large_pss else None
    )
    return found


def _results(
    run_id: str,
    facts: dict[str, Any],
    scale: float,
    rounds: int,
    floor: Run,
    sizes: list[Size],
    checks: dict[str, Any],
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "environment": facts,
        "scale": scale,
        "rounds": rounds,
        "project": DEFAULT_PROJECT,
        "status_date": STATUS_DATE.isoformat(),
        "floor": floor.as_json(),
        "sizes": [
            {
                "events": size.events,
                "logs": size.logs.as_json(),
                "measurements": [size.runs[what].as_json() for what in ORDER],
                "load_phases": size.load_details,
                "ratios": _size_ratios(size, floor),
            }
            for size in sizes
        ],
        "peak_rss_ratio_largest_to_smallest": _memory_ratios(sizes),
        "checks": checks,
        "ok": all(check["ok"] for check in checks.values()),
    }


def _number(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def markdown_table(sizes: list[Size]) -> str:
    lines = [
        "| Finance events | What | Seconds (median) | Each round (s) | Events/s "
        "| Offline ÷ this (events/s) | Peak RSS (MB) | CPU (% of a core) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        offline_run = size.runs["offline"]
        for what in ORDER:
            run = size.runs[what]
            lines.append(
                f"| {size.events:,} | {what.replace('_', '-')} | {run.seconds:,.1f} "
                f"| {' / '.join(f'{seconds:.1f}' for seconds in run.rounds_seconds)} "
                f"| {run.rate:,.0f} | {_number(_ratio(offline_run.rate, run.rate), 3)} "
                f"| {_number(run.peak_rss_mb)} | {run.cpu_percent_of_one_core:.0f} |"
            )
    return "\n".join(lines)


def memory_table(floor: Run, sizes: list[Size]) -> str:
    head = " | ".join(f"{size.events:,}" for size in sizes)
    lines = [
        f"| Peak RSS (MB) | 1 (floor) | {head} | Largest ÷ smallest |",
        "|---|---:|" + "---:|" * len(sizes) + "---:|",
    ]
    ratios = _memory_ratios(sizes)
    for what in ORDER:
        figures = " | ".join(_number(size.runs[what].peak_rss_mb) for size in sizes)
        first = _number(floor.peak_rss_mb) if what == "offline" else ""
        lines.append(
            f"| {what.replace('_', '-')} | {first} | {figures} | {_number(ratios.get(what), 2)} |"
        )
    figures = " | ".join(_number(size.runs["offline"].server_peak_pss_mb) for size in sizes)
    lines.append(
        f"| offline's private PostgreSQL (PSS, sampled) | {_number(floor.server_peak_pss_mb)} "
        f"| {figures} | {_number(ratios.get('offline_private_postgres_pss'), 2)} |"
    )
    return "\n".join(lines)


def _steps_lines(title: str, run: Run) -> list[str]:
    lines = [f"- {title}, {run.seconds:,.1f} s:"]
    for step in run.steps:
        counted = ""
        if step["count"]:
            counted = f" (counted {step['count']:,}" + (
                f" of {step['of']:,})" if step["of"] else ")"
            )
        lines.append(f"  - {step['seconds']:,.1f} s: {step['step']}{counted}")
    return lines


def markdown_document(results: dict[str, Any], table: str, floor: Run, sizes: list[Size]) -> str:
    env = results["environment"]
    postgres = env["postgresql"]
    git = env.get("git") or {}
    checks = results["checks"]
    lines = [
        "# ptrack offline replay benchmark: latest run",
        "",
        f"Run {results['run_id']} on {env['date']}: {env['cpu_count']} CPUs, "
        f"{env.get('memory_total')} memory, bench PostgreSQL {postgres['server_version']}, "
        f"Python {env['python']}, commit {git.get('commit', 'unknown')[:12]}"
        f"{' with uncommitted changes' if git.get('uncommitted_changes') else ''}; "
        f"scale {results['scale']}, {results['rounds']} rounds.",
        "",
        f"The logs: the default project ({results['project']}) with its plan's budget, "
        "financing and schedule baseline, then `CostBooked`, `CostReversed` and "
        "`InKindHoursRecorded` in group commits; exported as the service writes them. The "
        f"status is computed as of {results['status_date']}.",
        "",
    ]
    for size in results["sizes"]:
        logs = size["logs"]
        types = ", ".join(f"{count:,} {name}" for name, count in logs["totals"]["by_type"].items())
        lines.append(
            f"- {size['events']:,} finance events ({types}): finance.ndjson "
            f"{logs['finance_file_megabytes']:,} MB, exported at "
            f"{logs['export_events_per_second']:,} events/s; head {logs['head_hash'][:16]}…"
        )
    lines += [
        "",
        "Each row is a command in a process of its own, one after another; seconds are its "
        "wall time, start to exit (interpreter and imports included); events/s are the log's "
        "finance events over those seconds. Every row was run once a round, the rows in turn, "
        f"{results['rounds']} rounds; the row's figures (seconds, RSS, CPU, the bar's steps) "
        "are those of its median round. `Offline ÷ this` is the offline replay's rate over "
        "the row's (below 1: the offline replay is slower by that factor).",
        "",
        table,
        "",
        f"The floor, `ptrack audit replay` on the milestones file alone (1 event): "
        f"{floor.seconds:.1f} s, peak RSS {_number(floor.peak_rss_mb)} MB (interpreter, imports, "
        "a private PostgreSQL made with initdb and started, the read models' tables, the "
        "status).",
        "",
        "Ratios (events/s of the offline replay over each peer's; and the offline rate with "
        "the floor's seconds taken off):",
        "",
    ]
    for size in results["sizes"]:
        ratios = size["ratios"]
        phases = size["load_phases"]
        lines.append(
            f"- {size['events']:,}: offline / in-database "
            f"{_number(ratios['offline_to_in_database'], 3)}, offline / verify-only "
            f"{_number(ratios['offline_to_verify'], 3)}, offline / load-only "
            f"{_number(ratios['offline_to_load'], 3)}; offline beyond the floor "
            f"{_number(ratios['offline_events_per_second_beyond_the_floor'])} events/s; "
            f"load-only: server start {phases.get('server_start_seconds')} s, load "
            f"{phases.get('load_seconds')} s (PostgreSQL {phases.get('server_version')}, "
            "the one the command starts)"
        )
    lines += [
        "",
        "Where the offline replay's time went, as its own progress bar showed it (the command "
        "ran on a pseudo-terminal, so it drew the bar as for a person; each step lasts until "
        "the next one showed, to a tenth of a second, the bar's refresh; a step shorter than "
        "that may not show):",
        "",
        *_steps_lines("floor (1 event)", floor),
        *(
            line
            for size in sizes
            for line in _steps_lines(f"{size.events:,} events", size.runs["offline"])
        ),
        "",
        "Peak memory. RSS is the high-water mark (`VmHWM`) of the command's own process. The "
        "private PostgreSQL the offline replay (and the load-only row) starts is a separate "
        "process tree; its figure is the summed PSS of the postmaster and its backends, "
        f"sampled every {SAMPLE_SECONDS} s. The in-database row's server is the bench's "
        "PostgreSQL, not measured here. The load-only row's process is the bench's own module "
        "(the command's imports and the bench's).",
        "",
        memory_table(floor, sizes),
        "",
        "CPU: the command's process (with the initdb and pg_ctl it waits for) over its wall "
        "time. The private PostgreSQL's CPU seconds, sampled: "
        + ", ".join(
            f"{size.events:,}: {_number(size.runs['offline'].server_cpu_seconds, 1)} s "
            f"of {size.runs['offline'].seconds:,.1f} s"
            for size in sizes
        )
        + ".",
        "",
        "Checks: "
        + ", ".join(f"{name} {'ok' if check['ok'] else 'FAILED'}" for name, check in checks.items())
        + ".",
        "",
        f"Details: {NAME}.json.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
