"""A service's business gauges read from its read model alone: no HTTP, no NATS, no running
service. Events appended to a log, the finance read model rebuilt from it, and the gauges read
through the same `ReadSide` handle a route gets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from prometheus_client.core import Metric

from services.finance.events import EVENT_TYPES
from services.finance.metrics import finance_metrics
from services.finance.readmodels import FinanceProjection
from shared.projection import ReadModelWriter
from shared.readside import ReadSide
from shared.settings import Settings
from shared.store.base import NewEvent
from shared.store.postgres import PostgresEventStore
from tests.integration.finance_fixtures import BUDGET, FINANCING, PROJECT, booking

WHEN = datetime(2010, 3, 15, tzinfo=UTC)


def samples(families: list[Metric], name: str) -> dict[tuple[str, ...], float]:
    [family] = [family for family in families if family.name == name]
    return {tuple(sample.labels.values()): sample.value for sample in family.samples}


async def test_finance_gauges_come_from_the_read_model_alone(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings
) -> None:
    schema = settings.schema_for("finance")
    store = PostgresEventStore(pool, schema)
    await store.migrate()
    data: list[tuple[str, dict[str, Any]]] = [
        ("BudgetApproved", BUDGET),
        ("FinancingPlanned", FINANCING),
        ("CostBooked", booking("GL-1", "12500.00")["data"]),
        ("CostBooked", booking("GL-2", "2500.00", line="process-costs")["data"]),
    ]
    try:
        await store.append(
            PROJECT, [NewEvent(uuid.uuid4(), kind, payload, WHEN) for kind, payload in data]
        )
    finally:
        await store.close()  # gives back the connection its group-commit writer holds
    writer = ReadModelWriter(
        FinanceProjection(), pool=pool, schema=schema, log_store=store, event_types=EVENT_TYPES
    )
    await writer.migrate()
    assert await writer.rebuild() == 4

    families = await finance_metrics(ReadSide(pool, schema, settings))

    booked = samples(families, "ptrack_cost_booked_nok")
    assert booked[(PROJECT, "external-expertise")] == 12500.0
    assert booked[(PROJECT, "process-costs")] == 2500.0
    assert samples(families, "ptrack_budget_used_ratio")[(PROJECT, "external-expertise")] == 0.25
    assert samples(families, "ptrack_frame_nok") == {(PROJECT,): 440000.0}
