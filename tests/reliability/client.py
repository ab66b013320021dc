"""An integration as a real one behaves: a bounded pool of connections per service, a steady
rate, and retries of the SAME request (same event ids) on 503 or 429 (after Retry-After), on a
refused or broken connection, and on a timeout, until it gets a final answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx
import orjson

from shared.http.events import CLOUDEVENT_BATCH, CLOUDEVENT_JSON
from tests.reliability.workload import Post

HANG_SECONDS = 30.0
"""An attempt that takes longer than this is a hang, whatever it ends with."""
GIVE_UP_SECONDS = 180.0
"""A post still without a final answer after this long is given up (and fails the test): the
stack is supposed to come back well within it."""
CONCURRENCY = 16
"""Requests in flight per service, as an integration's connection pool would allow."""


@dataclass
class Integration:
    service: str
    client: httpx.AsyncClient
    key: str
    slots: asyncio.Semaphore

    async def send(self, post: Post) -> None:
        async with self.slots:
            await self._send(post)

    async def _send(self, post: Post) -> None:
        single = len(post.events) == 1
        body = orjson.dumps(post.events[0] if single else post.events)
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": CLOUDEVENT_JSON if single else CLOUDEVENT_BATCH,
        }
        post.first_sent = time.monotonic()
        delay = 0.05
        while True:
            if time.monotonic() - post.first_sent > GIVE_UP_SECONDS:
                post.problems.append(f"no final answer within {GIVE_UP_SECONDS:.0f}s")
                break
            started = time.monotonic()
            try:
                response = await self.client.post("/events", content=body, headers=headers)
            except httpx.TimeoutException as error:
                post.errors.append(f"timeout: {error!r}")
                post.problems.append(f"an attempt hung for {HANG_SECONDS:.0f}s")
                continue
            except httpx.TransportError as error:  # refused, reset, closed mid-answer
                post.errors.append(repr(error))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            finally:
                post.slowest_attempt = max(post.slowest_attempt, time.monotonic() - started)
            post.statuses.append(response.status_code)
            if response.status_code >= 300:
                post.detail = response.text[:500]
            if response.status_code in (429, 503):
                retry_after = response.headers.get("retry-after")
                if retry_after is None:
                    post.problems.append(f"{response.status_code} without Retry-After")
                await asyncio.sleep(_seconds(retry_after))
                continue
            post.final = response.status_code
            post.answered_at = time.monotonic()
            if 200 <= response.status_code < 300:
                post.positions = {e["id"]: e["position"] for e in response.json()["events"]}
            break
        _judge(post)


def _seconds(retry_after: str | None) -> float:
    try:
        return min(float(retry_after or 1), 10.0)
    except ValueError:
        return 1.0


def _judge(post: Post) -> None:
    """Only 2xx, 409, 429 and 503 (with Retry-After) are answers a client may see; the final
    one must be what the post deserves."""
    for status in post.statuses:
        if not (200 <= status < 300 or status in (409, 429, 503) or status == post.expected):
            post.problems.append(f"answered {status}")
    if post.final is None:
        return
    if post.valid and not post.accepted:
        post.problems.append(f"a valid post was finally answered {post.final}: {post.detail}")
    if not post.valid and post.final != post.expected:
        post.problems.append(f"expected {post.expected}, finally answered {post.final}")
    if post.accepted and sorted(post.positions) != sorted(post.ids):
        post.problems.append("the receipt does not list the posted events")


async def send_at_rate(
    posts: Sequence[Post],
    integrations: dict[str, Integration],
    events_per_second: float,
    on_answer: Callable[[], None],
) -> None:
    """Send each post when its turn comes at the given event rate (an open loop: a slow or
    absent service does not slow the others down), and wait for every final answer."""
    started = time.monotonic()
    sent_events = 0
    tasks: list[asyncio.Task[None]] = []

    async def one(post: Post) -> None:
        try:
            await integrations[post.service].send(post)
        finally:
            on_answer()

    for post in posts:
        due = started + sent_events / events_per_second
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(post)))
        sent_events += len(post.events)
    await asyncio.gather(*tasks)


def integrations(
    urls: dict[str, str], key: str
) -> tuple[dict[str, Integration], Callable[[], Awaitable[None]]]:
    """One client per service; returns them and a function that closes them."""
    made = {
        service: Integration(
            service,
            httpx.AsyncClient(
                base_url=url,
                timeout=HANG_SECONDS,
                limits=httpx.Limits(max_connections=CONCURRENCY),
            ),
            key,
            asyncio.Semaphore(CONCURRENCY),
        )
        for service, url in urls.items()
    }

    async def close() -> None:
        for integration in made.values():
            await integration.client.aclose()

    return made, close
