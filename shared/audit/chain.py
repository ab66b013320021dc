"""Walk a log in position order and say where it is damaged first, and how.

Every event's hash covers its predecessor's hash and its own canonical form, position included.
So damage leaves marks that tell its kind apart:

- *deleted*: a position is missing (or, if later rows were renumbered to close the gap, a row
  whose hash only matches a later position);
- *inserted*: a row whose hash matches no position, with the rows after it renumbered by one;
  or a forged row that chains properly, after which the real rows only match earlier positions;
- *reordered*: a row whose hash matches another position, whose row in turn matches this one;
- *edited*: a row whose content no longer matches its hash; or a row altered and re-hashed in
  place, which the next row's link exposes.

A consistent rewrite of everything from some row on (every hash recomputed) leaves no mark in
the chain itself: only a signed checkpoint taken before it shows it (`shared.audit.signing`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Literal

from shared.store.base import GENESIS_HASH, StoredEvent
from shared.store.hashing import recomputed_hash

DamageKind = Literal["deleted", "inserted", "reordered", "edited"]
LOOKAHEAD = 64
"""Rows read past the first bad one to tell what happened (a swap must lie within it)."""


@dataclass(frozen=True, slots=True)
class Damage:
    position: int
    """The first position that is not as it was appended."""
    kind: DamageKind
    detail: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    """Events that verified before the first damage (all of them when there is none)."""
    head_position: int
    head_hash: bytes
    """The last verified event's position and hash."""
    damage: Damage | None = None

    @property
    def ok(self) -> bool:
        return self.damage is None

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head_position": self.head_position,
            "head_hash": self.head_hash.hex(),
            "damage": None
            if self.damage is None
            else {
                "position": self.damage.position,
                "kind": self.damage.kind,
                "detail": self.damage.detail,
            },
        }


Progress = Callable[[int], None]


async def verify_chain(
    events: AsyncIterable[StoredEvent],
    *,
    start_position: int = 1,
    start_prev_hash: bytes = GENESIS_HASH,
    progress: Progress | None = None,
) -> ChainReport:
    """Check gap-free positions and every link and hash; stop at the first damage."""
    expected, prev_hash, checked = start_position, start_prev_hash, 0
    # The hashes of the last rows verified: damage can begin before the row that shows it.
    recent: deque[tuple[int, bytes]] = deque([(start_position - 1, start_prev_hash)], LOOKAHEAD + 2)
    iterator = aiter(events)
    async for event in iterator:
        if (
            event.position != expected
            or event.prev_hash != prev_hash
            or recomputed_hash(event) != event.hash
        ):
            following = await _take(iterator, LOOKAHEAD)
            damage = _classify(expected, prev_hash, event, following)
            sound = dict(recent)
            head = sound.get(damage.position - 1, prev_hash)
            return ChainReport(damage.position - start_position, damage.position - 1, head, damage)
        checked += 1
        expected, prev_hash = event.position + 1, event.hash
        recent.append((event.position, event.hash))
        if progress is not None and checked % 10_000 == 0:
            progress(checked)
    if progress is not None:
        progress(checked)
    return ChainReport(checked, expected - 1, prev_hash)


async def _take(iterator: AsyncIterator[StoredEvent], count: int) -> list[StoredEvent]:
    taken: list[StoredEvent] = []
    async for event in iterator:
        taken.append(event)
        if len(taken) == count:
            break
    return taken


def original_position(event: StoredEvent, window: int = LOOKAHEAD) -> int | None:
    """The position the event's hash was computed for, searched near where it sits now."""
    if recomputed_hash(event) == event.hash:
        return event.position
    for distance in range(1, window + 1):
        for candidate in (event.position - distance, event.position + distance):
            if candidate >= 1 and recomputed_hash(replace(event, position=candidate)) == event.hash:
                return candidate
    return None


def _classify(
    expected: int, prev_hash: bytes, bad: StoredEvent, following: list[StoredEvent]
) -> Damage:
    if bad.position > expected:
        missing = bad.position - expected
        span = f"{expected}" if missing == 1 else f"{expected}-{bad.position - 1}"
        return Damage(expected, "deleted", f"position {span} is missing ({missing} event(s))")
    origin = original_position(bad)
    if origin is None:
        nxt = following[0] if following else None
        if (
            nxt is not None
            and nxt.prev_hash == prev_hash
            and original_position(nxt) == bad.position
        ):
            return Damage(
                bad.position,
                "inserted",
                f"the row at {bad.position} was never appended; the rows after it were moved "
                "one position on",
            )
        return Damage(
            bad.position, "edited", f"the row at {bad.position} no longer matches its hash"
        )
    if origin == bad.position:
        # Self-consistent, yet not linked to its predecessor: the predecessor was altered and
        # re-hashed in place.
        return Damage(
            bad.position - 1,
            "edited",
            f"the row at {bad.position - 1} was altered and its hash recomputed: the row at "
            f"{bad.position} no longer links to it",
        )
    if origin < bad.position:
        count = bad.position - origin
        return Damage(
            origin,
            "inserted",
            f"{count} row(s) were inserted at {origin}; the row appended at {origin} now sits at "
            f"{bad.position}",
        )
    partner = next((row for row in following if row.position == origin), None)
    if partner is not None and original_position(partner) == bad.position:
        return Damage(
            bad.position,
            "reordered",
            f"the rows at {bad.position} and {origin} have traded places",
        )
    return Damage(
        bad.position,
        "deleted",
        f"{origin - bad.position} event(s) were deleted at {bad.position} and the rows after "
        "renumbered to close the gap",
    )
