"""Replay: rebuild a service's read models from its PostgreSQL log into a scratch schema, while
the live models keep serving; optionally swap the rebuilt ones in, or look back in time.

For each service, every read model it keeps (its own projections and, for reporting, its feeds
of the other services' logs) is rebuilt into `<service schema>_<into>` by the same
`ReadModelWriter.rebuild` the services use, so a replay and a live model can only differ if the
live one drifted (changed behind the projection's back, or built by an older projection).

- `as_of_business=D` keeps the events whose business time (`occurred_at`) falls on or before D:
  what we know now about that day, late corrections dated back included.
- `as_of_recorded=T` keeps the events the log had recorded by T: what the system knew then
  (what the steering group saw), whatever was dated back later.
- `swap=True` (only for a full replay) replaces the live tables with the rebuilt ones in one
  transaction per service and carries the checkpoint over, so the running projections go on
  from where the rebuilt model stands: a repair without stopping anything.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeAlias

import asyncpg

from ptrack.stack.catalog import SERVICES, ServiceEntry
from services.reporting.timetravel import as_utc
from shared.privacy.keyring import Keyring, open_keyring
from shared.projection import ReadModel, rebuild_into
from shared.projection.swap import swap_in_models
from shared.settings import Settings
from shared.store.base import StoredEvent
from shared.store.postgres import checked_identifier

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
Progress: TypeAlias = Callable[[str], None]


class ReplayError(Exception):
    """The replay cannot be done as asked; nothing live was changed."""


# --- what a service keeps -------------------------------------------------------------------


def read_models(settings: Settings, service: str) -> list[ReadModel]:
    """The service's own projections (over its log) and its feeds (over their sources' logs)."""
    return _entry(service).spec().read_models(settings)


def read_model_tables(service: str) -> list[str]:
    """Every table the service's read models own (what a replay rebuilds and compares)."""
    spec = _entry(service).spec()
    projections = [*spec.projections, *(feed.projection for feed in spec.feeds)]
    return [table for projection in projections for table in projection.tables]


async def services_with_logs(pool: Pool, settings: Settings) -> list[str]:
    """The services whose read models can be replayed here: every log they read exists (a
    deployment may run some of them only)."""
    found = []
    for name in SERVICES:
        sources = {model.source_schema for model in read_models(settings, name)}
        present = [
            await pool.fetchval("SELECT to_regclass($1::text)", f"{source}.events")
            for source in sources
        ]
        if all(table is not None for table in present):
            found.append(name)
    return found


def scratch_schema(settings: Settings, service: str, into: str = "replay") -> str:
    return checked_identifier(f"{settings.schema_for(service)}_{into}")


def _entry(service: str) -> ServiceEntry:
    try:
        return SERVICES[service]
    except KeyError:
        raise ReplayError(f"no service {service!r}; known: {', '.join(SERVICES)}") from None


# --- replaying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelReplay:
    name: str
    source: str
    """The schema whose log was read."""
    events_read: int
    events_kept: int
    position: int
    """The log position the model stands at (after a swap: the checkpoint carried over)."""


@dataclass
class ServiceReplay:
    service: str
    schema: str
    """Where the rebuilt tables are now: the scratch schema, or the live one after a swap."""
    models: list[ModelReplay] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    """Rows per table of the rebuilt model."""
    failures: int = 0
    """Events the rebuild could not apply and set aside (in the scratch `projection_failures`)."""
    seconds: float = 0.0
    swapped: bool = False

    @property
    def events_read(self) -> int:
        return sum(model.events_read for model in self.models)

    @property
    def events_kept(self) -> int:
        return sum(model.events_kept for model in self.models)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "schema": self.schema,
            "swapped": self.swapped,
            "events_read": self.events_read,
            "events_kept": self.events_kept,
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
            "tables": dict(self.tables),
            "models": [
                {
                    "name": model.name,
                    "source": model.source,
                    "events_read": model.events_read,
                    "events_kept": model.events_kept,
                    "position": model.position,
                }
                for model in self.models
            ],
        }


@dataclass
class ReplayReport:
    into: str
    as_of_business: date | None = None
    as_of_recorded: datetime | None = None
    services: dict[str, ServiceReplay] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "into": self.into,
            "as_of_business": self.as_of_business.isoformat() if self.as_of_business else None,
            "as_of_recorded": self.as_of_recorded.isoformat() if self.as_of_recorded else None,
            "services": {name: found.to_dict() for name, found in self.services.items()},
        }

    def lines(self) -> list[str]:
        """A human summary, one block per service."""
        lines = [f"replay of {describe_view(self.as_of_business, self.as_of_recorded)}"]
        for found in self.services.values():
            action = "swapped into" if found.swapped else "rebuilt in"
            lines.append(
                f"{found.service}: {action} {found.schema}: {found.events_kept} of "
                f"{found.events_read} events, {found.failures} set aside, {found.seconds:.2f}s"
            )
            lines.extend(f"  {table}: {rows} rows" for table, rows in found.tables.items())
        return lines


FULL_VIEW = "everything recorded"


def describe_view(as_of_business: date | None, as_of_recorded: datetime | None) -> str:
    if as_of_business is not None:
        return f"business date on or before {as_of_business.isoformat()}"
    if as_of_recorded is not None:
        return f"recorded at or before {as_utc(as_of_recorded).isoformat()}"
    return FULL_VIEW


def _label(service: str, view: str) -> str:
    # Kept as the scratch schema's comment: says what it holds, and only a full replay may be
    # swapped in later.
    return f"ptrack replay of {service}: {view}"


def keep_as_of(
    as_of_business: date | None = None, as_of_recorded: datetime | None = None
) -> Callable[[StoredEvent], bool] | None:
    """The filter for a view in time, or None for everything. Business dates are UTC days, as
    the services store them (a business date is an event at midnight UTC)."""
    if as_of_business is not None and as_of_recorded is not None:
        raise ReplayError("as of a business date or as of a recorded time, not both")
    if as_of_business is not None:
        before = datetime.combine(as_of_business + timedelta(days=1), time(0), tzinfo=UTC)
        return lambda event: event.occurred_at < before
    if as_of_recorded is not None:
        recorded = as_utc(as_of_recorded)
        return lambda event: event.recorded_at <= recorded
    return None


async def replay(
    pool: Pool,
    settings: Settings,
    *,
    services: Sequence[str] | None = None,
    into: str = "replay",
    swap: bool = False,
    as_of_business: date | None = None,
    as_of_recorded: datetime | None = None,
    progress: Progress | None = None,
    keyring: Keyring | None = None,
) -> ReplayReport:
    """Rebuild every read model of each service (default: all) into
    `<settings.schema_for(service)>_<into>`, from the PostgreSQL logs; see the module doc.
    Personal data is opened with `keyring` (default: the deployment's)."""
    keep = keep_as_of(as_of_business, as_of_recorded)
    if swap and keep is not None:
        # A model of the past is a view, not a model the live projections could go on from.
        raise ReplayError("--swap replaces the live models: only with a full replay, no as-of")
    names = list(services) if services else list(SERVICES)
    for name in names:
        _entry(name)
    live = {settings.schema_for(name) for name in SERVICES}
    for name in names:
        if scratch_schema(settings, name, into) in live:
            raise ReplayError(f"{into!r} would replay {name} into a live schema")
    report = ReplayReport(
        into,
        as_of_business,
        as_of_recorded if as_of_recorded is None else as_utc(as_of_recorded),
    )
    view = describe_view(as_of_business, as_of_recorded)
    keyring = keyring or await open_keyring(pool, settings)
    for name in names:
        report.services[name] = await _replay_service(
            pool,
            settings,
            name,
            into,
            swap=swap,
            keep=keep,
            view=view,
            progress=progress or _quiet,
            keyring=keyring,
        )
    return report


async def swap_in(
    pool: Pool,
    settings: Settings,
    *,
    services: Sequence[str] | None = None,
    into: str = "replay",
    progress: Progress | None = None,
) -> dict[str, dict[str, int]]:
    """Swap in what an earlier full replay built (after checking it, e.g. with
    `compare_schemas`), one transaction per service; events the live models applied since are
    applied to the rebuilt ones first. Returns each model's position per service."""
    names = list(services) if services else list(SERVICES)
    for name in names:
        _entry(name)
        scratch = scratch_schema(settings, name, into)
        label = await pool.fetchval(
            "SELECT obj_description(to_regnamespace($1::text)::oid, 'pg_namespace')", scratch
        )
        if label != _label(name, FULL_VIEW):
            # Checked for every service before any swap, so a refusal changes nothing.
            raise ReplayError(f"{scratch} does not hold a full replay of {name} ({label})")
    positions: dict[str, dict[str, int]] = {}
    keyring = await open_keyring(pool, settings)
    for name in names:
        live = settings.schema_for(name)
        (progress or _quiet)(f"{name}: swapping the rebuilt models into {live}")
        models = read_models(settings, name)
        positions[name] = await swap_in_models(
            pool, models, scratch_schema(settings, name, into), live, keyring
        )
    return positions


def _quiet(message: str) -> None:
    pass


async def drop_replay(
    pool: Pool, settings: Settings, *, services: Sequence[str] | None = None, into: str = "replay"
) -> None:
    """Drop the scratch schemas a replay left (a swap leaves none)."""
    for name in services or list(SERVICES):
        await pool.execute(f"DROP SCHEMA IF EXISTS {scratch_schema(settings, name, into)} CASCADE")


async def _replay_service(
    pool: Pool,
    settings: Settings,
    service: str,
    into: str,
    *,
    swap: bool,
    keep: Callable[[StoredEvent], bool] | None,
    view: str,
    progress: Progress,
    keyring: Keyring,
) -> ServiceReplay:
    started = clock.monotonic()
    scratch = scratch_schema(settings, service, into)
    models = read_models(settings, service)
    for model in models:
        if (
            await pool.fetchval("SELECT to_regclass($1::text)", f"{model.source_schema}.events")
            is None
        ):
            raise ReplayError(f"no event log in schema {model.source_schema}: has it ever run?")
    found = ServiceReplay(service, scratch)
    await pool.execute(f"DROP SCHEMA IF EXISTS {scratch} CASCADE")
    for model in models:
        progress(f"{service}: rebuilding {model.projection.name} from {model.source_schema}")
        kept = _Kept(keep)
        position = await rebuild_into(pool, scratch, model, keep=kept, keyring=keyring)
        found.models.append(
            ModelReplay(model.projection.name, model.source_schema, position, kept.count, position)
        )
    found.failures = int(await pool.fetchval(f"SELECT count(*) FROM {scratch}.projection_failures"))
    await pool.execute(f"COMMENT ON SCHEMA {scratch} IS {_quote(_label(service, view))}")
    if swap:
        live = settings.schema_for(service)
        progress(f"{service}: swapping the rebuilt models into {live}")
        positions = await swap_in_models(pool, models, scratch, live, keyring)
        found.models = [
            ModelReplay(m.name, m.source, m.events_read, m.events_kept, positions[m.name])
            for m in found.models
        ]
        found.schema = live
        found.swapped = True
    for model in models:
        for table in model.projection.tables:
            found.tables[table] = int(
                await pool.fetchval(f"SELECT count(*) FROM {found.schema}.{table}")
            )
    found.seconds = clock.monotonic() - started
    progress(f"{service}: done in {found.seconds:.2f}s")
    return found


class _Kept:
    """`keep`, counting the events kept. By the highest position counted, not a set of them:
    memory stays flat however long the log, and a rebuild redone event by event (to set a bad
    event aside) reads the same positions again in order, which are then not counted twice."""

    def __init__(self, keep: Callable[[StoredEvent], bool] | None) -> None:
        self.keep = keep
        self.count = 0
        self._highest = 0

    def __call__(self, event: StoredEvent) -> bool:
        if self.keep is not None and not self.keep(event):
            return False
        if event.position > self._highest:
            self._highest = event.position
            self.count += 1
        return True


def _quote(text: str) -> str:
    """A SQL string literal (COMMENT takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"
