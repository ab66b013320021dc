"""The auditor's own replay: from exported logs (and the checkpoints kept) to the project's
figures, on a machine that has nothing but the files and ptrack installed.

1. Each file is verified on its own (`verify_file`: positions, links, hashes, every byte as
   exported). A file that does not verify stops everything, before any figure is computed.
2. A PostgreSQL of its own is started in a temporary directory (pgserver's binaries, a free port
   of 127.0.0.1: nothing shared with a running stack; no NATS), and each log is loaded into it
   as it was recorded, a page at a time.
3. The checkpoints kept are checked against the loaded logs: signature, and the signed hash at
   its position. One that does not hold stops everything too.
4. The read models are rebuilt by the same projections the services run (`ptrack.replay`), and
   the project's status is computed from them as `GET /projects/{id}/status` computes it: as of
   a business date (everything recorded, the figures on that day) or as the system knew it at a
   recorded moment (only the events recorded by then).

Personal data stays sealed: the auditor has no master key, and needs none for a figure. Sealed
fields read `sealed-<12 hex>`, the same for every field of one person, so counts per person hold.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from ptrack.audit.compare import (
    Comparison,
    NotAPackage,
    Package,
    compare_csv,
    read_package,
    replayed_accounts,
)
from ptrack.audit.exported_log import exported_events, exported_service, verify_file
from ptrack.replay import ReplayReport, read_models, replay, scratch_schema
from services.finance.accounts.model import Accounts
from services.finance.accounts.tables import accounts_csv
from services.reporting.evm import known_series
from services.reporting.inputs import evm_inputs
from services.reporting.status import ProjectStatus, project_status
from shared.audit.signing import CheckpointCheck, SignedCheckpoint, check_checkpoint
from shared.db import create_pool
from shared.privacy.keyring import Keyring, open_keyring
from shared.privacy.personal import withheld_value
from shared.projection import rebuild_into
from shared.servers import PostgresServer
from shared.settings import Settings
from shared.store.base import StoredEvent
from shared.store.postgres import PostgresEventStore

LOGS = ("registry", "milestones", "finance", "surveys")
"""The logs the project's status is computed from."""
PAGE = 5000
"""Events loaded per statement: memory stays bounded however large the file."""
INTO = "auditor"

Progress = Callable[[str, int, int], None]
"""(what, done, of how many): long steps report as they go."""


class Refused(Exception):
    """A file or a checkpoint does not hold: nothing was computed from them."""


@dataclass(frozen=True)
class LogFile:
    service: str
    path: Path
    events: int
    head_position: int
    head_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "file": str(self.path),
            "events": self.events,
            "head_position": self.head_position,
            "head_hash": self.head_hash,
        }


@dataclass
class OfflineReplay:
    project: str
    status_date: date
    as_of_recorded: datetime | None
    logs: list[LogFile]
    checkpoints: list[CheckpointCheck]
    used: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Per log, the head the figures were computed from: (position, hash)."""
    status: ProjectStatus | None = None
    series: dict[str, Any] | None = None
    """The monthly S-curve of money, as `GET /projects/{id}/evm/series` gives it."""
    replayed: ReplayReport | None = None
    comparison: Comparison | None = None
    accounts: Accounts | None = None
    """The accounts from the finance events the figures come from, when asked for."""

    @property
    def status_json(self) -> dict[str, Any] | None:
        return None if self.status is None else self.status.model_dump(mode="json")

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "status_date": self.status_date.isoformat(),
            "as_of_recorded": None
            if self.as_of_recorded is None
            else self.as_of_recorded.isoformat(),
            "logs": [log.to_dict() for log in self.logs],
            "checkpoints": [check.to_dict() for check in self.checkpoints],
            "computed_from": {
                service: {"position": position, "hash": hash_}
                for service, (position, hash_) in self.used.items()
            },
            "status": self.status_json,
            "series": self.series,
            "accounts": None if self.comparison is None else self.comparison.to_dict(),
        }

    def lines(self) -> list[str]:
        """What an auditor reads: the files as verified, then the figures."""
        view = f"on {self.status_date}"
        if self.as_of_recorded is not None:
            view += f", as recorded by {self.as_of_recorded.isoformat()}"
        lines = [f"{log.path}: {log.service}, {log.events} events verified" for log in self.logs]
        lines += [f"checkpoint {c.checkpoint.service}: {c.detail}" for c in self.checkpoints]
        lines += [
            f"computed from {service} up to position {position} ({hash_[:16]}…)"
            if position
            else f"computed from {service}: no events"
            for service, (position, hash_) in self.used.items()
        ]
        if self.comparison is not None:
            lines += self.comparison.lines()
        if self.status is None:
            return [*lines, f"nothing is known about project {self.project} {view}"]
        return [*lines, f"status of {self.project} {view}:"]


def _quiet(_what: str, _done: int, _total: int) -> None:
    pass


async def check_files(files: Sequence[Path], progress: Progress = _quiet) -> list[LogFile]:
    """Each file verified on its own, one log each, from position 1; Refused otherwise."""
    found: dict[str, LogFile] = {}
    for path in files:
        service = exported_service(path)
        if service is None:
            raise Refused(f"{path}: not an exported log (no event on its first line)")
        if service in found:
            raise Refused(f"{path}: a second file of the {service} log ({found[service].path})")
        if service not in LOGS:
            raise Refused(f"{path}: the {service} log is not one the figures come from")

        def advance(checked: int, what: str = f"verifying {path.name}") -> None:
            progress(what, checked, 0)

        report = await verify_file(path, advance, first_position=1)
        if report.damage is not None:
            damage = report.damage
            raise Refused(
                f"{path} does not verify: damaged at position {damage.position} "
                f"({damage.kind}): {damage.detail}"
            )
        found[service] = LogFile(
            service, path, report.checked, report.head_position, report.head_hash.hex()
        )
    return list(found.values())


async def replay_exports(
    files: Sequence[Path],
    *,
    project: str,
    kept: Sequence[SignedCheckpoint] = (),
    as_of_business: date | None = None,
    as_of_recorded: datetime | None = None,
    anonymity_threshold: int | None = None,
    compare: Path | None = None,
    accounts_lang: str | None = None,
    progress: Progress = _quiet,
    work_dir: Path | None = None,
) -> OfflineReplay:
    """Verify the files, load them into a private database, check the kept checkpoints, rebuild
    the read models and compute the project's status; with `compare` (a folder from
    `ptrack accounts`) the accounts at the position they name, figure by figure against them;
    with `accounts_lang` the accounts from the same events, in that language. See the module
    doc."""
    if as_of_recorded is not None and as_of_recorded.tzinfo is None:
        raise ValueError("as_of_recorded needs a time zone")
    package = None if compare is None else read_package(compare, project)
    logs = await check_files(files, progress)
    day = as_of_business or (as_of_recorded or datetime.now(UTC)).date()
    result = OfflineReplay(project, day, as_of_recorded, logs, [])
    with tempfile.TemporaryDirectory(prefix="ptrack-audit-", dir=work_dir) as scratch:
        server = PostgresServer(Path(scratch) / "postgres")
        progress("starting a private PostgreSQL", 0, 0)
        server.start()
        try:
            settings = Settings(
                database_url=server.url,
                schema_prefix="",
                signing_key_dir=Path(scratch) / "keys",
                privacy_key_dir=Path(scratch) / "keys",
            )
            pool = await create_pool(settings.database_url, min_size=1, max_size=4)
            try:
                await _compute(pool, settings, result, kept, anonymity_threshold, progress)
                if package is not None:
                    result.comparison = await _compare(pool, settings, result, package)
                if accounts_lang is not None:
                    result.accounts = await _accounts(pool, settings, result, accounts_lang)
            finally:
                await pool.close()
        finally:
            server.stop()
    return result


async def _compute(
    pool: asyncpg.Pool[asyncpg.Record],
    settings: Settings,
    result: OfflineReplay,
    kept: Sequence[SignedCheckpoint],
    anonymity_threshold: int | None,
    progress: Progress,
) -> None:
    stores = {name: PostgresEventStore(pool, settings.schema_for(name)) for name in LOGS}
    for store in stores.values():
        await store.migrate()  # a log not given is an empty one: its figures are absent
    for log in result.logs:
        done = 0
        for page in _pages(exported_events(log.path)):
            await stores[log.service].restore(page)
            done += len(page)
            progress(f"loading {log.path.name}", done, log.events)
    for checkpoint in kept:
        if checkpoint.service not in stores:
            raise Refused(f"a checkpoint of {checkpoint.service}, whose log was not given")
        check = await check_checkpoint(
            checkpoint, stores[checkpoint.service], checkpoint.public_key
        )
        if not check.ok:
            raise Refused(
                f"the checkpoint of {checkpoint.service} kept does not hold: {check.detail}"
            )
        result.checkpoints.append(check)
    for name, store in stores.items():
        result.used[name] = await _head_used(store, result.as_of_recorded)

    keyring = await _keyring_without_keys(pool, settings)
    progress("rebuilding the read models", 0, 0)
    result.replayed = await replay(
        pool,
        settings,
        services=["reporting"],
        into=INTO,
        as_of_recorded=result.as_of_recorded,
        keyring=keyring,
        progress=lambda message: progress(message, 0, 0),
    )
    threshold = anonymity_threshold or settings.anonymity_threshold
    reporting = scratch_schema(settings, "reporting", INTO)
    day = result.status_date
    result.status = await project_status(pool, reporting, result.project, day, threshold)
    inputs = await evm_inputs(pool, reporting, result.project, day)
    result.series = {
        "project": result.project,
        "scope": "money",
        "step": "month",
        "status_date": day.isoformat(),
        "points": []
        if inputs is None
        else known_series(inputs, status_date=day, scope="money", step="month"),
    }


async def _keyring_without_keys(pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> Keyring:
    """The private database's keyring: it holds no subject's key, so every sealed value reads
    `sealed-…` (not `erased-…`: nobody was erased, the keys are elsewhere)."""
    keyring = await open_keyring(pool, settings)
    keyring.unopened = withheld_value
    return keyring


async def _finance_at(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings, position: int, into: str
) -> str:
    """The finance read models rebuilt up to `position` into a schema of their own."""
    keyring = await _keyring_without_keys(pool, settings)
    schema = scratch_schema(settings, "finance", into)
    for model in read_models(settings, "finance"):
        await rebuild_into(pool, schema, model, to_position=position, keyring=keyring)
    return schema


async def _compare(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings, result: OfflineReplay, package: Package
) -> Comparison:
    """The accounts made again at the package's position, against the package's CSV."""
    finance = next((log for log in result.logs if log.service == "finance"), None)
    if finance is None or finance.head_position < package.position:
        ends = "was not given" if finance is None else f"ends at {finance.head_position}"
        raise Refused(f"the accounts name finance position {package.position}; the log {ends}")
    schema = await _finance_at(pool, settings, package.position, "compared")
    store = PostgresEventStore(pool, settings.schema_for("finance"))
    made = await replayed_accounts(pool, schema, store, result.project, package.lang)
    return compare_csv(package, package.csv.read_bytes(), accounts_csv(made, package.lang))


async def _accounts(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings, result: OfflineReplay, lang: str
) -> Accounts | None:
    """The accounts from the finance events the figures were computed from."""
    position = result.used["finance"][0]
    if position == 0:
        return None
    schema = await _finance_at(pool, settings, position, "accounts")
    store = PostgresEventStore(pool, settings.schema_for("finance"))
    try:
        return await replayed_accounts(pool, schema, store, result.project, lang)
    except NotAPackage:
        return None  # no approved budget: no accounts to make


def _pages(events: Iterator[StoredEvent]) -> Iterator[list[StoredEvent]]:
    while page := list(itertools.islice(events, PAGE)):
        yield page


async def _head_used(store: PostgresEventStore, as_of_recorded: datetime | None) -> tuple[int, str]:
    """The last position (and its hash) of the events the figures were computed from."""
    row = await store.pool.fetchrow(
        f"SELECT position, hash FROM {store.schema}.events "
        "WHERE $1::timestamptz IS NULL OR recorded_at <= $1 ORDER BY position DESC LIMIT 1",
        as_of_recorded,
    )
    return (0, "") if row is None else (int(row["position"]), bytes(row["hash"]).hex())
