"""The relay restores what the stream lost behind its back: a deleted tail, a message deleted in
the middle, messages deleted while no relay led or while NATS was away. The deletions happen
inside JetStream's duplicate window, where a republish under the bare event id would be
dropped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from services.finance.app import build
from services.finance.events import EVENT_TYPES
from shared.audit.stream import StreamReport, compare_stream
from shared.relay import Relay
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from shared.testing.servers import own_nats_server
from shared.testing.waiting import eventually
from tests.integration.finance_fixtures import booking, plan_events

BOOKINGS = 200
HEAD = BOOKINGS + 2  # the budget and the financing plan come first


@dataclass
class Harness:
    finance: RunningService
    settings: Settings
    js: JetStreamContext

    def relay(self, interval: float) -> Relay:
        runtime = self.finance.runtime
        return Relay(
            runtime.store,
            runtime.bus,
            EVENT_TYPES,
            dsn=self.settings.database_url,
            reconcile_interval_seconds=interval,
        )

    async def finance_messages(self) -> int:
        try:
            info = await self.js.stream_info(
                self.settings.nats_stream,
                subjects_filter=f"{self.settings.subject_prefix}.finance.>",
            )
        except NotFoundError:  # deleted, and not made again yet
            return 0
        return sum((info.state.subjects or {}).values())

    async def delete(self, sequences: list[int]) -> None:
        """Remove messages as an operator (or a lossy crash) would: the relay is not told."""
        for sequence in sequences:
            assert await self.js.delete_msg(self.settings.nats_stream, sequence)

    async def last_sequence(self) -> int:
        return (await self.js.stream_info(self.settings.nats_stream)).state.last_seq

    async def report(self) -> StreamReport:
        return await compare_stream(
            self.js,
            self.settings.nats_stream,
            self.settings.subject_prefix,
            "finance",
            self.finance.runtime.store,
        )

    async def restored(self) -> bool:
        return await self.finance_messages() == HEAD


@contextlib.asynccontextmanager
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    """The finance service in this process without its own relay (each test runs the relay
    it needs), with a recorded plan and 200 bookings."""
    settings = settings.model_copy(update={"run_relay": False})
    async with running(build(settings)) as finance:
        response = await finance.post(*plan_events(), role="admin")
        assert response.status_code == 201, response.text
        response = await finance.post(*(booking(f"GL-{n}", "10.00") for n in range(BOOKINGS)))
        assert response.status_code == 201, response.text
        assert await finance.log_head() == HEAD
        nc: NatsClient = await nats.connect(settings.nats_url)
        try:
            yield Harness(finance, settings, nc.jetstream())
        finally:
            await nc.close()


@contextlib.asynccontextmanager
async def relaying(relay: Relay) -> AsyncIterator[Relay]:
    task = asyncio.create_task(relay.run())
    try:
        yield relay
    finally:
        relay.stopping = True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def published_everything(h: Harness, relay: Relay) -> None:
    async def done() -> bool:
        return relay.position == HEAD and relay.reconciliations_total > 0

    await eventually(done)
    assert await h.finance_messages() == HEAD


async def restored_by(h: Harness, relay: Relay, republished: int) -> None:
    """Until the stream holds every position again and the relay has counted what it
    republished: it counts once its pass is over, a moment after the last copy lands."""

    async def filled_again() -> bool:
        return await h.restored() and relay.republished_total >= republished

    await eventually(filled_again, what=f"{republished} positions published again")


async def test_a_deleted_tail_and_a_deleted_middle_message_are_published_again(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], drop_stream: None
) -> None:
    async with harness(settings) as h, relaying(h.relay(interval=0.5)) as relay:
        await published_everything(h, relay)
        checks = relay.reconciliations_total

        async def checked_again() -> bool:
            return relay.reconciliations_total > checks

        await eventually(checked_again, what="another periodic reconciliation")
        assert relay.reconciliation_scans_total == 0, "nothing was missing: the count suffices"
        assert relay.republished_total == 0

        last = await h.last_sequence()
        await h.delete(list(range(last - 19, last + 1)))  # the last 20 messages
        await restored_by(h, relay, 20)
        assert relay.republished_total == 20
        report = await h.report()
        assert report.ok, report.to_dict()
        assert (report.messages, report.duplicates) == (HEAD, 0)

        await h.delete([100])  # one in the middle
        await restored_by(h, relay, 21)
        assert relay.republished_total == 21
        report = await h.report()
        assert report.ok, report.to_dict()
        assert (report.messages, report.duplicates) == (HEAD, 0)
        assert relay.reconciliation_scans_total == 2

        # The copies carry a new message id: the originals' ids are still in the duplicate
        # window, so a copy under the bare event id would have been dropped.
        copy = await h.js.get_msg(h.settings.nats_stream, await h.last_sequence())
        assert copy.headers is not None
        assert ":r" in copy.headers["Nats-Msg-Id"]


async def test_a_new_leader_restores_what_was_deleted_while_no_relay_ran(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], drop_stream: None
) -> None:
    async with harness(settings) as h:
        async with relaying(h.relay(interval=3600)) as first:
            await published_everything(h, first)
        await h.delete([1, 50, 51, HEAD])  # the first, two in the middle, the last
        # Only the leadership check can notice: the periodic one is an hour away.
        async with relaying(h.relay(interval=3600)) as second:
            await restored_by(h, second, 4)
            assert second.republished_total == 4
            assert second.published_total == 0, "the checkpoint was at the head already"
        report = await h.report()
        assert report.ok, report.to_dict()
        assert report.duplicates == 0


async def test_a_reconnect_to_nats_restores_what_the_server_lost(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], tmp_path: Path
) -> None:
    server = own_nats_server(tmp_path / "nats")
    try:
        settings = settings.model_copy(update={"nats_url": server.url})
        async with harness(settings) as h, relaying(h.relay(interval=3600)) as relay:
            await published_everything(h, relay)
            checks = relay.reconciliations_total
            last = await h.last_sequence()
            await h.delete(list(range(last - 9, last + 1)))
            server.stop()
            server.start()

            async def reconciled_after_reconnect() -> bool:
                # The stream is asked only once the relay has checked it again: before the
                # reconnect there is no server to ask.
                if relay.reconciliations_total <= checks:
                    return False
                return await h.restored() and relay.republished_total >= 10

            await eventually(reconciled_after_reconnect)
            assert relay.republished_total == 10
            assert relay.failures_total == 0, "the reconnect noticed it, not a new leadership"
            report = await h.report()
            assert report.ok, report.to_dict()
    finally:
        server.stop()


@pytest.mark.parametrize("purge", ["stream", "subjects"])
async def test_a_purged_or_recreated_stream_is_filled_again(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], drop_stream: None, purge: str
) -> None:
    async with harness(settings) as h, relaying(h.relay(interval=0.5)) as relay:
        await published_everything(h, relay)
        if purge == "stream":
            await h.js.delete_stream(h.settings.nats_stream)
        else:
            await h.js.purge_stream(
                h.settings.nats_stream, subject=f"{h.settings.subject_prefix}.finance.>"
            )
        await restored_by(h, relay, HEAD)
        assert relay.republished_total == HEAD
        report = await h.report()
        assert report.ok, report.to_dict()
