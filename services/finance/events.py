"""Finance events. Money is a decimal string in JSON and integer øre in Python (`Amount`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints

from shared.event_types import EventModel, EventType, EventTypes
from shared.money import Amount
from shared.privacy.personal import Personal
from shared.quantity import Quantity
from shared.text import LongText, Text, Translations, translations

Slug = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
]


class BudgetLine(EventModel):
    id: Slug
    name: Text
    names: Translations = translations()
    """The name in other languages than the plan's (`{"en": ...}`)."""
    amount: Amount


def _empty(value: object) -> bool:
    return not value


class InKindRules(EventModel):
    """The plan's rules for documented in-kind work: which activities it may be recorded on,
    the highest hourly rate (per role, else the default) and the most hours a person may
    record for one day."""

    activities: list[Slug] = Field(min_length=1, max_length=100)
    default_rate_ceiling: Amount
    rate_ceilings: dict[Text, Amount] = Field(default_factory=dict, max_length=100)
    """The ceiling per role (as `role` names it), where it differs from the default."""
    max_hours_per_day: Quantity
    attesters: dict[Text, Text] = Field(default_factory=dict, max_length=100, exclude_if=_empty)
    """Who attests each municipality's entries (the municipality's member of the project
    group); a municipality not named here may be attested by anyone named. Left out of the
    data when empty, so rules recorded before attestation serialise as recorded."""


def _no_rules(value: object) -> bool:
    return value is None


class BudgetApproved(EventModel):
    """The cost budget and the frame, as approved at the start decision."""

    project_name: Text
    currency: Literal["NOK"] = "NOK"
    period_start: date
    period_end: date
    frame: Amount
    """The whole frame, money and documented in-kind work together."""
    in_kind: Amount
    """The part of the frame that is documented municipal in-kind work."""
    lines: list[BudgetLine] = Field(min_length=1, max_length=100)
    approved_on: date
    decision_ref: Text | None = None
    municipalities: list[Text] = Field(default_factory=list, max_length=100, exclude_if=_empty)
    """The project's municipalities: the only ones that may record in-kind work (when the
    budget carries `in_kind_rules`)."""
    in_kind_rules: InKindRules | None = Field(default=None, exclude_if=_no_rules)
    """The plan's rules for in-kind work; none for a budget approved before plans had them,
    whose in-kind work is checked only for positive hours and rate and the period. Both are
    left out of the event's data when absent, so older events serialise as recorded."""

    def business_date(self) -> date:
        return self.approved_on


class FundingSource(EventModel):
    id: Slug
    name: Text
    names: Translations = translations()
    """The name in other languages than the plan's (`{"en": ...}`)."""
    kind: Literal["grant", "in_kind", "own_funds", "loan", "other"]
    amount: Amount


class FinancingPlanned(EventModel):
    """Where the frame's money comes from. A later plan replaces the earlier one."""

    sources: list[FundingSource] = Field(min_length=1, max_length=50)
    planned_on: date

    def business_date(self) -> date:
        return self.planned_on


class CostBooked(EventModel):
    booking_id: Text
    """The accounting system's own reference for the booking; unique within the project."""
    line: Slug
    amount: Amount
    booking_date: date
    voucher: Text
    supplier: Text | None = None
    text: LongText | None = None

    def business_date(self) -> date:
        return self.booking_date


class CostReversed(EventModel):
    """Undoes a booking, whole or in part (events are never edited)."""

    booking_id: Text
    amount: Amount
    reversal_date: date
    reason: Text
    voucher: Text | None = None

    def business_date(self) -> date:
        return self.reversal_date


class InKindHoursRecorded(EventModel):
    """Documented municipal work: who, where, when, how long, at what rate, for what.
    Its value is hours × rate, fixed by the rate recorded here."""

    municipality: Text
    person: Text
    role: Text | None = None
    activity: Slug
    work_date: date
    hours: Quantity
    hourly_rate: Amount
    description: LongText | None = None

    def business_date(self) -> date:
        return self.work_date


class InKindCorrected(EventModel):
    """Corrects a recorded in-kind entry: the fields given replace the entry's, the others
    stay. The entry is the id of the event that recorded it; that event stays in the log."""

    entry: UUID
    hours: Quantity | None = None
    hourly_rate: Amount | None = None
    activity: Slug | None = None
    work_date: date | None = None
    reason: Text
    corrected_on: date

    def business_date(self) -> date:
        return self.corrected_on


class InKindWithdrawn(EventModel):
    """Withdraws a recorded in-kind entry (recorded in error, or not accepted): it is worth
    nothing from now on, and the event that recorded it stays in the log."""

    entry: UUID
    reason: Text
    withdrawn_on: date

    def business_date(self) -> date:
        return self.withdrawn_on


class InKindAttested(EventModel):
    """A municipality's contact attests ("attesterer") its in-kind entries with work dates in
    a period: every entry of it that stands unattested when this is recorded. An entry
    corrected afterwards is unattested again."""

    municipality: Text
    period_start: date
    period_end: date
    attested_by: Text
    attested_on: date

    def business_date(self) -> date:
        return self.attested_on


class FundingReceived(EventModel):
    source: Slug
    amount: Amount
    received_date: date
    reference: Text | None = None

    def business_date(self) -> date:
        return self.received_date


class FundingRepaid(EventModel):
    """Money paid back to a funding source (an unspent grant, a payment received in error):
    it no longer counts as received."""

    source: Slug
    amount: Amount
    repaid_date: date
    reference: Text
    """The payment's reference (bank or voucher), so the funder can find it."""
    reason: Text

    def business_date(self) -> date:
        return self.repaid_date


class LineChange(EventModel):
    line: Slug
    delta: Amount
    """Signed: money moved into (+) or out of (-) the line."""
    name: Text | None = None
    """Required when the revision opens a new line."""
    names: Translations = translations()
    """A new line's name in other languages."""


class BudgetRevised(EventModel):
    """A steering-group decision moving money between lines; the frame changes only when
    `frame_delta` says so."""

    decision_ref: Text
    reason: Text
    revised_on: date
    changes: list[LineChange] = Field(default_factory=list, max_length=100)
    in_kind_delta: Amount = 0
    frame_delta: Amount = 0
    in_kind_rules: InKindRules | None = Field(default=None, exclude_if=_no_rules)
    """New rules for in-kind work, replacing the approved ones (for entries recorded from
    then on); none when the revision leaves them as they are."""
    municipalities: list[Text] | None = Field(default=None, max_length=100, exclude_if=_no_rules)
    """The project's municipalities, replacing the approved list; none to keep it."""

    def business_date(self) -> date:
        return self.revised_on


FinanceEvent = (
    BudgetApproved
    | FinancingPlanned
    | CostBooked
    | CostReversed
    | InKindHoursRecorded
    | InKindCorrected
    | InKindWithdrawn
    | InKindAttested
    | FundingReceived
    | FundingRepaid
    | BudgetRevised
)

EVENT_TYPES = EventTypes(
    "finance",
    [
        EventType(
            "BudgetApproved",
            BudgetApproved,
            category="budget",
            personal=(Personal("in_kind_rules.attesters{}", "person"),),
        ),
        EventType(
            "BudgetRevised",
            BudgetRevised,
            category="budget",
            personal=(Personal("in_kind_rules.attesters{}", "person"),),
        ),
        EventType("FinancingPlanned", FinancingPlanned, category="funding"),
        EventType("FundingReceived", FundingReceived, category="funding"),
        EventType("FundingRepaid", FundingRepaid, category="funding"),
        EventType("CostBooked", CostBooked, category="cost"),
        EventType("CostReversed", CostReversed, category="cost"),
        EventType(
            "InKindHoursRecorded",
            InKindHoursRecorded,
            category="inkind",
            personal=(
                Personal("person", "person"),
                Personal("description", "person", by="person"),
            ),
        ),
        EventType("InKindCorrected", InKindCorrected, category="inkind"),
        EventType("InKindWithdrawn", InKindWithdrawn, category="inkind"),
        EventType(
            "InKindAttested",
            InKindAttested,
            category="inkind",
            personal=(Personal("attested_by", "person"),),
        ),
    ],
)
