"""Every finance rule as given / when / then, on the pure decider."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.finance.domain import DECIDER, in_kind_value
from services.finance.events import (
    BudgetApproved,
    BudgetLine,
    BudgetRevised,
    CostBooked,
    CostReversed,
    FinancingPlanned,
    FundingReceived,
    FundingSource,
    InKindHoursRecorded,
    InKindRules,
    LineChange,
)
from shared.testing.deciders import given

APPROVED = BudgetApproved(
    project_name="Networks as a way of working",
    period_start=date(2010, 2, 1),
    period_end=date(2010, 12, 31),
    frame="440000.00",
    in_kind="200000.00",
    lines=[
        BudgetLine(id="external-expertise", name="External expertise", amount="50000.00"),
        BudgetLine(id="project-management", name="Project management", amount="120000.00"),
        BudgetLine(id="process-costs", name="Other process costs", amount="50000.00"),
        BudgetLine(id="contingency", name="Miscellaneous and contingency", amount="20000.00"),
    ],
    approved_on=date(2010, 2, 1),
)
FINANCED = FinancingPlanned(
    sources=[
        FundingSource(id="grant", name="Discretionary grant", kind="grant", amount="240000.00"),
        FundingSource(id="in-kind", name="Municipal in-kind", kind="in_kind", amount="200000.00"),
    ],
    planned_on=date(2010, 2, 1),
)


def booking(
    booking_id: str = "B1", amount: str = "12500.00", line: str = "external-expertise"
) -> CostBooked:
    return CostBooked(
        booking_id=booking_id,
        line=line,
        amount=amount,
        booking_date=date(2010, 3, 15),
        voucher="V-1",
    )


def reversal(amount: str, booking_id: str = "B1") -> CostReversed:
    return CostReversed(
        booking_id=booking_id, amount=amount, reversal_date=date(2010, 4, 1), reason="wrong line"
    )


def test_an_approved_budget_that_adds_up_is_recorded() -> None:
    given(DECIDER).when(APPROVED).then(APPROVED)


def test_a_frame_that_does_not_add_up_is_rejected() -> None:
    wrong = APPROVED.model_copy(update={"frame": 43_000_000})
    rejected = given(DECIDER).when(wrong).then_rejected("frame", "adds_up")
    assert "440000.00" not in rejected.detail
    assert "240000.00" in rejected.detail


def test_the_budget_is_approved_once() -> None:
    given(DECIDER, APPROVED).when(APPROVED).then_rejected("approved_on", "once")


def test_a_period_ending_before_it_starts_is_rejected() -> None:
    wrong = APPROVED.model_copy(update={"period_end": date(2010, 1, 1)})
    given(DECIDER).when(wrong).then_rejected("period_end", "after_start")


def test_duplicate_line_ids_are_rejected() -> None:
    line = APPROVED.lines[0]
    wrong = APPROVED.model_copy(update={"lines": [line, line], "frame": 30_000_000})
    given(DECIDER).when(wrong).then_rejected("lines.1.id", "unique")


def test_financing_must_match_the_frame() -> None:
    given(DECIDER, APPROVED).when(FINANCED).then(FINANCED)
    short = FINANCED.model_copy(update={"sources": FINANCED.sources[:1]})
    given(DECIDER, APPROVED).when(short).then_rejected("sources", "adds_up")


def test_a_booking_on_a_known_line_is_recorded() -> None:
    given(DECIDER, APPROVED).when(booking()).then(booking())


def test_a_booking_before_any_budget_is_rejected() -> None:
    given(DECIDER).when(booking()).then_rejected("line", "budget_approved")


def test_a_booking_on_an_unknown_line_is_rejected() -> None:
    rejected = (
        given(DECIDER, APPROVED).when(booking(line="catering")).then_rejected("line", "known_line")
    )
    assert "external-expertise" in rejected.detail


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_a_booking_must_be_positive(amount: str) -> None:
    given(DECIDER, APPROVED).when(booking(amount=amount)).then_rejected("amount", "positive")


def test_a_booking_id_is_used_once() -> None:
    given(DECIDER, APPROVED, booking()).when(booking(amount="1.00")).then_rejected(
        "booking_id", "unique"
    )


def test_a_booking_outside_the_period_is_accepted() -> None:
    late = booking().model_copy(update={"booking_date": date(2011, 2, 1)})
    given(DECIDER, APPROVED).when(late).then(late)


def test_a_partial_then_a_full_reversal_are_accepted() -> None:
    given(DECIDER, APPROVED, booking()).when(reversal("2500.00")).then(reversal("2500.00"))
    given(DECIDER, APPROVED, booking(), reversal("2500.00")).when(reversal("10000.00")).then(
        reversal("10000.00")
    )


def test_a_reversal_above_what_remains_is_rejected() -> None:
    rejected = (
        given(DECIDER, APPROVED, booking(), reversal("2500.00"))
        .when(reversal("10000.01"))
        .then_rejected("amount", "within_remaining")
    )
    assert "10000.00" in rejected.detail


def test_a_reversal_of_an_unknown_booking_is_rejected() -> None:
    given(DECIDER, APPROVED).when(reversal("1.00", booking_id="nope")).then_rejected(
        "booking_id", "known_booking"
    )


def test_a_reversal_must_be_positive() -> None:
    given(DECIDER, APPROVED, booking()).when(reversal("0.00")).then_rejected("amount", "positive")


def hours(amount: str = "7.5", rate: str = "550.00") -> InKindHoursRecorded:
    return InKindHoursRecorded(
        municipality="Kongsberg",
        person="Kari Nordmann",
        role="project group",
        activity="mapping",
        work_date=date(2010, 3, 2),
        hours=amount,
        hourly_rate=rate,
    )


def test_in_kind_hours_are_recorded_and_valued_at_the_given_rate() -> None:
    given(DECIDER, APPROVED).when(hours()).then(hours())
    assert in_kind_value(Decimal("7.5"), 55_000) == 412_500
    assert in_kind_value(Decimal("0.333"), 100) == 33  # rounds half up to the øre


def test_in_kind_hours_need_a_budget_and_positive_figures() -> None:
    given(DECIDER).when(hours()).then_rejected("municipality", "budget_approved")
    given(DECIDER, APPROVED).when(hours(amount="0")).then_rejected("hours", "positive")
    given(DECIDER, APPROVED).when(hours(rate="0.00")).then_rejected("hourly_rate", "positive")


RULED = APPROVED.model_copy(
    update={
        "municipalities": ["Kongsberg", "Rollag"],
        "in_kind_rules": InKindRules(
            activities=["mapping", "test-school", "follow-up"],
            default_rate_ceiling="700.00",
            rate_ceilings={"Rådgiver": "600.00"},
            max_hours_per_day="12",
        ),
    }
)


def entry(**changes: object) -> InKindHoursRecorded:
    return hours().model_copy(update=changes)


def test_in_kind_hours_keeping_the_plans_rules_are_recorded() -> None:
    given(DECIDER, RULED).when(hours(rate="700.00")).then(hours(rate="700.00"))
    given(DECIDER, RULED).when(entry(hours=Decimal(12))).then(entry(hours=Decimal(12)))
    given(DECIDER, RULED).when(entry(work_date=date(2010, 12, 31))).then(
        entry(work_date=date(2010, 12, 31))
    )


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"municipality": "Oslo"}, "municipality", "known_municipality"),
        ({"activity": "no-such-activity"}, "activity", "in_kind_activity"),
        ({"activity": "design-school"}, "activity", "in_kind_activity"),
        ({"hourly_rate": 70_001}, "hourly_rate", "rate_ceiling"),
        ({"role": "Rådgiver", "hourly_rate": 60_001}, "hourly_rate", "rate_ceiling"),
        ({"work_date": date(2010, 1, 31)}, "work_date", "within_period"),
        ({"work_date": date(2011, 1, 1)}, "work_date", "within_period"),
        ({"hours": Decimal("12.25")}, "hours", "hours_per_day"),
    ],
)
def test_in_kind_hours_breaking_a_plan_rule_are_rejected(
    changes: dict[str, object], field: str, rule: str
) -> None:
    rejected = given(DECIDER, RULED).when(entry(**changes)).then_rejected(field, rule)
    assert rejected.more == ()


def test_a_role_ceiling_may_be_below_or_above_the_default() -> None:
    given(DECIDER, RULED).when(entry(role="Rådgiver", hourly_rate=60_000)).then(
        entry(role="Rådgiver", hourly_rate=60_000)
    )
    given(DECIDER, RULED).when(entry(role=None, hourly_rate=70_001)).then_rejected(
        "hourly_rate", "rate_ceiling"
    )


def test_a_persons_hours_per_day_add_up_across_entries() -> None:
    eight = entry(hours=Decimal(8))
    given(DECIDER, RULED, eight).when(entry(hours=Decimal(4))).then(entry(hours=Decimal(4)))
    rejected = (
        given(DECIDER, RULED, eight)
        .when(entry(hours=Decimal("4.5"), activity="follow-up"))
        .then_rejected("hours", "hours_per_day")
    )
    assert "12.5 hours on 2010-03-02 (8 recorded already)" in rejected.detail
    other_day = entry(hours=Decimal(8), work_date=date(2010, 3, 3))
    given(DECIDER, RULED, eight).when(other_day).then(other_day)
    other_person = entry(hours=Decimal(8), person="Ola Nordmann")
    given(DECIDER, RULED, eight).when(other_person).then(other_person)


def test_every_broken_in_kind_rule_is_named() -> None:
    example = entry(municipality="Oslo", activity="no-such-activity", hourly_rate=999_900)
    rejected = (
        given(DECIDER, RULED).when(example).then_rejected("municipality", "known_municipality")
    )
    assert [(r.field, r.rule) for r in rejected.more] == [
        ("activity", "in_kind_activity"),
        ("hourly_rate", "rate_ceiling"),
    ]


def test_a_budget_without_rules_checks_in_kind_only_for_the_period() -> None:
    example = entry(municipality="Oslo", activity="no-such-activity", hourly_rate=999_900)
    given(DECIDER, APPROVED).when(example).then(example)
    given(DECIDER, APPROVED).when(entry(hours=Decimal(24))).then(entry(hours=Decimal(24)))
    given(DECIDER, APPROVED).when(entry(work_date=date(2011, 1, 1))).then_rejected(
        "work_date", "within_period"
    )


def test_a_budget_without_rules_is_stored_as_before() -> None:
    """The new fields are left out when absent, so older events keep their stored form."""
    assert "municipalities" not in APPROVED.model_dump(mode="json")
    assert "in_kind_rules" not in APPROVED.model_dump(mode="json")
    dumped = RULED.model_dump(mode="json")
    assert dumped["municipalities"] == ["Kongsberg", "Rollag"]
    assert dumped["in_kind_rules"]["max_hours_per_day"] == "12"
    assert BudgetApproved.model_validate(dumped) == RULED


def received(source: str = "grant", amount: str = "120000.00") -> FundingReceived:
    return FundingReceived(source=source, amount=amount, received_date=date(2010, 3, 1))


def test_funding_from_a_planned_source_is_recorded() -> None:
    given(DECIDER, APPROVED, FINANCED).when(received()).then(received())


def test_funding_from_an_unknown_source_is_rejected() -> None:
    given(DECIDER, APPROVED, FINANCED).when(received("lottery")).then_rejected(
        "source", "known_source"
    )
    given(DECIDER, APPROVED, FINANCED).when(received(amount="0.00")).then_rejected(
        "amount", "positive"
    )


def revision(*changes: LineChange, frame_delta: str = "0.00") -> BudgetRevised:
    return BudgetRevised(
        decision_ref="SG-2010-09",
        reason="more expertise for the school design",
        revised_on=date(2010, 9, 15),
        changes=list(changes),
        frame_delta=frame_delta,
    )


def test_a_revision_moving_money_between_lines_is_recorded() -> None:
    move = revision(
        LineChange(line="contingency", delta="-10000.00"),
        LineChange(line="external-expertise", delta="10000.00"),
    )
    given(DECIDER, APPROVED).when(move).then(move)
    state = DECIDER.fold([APPROVED, move])
    assert state.lines["external-expertise"] == 6_000_000
    assert state.frame == 44_000_000


def test_a_revision_changes_the_frame_only_when_it_says_so() -> None:
    more = revision(LineChange(line="external-expertise", delta="10000.00"))
    given(DECIDER, APPROVED).when(more).then_rejected("frame_delta", "adds_up")
    said = revision(LineChange(line="external-expertise", delta="10000.00"), frame_delta="10000.00")
    given(DECIDER, APPROVED).when(said).then(said)
    assert DECIDER.fold([APPROVED, said]).frame == 45_000_000


def test_a_revision_may_open_a_named_line_but_not_empty_one() -> None:
    unnamed = revision(
        LineChange(line="travel", delta="5000.00"), LineChange(line="contingency", delta="-5000.00")
    )
    given(DECIDER, APPROVED).when(unnamed).then_rejected("changes.0.name", "required")
    named = revision(
        LineChange(line="travel", delta="5000.00", name="Travel"),
        LineChange(line="contingency", delta="-5000.00"),
    )
    given(DECIDER, APPROVED).when(named).then(named)
    drained = revision(
        LineChange(line="contingency", delta="-30000.00"),
        LineChange(line="external-expertise", delta="30000.00"),
    )
    given(DECIDER, APPROVED).when(drained).then_rejected("changes.0.delta", "not_negative")


def test_an_empty_revision_or_one_before_approval_is_rejected() -> None:
    given(DECIDER, APPROVED).when(revision()).then_rejected("changes", "not_empty")
    given(DECIDER).when(revision()).then_rejected("changes", "budget_approved")
