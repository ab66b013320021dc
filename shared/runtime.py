"""A running service: pool, log, recorder, NATS, relay and projection runners, started and
stopped together from the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import asyncpg
from prometheus_client.core import Metric

from shared.audit.signing import (
    SignedCheckpoint,
    Signer,
    checkpoints_sql,
    list_checkpoints,
    store_checkpoint,
)
from shared.auth import KeyChecker, auth_sql
from shared.bus import Bus, StreamSettings
from shared.checkpoints import read_checkpoint
from shared.db import create_pool
from shared.metrics import Gatherer, counter, gauge
from shared.projection import ProjectionRunner
from shared.ratelimit import RateLimiter
from shared.recorder import Recorder
from shared.relay import CHECKPOINT as RELAY_CHECKPOINT
from shared.relay import Relay
from shared.service import ServiceSpec
from shared.settings import Settings
from shared.store.postgres import COMMIT_PATHS, PostgresEventStore, migrate

log = logging.getLogger(__name__)


class Runtime:
    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings
        self.schema = settings.schema_for(spec.name)
        self.auth_schema = settings.schema_for("auth")
        self.bus = Bus(
            settings.nats_url,
            f"ptrack-{spec.name}",
            StreamSettings(
                name=settings.nats_stream,
                subject_prefix=settings.subject_prefix,
                duplicate_window_seconds=settings.duplicate_window_seconds,
                replicas=settings.nats_replicas,
            ),
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None
        self._started = False

    @property
    def pool(self) -> asyncpg.Pool[asyncpg.Record]:
        assert self._pool is not None, "runtime not started"
        return self._pool

    async def start(self) -> None:
        self._pool = await create_pool(self.settings.database_url, max_size=10, wait_seconds=60)
        self.store = PostgresEventStore(
            self.pool, self.schema, max_batch_events=max(2000, self.settings.max_batch_events)
        )
        await self.store.migrate()
        await migrate(self.pool, self.auth_schema, auth_sql(self.auth_schema))
        await migrate(self.pool, self.schema, checkpoints_sql(self.schema))
        self.signer = Signer.load_or_create(self.settings.signing_key_dir / f"{self.spec.name}.key")
        self.keys = KeyChecker(self.pool, self.auth_schema)
        self.limiter = RateLimiter(
            self.settings.rate_limit_per_second, self.settings.rate_limit_burst
        )
        self.recorder: Recorder[Any] = Recorder(
            self.store, self.spec.event_types, self.spec.decider
        )
        self.relay = Relay(
            self.store, self.bus, self.spec.event_types, dsn=self.settings.database_url
        )
        self.runners = {
            projection.name: ProjectionRunner(
                projection,
                pool=self.pool,
                schema=self.schema,
                log_store=self.store,
                event_types=self.spec.event_types,
                bus=self.bus,
                catch_up_after_seconds=self.settings.projection_catch_up_seconds,
            )
            for projection in self.spec.projections
        }
        self.feeds = {}
        for feed in self.spec.feeds:
            # The source's schema is created if the source has not started yet, so a feed can
            # start first and wait for events.
            source_schema = self.settings.schema_for(feed.source.service)
            await migrate(self.pool, source_schema)
            self.feeds[feed.projection.name] = ProjectionRunner(
                feed.projection,
                pool=self.pool,
                schema=self.schema,
                log_store=PostgresEventStore(self.pool, source_schema),
                event_types=feed.source,
                bus=self.bus,
                catch_up_after_seconds=self.settings.projection_catch_up_seconds,
                consumer=self.spec.name,
            )
        for runner in [*self.runners.values(), *self.feeds.values()]:
            await runner.migrate()
        self.bus.start()
        if self.settings.run_relay:
            self._spawn(self.relay.run(), "relay")
            if self.settings.checkpoint_interval_seconds > 0:
                self._spawn(self._sign_periodically(), "checkpoints")
        if self.settings.run_projections:
            for name, runner in [*self.runners.items(), *self.feeds.items()]:
                self._spawn(runner.run(), f"projection-{name}")
        self._started = True
        log.info("service %s started (schema %s)", self.spec.name, self.schema)

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    async def stop(self) -> None:
        if self._started:
            self.relay.stopping = True
            for runner in [*self.runners.values(), *self.feeds.values()]:
                runner.stopping = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=10)
            for task in stuck:
                log.error("background task %s did not stop within 10s", task.get_name())
        self._tasks.clear()
        await self.bus.close()
        if self._started:
            await self.store.close()
        if self._pool is not None:
            await self._pool.close()

    async def sign_checkpoint(self) -> SignedCheckpoint:
        """Sign the log head now and keep the checkpoint."""
        checkpoint = self.signer.sign(self.spec.name, await self.store.head())
        await store_checkpoint(self.pool, self.schema, checkpoint)
        return checkpoint

    async def _sign_periodically(self) -> None:
        # One process signs (the one whose relay leads), and only when the head has moved.
        while True:
            await asyncio.sleep(self.settings.checkpoint_interval_seconds)
            if not self.relay.is_leader:
                continue
            try:
                head = await self.store.head()
                latest = await list_checkpoints(self.pool, self.schema)
                if head.position and (not latest or latest[-1].position != head.position):
                    await self.sign_checkpoint()
            except Exception as error:  # the database may be away: try at the next interval
                log.warning("could not sign a checkpoint: %r", error)

    async def read_models_reach(self, position: int, timeout: float) -> bool:
        """True once every projection includes `position` (read-your-writes for clients)."""
        results = await asyncio.gather(
            *(runner.wait_for(position, timeout) for runner in self.runners.values())
        )
        return all(results)

    async def feeds_reach_sources(self, timeout: float) -> bool:
        """True once every feed has applied its source log as it stands now."""
        heads = [
            (runner, (await runner.log_store.head()).position) for runner in self.feeds.values()
        ]
        results = await asyncio.gather(*(runner.wait_for(head, timeout) for runner, head in heads))
        return all(results)

    @property
    def read_position(self) -> int:
        return min((runner.position for runner in self.runners.values()), default=0)

    def log_metrics(self) -> Gatherer:
        service = self.spec.name

        async def gather() -> list[Metric]:
            head = (await self.store.head()).position
            relay = await read_checkpoint(self.pool, self.schema, RELAY_CHECKPOINT)
            failures: dict[str, int] = {
                row["projection"]: row["count"]
                for row in await self.pool.fetch(
                    f"SELECT projection, count(*) FROM {self.schema}.projection_failures "
                    "GROUP BY projection"
                )
            }
            # (name, position, head of the log it follows): a feed's lag is against its source.
            projections = [
                (
                    name,
                    await read_checkpoint(self.pool, self.schema, runner.checkpoint_name),
                    head if name in self.runners else (await runner.log_store.head()).position,
                )
                for name, runner in [*self.runners.items(), *self.feeds.items()]
            ]
            return [
                counter(
                    "ptrack_events_appended",
                    "Events in the service's log (its head position)",
                    ["service"],
                    [((service,), head)],
                ),
                gauge(
                    "ptrack_relay_position",
                    "Last log position the relay published to JetStream",
                    ["service"],
                    [((service,), relay)],
                ),
                gauge(
                    "ptrack_relay_lag_events",
                    "Events in the log not yet published to JetStream",
                    ["service"],
                    [((service,), head - relay)],
                ),
                gauge(
                    "ptrack_projection_position",
                    "Last log position applied to a read model",
                    ["service", "projection"],
                    [((service, name), position) for name, position, _ in projections],
                ),
                gauge(
                    "ptrack_projection_lag_events",
                    "Events in the log not yet applied to a read model",
                    ["service", "projection"],
                    [((service, name), end - position) for name, position, end in projections],
                ),
                counter(
                    "ptrack_projection_poison_messages",
                    "Events or messages a projection could not apply and set aside",
                    ["service", "projection"],
                    [((service, name), failures.get(name, 0)) for name, _, _ in projections],
                ),
                gauge(
                    "ptrack_nats_connected",
                    "1 when this process is connected to NATS",
                    ["service"],
                    [((service,), 1.0 if self.bus.connected else 0.0)],
                ),
                gauge(
                    "ptrack_relay_leader",
                    "1 when this process's relay is the active one for its log",
                    ["service"],
                    [((service,), 1.0 if self.relay.is_leader else 0.0)],
                ),
                counter(
                    "ptrack_store_group_commits",
                    "Log transactions by path: sealed in the database in one round trip, or "
                    "checked unit by unit because the batch held a retry or a refusal",
                    ["service", "path"],
                    [((service, path), self.store.group_commits[path]) for path in COMMIT_PATHS],
                ),
                counter(
                    "ptrack_relay_republished",
                    "Events this process's relay published again because the stream lost them",
                    ["service"],
                    [((service,), self.relay.republished_total)],
                ),
            ]

        return gather
