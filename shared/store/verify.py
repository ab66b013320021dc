"""Check a log (or a slice of it) for gaps and breaks in the hash chain."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass

from shared.store.base import GENESIS_HASH, StoredEvent
from shared.store.hashing import event_hash


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    head_position: int
    head_hash: bytes
    first_bad_position: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


async def verify_chain(
    events: AsyncIterable[StoredEvent],
    *,
    start_position: int = 1,
    start_prev_hash: bytes = GENESIS_HASH,
) -> ChainReport:
    """Walk events in position order; stop at the first gap, broken link or altered event."""
    expected_position, prev_hash, checked = start_position, start_prev_hash, 0
    async for event in events:
        problem = None
        if event.position != expected_position:
            problem = f"position {expected_position} expected, found {event.position}"
        elif event.prev_hash != prev_hash:
            problem = "prev_hash does not match the previous event's hash"
        elif event_hash(event) != event.hash:
            problem = "hash does not match the event's content"
        if problem:
            return ChainReport(
                checked, expected_position - 1, prev_hash, expected_position, problem
            )
        checked += 1
        expected_position, prev_hash = event.position + 1, event.hash
    return ChainReport(checked, expected_position - 1, prev_hash)
