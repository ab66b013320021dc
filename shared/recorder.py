"""Turns proposals into log entries: load the stream, decide, append with the expected version.

Two things make it fast without weakening a guarantee:
- Stream states are cached. Each entry is the state at a version, and every append states that
  version, so a stale entry can only cause a conflict (then reload and decide again), never a
  wrong decision in the log.
- Proposals for one stream are decided one after another against the state *including* those
  still waiting for the group commit, and are queued in that order. Many requests for the same
  stream therefore share one commit instead of queueing behind each other's fsync.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid5

from shared.decider import Decider, Rejected
from shared.event_types import EventModel, EventTypes, identified
from shared.privacy.keyring import Keyring
from shared.privacy.sealing import open_many, seal_data
from shared.store.base import (
    AppendRequest,
    AppendResult,
    EventIdReused,
    EventStore,
    NewEvent,
    StoredEvent,
    WrongExpectedVersion,
    same_content,
)

S = TypeVar("S")
_STRIPES = 256
_RETRIES = 20
_DERIVED = "derived_events"
"""The metadata key on a proposal's first event: how many events the domain derived from it
were recorded right after it (ids `uuid5(its id, "1")`, ...)."""


@dataclass(frozen=True)
class Proposal:
    event: EventModel
    event_id: UUID
    occurred_at: datetime
    metadata: Mapping[str, Any] = field(default_factory=dict)
    pointer: str = ""
    """Where the proposal sits in the request, for error messages (`/0`)."""


@dataclass(frozen=True)
class StreamProposals:
    stream_id: str
    proposals: Sequence[Proposal]
    expected_version: int | None = None


@dataclass(frozen=True)
class _Entry(Generic[S]):
    state: S
    version: int


class Recorder(Generic[S]):
    def __init__(
        self,
        store: EventStore,
        event_types: EventTypes,
        decider: Decider[S, Any],
        *,
        cache_size: int = 10_000,
        keyring: Keyring | None = None,
    ) -> None:
        self.store = store
        self.keyring = keyring
        """Seals each event's personal fields before it is appended, opens them when read."""
        self.event_types = event_types
        self.decider = decider
        self._cache: OrderedDict[str, _Entry[S]] = OrderedDict()
        self._forgotten: dict[str, int] = {}
        """How often each stream's cached state was dropped (a failed append, a refusal)."""
        self._cache_size = cache_size
        self._locks = [asyncio.Lock() for _ in range(_STRIPES)]
        self._inflight: dict[UUID, asyncio.Future[list[AppendResult]]] = {}

    async def record(
        self, groups: Sequence[StreamProposals], *, changed_repeats: bool = False
    ) -> list[AppendResult]:
        """Record all groups atomically, or raise Rejected / WrongExpectedVersion / EventIdReused.

        Without an explicit expected version a conflict means another writer got there first:
        decide again against the new state.

        `changed_repeats`: a proposal the domain finds already true, under an id recorded with
        other content, answers as a repeat instead of EventIdReused. Only for senders that own
        the id and may restate a fact (a Formbricks response touched after it was finished).
        """
        explicit = any(group.expected_version is not None for group in groups)
        looked_again = False
        for attempt in range(_RETRIES):
            try:
                return await self._attempt(groups, changed_repeats)
            except Rejected:
                recorded = await self._recorded_before(groups)
                if recorded is not None:
                    return recorded
                if looked_again:
                    raise
                # The cached state may be behind another replica's appends: decide once more
                # against the log itself before saying no.
                self._forget([group.stream_id for group in groups])
                looked_again = True
            except WrongExpectedVersion:
                if explicit or attempt == _RETRIES - 1:
                    raise
        raise WrongExpectedVersion(groups[0].stream_id, -1, -1)  # pragma: no cover

    async def check(self, groups: Sequence[StreamProposals]) -> list[AppendRequest]:
        """What `record` would append for `groups` now, appending nothing: a dry run, for a
        preview that marks what a service would refuse before anyone records it. Raises what
        `record` raises for a proposal the domain refuses."""
        try:
            requests, _ = await self._decide_all(groups)
        except Rejected:
            # As in `record`: proposals recorded before (same ids, same content) would append
            # nothing, and the cached state may be behind another replica's appends.
            if await self._recorded_before(groups) is not None:
                return []
            self._forget([group.stream_id for group in groups])
            requests, _ = await self._decide_all(groups)
        return requests

    async def state(self, stream_id: str) -> tuple[S, int]:
        """The stream's state and version as this process knows them (for queries and tests)."""
        entry = await self._refresh(stream_id, self._cache.get(stream_id))
        return entry.state, entry.version

    async def _attempt(
        self, groups: Sequence[StreamProposals], changed_repeats: bool
    ) -> list[AppendResult]:
        streams = [group.stream_id for group in groups]
        # The streams' locks, always in one order (no deadlock). Taken and released by hand:
        # every request for a busy project queues here, and an exit stack cost more than the
        # decision it guards.
        locks = [self._locks[stripe] for stripe in sorted({hash(s) % _STRIPES for s in streams})]
        held: list[asyncio.Lock] = []
        try:
            for lock in locks:
                await lock.acquire()
                held.append(lock)
            forgotten = {stream: self._forgotten.get(stream, 0) for stream in streams}
            requests, entries = await self._decide_all(groups)
            to_append = [request for request in requests if request.events]
            if to_append:
                future = self.store.submit(to_append)
                for stream_id, entry in entries.items():
                    # Not when the state decided on was forgotten meanwhile (the append it
                    # came from failed while this decision waited, sealing): the entry would
                    # hold that failed append's events, which are not in the log.
                    if self._forgotten.get(stream_id, 0) == forgotten[stream_id]:
                        self._remember(stream_id, entry)
                self._track_inflight(to_append, future)
        finally:
            for lock in reversed(held):
                lock.release()
        if not to_append:
            # Every proposal was already true of its stream. If this is the retry of one that
            # was recorded, answer with the original receipt; else nothing happened. An id
            # recorded with other content is still refused: the id check comes before the
            # domain's "nothing new", as it does for every other event.
            stored, changed = await self._stored(groups)
            if changed and not changed_repeats:
                raise EventIdReused(changed)
            if stored and not changed and len(stored) == sum(len(g.proposals) for g in groups):
                return await self._as_recorded(groups, stored)
            return [AppendResult((), duplicate=True) for _ in requests]
        try:
            appended = iter(await future)
        except Exception:
            self._forget(streams)
            raise
        results = [next(appended) if r.events else AppendResult((), True) for r in requests]
        self._forget([r.events[0].stream_id for r in results if r.duplicate and r.events])
        return results

    async def _decide_all(
        self, groups: Sequence[StreamProposals]
    ) -> tuple[list[AppendRequest], dict[str, _Entry[S]]]:
        requests: list[AppendRequest] = []
        entries: dict[str, _Entry[S]] = {}
        for group in groups:
            entry = entries.get(group.stream_id) or await self._entry(group.stream_id)
            if group.expected_version is not None and group.expected_version != entry.version:
                entry = await self._refresh(group.stream_id, entry)
                if group.expected_version != entry.version:
                    raise WrongExpectedVersion(
                        group.stream_id, group.expected_version, entry.version
                    )
            state, events = entry.state, []
            for proposal in group.proposals:
                deciding = state
                if self.decider.reads is not None:
                    deciding = await self._read_too(group.stream_id, proposal.event, state, entries)
                try:
                    decided = self.decider.decide(
                        identified(proposal.event, proposal.event_id), deciding
                    )
                except Rejected as rejected:
                    rejected.pointer = proposal.pointer
                    raise
                for index, event in enumerate(decided):
                    state = self.decider.evolve(state, event)
                    events.append(await self._new_event(proposal, event, index, len(decided) - 1))
            requests.append(AppendRequest(group.stream_id, events, entry.version))
            entries[group.stream_id] = _Entry(state, entry.version + len(events))
        return requests, entries

    async def _read_too(
        self, stream_id: str, event: EventModel, state: S, entries: Mapping[str, _Entry[S]]
    ) -> S:
        """`state` with the other stream the decider `reads` for `event`, caught up with the log
        (or as this request leaves it, when the request changes it first)."""
        reads = self.decider.reads
        assert reads is not None
        other = reads.stream(event)
        if other is None:
            return state
        if other == stream_id:
            return state if reads.itself is None else reads.itself(state)
        entry = entries.get(other) or await self._refresh(other, self._cache.get(other))
        return reads.merge(state, entry.state)

    async def _new_event(
        self, proposal: Proposal, event: EventModel, index: int, derived: int = 0
    ) -> NewEvent:
        # The first event a proposal yields carries the proposal's id (so retries are idempotent);
        # any further ones get ids derived from it, the same on every retry. The first says how
        # many follow, so a retry finds them without a search.
        event_id = proposal.event_id if index == 0 else uuid5(proposal.event_id, str(index))
        event_type = self.event_types.of(event)
        metadata = proposal.metadata
        if index == 0 and derived:
            metadata = {**metadata, _DERIVED: derived}
        return NewEvent(
            event_id=event_id,
            type=event_type.name,
            data=await seal_data(
                self.keyring, event_type.personal, self.event_types.to_data(event)
            ),
            occurred_at=proposal.occurred_at,
            schema_version=event_type.schema_version,
            metadata=metadata,
        )

    async def _recorded_before(
        self, groups: Sequence[StreamProposals]
    ) -> list[AppendResult] | None:
        """A rejected proposal may be the retry of one already in the log: answer as before.
        None when none of the ids is recorded; EventIdReused when some are, but not all of
        them with this content."""
        stored, changed = await self._stored(groups)
        if not stored:
            return None
        missing = [p.event_id for g in groups for p in g.proposals if p.event_id not in stored]
        if changed or missing:
            raise EventIdReused(changed + missing)
        return await self._as_recorded(groups, stored)

    async def _as_recorded(
        self, groups: Sequence[StreamProposals], stored: Mapping[UUID, StoredEvent]
    ) -> list[AppendResult]:
        """The receipt of proposals recorded before: each one's events as first recorded, those
        the domain derived from it too, so a retry answers the position it answered then."""
        wanted = [
            uuid5(first.event_id, str(index))
            for first in stored.values()
            for index in range(1, int(first.metadata.get(_DERIVED, 0)) + 1)
        ]
        derived = await self.store.get_events(wanted) if wanted else {}
        results = []
        for group in groups:
            events: list[StoredEvent] = []
            for proposal in group.proposals:
                first = stored[proposal.event_id]
                events.append(first)
                for index in range(1, int(first.metadata.get(_DERIVED, 0)) + 1):
                    events.append(derived[uuid5(first.event_id, str(index))])
            results.append(AppendResult(tuple(events), duplicate=True))
        return results

    async def _stored(
        self, groups: Sequence[StreamProposals]
    ) -> tuple[dict[UUID, StoredEvent], list[UUID]]:
        """The proposals' ids already in the log (once in-flight appends of them are done),
        and those among them recorded with other content."""
        proposals = [(g.stream_id, p) for g in groups for p in g.proposals]
        ids = [p.event_id for _, p in proposals]
        pending = [self._inflight[i] for i in ids if i in self._inflight]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        stored = await self.store.get_events(ids)
        changed = [
            p.event_id
            for stream_id, p in proposals
            if p.event_id in stored
            and not same_content(
                stored[p.event_id],
                stream_id,
                await self._new_event(p, await self._recorded_as(stream_id, p.event), 0),
            )
        ]
        return stored, changed

    async def _recorded_as(self, stream_id: str, event: EventModel) -> EventModel:
        shape = self.decider.recorded_as
        if shape is None:
            return event
        recorded: EventModel = shape(event, (await self._entry(stream_id)).state)
        return recorded

    # -- the cache ---------------------------------------------------------------------------

    async def _entry(self, stream_id: str) -> _Entry[S]:
        entry = self._cache.get(stream_id)
        if entry is not None:
            self._cache.move_to_end(stream_id)
            return entry
        return await self._refresh(stream_id, None)

    async def _refresh(self, stream_id: str, entry: _Entry[S] | None) -> _Entry[S]:
        """Catch the entry up with the log (from scratch without one)."""
        state, version = (
            (self.decider.initial, 0) if entry is None else (entry.state, entry.version)
        )
        events = await self.store.read_stream(stream_id, from_version=version + 1)
        # Their keys in one wait, then the fold without one: a refresh yields to other
        # requests only where it did before it opened personal data.
        datas = await open_many(self.keyring, [stored.data for stored in events])
        for stored, data in zip(events, datas, strict=True):
            event = self.event_types.to_model(stored.type, stored.schema_version, data)
            state = self.decider.evolve(state, identified(event, stored.event_id))
            version = stored.stream_version
        fresh = _Entry(state, version)
        self._remember(stream_id, fresh)
        return fresh

    def _remember(self, stream_id: str, entry: _Entry[S]) -> None:
        self._cache[stream_id] = entry
        self._cache.move_to_end(stream_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def forget_all(self) -> None:
        """Drop every cached state (a subject was erased: states hold what its key opened)."""
        self._cache.clear()

    def _forget(self, streams: Sequence[str]) -> None:
        for stream_id in streams:
            self._cache.pop(stream_id, None)
            self._forgotten[stream_id] = self._forgotten.get(stream_id, 0) + 1

    def _track_inflight(
        self, requests: Sequence[AppendRequest], future: asyncio.Future[list[AppendResult]]
    ) -> None:
        ids = [event.event_id for request in requests for event in request.events]
        for event_id in ids:
            self._inflight[event_id] = future

        def done(_: asyncio.Future[list[AppendResult]]) -> None:
            for event_id in ids:
                if self._inflight.get(event_id) is future:
                    del self._inflight[event_id]

        future.add_done_callback(done)
