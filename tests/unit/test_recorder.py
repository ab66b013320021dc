"""The recorder over the in-memory store: decisions against cached state stay correct when the
cache is stale, proposals for one stream share commits, retries stay idempotent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import pytest

from services.finance.domain import DECIDER, ProjectFinance
from services.finance.events import EVENT_TYPES, CostBooked, CostReversed
from services.registry.domain import DECIDER as REGISTRY
from services.registry.domain import Registry
from services.registry.events import EVENT_TYPES as REGISTRY_TYPES
from shared.decider import Rejected
from shared.event_types import EventModel
from shared.recorder import Proposal, Recorder, StreamProposals
from shared.store import EventIdReused, WrongExpectedVersion
from shared.store.memory import InMemoryEventStore
from tests.unit.test_finance_domain import APPROVED
from tests.unit.test_registry_domain import MAPPING, carry

WHEN = datetime(2010, 3, 1, tzinfo=UTC)
PROJECT = "p"


def proposal(event: EventModel, event_id: uuid.UUID | None = None) -> Proposal:
    return Proposal(event=event, event_id=event_id or uuid.uuid4(), occurred_at=WHEN)


def group(*proposals: Proposal, expected: int | None = None) -> list[StreamProposals]:
    return [StreamProposals(PROJECT, proposals, expected)]


def booking(n: int, amount: str = "10.00") -> CostBooked:
    return CostBooked(
        booking_id=f"B{n}",
        line="contingency",
        amount=amount,
        booking_date=date(2010, 3, 1),
        voucher="v",
    )


@pytest.fixture
async def recorder() -> Recorder[ProjectFinance]:
    recorder: Recorder[ProjectFinance] = Recorder(InMemoryEventStore(), EVENT_TYPES, DECIDER)
    await recorder.record(group(proposal(APPROVED)))
    return recorder


async def test_concurrent_proposals_for_one_stream_all_land_in_order(
    recorder: Recorder[ProjectFinance],
) -> None:
    results = await asyncio.gather(
        *(recorder.record(group(proposal(booking(n)))) for n in range(50))
    )
    assert sorted(r.events[0].stream_version for [r] in results) == list(range(2, 52))
    state, version = await recorder.state(PROJECT)
    assert version == 51
    assert len(state.bookings) == 50


async def test_a_rule_is_enforced_across_pending_proposals(
    recorder: Recorder[ProjectFinance],
) -> None:
    await recorder.record(group(proposal(booking(1, "100.00"))))
    reversal = CostReversed(
        booking_id="B1", amount="60.00", reversal_date=date(2010, 4, 1), reason="r"
    )
    outcomes = await asyncio.gather(
        recorder.record(group(proposal(reversal))),
        recorder.record(group(proposal(reversal))),
        return_exceptions=True,
    )
    assert sum(isinstance(o, Rejected) for o in outcomes) == 1


async def test_a_stale_cache_is_caught_by_the_version_and_decided_again() -> None:
    store = InMemoryEventStore()
    first: Recorder[ProjectFinance] = Recorder(store, EVENT_TYPES, DECIDER)
    second: Recorder[ProjectFinance] = Recorder(store, EVENT_TYPES, DECIDER)  # another replica
    await first.record(group(proposal(APPROVED)))
    await second.record(group(proposal(booking(1, "100.00"))))  # second caches version 2
    await first.record(group(proposal(booking(2))))  # first moves the stream to 3
    reversal = CostReversed(
        booking_id="B2", amount="10.00", reversal_date=date(2010, 4, 1), reason="r"
    )
    # second's cache does not know B2: it must look again before saying no
    [result] = await second.record(group(proposal(reversal)))
    assert result.events[0].stream_version == 4


async def test_an_explicit_expected_version_is_not_retried(
    recorder: Recorder[ProjectFinance],
) -> None:
    await recorder.record(group(proposal(booking(1))))
    with pytest.raises(WrongExpectedVersion) as raised:
        await recorder.record(group(proposal(booking(2)), expected=1))
    assert raised.value.current == 2


async def test_a_retry_of_a_now_impossible_proposal_answers_as_before(
    recorder: Recorder[ProjectFinance],
) -> None:
    await recorder.record(group(proposal(booking(1, "100.00"))))
    reversal = proposal(
        CostReversed(booking_id="B1", amount="100.00", reversal_date=date(2010, 4, 1), reason="r")
    )
    [first] = await recorder.record(group(reversal))
    [again] = await recorder.record(group(reversal))
    assert again.duplicate
    assert again.events == first.events
    changed = Proposal(
        CostReversed(booking_id="B1", amount="50.00", reversal_date=date(2010, 4, 1), reason="r"),
        reversal.event_id,
        WHEN,
    )
    with pytest.raises(EventIdReused):
        await recorder.record(group(changed))


async def test_a_rejection_names_where_the_proposal_was(recorder: Recorder[ProjectFinance]) -> None:
    bad = Proposal(booking(9, "0.00"), uuid.uuid4(), WHEN, pointer="/3")
    with pytest.raises(Rejected) as raised:
        await recorder.record(group(proposal(booking(8)), bad))
    assert (raised.value.pointer, raised.value.field) == ("/3", "amount")
    _, version = await recorder.state(PROJECT)
    assert version == 1, "a rejected batch records nothing"


async def test_a_retry_answers_with_the_events_derived_from_the_proposal_too() -> None:
    recorder: Recorder[Registry] = Recorder(InMemoryEventStore(), REGISTRY_TYPES, REGISTRY)
    mapping = [proposal(event) for event in MAPPING]
    await recorder.record([StreamProposals("pre", mapping)])
    carry_over = proposal(carry())
    [first] = await recorder.record([StreamProposals("post", [carry_over])])
    assert [e.type for e in first.events] == ["NetworksCarriedOver", *["NetworkCarriedIn"] * 2]
    assert [e.event_id for e in first.events[1:]] == [
        uuid.uuid5(carry_over.event_id, str(n)) for n in (1, 2)
    ]
    # Decided again, the networks are in the register already: the retry answers as before.
    [again] = await recorder.record([StreamProposals("post", [carry_over])])
    assert again.duplicate
    assert again.events == first.events
    _, version = await recorder.state("post")
    assert version == 3
    other = Proposal(carry("ikt"), carry_over.event_id, WHEN)
    with pytest.raises(EventIdReused):
        await recorder.record([StreamProposals("post", [other])])
