"""Feeding a read model from JetStream: a durable pull consumer hands batches to the model's
writer and acks them once the writer has committed.

- transient failures (database down, the log not yet holding a named position) `nak` with a
  delay; a message that is not an event at all is terminated and set aside like an event that
  cannot be applied;
- when the stream goes quiet while the log is ahead (NATS lost messages, or the relay is
  down), the writer catches up from the log itself after a grace period.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence

import orjson
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared.bus import Bus
from shared.db import is_transient
from shared.envelope import from_cloudevent
from shared.projection.writer import LogBehind, ReadModelWriter
from shared.retry import keep_running
from shared.store.base import StoredEvent

log = logging.getLogger(__name__)

_FILL_SECONDS = 0.01
"""How long a batch fetch may wait for messages to fill it: the most a busy stream adds to an
event's way into the read model."""


class JetStreamConsumer:
    def __init__(
        self,
        writer: ReadModelWriter,
        *,
        bus: Bus,
        consumer: str,
        batch_size: int = 256,
        catch_up_after_seconds: float = 3.0,
    ) -> None:
        self.writer = writer
        self.bus = bus
        self.batch_size = batch_size
        self.catch_up_after_seconds = catch_up_after_seconds
        # The consuming service names the durable consumer; the source's subjects feed it.
        prefix, name = bus.stream.subject_prefix, writer.projection.name
        self.durable = f"{prefix}-{consumer}-{name}"
        self.filter_subject = f"{prefix}.{writer.event_types.service}.>"
        self._behind_since: float | None = None
        self.stopping = False
        """Set before cancelling: some client libraries turn a cancellation into an error, and
        the loop must not mistake that for a reason to retry."""

    async def run(self) -> None:
        """Consume forever; returns when cancelled or stopping."""
        await keep_running(
            self._consume,
            what=f"projection {self.writer.projection.name}",
            stopping=lambda: self.stopping,
            first_delay=0.2,
        )

    async def _consume(self) -> None:
        js = await self.bus.jetstream()
        subscription = await js.pull_subscribe(
            self.filter_subject,
            durable=self.durable,
            stream=self.bus.stream.name,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30,
                max_ack_pending=10_000,
            ),
        )
        while not self.stopping:
            try:
                # What the stream holds now, or brings within a moment. Not longer: once a
                # message has come, a batch fetch goes on waiting until the batch is full or
                # its time is up, and that wait is every event's delay to the read model.
                messages = await subscription.fetch(self.batch_size, timeout=_FILL_SECONDS)
            except (NatsTimeout, TimeoutError):
                try:
                    # Quiet: wait for the next message alone, which returns as it arrives.
                    messages = await subscription.fetch(1, timeout=1.0)
                except (NatsTimeout, TimeoutError):
                    await self._catch_up_if_stalled()
                    continue
            await self.handle(messages)

    async def handle(self, messages: Sequence[Msg]) -> None:
        events: list[StoredEvent] = []
        for message in messages:
            try:
                events.append(from_cloudevent(orjson.loads(message.data)))
            except Exception as error:
                await self.writer.record_failure(
                    None, None, message.subject, f"undecodable: {error!r}"
                )
                await message.term()
        if not events:
            return
        try:
            await self.writer.apply(events)
        except Exception as error:
            if not (is_transient(error) or isinstance(error, LogBehind)):
                raise
            log.warning(
                "projection %s: transient failure, will retry: %r",
                self.writer.projection.name,
                error,
            )
            for message in messages:
                with contextlib.suppress(Exception):
                    await message.nak(delay=1.0)
            return
        for message in messages:
            with contextlib.suppress(Exception):
                await message.ack()

    async def _catch_up_if_stalled(self) -> None:
        """No messages came, yet the log may be ahead: after a grace period, read the rest
        from the log itself."""
        head = (await self.writer.log_store.head()).position
        if head <= self.writer.position:
            self._behind_since = None
            return
        now = time.monotonic()
        if self._behind_since is None:
            self._behind_since = now
        elif now - self._behind_since >= self.catch_up_after_seconds:
            await self.writer.catch_up()
            self._behind_since = None
