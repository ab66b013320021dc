"""The log's own gauges, the same for every service: its head, the relay, each read model's
position and lag, poison messages, NATS, the group commits. Read at scrape time from the
database and the running process, like the business figures."""

from __future__ import annotations

from prometheus_client.core import Metric

from shared.checkpoints import read_checkpoint
from shared.metrics import counter, gauge
from shared.relay import CHECKPOINT as RELAY_CHECKPOINT
from shared.runtime import Runtime
from shared.store.postgres import COMMIT_PATHS


async def log_metrics(runtime: Runtime) -> list[Metric]:
    service, pool, schema = runtime.spec.name, runtime.pool, runtime.schema
    head = (await runtime.store.head()).position
    relay = await read_checkpoint(pool, schema, RELAY_CHECKPOINT)
    failures: dict[str, int] = {
        row["projection"]: row["count"]
        for row in await pool.fetch(
            f"SELECT projection, count(*) FROM {schema}.projection_failures GROUP BY projection"
        )
    }
    # (name, position, head of the log it follows): a feed's lag is against its source.
    models = [
        (name, await read_checkpoint(pool, schema, writer.checkpoint_name), head)
        for name, writer in runtime.writers.items()
    ] + [
        (
            name,
            await read_checkpoint(pool, schema, writer.checkpoint_name),
            (await writer.log_store.head()).position,
        )
        for name, writer in runtime.feeds.items()
    ]
    one = (service,)
    return [
        counter(
            "ptrack_events_appended",
            "Events in the service's log (its head position)",
            ["service"],
            [(one, head)],
        ),
        gauge(
            "ptrack_relay_position",
            "Last log position the relay published to JetStream",
            ["service"],
            [(one, relay)],
        ),
        gauge(
            "ptrack_relay_lag_events",
            "Events in the log not yet published to JetStream",
            ["service"],
            [(one, head - relay)],
        ),
        gauge(
            "ptrack_projection_position",
            "Last log position applied to a read model",
            ["service", "projection"],
            [((service, name), position) for name, position, _ in models],
        ),
        gauge(
            "ptrack_projection_lag_events",
            "Events in the log not yet applied to a read model",
            ["service", "projection"],
            [((service, name), end - position) for name, position, end in models],
        ),
        counter(
            "ptrack_projection_poison_messages",
            "Events or messages a projection could not apply and set aside",
            ["service", "projection"],
            [((service, name), failures.get(name, 0)) for name, _, _ in models],
        ),
        gauge(
            "ptrack_nats_connected",
            "1 when this process is connected to NATS",
            ["service"],
            [(one, 1.0 if runtime.bus.connected else 0.0)],
        ),
        gauge(
            "ptrack_relay_leader",
            "1 when this process's relay is the active one for its log",
            ["service"],
            [(one, 1.0 if runtime.relay.is_leader else 0.0)],
        ),
        counter(
            "ptrack_store_group_commits",
            "Log transactions by path: sealed in the database in one round trip, or "
            "checked unit by unit because the batch held a retry or a refusal",
            ["service", "path"],
            [((service, path), runtime.store.group_commits[path]) for path in COMMIT_PATHS],
        ),
        counter(
            "ptrack_relay_republished",
            "Events this process's relay published again because the stream lost them",
            ["service"],
            [(one, runtime.relay.republished_total)],
        ),
    ]
