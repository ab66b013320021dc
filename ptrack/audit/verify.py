"""`ptrack audit verify`: everything an auditor checks, for every service, in one run.

Works on the database (and NATS) directly, with read access, so it does not depend on the
services being up or honest: the log's positions and hash chain (where damage begins and what
kind), the checkpoints the services signed and those the auditor kept, JetStream against the
log, and each read model against a fresh replay.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import nats
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ptrack.stack.catalog import SERVICES
from shared.audit.drift import check_drift
from shared.audit.parallel import verify_log
from shared.audit.signing import SignedCheckpoint, check_checkpoint, list_checkpoints
from shared.audit.stored import verify_stored
from shared.audit.stream import compare_stream
from shared.db import create_pool
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore


@dataclass
class ServiceAudit:
    service: str
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(part.get("ok", True) for part in self._parts())

    def _parts(self) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for value in self.results.values():
            parts.extend(value if isinstance(value, list) else [value])
        return parts


async def audit(
    settings: Settings,
    services: Sequence[str],
    *,
    kept: Sequence[SignedCheckpoint] = (),
    jetstream: bool = True,
    drift: bool = True,
    jobs: int = 1,
    console: Console | None = None,
) -> list[ServiceAudit]:
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    nc = None
    if jetstream:
        try:
            nc = await nats.connect(settings.nats_url, connect_timeout=3, max_reconnect_attempts=0)
        except Exception:
            nc = None
    audits = []
    try:
        with _progress(console) as progress:
            for name in services:
                entry = SERVICES[name]
                store = PostgresEventStore(pool, settings.schema_for(name))
                head = (await store.head()).position
                result = ServiceAudit(name)
                task = progress.add_task(f"{name}: chain", total=max(head, 1))

                def advance(checked: int, task: TaskID = task) -> None:
                    progress.update(task, completed=checked)

                chain = await verify_log(
                    settings.database_url, store.schema, jobs=jobs, progress=advance
                )
                result.results["chain"] = chain.to_dict()
                stored = await list_checkpoints(pool, settings.schema_for(name))
                result.results["signed_checkpoints"] = [
                    (await check_checkpoint(c, store)).to_dict() for c in stored
                ]
                result.results["kept_checkpoints"] = [
                    (await check_checkpoint(c, store, c.public_key)).to_dict()
                    for c in kept
                    if c.service == name
                ]
                if jetstream:
                    result.results["jetstream"] = await _jetstream(nc, settings, name, store)
                if drift:
                    progress.update(task, description=f"{name}: read models")
                    reports = await check_drift(pool, settings, entry.spec())
                    result.results["read_models"] = [report.to_dict() for report in reports]
                progress.update(task, description=f"{name}: done", completed=max(head, 1))
                audits.append(result)
            erasures = await _privacy_log(pool, settings)
            if erasures is not None:
                audits.append(erasures)
    finally:
        if nc is not None:
            await nc.close()
        await pool.close()
    return audits


async def _privacy_log(pool: Any, settings: Settings) -> ServiceAudit | None:
    """The erasures' own log (`ptrack privacy erase`), hash-chained like a service's: its chain
    is checked too; it has no checkpoints, stream or read models. None where nobody was ever
    erased."""
    schema = settings.schema_for("privacy")
    if await pool.fetchval("SELECT to_regclass($1::text)", f"{schema}.events") is None:
        return None
    chain = await verify_stored(PostgresEventStore(pool, schema))
    return ServiceAudit(
        "privacy", {"chain": chain.to_dict(), "signed_checkpoints": [], "kept_checkpoints": []}
    )


async def _jetstream(
    nc: Any, settings: Settings, service: str, store: PostgresEventStore
) -> dict[str, Any]:
    if nc is None:
        return {"ok": False, "detail": f"NATS at {settings.nats_url} did not answer"}
    report = await compare_stream(
        nc.jetstream(), settings.nats_stream, settings.subject_prefix, service, store
    )
    return report.to_dict()


def _progress(console: Console | None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=console is None,
    )


def summary(audits: Sequence[ServiceAudit]) -> Table:
    table = Table(title="ptrack audit", show_lines=False)
    for column in ("service", "chain", "checkpoints", "JetStream", "read models", "verdict"):
        table.add_column(column)
    for item in audits:
        chain = item.results["chain"]
        damage = chain["damage"]
        chain_text = (
            f"{chain['checked']} events, whole"
            if damage is None
            else f"[red]{damage['kind']} at {damage['position']}[/]: {damage['detail']}"
        )
        checks = item.results["signed_checkpoints"] + item.results["kept_checkpoints"]
        bad = [c for c in checks if not c["ok"]]
        checkpoint_text = f"{len(checks)} ok" if not bad else f"[red]{bad[0]['detail']}[/]"
        stream = item.results.get("jetstream")
        stream_text = "–" if stream is None else _stream_text(stream)
        models = item.results.get("read_models")
        model_text = "–" if models is None else _models_text(models)
        verdict = "[green]clean[/]" if item.ok else "[red]NOT CLEAN[/]"
        table.add_row(item.service, chain_text, checkpoint_text, stream_text, model_text, verdict)
    return table


def _stream_text(stream: dict[str, Any]) -> str:
    if "messages" not in stream:
        return f"[red]{stream['detail']}[/]"
    text = f"{stream['messages']} messages from {stream['first_position'] or '–'}"
    if not stream["ok"]:
        text += f" [red]{stream['missing_count']} missing, {stream['mismatched_count']} differ[/]"
    return text


def _models_text(models: list[dict[str, Any]]) -> str:
    drifted = [m for m in models if not m["ok"]]
    if not drifted:
        return f"{len(models)} equal a replay"
    return "[red]" + ", ".join(f"{m['projection']} drifted" for m in drifted) + "[/]"


def as_json(audits: Sequence[ServiceAudit]) -> str:
    return json.dumps(
        {
            "ok": all(item.ok for item in audits),
            "services": {item.service: {"ok": item.ok, **item.results} for item in audits},
        },
        indent=2,
    )
