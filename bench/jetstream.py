"""JetStream throughput: a pre-filled finance log published through our relay and consumed by
our projection consumer, beside raw nats-py doing the same transport work.

Ours, constructed in this process as shared/runtime.py builds them:
- `Relay` (shared/relay.py) from position 0 to the head: it reads the log a page of 500 at a
  time, makes each event a CloudEvent, publishes it with `Nats-Msg-Id`, awaits the page's acks,
  then moves its checkpoint;
- then `JetStreamConsumer` feeding the finance read model's writer from the filled stream:
  fetches of 256, each batch decoded, applied with its checkpoint in one transaction, then
  acked. Its fallback of reading the PostgreSQL log is switched off, so every event comes
  through JetStream.

Peers, on a stream of their own with the same messages (bytes, subjects and headers made from
the same log before the clock starts): `js.publish_async` of all of them, pipelined (nats-py
keeps up to 4000 in flight), then the acks; and a pull consumer fetching 256 at a time and
acking each message, with no decoding and no database. The log is made by the audit scenario's
generator (bench/audit_log.py) with COPY: realistic finance events, fast to make.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import nats
import orjson
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bench import cpu
from bench.audit_log import write_log
from bench.console import say, warn
from bench.model import Measurement, Scenario
from bench.servers import BenchDatabase, delete_stream
from bench.timing import until
from services.finance.events import EVENT_TYPES
from services.finance.readmodels import FinanceProjection
from shared.bus import Bus, StreamSettings, ensure_stream
from shared.db import create_pool
from shared.envelope import to_cloudevent
from shared.projection import ReadModelWriter
from shared.projection.consumer import JetStreamConsumer
from shared.relay import POSITION_HEADER, Relay
from shared.store.postgres import PostgresEventStore

EVENTS = 50_000
LIMIT_SECONDS = 180.0
FETCH = 256
"""The consumer's batch size (JetStreamConsumer's default), for the raw consumer too."""

Message = tuple[str, bytes, dict[str, str]]


def _consumer_config() -> ConsumerConfig:
    """The runner's consumer settings (shared/projection/consumer.py), for the raw consumer too."""
    return ConsumerConfig(
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=30,
        max_ack_pending=10_000,
    )


def _stream(run_id: str, suffix: str) -> StreamSettings:
    return StreamSettings(
        name=f"PTRACK_BENCH_{run_id}_{suffix.upper()}",
        subject_prefix=f"ptrack-bench-{run_id}-{suffix}",
        duplicate_window_seconds=3600,
    )


async def scenarios(
    database: BenchDatabase, nats_url: str, run_id: str, events: int
) -> list[Scenario]:
    schema = f"{database.prefix}js"
    say(f"  making a finance log of {events:,} events (COPY)")
    log = await write_log(database.url, schema, events, lambda _: None)
    ours, raw = _stream(run_id, "js"), _stream(run_id, "jsraw")
    pool = await create_pool(database.url, min_size=1, max_size=10)
    store = PostgresEventStore(pool, schema)
    bus = Bus(nats_url, "ptrack-bench-jetstream", ours)
    try:
        bus.start()
        await bus.ready()
        relay, relay_checks = await _relay(store, bus, database.url, events)
        runner, runner_checks = await _runner(store, bus, events, log.by_type.get("CostBooked", 0))
        messages = await _messages(store, raw.subject_prefix)
        raw_publish, publish_checks = await _raw_publish(nats_url, raw, messages)
        raw_consume, consume_checks = await _raw_consume(nats_url, raw, events)
    finally:
        # Closing drops the connection on purpose: the bus's "NATS disconnected" would mislead.
        logging.getLogger("shared.bus").setLevel(logging.ERROR)
        await bus.close()
        await store.close()
        await pool.close()
        for stream in (ours, raw):
            try:
                await delete_stream(nats_url, stream.name)
            except Exception as error:  # cleanup must not hide the run's own outcome
                warn(f"could not delete JetStream stream {stream.name}: {error!r}")
    publish_ok = relay_checks["ok"] and publish_checks["ok"]
    consume_ok = runner_checks["ok"] and consume_checks["ok"]
    return [
        Scenario(
            "jetstream-publish",
            f"JetStream publish of a {events:,}-event log",
            relay,
            [raw_publish],
            [
                "JetStream publish: ours reads the PostgreSQL log, builds CloudEvents and awaits "
                "acks per page of 500; the peer publishes prepared bytes, all pipelined."
            ],
            checks={"ours": relay_checks, "peer": publish_checks, "ok": publish_ok},
        ),
        Scenario(
            "jetstream-consume",
            f"JetStream consume of {events:,} events into a read model",
            runner,
            [raw_consume],
            [
                "JetStream consume: ours decodes each CloudEvent and writes the finance read "
                "model with its checkpoint before acking; the peer only fetches and acks."
            ],
            checks={"ours": runner_checks, "peer": consume_checks, "ok": consume_ok},
        ),
    ]


class _Worker(Protocol):
    stopping: bool

    async def run(self) -> None: ...


async def _run_until(
    worker: _Worker, done: Callable[[], bool]
) -> tuple[bool, float, dict[str, float | None]]:
    """Run a relay or a runner until `done`: whether it got there, the seconds it took (start
    included: leader election, the stream check, the durable consumer) and its CPU."""
    usage = cpu.CpuWindow(_probes())
    usage.start()
    started = time.perf_counter()
    task = asyncio.create_task(worker.run())
    reached = await until(done, limit=LIMIT_SECONDS, interval=0.005)
    elapsed = time.perf_counter() - started
    cpu_percent = usage.stop()
    worker.stopping = True
    await _stop(task)
    return reached, elapsed, cpu_percent


def _probes() -> dict[str, cpu.CpuProbe]:
    return cpu.default_probes(nats=cpu.nats_server)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _stream_count(nats_url: str, stream: StreamSettings) -> int:
    client = await nats.connect(nats_url)
    try:
        info = await client.jetstream().stream_info(stream.name)
        return int(info.state.messages)
    finally:
        await client.close()


async def _relay(
    store: PostgresEventStore, bus: Bus, dsn: str, events: int
) -> tuple[Measurement, dict[str, Any]]:
    relay = Relay(store, bus, EVENT_TYPES, dsn=dsn)
    reached, elapsed, cpu_percent = await _run_until(relay, lambda: relay.position >= events)
    stored = await _stream_count(bus.url, bus.stream)
    checks = {
        "relay_position": relay.position,
        "stream_messages": stored,
        "relay_failures": relay.failures_total,
        "ok": reached and relay.position == events == stored and relay.failures_total == 0,
    }
    row = Measurement(
        "ptrack Relay (log → JetStream)",
        relay.published_total,
        elapsed,
        relay.failures_total,
        {"page_size": relay.batch_size, "cpu_percent_of_one_core": cpu_percent},
    )
    _show(row)
    return row, checks


async def _runner(
    store: PostgresEventStore, bus: Bus, events: int, bookings: int
) -> tuple[Measurement, dict[str, Any]]:
    writer = ReadModelWriter(
        FinanceProjection(),
        pool=store.pool,
        schema=store.schema,
        log_store=store,
        event_types=EVENT_TYPES,
    )
    runner = JetStreamConsumer(
        writer,
        bus=bus,
        consumer=EVENT_TYPES.service,
        catch_up_after_seconds=3600,  # every event through JetStream, none from the log
    )
    await writer.migrate()
    reached, elapsed, cpu_percent = await _run_until(runner, lambda: writer.position >= events)
    rows = await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.bookings")
    set_aside = await store.pool.fetchval(
        f"SELECT count(*) FROM {store.schema}.projection_failures"
    )
    checks = {
        "read_model_position": writer.position,
        "booking_rows": rows,
        "cost_booked_events": bookings,
        "set_aside": set_aside,
        "ok": reached and writer.position == events and rows == bookings and set_aside == 0,
    }
    row = Measurement(
        "ptrack JetStreamConsumer (finance read model)",
        writer.position,
        elapsed,
        int(set_aside),
        {"fetch": runner.batch_size, "cpu_percent_of_one_core": cpu_percent},
    )
    _show(row)
    return row, checks


async def _messages(store: PostgresEventStore, prefix: str) -> list[Message]:
    """What the relay published, event for event, made before the peer's clock starts."""
    messages = []
    async for event in store.read_all(1, page_size=5000):
        headers = {"Nats-Msg-Id": str(event.event_id), POSITION_HEADER: str(event.position)}
        payload = orjson.dumps(to_cloudevent(event, EVENT_TYPES.service))
        messages.append((EVENT_TYPES.subject(prefix, event.type), payload, headers))
    return messages


async def _raw_publish(
    nats_url: str, stream: StreamSettings, messages: list[Message]
) -> tuple[Measurement, dict[str, Any]]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await ensure_stream(js, stream)
        usage = cpu.CpuWindow(_probes())
        usage.start()
        started = time.perf_counter()
        pending = [
            await js.publish_async(subject, payload, headers=headers)
            for subject, payload, headers in messages
        ]
        acks = await asyncio.gather(*pending)
        elapsed = time.perf_counter() - started
        cpu_percent = usage.stop()
    finally:
        await client.close()
    stored = await _stream_count(nats_url, stream)
    duplicates = sum(1 for ack in acks if ack.duplicate)
    checks = {
        "acks": len(acks),
        "stream_messages": stored,
        "duplicates": duplicates,
        "ok": len(acks) == len(messages) == stored and duplicates == 0,
    }
    size = sum(len(payload) for _, payload, _ in messages) / max(len(messages), 1)
    row = Measurement(
        "raw nats-py publish_async (pipelined)",
        len(acks),
        elapsed,
        duplicates,
        {"mean_payload_bytes": round(size), "cpu_percent_of_one_core": cpu_percent},
    )
    _show(row)
    return row, checks


async def _raw_consume(
    nats_url: str, stream: StreamSettings, events: int
) -> tuple[Measurement, dict[str, Any]]:
    client = await nats.connect(nats_url)
    seen: set[int] = set()
    try:
        js = client.jetstream()
        usage = cpu.CpuWindow(_probes())
        usage.start()
        started = time.perf_counter()
        pull = await js.pull_subscribe(
            f"{stream.subject_prefix}.>",
            durable="raw",
            stream=stream.name,
            config=_consumer_config(),
        )
        deadline = time.monotonic() + LIMIT_SECONDS
        while len(seen) < events and time.monotonic() < deadline:
            with contextlib.suppress(nats.errors.TimeoutError, TimeoutError):
                for message in await pull.fetch(FETCH, timeout=1.0):
                    seen.add(message.metadata.sequence.stream)
                    await message.ack()
        elapsed = time.perf_counter() - started
        cpu_percent = usage.stop()
    finally:
        await client.close()
    checks = {"distinct_messages": len(seen), "ok": len(seen) == events}
    row = Measurement(
        f"raw nats-py pull consumer (fetch {FETCH}, ack each)",
        len(seen),
        elapsed,
        0,
        {"cpu_percent_of_one_core": cpu_percent},
    )
    _show(row)
    return row, checks


def _show(row: Measurement) -> None:
    say(f"  {row.label}: {row.rate:,.0f} events/s ({row.events:,} in {row.seconds:.1f} s)")
