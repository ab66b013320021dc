"""Freshness: how long after `POST /events` answers 201 the event is visible in a read model.

An open-loop client posts single bookings to the stack's finance service at a steady rate
(each request starts on schedule, whether or not earlier ones have been answered, so a slow
answer does not slow the offered load down). Each answer's receipt names the event's position.
Visibility is read where a client would see it, in the read models' checkpoints
(`<schema>.checkpoints`, row `projection:finance`: the runner writes it in the same transaction
as the rows), by one connection polling both schemas every ~1 ms; nothing in the projections
emits a notification, and a poll of one indexed row is the lightest probe there is. For each
event: first poll that saw the checkpoint at or past its position, minus the time the client had
its answer. A third row, from a plain NATS subscriber on finance's subjects, says when the relay
published it, so the time splits into relay and consumer.

The peer is the floor of the transport: raw nats-py publishing to a JetStream stream at the same
rate, awaiting each PubAck (the broker's "stored"), and a pull consumer fetching one message at a
time and acking it; latency is receipt minus PubAck.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import nats
import orjson
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from bench import cpu
from bench.model import Measurement, Scenario
from bench.rawhttp import RawHttp
from bench.servers import delete_stream
from bench.stack import Stack
from bench.timing import Window, until
from shared.bus import StreamSettings, ensure_stream
from shared.http.events import CLOUDEVENT_JSON
from shared.relay import POSITION_HEADER
from tests.integration.finance_fixtures import booking

RATE = 500.0
"""Events offered per second (the issue's figure for a busy day of accounting imports)."""
POLL_SECONDS = 0.001
CHECKPOINT = "projection:finance"
SETTLE_LIMIT = 30.0
TARGET_MS = 50.0
REPORTING = "ptrack reporting read model (finance feed)"
FINANCE = "ptrack finance read model (own projection)"
RELAY = "ptrack relay: published to NATS"
FLOOR = "raw nats-py: JetStream PubAck to pull consumer"


@dataclass
class _Timeline:
    """Each new value a monotonic position took, and when it was first seen."""

    values: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    def saw(self, value: int, at: float) -> None:
        if not self.values or value > self.values[-1]:
            self.values.append(value)
            self.times.append(at)

    def visible_at(self, position: int) -> float | None:
        index = bisect.bisect_left(self.values, position)
        return self.times[index] if index < len(self.values) else None

    @property
    def head(self) -> int:
        return self.values[-1] if self.values else 0


@dataclass(frozen=True)
class _Answer:
    position: int
    answered: float
    measured: bool
    """False in the warm-up."""


Send = Callable[[int, bool], Coroutine[Any, Any, None]]


async def _open_loop(send: Send, window: Window, rate: float) -> dict[str, float]:
    """Start `send(i, measured)` at start + i / rate, never waiting for answers."""
    total, warm = int((window.warmup + window.seconds) * rate), int(window.warmup * rate)
    tasks: set[asyncio.Task[None]] = set()
    late: list[float] = []
    start = time.monotonic()
    for index in range(total):
        due = start + index / rate
        if (delay := due - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        late.append((time.monotonic() - due) * 1000)
        task = asyncio.create_task(send(index, index >= warm))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    # A client that could not keep to its schedule offered less than the rate: say so.
    return {
        "offered_per_second": rate,
        "send_lateness_p99_ms": round(_rank(sorted(late), 0.99), 2),
        "send_lateness_max_ms": round(max(late, default=0.0), 2),
    }


def _rank(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


def _row(
    label: str,
    answers: list[_Answer],
    visible_at: Callable[[int], float | None],
    seconds: float,
    details: dict[str, Any],
) -> Measurement:
    latencies: list[float] = []
    by_second: dict[int, list[float]] = {}
    before = missing = 0
    measured = [answer for answer in answers if answer.measured]
    start = min((answer.answered for answer in measured), default=0.0)
    for answer in measured:
        seen = visible_at(answer.position)
        if seen is None:
            missing += 1
            continue
        # Visible by the time the client had its answer: as fresh as it gets for that client.
        before += seen <= answer.answered
        latency = max(0.0, seen - answer.answered) * 1000
        latencies.append(latency)
        by_second.setdefault(int(answer.answered - start), []).append(latency)
    latencies.sort()
    figures = {
        "p50_ms": _rank(latencies, 0.50),
        "p95_ms": _rank(latencies, 0.95),
        "p99_ms": _rank(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else math.nan,
        "mean_ms": sum(latencies) / len(latencies) if latencies else math.nan,
    }
    return Measurement(
        label,
        len(latencies),
        seconds,
        missing,
        {
            **{name: round(value, 2) for name, value in figures.items()},
            "visible_before_answer": before,
            "never_visible": missing,
            # Steady or growing through the window: jitter, or a hop that cannot keep up.
            "p99_ms_by_second": [
                round(_rank(sorted(values), 0.99), 1) for _, values in sorted(by_second.items())
            ],
            **details,
        },
        value=figures["p99_ms"],
    )


# -- ours --------------------------------------------------------------------------------------


async def read_models(stack: Stack, window: Window) -> tuple[list[Measurement], dict[str, Any]]:
    """Rows for the reporting read model, finance's own and the relay; and the checks."""
    finance = stack.finance()
    models = {
        REPORTING: stack.schema("reporting"),
        FINANCE: stack.schema("finance"),
    }
    timelines = {label: _Timeline() for label in [*models, RELAY]}
    stopping = asyncio.Event()
    conn = await asyncpg.connect(stack.settings.database_url)
    watcher = asyncio.create_task(_poll(conn, models, timelines, stopping))
    nc = await nats.connect(stack.settings.nats_url)

    async def published(message: Msg) -> None:
        position = (message.headers or {}).get(POSITION_HEADER)
        if position is not None:
            timelines[RELAY].saw(int(position), time.monotonic())

    # A core subscription: no JetStream consumer, so the stream does no extra work for it.
    await nc.subscribe(f"{stack.settings.subject_prefix}.finance.>", cb=published)
    answers: list[_Answer] = []
    statuses: Counter[int] = Counter()
    client = RawHttp(finance.base_url, {**finance.auth, "Content-Type": CLOUDEVENT_JSON})
    tag = uuid.uuid4().hex[:8]
    try:

        async def send(index: int, measured: bool) -> None:
            event = booking(f"fresh-{tag}-{index}", project=finance.project)
            status, body = await client.post("/events", orjson.dumps(event))
            answered = time.monotonic()
            statuses[status] += 1
            if status == 201:
                position = int(orjson.loads(body)["events"][0]["position"])
                answers.append(_Answer(position, answered, measured))

        usage = cpu.CpuWindow(
            cpu.default_probes(
                finance=cpu.process(stack.pid("finance")),
                reporting=cpu.process(stack.pid("reporting")),
                nats=cpu.nats_server,
            )
        )
        usage.start()
        offered = await _open_loop(send, window, RATE)
        cpu_percent = usage.stop()
        head = max((answer.position for answer in answers), default=0)
        caught_up = await until(
            lambda: min(t.head for t in timelines.values()) >= head,
            limit=SETTLE_LIMIT,
            interval=0.05,
        )
    finally:
        stopping.set()
        await watcher
        await client.close()
        await conn.close()
        await nc.close()
    polls = watcher.result()
    details = {
        **offered,
        "poll_interval_ms": round(polls["interval_ms"], 3),
        "cpu_percent_of_one_core": cpu_percent,
    }
    rows = [
        _row(label, answers, timelines[label].visible_at, window.seconds, details)
        for label in [REPORTING, FINANCE, RELAY]
    ]
    checks = {
        "answered_201": statuses.get(201, 0),
        "non_201": {str(code): n for code, n in statuses.items() if code != 201},
        "read_models_reached_last_position": caught_up,
        "never_visible": {row.label: row.errors for row in rows},
    }
    checks["ok"] = caught_up and not checks["non_201"] and not any(row.errors for row in rows)
    return rows, checks


async def _poll(
    conn: asyncpg.Connection[asyncpg.Record],
    models: dict[str, str],
    timelines: dict[str, _Timeline],
    stopping: asyncio.Event,
) -> dict[str, float]:
    """Both checkpoints in one statement, one round trip per poll."""
    labels = list(models)
    sql = "SELECT " + ", ".join(
        f"(SELECT position FROM {schema}.checkpoints WHERE name = $1)" for schema in models.values()
    )
    polls, started = 0, time.monotonic()
    while not stopping.is_set():
        row = await conn.fetchrow(sql, CHECKPOINT)
        seen = time.monotonic()
        polls += 1
        assert row is not None
        for index, label in enumerate(labels):
            timelines[label].saw(int(row[index] or 0), seen)
        await asyncio.sleep(POLL_SECONDS)
    return {"interval_ms": (time.monotonic() - started) / max(polls, 1) * 1000}


# -- the peer ------------------------------------------------------------------------------------


async def nats_floor(nats_url: str, run_id: str, window: Window) -> tuple[Measurement, bool]:
    """Raw nats-py at the same rate, in a stream of its own (deleted afterwards)."""
    stream = StreamSettings(
        name=f"PTRACK_BENCH_{run_id}_FRESH",
        subject_prefix=f"ptrack-bench-{run_id}-fresh",
        duplicate_window_seconds=3600,
    )
    subject = f"{stream.subject_prefix}.finance.events"
    # Two connections, as the relay and the consumer are in different processes.
    publisher = await nats.connect(nats_url)
    subscriber = await nats.connect(nats_url)
    received = _Timeline()
    answers: list[_Answer] = []
    stopping = asyncio.Event()
    try:
        js = publisher.jetstream()
        await ensure_stream(js, stream)
        pull = await subscriber.jetstream().pull_subscribe(
            subject,
            durable="floor",
            stream=stream.name,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL),
        )

        async def consume() -> None:
            while not stopping.is_set():
                with contextlib.suppress(NatsTimeout, TimeoutError):
                    for message in await pull.fetch(256, timeout=1.0):
                        received.saw(message.metadata.sequence.stream, time.monotonic())
                        await message.ack()

        consumer = asyncio.create_task(consume())
        payload = orjson.dumps(booking("floor", project="kongsbergregionen-2010"))

        async def send(_: int, measured: bool) -> None:
            # Same headers as the relay's: the broker does the same duplicate tracking.
            headers = {"Nats-Msg-Id": str(uuid.uuid4())}
            ack = await js.publish(subject, payload, headers=headers)
            answers.append(_Answer(ack.seq, time.monotonic(), measured))

        usage = cpu.CpuWindow(cpu.default_probes(nats=cpu.nats_server))
        usage.start()
        offered = await _open_loop(send, window, RATE)
        cpu_percent = usage.stop()
        last = max((answer.position for answer in answers), default=0)
        complete = await until(lambda: received.head >= last, limit=SETTLE_LIMIT, interval=0.05)
        stopping.set()
        await consumer
    finally:
        await publisher.close()
        await subscriber.close()
        await delete_stream(nats_url, stream.name)
    row = _row(
        FLOOR,
        answers,
        received.visible_at,
        window.seconds,
        {**offered, "payload_bytes": len(payload), "cpu_percent_of_one_core": cpu_percent},
    )
    return row, complete and row.errors == 0


def scenario(
    rows: list[Measurement], checks: dict[str, Any], floor: Measurement, floor_ok: bool
) -> Scenario:
    reporting, *others = rows
    return Scenario(
        "freshness",
        f"Freshness at {RATE:.0f} events/s: POST answered → visible (ms)",
        reporting,
        [floor],
        [
            "Freshness: latency from the client having its 201 to the event being visible "
            "(checkpoint polled every ~1 ms); the relay row is when the relay published it. "
            "The peer is raw nats-py, PubAck to a pull consumer's fetch, at the same rate."
        ],
        kind="latency",
        also=others,
        target=TARGET_MS,
        checks={**checks, "peer_received_every_message": floor_ok, "ok": checks["ok"] and floor_ok},
    )
