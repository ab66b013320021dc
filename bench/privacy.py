"""What sealing personal data costs: recording and replaying in-kind entries with the keyring
against the same without it, in one run.

    python -m bench.privacy      # PTRACK_BENCH_PRIVACY_EVENTS=20000 by default

Each side records `InKindHoursRecorded` events through the finance service's own recorder into a
log of its own (batches of 100, 50 people, as an import of a timesheet records them), then
rebuilds the finance read model from that log. With the keyring each entry's person and
description are sealed before the append and opened before the projection; without it they go
into the log as they are. The ratio (with / without) is what privacy costs. It writes
bench/results/privacy.json and privacy.md and fails unless both sides recorded and replayed
every event and the sealed log holds no name.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.console import conclude, say
from bench.servers import bench_database, find_postgres, new_run_id
from services.finance.domain import DECIDER
from services.finance.events import EVENT_TYPES, BudgetApproved, InKindHoursRecorded
from services.finance.readmodels import FinanceProjection
from shared.db import create_pool
from shared.privacy.keyring import Keyring
from shared.projection import ReadModelWriter
from shared.recorder import Proposal, Recorder, StreamProposals
from shared.store.postgres import PostgresEventStore

RESULTS = Path(__file__).parent / "results"
PROJECT = "bench-privacy"
PEOPLE = int(os.environ.get("PTRACK_BENCH_PRIVACY_PEOPLE", "50"))
BATCH = 100


async def _side(url: str, prefix: str, events: int, sealed: bool) -> dict[str, Any]:
    pool = await create_pool(url, min_size=2, max_size=4)
    try:
        key_dir = Path(tempfile.mkdtemp())
        keyring = await Keyring.start(pool, f"{prefix}privacy", key_dir) if sealed else None
        store = PostgresEventStore(pool, f"{prefix}{'sealed' if sealed else 'plain'}")
        await store.migrate()
        recorder = Recorder(store, EVENT_TYPES, DECIDER, keyring=keyring)
        await recorder.record([StreamProposals(PROJECT, [_proposal(_budget())])])
        started = time.perf_counter()
        for first in range(0, events, BATCH):
            proposals = [_proposal(_entry(n)) for n in range(first, min(first + BATCH, events))]
            await recorder.record([StreamProposals(PROJECT, proposals)])
        recording = time.perf_counter() - started
        writer = ReadModelWriter(
            FinanceProjection(),
            pool=pool,
            schema=f"{store.schema}_model",
            log_store=store,
            event_types=EVENT_TYPES,
            # A keyring of its own, as a replay in another process has: no key is in memory
            # yet, every person's is fetched.
            keyring=await Keyring.start(pool, f"{prefix}privacy", key_dir) if sealed else None,
        )
        await writer.migrate()
        started = time.perf_counter()
        position = await writer.rebuild()
        replaying = time.perf_counter() - started
        rows = await pool.fetchval(f"SELECT count(*) FROM {writer.schema}.in_kind")
        named = await pool.fetchval(
            f"SELECT count(*) FROM {store.schema}.events WHERE data::text LIKE '%Person %'"
        )
        await store.close()
        return {
            "recorded_per_second": events / recording,
            "replayed_per_second": position / replaying,
            "events": events,
            "model_rows": rows,
            "names_in_log": named,
        }
    finally:
        await pool.close()


def _budget() -> BudgetApproved:
    return BudgetApproved.model_validate(
        {
            "project_name": "Privacy bench",
            "currency": "NOK",
            "period_start": "2010-01-01",
            "period_end": "2012-12-31",
            "frame": "1500000000.00",
            "in_kind": "500000000.00",
            "approved_on": "2010-01-01",
            "decision_ref": "bench",
            "municipalities": ["Rollag"],
            "lines": [{"id": "work", "name": "Work", "amount": "1000000000.00"}],
        }
    )


def _entry(n: int) -> InKindHoursRecorded:
    return InKindHoursRecorded.model_validate(
        {
            "municipality": "Rollag",
            "person": f"Person {n % PEOPLE}",
            "activity": "mapping",
            "work_date": (date(2010, 1, 1) + timedelta(days=n % 1000)).isoformat(),
            "hours": "1",
            "hourly_rate": "500.00",
            "description": f"Person {n % PEOPLE} kartla nettverk {n}",
        }
    )


def _proposal(event: Any) -> Proposal:
    return Proposal(event, uuid.uuid4(), datetime.now(UTC), {"actor": "bench"})


async def _run(server: str, events: int) -> int:
    async with bench_database(server, new_run_id()) as database:
        say(f"recording and replaying {events} in-kind entries without the keyring")
        plain = await _side(database.url, database.prefix, events, sealed=False)
        say(f"the same with each entry's person sealed under their key ({PEOPLE} people)")
        sealed = await _side(database.url, database.prefix, events, sealed=True)
    figures = {
        "recording": sealed["recorded_per_second"] / plain["recorded_per_second"],
        "replay": sealed["replayed_per_second"] / plain["replayed_per_second"],
    }
    checks = {
        "every_event_recorded_and_replayed": {
            "ok": all(side["model_rows"] == events for side in (plain, sealed)),
            "rows": [plain["model_rows"], sealed["model_rows"]],
        },
        "the_sealed_log_names_nobody": {
            "ok": sealed["names_in_log"] == 0 and plain["names_in_log"] == events,
            "named": [plain["names_in_log"], sealed["names_in_log"]],
        },
    }
    table = "\n".join(
        [
            "| What | Without the keyring (events/s) | With it (events/s) | Ratio |",
            "|---|---:|---:|---:|",
            f"| recording in-kind entries, batches of {BATCH} | "
            f"{plain['recorded_per_second']:,.0f} | {sealed['recorded_per_second']:,.0f} | "
            f"{figures['recording']:.2f} |",
            f"| replaying them into the finance read model | "
            f"{plain['replayed_per_second']:,.0f} | {sealed['replayed_per_second']:,.0f} | "
            f"{figures['replay']:.2f} |",
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "privacy.json").write_text(
        json.dumps(
            {
                "events": events,
                "plain": plain,
                "sealed": sealed,
                "ratios": figures,
                "checks": checks,
            },
            indent=2,
        )
        + "\n"
    )
    (RESULTS / "privacy.md").write_text(
        "# What sealing personal data costs\n\n"
        f"{events} `InKindHoursRecorded` events, {PEOPLE} people, recorded through the finance "
        "recorder and replayed into the finance read model, without and with the keyring "
        "(`python -m bench.privacy`).\n\n" + table + "\n"
    )
    return conclude(table, checks, "every event on both sides, and no name in the sealed log")


def main() -> int:
    try:
        events = int(os.environ.get("PTRACK_BENCH_PRIVACY_EVENTS", "20000"))
    except ValueError:
        events = 0
    if events < BATCH:
        print(f"PTRACK_BENCH_PRIVACY_EVENTS must be at least {BATCH}", file=sys.stderr)
        return 2
    server = find_postgres()  # outside the event loop: the probe runs its own
    return asyncio.run(_run(server, events))


if __name__ == "__main__":
    sys.exit(main())
