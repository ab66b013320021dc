"""The NATS JetStream side: one long-lived connection per process and the shared stream.

A service must start and accept writes while NATS is down (the log is the outbox), so the
connection is made in the background and retried forever; users of it wait for `ready()`.

The URL may name several servers of one cluster, separated by commas
(`nats://a:4222,nats://b:4222`): the client connects to any that answers and, when that one
dies, reconnects to another, so a replicated stream stays reachable while a node is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

log = logging.getLogger(__name__)


def nats_servers(url: str) -> list[str]:
    """The servers named by a NATS URL setting: one, or several separated by commas."""
    servers = [server.strip() for server in url.split(",") if server.strip()]
    if not servers:
        raise ValueError(f"no NATS server in {url!r}")
    return servers


@dataclass(frozen=True)
class StreamSettings:
    name: str
    subject_prefix: str
    duplicate_window_seconds: float
    replicas: int = 1

    def config(self) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            subjects=[f"{self.subject_prefix}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            duplicate_window=self.duplicate_window_seconds,
            num_replicas=self.replicas,
        )


async def ensure_stream(js: JetStreamContext, stream: StreamSettings) -> None:
    """Create the stream, or bring an existing one to our settings."""
    config = stream.config()
    try:
        await js.stream_info(stream.name)
    except NotFoundError:
        try:
            await js.add_stream(config)
            return
        except BadRequestError:  # another service created it a moment ago
            pass
    await js.update_stream(config)


async def stored_messages(
    js: JetStreamContext, stream: str, subjects: str, *, headers_only: bool = False
) -> AsyncIterator[list[Msg]]:
    """Every message `stream` holds on `subjects`, oldest first, a batch at a time, through an
    ephemeral consumer that acknowledges nothing (reading changes nothing) and is deleted at
    the end. `headers_only` leaves the payloads on the server."""
    subscription = await js.pull_subscribe(
        subjects,
        durable=None,
        stream=stream,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            headers_only=headers_only,
            inactive_threshold=60,
        ),
    )
    try:
        while True:
            try:
                messages = await subscription.fetch(1000, timeout=2)
            except (TimeoutError, NatsTimeout):
                return
            yield messages
            if not messages or messages[-1].metadata.num_pending == 0:
                return
    finally:
        consumer = None
        with contextlib.suppress(Exception):
            consumer = (await subscription.consumer_info()).name
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
        if consumer is not None:
            with contextlib.suppress(Exception):
                await js.delete_consumer(stream, consumer)


class Bus:
    """The process's NATS connection, (re)made in the background."""

    def __init__(self, url: str, name: str, stream: StreamSettings) -> None:
        self.url = url
        self.name = name
        self.stream = stream
        self._nc: NatsClient | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="nats-connect")

    async def _connect(self) -> None:
        delay = 0.2
        while True:
            try:
                nc = await nats.connect(
                    nats_servers(self.url),
                    name=self.name,
                    connect_timeout=2,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    allow_reconnect=True,
                    disconnected_cb=self._on_disconnect,
                    reconnected_cb=self._on_reconnect,
                    error_cb=self._on_error,
                )
                await ensure_stream(nc.jetstream(), self.stream)
            except Exception as error:
                log.warning("NATS not reachable at %s yet: %r", self.url, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            self._nc = nc
            self._connected.set()
            log.info("connected to NATS at %s", self.url)
            return

    async def _on_disconnect(self) -> None:
        log.warning("NATS disconnected")

    async def _on_reconnect(self) -> None:
        log.info("NATS reconnected")

    async def _on_error(self, error: Exception) -> None:
        log.debug("NATS client error: %r", error)

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    async def ready(self) -> NatsClient:
        await self._connected.wait()
        assert self._nc is not None
        return self._nc

    async def jetstream(self) -> JetStreamContext:
        return (await self.ready()).jetstream()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._nc is not None:
            # close, not drain: nothing in flight matters (the relay moves its checkpoint only
            # after acks), and drain waits out pull subscriptions for up to 30 seconds.
            await self._nc.close()
