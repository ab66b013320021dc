"""Given / when / then for deciders: given past events, when a proposal, then events or a
rejection. Pure: no store, no clock.

    given(DECIDER, approved).when(booking).then(booking)
    given(DECIDER).when(booking).then_rejected("line", "budget_approved")
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.decider import Decider, Rejected
from shared.event_types import EventModel

S = TypeVar("S")


@dataclass(frozen=True)
class Given(Generic[S]):
    decider: Decider[S, Any]
    history: Sequence[EventModel]

    def when(self, proposal: EventModel) -> Then:
        state = self.decider.fold(self.history)
        try:
            return Then(events=self.decider.decide(proposal, state), rejected=None)
        except Rejected as rejected:
            return Then(events=None, rejected=rejected)


@dataclass(frozen=True)
class Then:
    events: list[EventModel] | None
    rejected: Rejected | None

    def then(self, *expected: EventModel) -> None:
        assert self.rejected is None, f"expected events, got rejected: {self.rejected}"
        assert self.events == list(expected)

    def then_rejected(self, field: str, rule: str) -> Rejected:
        assert self.rejected is not None, f"expected a rejection, got {self.events}"
        assert (self.rejected.field, self.rejected.rule) == (field, rule), (
            f"rejected on {self.rejected.field}/{self.rejected.rule}: {self.rejected.detail}"
        )
        return self.rejected


def given(decider: Decider[S, Any], *history: EventModel) -> Given[S]:
    return Given(decider, history)
