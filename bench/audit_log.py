"""A large, realistic finance log for the audit scenario, written straight into the table.

Going through the HTTP API (or even `PostgresEventStore.append`) would take far longer than
what the scenario measures, so rows are made here, in Python, exactly as the store would have
made them: positions 1..N, stream versions per project, `recorded_at` shared by the events of
one group commit, and `hash = event_hash(...)` over the predecessor's hash. They go in with
`COPY` in chunks, into a schema made by the store's own `migrate`.

The events are what the finance service records: per project a `BudgetApproved` and a
`FinancingPlanned`, then `CostBooked` (unique booking ids, lines of the budget), some
`CostReversed` (of an earlier booking, never more than remains of it) and
`InKindHoursRecorded`. `data` is in the form the service stores (the model dumped to JSON:
amounts as decimal strings, defaults filled in, absent optionals left out), and a sample of the
events is checked against the finance models while generating.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.finance.events import EVENT_TYPES
from shared.canonical import canonical_json
from shared.db import create_pool
from shared.money import format_ore
from shared.store.base import GENESIS_HASH, StoredEvent
from shared.store.hashing import event_hash
from shared.store.postgres import EVENT_COLUMNS, migrate

CHUNK = 50_000
"""Rows per COPY (one transaction each): large enough that round trips do not matter, small
enough that the next chunk is generated while this one is written."""
PROJECTS = 4
SEED = 2010
"""The same N gives the same log, head hash included, so runs compare."""
SAMPLE_EVERY = 997
"""Every so many events is decoded by the finance models and dumped again while generating."""

_START = datetime(2010, 2, 1, 8, 0, tzinfo=UTC)
_SPAN = timedelta(days=5 * 365)
"""The log covers a five-year programme, whatever N is: more events, denser days."""
_LINES = (
    ("external-expertise", "External expertise"),
    ("project-management", "Project management"),
    ("process-costs", "Other process costs"),
    ("contingency", "Miscellaneous and contingency"),
)
_MUNICIPALITIES = ("Kongsberg", "Flesberg", "Rollag", "Nore og Uvdal", "Notodden", "Hjartdal")
_ACTIVITIES = ("mapping", "network-school", "seminar", "pilot", "evaluation")
_SUPPLIERS = ("Nettverkskompetanse AS", "Kurs og Konferanse AS", "Regionrevisjon IKS", None)
_HOURS = ("0.5", "1", "1.5", "2", "3", "3.75", "4", "6", "7.5")
_RATES = ("450.00", "550.00", "650.00", "800.00")
_BOOKING = 0.80
_REVERSAL = 0.03
"""Shares of the events after the plans; the rest are in-kind hours."""


@dataclass(frozen=True)
class LogSummary:
    events: int
    head_hash: bytes
    by_type: dict[str, int]
    seconds: float
    table_bytes: int
    sampled: int
    """Events checked against the finance models while generating."""

    def as_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "head_hash": self.head_hash.hex(),
            "by_type": self.by_type,
            "seconds": round(self.seconds, 1),
            "events_per_second": round(self.events / self.seconds) if self.seconds else None,
            "table_megabytes": round(self.table_bytes / 2**20, 1),
            "sampled_against_models": self.sampled,
        }


@dataclass
class _Project:
    stream_id: str
    index: int
    version: int = 0
    bookings: int = 0
    open_bookings: deque[tuple[str, int]] = field(default_factory=lambda: deque(maxlen=500))
    """Recent bookings that may still be reversed: (booking id, what remains of it in øre)."""


class LogGenerator:
    """Makes the log's rows in order, a chunk at a time, each ready for COPY."""

    def __init__(self, total: int, seed: int = SEED) -> None:
        if total < 2 * PROJECTS:
            raise ValueError(f"the log needs at least {2 * PROJECTS} events (the plans)")
        self.total = total
        self.position = 0
        self.hash = GENESIS_HASH
        self.by_type: dict[str, int] = {}
        self.sampled = 0
        self._random = random.Random(seed)
        self._projects = [_Project(f"programme-{k + 1:02d}", k) for k in range(PROJECTS)]
        self._batch_left = 0
        self._batch_project = self._projects[0]
        self._batch_recorded = _START
        self._batch_metadata: dict[str, Any] = {}
        self._batch_metadata_text = ""
        self._batch_source = ""

    @property
    def done(self) -> bool:
        return self.position >= self.total

    def chunk(self, size: int = CHUNK) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        while len(rows) < size and not self.done:
            rows.append(self._next_row())
        return rows

    def _next_row(self) -> tuple[Any, ...]:
        if self.position < 2 * PROJECTS:
            project = self._projects[self.position // 2]
            kind, data, business = self._plan_event(project)
            self._start_batch(project, 1, "urn:ptrack:plan", "key:admin:plan-loader")
        else:
            if self._batch_left == 0:
                self._next_batch()
            project = self._batch_project
            kind, data, business = self._activity_event(project)
        self._batch_left -= 1
        self.position += 1
        project.version += 1
        occurred = datetime(business.year, business.month, business.day, tzinfo=UTC)
        unsealed = StoredEvent(
            position=self.position,
            event_id=uuid.UUID(int=self._random.getrandbits(128), version=4),
            stream_id=project.stream_id,
            stream_version=project.version,
            type=kind,
            schema_version=1,
            occurred_at=occurred,
            recorded_at=self._batch_recorded,
            data=data,
            metadata=self._batch_metadata,
            prev_hash=self.hash,
            hash=b"",
        )
        digest = event_hash(unsealed)
        if self.position % SAMPLE_EVERY == 1:
            _check_against_model(kind, data)
            self.sampled += 1
        self.hash = digest
        self.by_type[kind] = self.by_type.get(kind, 0) + 1
        # As the store keeps them: the canonical text the hash covers (json keeps it as sent).
        return (
            self.position,
            unsealed.event_id,
            project.stream_id,
            project.version,
            kind,
            1,
            occurred,
            self._batch_recorded,
            canonical_json(data).decode(),
            self._batch_metadata_text,
            unsealed.prev_hash,
            digest,
        )

    # -- what happens ------------------------------------------------------------------------

    def _start_batch(self, project: _Project, size: int, source: str, actor: str) -> None:
        """One group commit: its events share a recorded time, the request's metadata, and
        (here) a project; the clock moves on between commits."""
        fraction = self.position / self.total
        jitter = timedelta(seconds=self._random.uniform(0, 30))
        self._batch_recorded = max(self._batch_recorded, _START + _SPAN * fraction + jitter)
        self._batch_left = size
        self._batch_project = project
        self._batch_source = source
        correlation = uuid.UUID(int=self._random.getrandbits(128), version=4).hex
        self._batch_metadata = {"actor": actor, "correlation_id": correlation, "source": source}
        self._batch_metadata_text = canonical_json(self._batch_metadata).decode()

    def _next_batch(self) -> None:
        project = self._random.choice(self._projects)
        if self._random.random() < 0.9:
            # Accounting integrations post bookings in batches of a few to a hundred.
            size = min(int(self._random.paretovariate(1.2)), 100)
            self._start_batch(project, size, "urn:accounting:visma", "key:acct:integration")
        else:
            size = self._random.randint(1, 20)
            self._start_batch(project, size, "urn:timesheets:kommune", "key:time:timesheets")

    def _today(self) -> date:
        # Bookings carry the business date, a few days before they were recorded.
        lag = timedelta(days=self._random.randint(0, 10))
        return max((self._batch_recorded - lag).date(), _START.date())

    def _plan_event(self, project: _Project) -> tuple[str, dict[str, Any], date]:
        approved = _START.date()
        lines = [
            {"id": line_id, "name": name, "amount": format_ore(amount)}
            for (line_id, name), amount in zip(
                _LINES, (50_000_000, 120_000_000, 50_000_000, 20_000_000), strict=True
            )
        ]
        if project.version == 0:
            return (
                "BudgetApproved",
                {
                    "project_name": f"Nettverk som arbeidsform, delprosjekt {project.index + 1}",
                    "currency": "NOK",
                    "period_start": approved.isoformat(),
                    "period_end": (approved + _SPAN).isoformat(),
                    "frame": format_ore(440_000_000),
                    "in_kind": format_ore(200_000_000),
                    "lines": lines,
                    "approved_on": approved.isoformat(),
                    "decision_ref": f"K-sak {project.index + 12}/09",
                },
                approved,
            )
        sources = [
            {"id": "grant", "name": "Discretionary grant", "kind": "grant"},
            {"id": "in-kind", "name": "Municipal in-kind work", "kind": "in_kind"},
        ]
        for source, amount in zip(sources, (240_000_000, 200_000_000), strict=True):
            source["amount"] = format_ore(amount)
        plan = {"sources": sources, "planned_on": approved.isoformat()}
        return "FinancingPlanned", plan, approved

    def _activity_event(self, project: _Project) -> tuple[str, dict[str, Any], date]:
        day = self._today()
        if self._batch_source.startswith("urn:timesheets"):
            return "InKindHoursRecorded", self._in_kind(day), day
        draw = self._random.random() * (_BOOKING + _REVERSAL)
        if draw < _REVERSAL and project.open_bookings:
            return "CostReversed", self._reversal(project, day), day
        return "CostBooked", self._booking(project, day), day

    def _booking(self, project: _Project, day: date) -> dict[str, Any]:
        project.bookings += 1
        booking_id = f"GL-{project.index + 1}-{project.bookings:07d}"
        line = self._random.randrange(len(_LINES))
        amount = self._random.randint(10_000, 5_000_000)
        project.open_bookings.append((booking_id, amount))
        data: dict[str, Any] = {
            "booking_id": booking_id,
            "line": _LINES[line][0],
            "amount": format_ore(amount),
            "booking_date": day.isoformat(),
            "voucher": f"V-{project.index + 1}-{project.bookings}",
        }
        if (supplier := self._random.choice(_SUPPLIERS)) is not None:
            data["supplier"] = supplier
        if self._random.random() < 0.3:
            data["text"] = f"Invoice {project.bookings} for {_LINES[line][1].lower()}"
        return data

    def _reversal(self, project: _Project, day: date) -> dict[str, Any]:
        booking_id, remaining = project.open_bookings.popleft()
        whole = self._random.random() < 0.7
        amount = remaining if whole else self._random.randint(1, remaining)
        if not whole and amount < remaining:
            # Only part is undone: the rest may be reversed later (never more than remains).
            project.open_bookings.append((booking_id, remaining - amount))
        return {
            "booking_id": booking_id,
            "amount": format_ore(amount),
            "reversal_date": day.isoformat(),
            "reason": "Booked on the wrong line" if whole else "Credit note from the supplier",
            "voucher": f"R-{project.index + 1}-{booking_id}",
        }

    def _in_kind(self, day: date) -> dict[str, Any]:
        data: dict[str, Any] = {
            "municipality": self._random.choice(_MUNICIPALITIES),
            "person": f"Person {self._random.randint(1, 400)}",
            "activity": self._random.choice(_ACTIVITIES),
            "work_date": day.isoformat(),
            "hours": self._random.choice(_HOURS),
            "hourly_rate": self._random.choice(_RATES),
        }
        if self._random.random() < 0.5:
            data["role"] = "network coordinator"
        if self._random.random() < 0.2:
            data["description"] = "Preparation and follow-up of a network meeting"
        return data


def _check_against_model(kind: str, data: dict[str, Any]) -> None:
    """The service stores `to_data(model)`: generated data must decode and dump to itself."""
    model = EVENT_TYPES.to_model(kind, 1, data)
    dumped = EVENT_TYPES.to_data(model)
    if dumped != data:
        raise AssertionError(f"{kind} data is not in the stored form: {data} != {dumped}")


Progress = Callable[[int], None]
"""Called after each chunk with the events written so far."""


async def write_log(url: str, schema: str, total: int, progress: Progress) -> LogSummary:
    """Make `<schema>.events` with the store's own DDL and fill it with `total` events."""
    pool = await create_pool(url, min_size=1, max_size=2)
    try:
        await migrate(pool, schema)
    finally:
        await pool.close()
    generator = LogGenerator(total)
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        # Generating the next chunk (in a thread) overlaps with PostgreSQL writing this one.
        rows = await asyncio.to_thread(generator.chunk)
        while rows:
            copy = asyncio.ensure_future(
                conn.copy_records_to_table(
                    "events", records=rows, columns=EVENT_COLUMNS, schema_name=schema
                )
            )
            following = await asyncio.to_thread(generator.chunk)
            await copy
            progress(rows[-1][0])
            rows = following
        # As an old log would be: hint bits set and statistics known, so the first reader
        # measured does not pay for writing them and the plans are the usual ones.
        await conn.execute(f"VACUUM (ANALYZE) {schema}.events")
        seconds = time.perf_counter() - started
        table_bytes = await conn.fetchval("SELECT pg_total_relation_size($1)", f"{schema}.events")
    finally:
        await conn.close()
    return LogSummary(
        events=generator.position,
        head_hash=generator.hash,
        by_type=dict(sorted(generator.by_type.items())),
        seconds=seconds,
        table_bytes=int(table_bytes),
        sampled=generator.sampled,
    )
