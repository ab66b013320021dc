"""A running service: pool, log, recorder, NATS, relay, read-model writers and the JetStream
consumers that feed them, started and stopped together from the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any
from uuid import UUID

import asyncpg

from shared.audit.signing import (
    SignedCheckpoint,
    Signer,
    checkpoints_sql,
    list_checkpoints,
    store_checkpoint,
)
from shared.bus import Bus, StreamSettings
from shared.db import create_pool
from shared.privacy.erasure import rebuild_after_erasures
from shared.privacy.keyring import open_keyring
from shared.projection import ReadModelWriter
from shared.projection.consumer import JetStreamConsumer
from shared.readside import ReadSide
from shared.recorder import Recorder
from shared.relay import Relay
from shared.service import ServiceSpec
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore, migrate

log = logging.getLogger(__name__)

ERASURE_SETTLE_SECONDS = 0.5


class Runtime:
    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec = spec
        self.settings = settings
        self.schema = settings.schema_for(spec.name)
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
        self._erasure_heard = asyncio.Event()
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
        await migrate(self.pool, self.schema, checkpoints_sql(self.schema))
        self.signer = Signer.load_or_create(self.settings.signing_key_dir / f"{self.spec.name}.key")
        self.keyring = await open_keyring(self.pool, self.settings)
        self.recorder: Recorder[Any] = Recorder(
            self.store, self.spec.event_types, self.spec.decider, keyring=self.keyring
        )
        self.relay = Relay(
            self.store, self.bus, self.spec.event_types, dsn=self.settings.database_url
        )
        own = {projection.name for projection in self.spec.projections}
        self.writers: dict[str, ReadModelWriter] = {}
        """The service's own read models, over its log."""
        self.feeds: dict[str, ReadModelWriter] = {}
        """Read models over other services' logs (the reporting service's)."""
        for model in self.spec.read_models(self.settings):
            if model.projection.name in own:
                writer = ReadModelWriter(
                    model.projection,
                    pool=self.pool,
                    schema=self.schema,
                    log_store=self.store,
                    event_types=model.source,
                    keyring=self.keyring,
                )
                self.writers[model.projection.name] = writer
            else:
                # The source's schema is created if the source has not started yet, so a
                # feed can start first and wait for events.
                await migrate(self.pool, model.source_schema)
                writer = ReadModelWriter.of(model, self.pool, self.schema, self.keyring)
                self.feeds[model.projection.name] = writer
            await writer.migrate()
            if writer.needs_rebuild:
                # Made before its tables kept their history: time travel would read it wrong.
                log.warning("rebuilding %s from its log to version it", model.projection.name)
                await writer.rebuild()
        # An erasure recorded while this service was down: its models may still hold what the
        # erased keys opened.
        await self.rebuild_after_erasures()
        self.consumers = [
            JetStreamConsumer(
                writer,
                bus=self.bus,
                consumer=self.spec.name,
                catch_up_after_seconds=self.settings.projection_catch_up_seconds,
            )
            for writer in [*self.writers.values(), *self.feeds.values()]
        ]
        self.read_side = ReadSide(self.pool, self.schema, self.settings)
        self.bus.start()
        if self.settings.run_relay:
            self._spawn(self.relay.run(), "relay")
            if self.settings.checkpoint_interval_seconds > 0:
                self._spawn(self._sign_periodically(), "checkpoints")
        self._spawn(self._hear_erasures(), "erasures")
        self._spawn(self._rebuild_when_erased(), "erasure-rebuilds")
        if self.settings.run_projections:
            for consumer in self.consumers:
                self._spawn(consumer.run(), f"projection-{consumer.writer.projection.name}")
        self._started = True
        log.info("service %s started (schema %s)", self.spec.name, self.schema)

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    async def stop(self) -> None:
        if self._started:
            self.relay.stopping = True
            for consumer in self.consumers:
                consumer.stopping = True
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

    async def _hear_erasures(self) -> None:
        """Drop what this process holds of a subject erased elsewhere: the key, and the
        recorder's cached states, which hold what the key opened."""

        def heard(_conn: object, _pid: int, _channel: str, subject: object) -> None:
            self.keyring.forget(UUID(str(subject)))
            self.recorder.forget_all()
            self._erasure_heard.set()

        while True:
            try:
                async with self.pool.acquire() as conn:
                    closed = asyncio.Event()
                    conn.add_termination_listener(lambda _conn, ended=closed: ended.set())
                    await conn.add_listener(self.keyring.channel, heard)
                    # Anything erased while not listening (since the start, or while the
                    # database was away) is caught up with now.
                    self._erasure_heard.set()
                    try:
                        await closed.wait()
                    finally:
                        with contextlib.suppress(Exception):
                            await conn.remove_listener(self.keyring.channel, heard)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database may be away: listen again
                log.warning("not hearing erasures: %r", error)
            await asyncio.sleep(1)

    async def rebuild_after_erasures(self) -> bool:
        """Rebuild this service's read models if an erasure was recorded since they last were
        (True if this process did it)."""
        return await rebuild_after_erasures(
            self.pool, self.schema, self.spec.read_models(self.settings), self.keyring
        )

    async def _rebuild_when_erased(self) -> None:
        while True:
            await self._erasure_heard.wait()
            # Erasures come in runs (a retention sweep): one rebuild after the run.
            await asyncio.sleep(ERASURE_SETTLE_SECONDS)
            self._erasure_heard.clear()
            try:
                await self.rebuild_after_erasures()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database may be away: try again
                log.warning("could not rebuild the read models after an erasure: %r", error)
                self._erasure_heard.set()
                await asyncio.sleep(1)

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
            *(writer.wait_for(position, timeout) for writer in self.writers.values())
        )
        return all(results)

    async def feeds_reach_sources(self, timeout: float) -> bool:
        """True once every feed has applied its source log as it stands now."""
        heads = [
            (writer, (await writer.log_store.head()).position) for writer in self.feeds.values()
        ]
        results = await asyncio.gather(*(writer.wait_for(head, timeout) for writer, head in heads))
        return all(results)

    @property
    def read_position(self) -> int:
        return min((writer.position for writer in self.writers.values()), default=0)
