"""The pure side of a service: decide what happens, evolve the state from what happened.

A posted event is a proposal: an integration reports a fact from its own system (a booking in
the accounting system), and the service's `decide` checks it against the stream's state before
it becomes part of the log. `decide` returns the events to record (usually the proposal itself;
none when the proposal changes nothing, such as reporting a reached milestone again with the
same date) or raises `Rejected` naming the field and the rule. No I/O, no clock, no uuid
generation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.event_types import EventModel

S = TypeVar("S")
E = TypeVar("E", bound=EventModel)


class Rejected(Exception):
    """A proposal breaks a domain rule. `field` is a dotted path into the event's data."""

    def __init__(
        self, field: str, rule: str, detail: str, *, more: Sequence[Rejected] = ()
    ) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.rule = rule
        self.detail = detail
        self.more = tuple(more)
        """Other rules the same proposal breaks, when the decider names them all."""
        self.pointer = ""
        """Where in the request the proposal was (`/3` for the fourth event of a batch)."""


class Conflict(Rejected):
    """A proposal clashes with what the stream already holds (a milestone reached on another
    date, a point already decided): answered 409, not 422."""


@dataclass(frozen=True)
class Reads(Generic[S, E]):
    """A decision that also reads another stream of the same log: a survey, published in a
    stream of its own, tags its questions with the success factors its project's stream holds.

    `stream(proposal)` names the other stream (None: the proposal reads only its own), and
    `decide` gets `merge(own state, that stream's state)`; what is recorded evolves the own
    state alone. The other stream is read as the log holds it, not locked: a change to it
    committed while the proposal is decided counts as if it came after."""

    stream: Callable[[E], str | None]
    merge: Callable[[S, S], S]
    itself: Callable[[S], S] | None = None
    """What `decide` gets when `stream` names the proposal's own stream, for a decider that
    refuses that (a project carrying networks over from itself); None: the own state."""


@dataclass(frozen=True)
class Decider(Generic[S, E]):
    initial: S
    decide: Callable[[E, S], list[E]]
    evolve: Callable[[S, E], S]
    reads: Reads[S, E] | None = None
    recorded_as: Callable[[E, S], E] | None = None
    """The proposal as `decide` records it, for a domain that records a proposal in another
    shape than it was sent (a survey response's free texts moved to a field of their own): a
    retry under a recorded event id is compared with that. None: recorded as proposed."""

    def fold(self, events: Iterable[E], state: S | None = None) -> S:
        current = self.initial if state is None else state
        for event in events:
            current = self.evolve(current, event)
        return current
