"""Helpers for the cluster tests: a paced load of posts that retries as a careful integration
does, waiting on conditions, and what the log, the stream and the processes say."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
import httpx
import nats
import orjson
from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from shared.audit.stream import StreamReport, compare_stream
from shared.http.events import CLOUDEVENT_JSON
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


@dataclass
class Outcome:
    """What became of one posted event."""

    event_id: str
    due: float = 0.0
    """When the post was due (monotonic clock)."""
    status: int | None = None
    position: int | None = None
    wait: float = 0.0
    """Seconds from when the post was due to its final answer, retries included."""
    attempts: int = 0
    replica: int | None = None
    """Which replica gave the final answer (its index in the poster's URLs)."""
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status in (200, 201)


class Poster:
    """Posts single events to one or more replicas of a service, as an integration behind a
    load balancer would: a replica that does not answer is left for the next one, a 503 is
    retried after its Retry-After, and a version conflict (replicas appending to one stream
    at the same moment) is retried. Always with the same event id, so a retry of a post that
    was in fact recorded answers with the original receipt instead of recording it again."""

    def __init__(self, urls: Sequence[str], token: str, *, give_up_after: float = 60.0) -> None:
        self.clients = [
            httpx.AsyncClient(base_url=url, timeout=30.0, limits=httpx.Limits(max_connections=64))
            for url in urls
        ]
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": CLOUDEVENT_JSON}
        self.give_up_after = give_up_after
        self.outcomes: list[Outcome] = []
        self.retried_unavailable = 0
        self.retried_conflicts = 0
        self.moved_on = 0
        """Attempts sent to the next replica because the one tried did not answer."""
        self._loads: list[asyncio.Task[None]] = []

    @property
    def accepted(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.accepted]

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.accepted]

    @property
    def slowest(self) -> Outcome:
        return max(self.outcomes, key=lambda outcome: outcome.wait)

    @property
    def median_wait(self) -> float:
        return statistics.median(outcome.wait for outcome in self.outcomes)

    async def close(self) -> None:
        # A load still running (the test failed) must not post on into the teardown.
        for load in self._loads:
            load.cancel()
        await asyncio.gather(*self._loads, return_exceptions=True)
        for client in self.clients:
            await client.aclose()

    async def post(
        self, event: Mapping[str, Any], *, replica: int = 0, due: float | None = None
    ) -> Outcome:
        started = time.monotonic() if due is None else due
        body = orjson.dumps(event)
        outcome = Outcome(str(event["id"]), started)
        target = replica
        while True:
            outcome.attempts += 1
            outcome.replica = target % len(self.clients)
            client = self.clients[outcome.replica]
            try:
                response = await client.post("/events", content=body, headers=self.headers)
            except httpx.TransportError as error:
                # The replica died or is not up; whether it recorded the event or not, the same
                # event id to the next one is safe.
                self.moved_on += 1
                target += 1
                retry_in, last = 0.1, repr(error)
            else:
                if response.status_code in (200, 201):
                    outcome.status = response.status_code
                    outcome.position = response.json()["position"]
                    break
                if response.status_code == 503:
                    self.retried_unavailable += 1
                    retry_in = float(response.headers.get("Retry-After", "1"))
                elif response.status_code == 409 and _problem_type(response).endswith(
                    "/wrong-expected-version"
                ):
                    self.retried_conflicts += 1
                    retry_in = 0.05
                else:
                    outcome.status, outcome.error = response.status_code, response.text[:500]
                    break
                last = f"{response.status_code} {response.text[:200]}"
            if time.monotonic() - started > self.give_up_after:
                outcome.error = f"gave up after {outcome.attempts} attempts: {last}"
                break
            await asyncio.sleep(retry_in)
        outcome.wait = time.monotonic() - started
        self.outcomes.append(outcome)
        return outcome

    async def run(
        self,
        events: Sequence[Mapping[str, Any]],
        *,
        rate: float,
        concurrency: int = 64,
        first_replica: int = 0,
    ) -> None:
        """Post the events at a steady rate, each to the next replica in turn. A post's wait
        counts from the moment it was due, so time spent queued behind slow answers counts."""
        begin = time.monotonic()
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int, event: Mapping[str, Any]) -> None:
            due = begin + index / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            async with gate:
                await self.post(event, replica=first_replica + index, due=due)

        await asyncio.gather(*(one(index, event) for index, event in enumerate(events)))

    def start(
        self,
        events: Sequence[Mapping[str, Any]],
        *,
        rate: float,
        concurrency: int = 64,
        first_replica: int = 0,
    ) -> asyncio.Task[None]:
        """`run` in the background; `close` stops it if it is still going."""
        load = asyncio.create_task(
            self.run(events, rate=rate, concurrency=concurrency, first_replica=first_replica)
        )
        self._loads.append(load)
        return load


def _problem_type(response: httpx.Response) -> str:
    try:
        return str(response.json().get("type", ""))
    except ValueError:
        return ""


# -- the log, checkpoints and the read model ---------------------------------------------------


async def log_id_counts(pool: Pool, schema: str) -> Counter[str]:
    """How often each event id is in the log."""
    rows = await pool.fetch(f"SELECT event_id FROM {schema}.events")
    return Counter(str(row["event_id"]) for row in rows)


async def log_positions(pool: Pool, schema: str) -> tuple[int, int, int]:
    """Count, lowest and highest position of the log."""
    row = await pool.fetchrow(
        f"SELECT count(*) AS n, coalesce(min(position), 0) AS low, "
        f"coalesce(max(position), 0) AS high FROM {schema}.events"
    )
    assert row is not None
    return int(row["n"]), int(row["low"]), int(row["high"])


async def checkpoint(pool: Pool, schema: str, name: str) -> int:
    value = await pool.fetchval(f"SELECT position FROM {schema}.checkpoints WHERE name = $1", name)
    return int(value or 0)


async def lock_holder(pool: Pool, key: int) -> int | None:
    """The server process holding a session advisory lock (a relay's leadership), if any."""
    pid = await pool.fetchval(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND ((classid::bigint << 32) | objid::bigint) = $1",
        key,
    )
    return None if pid is None else int(pid)


async def head(pool: Pool, schema: str) -> int:
    return int(await pool.fetchval(f"SELECT coalesce(max(position), 0) FROM {schema}.events"))


# -- JetStream ---------------------------------------------------------------------------------


@asynccontextmanager
async def jetstream(servers: Sequence[str]) -> AsyncIterator[JetStreamContext]:
    """A JetStream client on any of `servers` (reconnecting to another if that one dies)."""
    nc = await nats.connect(
        list(servers), connect_timeout=2, max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    try:
        yield nc.jetstream(timeout=5)
    finally:
        await nc.close()


async def last_position(js: JetStreamContext, stream: str) -> int:
    """The log position carried by the stream's last message (0 while it is empty or the
    stream cannot answer, as during a leader election)."""
    try:
        info = await js.stream_info(stream)
        if not info.state.messages:
            return 0
        message = await js.get_msg(stream, info.state.last_seq)
    except Exception:
        return 0
    return int(orjson.loads(message.data or b"{}")["position"])


async def compare_with_log(
    servers: Sequence[str], settings: Settings, pool: Pool, service: str, timeout: float = 30.0
) -> StreamReport:
    """The stream against the service's log, read through the given servers. The check reads
    through a consumer of its own; JetStream may refuse to make one for a moment (a cluster
    still settling after a node came back), which says nothing about the data: try again."""
    deadline = time.monotonic() + timeout
    async with jetstream(servers) as js:
        while True:
            try:
                return await compare_stream(
                    js,
                    settings.nats_stream,
                    settings.subject_prefix,
                    service,
                    PostgresEventStore(pool, settings.schema_for(service)),
                )
            except (NatsError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)


# -- the processes' own view -------------------------------------------------------------------


async def gauge(url: str, token: str, name: str) -> float | None:
    """One unlabelled-by-us gauge from a process's /metrics (the first series of that name);
    None if the process does not answer."""
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5.0) as client:
            response = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    except httpx.TransportError:
        return None
    assert response.status_code == 200, response.text
    for line in response.text.splitlines():
        if line.startswith((f"{name}{{", f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return None
