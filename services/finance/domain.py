"""Finance rules, as pure functions: `decide` checks a proposed event against the project's
state, `evolve` folds a recorded event into it. One stream per project."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from immutables import Map

from services.finance.events import (
    BudgetApproved,
    BudgetRevised,
    CostBooked,
    CostReversed,
    FinanceEvent,
    FinancingPlanned,
    FundingReceived,
    InKindHoursRecorded,
    InKindRules,
)
from shared.decider import Decider, Rejected
from shared.money import format_ore


@dataclass(frozen=True, slots=True)
class ProjectFinance:
    approved: bool = False
    period_start: date | None = None
    period_end: date | None = None
    frame: int = 0
    in_kind_budget: int = 0
    lines: Map[str, int] = field(default_factory=Map)
    """Budget per line, in øre."""
    sources: Map[str, int] = field(default_factory=Map)
    """Planned funding per source, in øre."""
    bookings: Map[str, int] = field(default_factory=Map)
    """What remains of each booking after reversals, in øre."""
    municipalities: frozenset[str] = frozenset()
    """The plan's municipalities (checked only when `in_kind_rules` is set)."""
    in_kind_rules: InKindRules | None = None
    """The plan's rules for in-kind work; None for a budget approved without them."""
    hours_per_day: Map[tuple[str, date], Decimal] = field(default_factory=Map)
    """In-kind hours recorded per (person, work date)."""


def decide(proposal: FinanceEvent, state: ProjectFinance) -> list[FinanceEvent]:
    match proposal:
        case BudgetApproved():
            _check_approval(proposal, state)
        case FinancingPlanned():
            _check_financing(proposal, state)
        case CostBooked():
            _require_budget(state, "line")
            _known(proposal.line, state.lines, "line", "known_line", "budget line")
            _positive(proposal.amount, "amount")
            if proposal.booking_id in state.bookings:
                raise Rejected("booking_id", "unique", f"booking {proposal.booking_id!r} exists")
        case CostReversed():
            _known(proposal.booking_id, state.bookings, "booking_id", "known_booking", "booking")
            _positive(proposal.amount, "amount")
            remaining = state.bookings[proposal.booking_id]
            if proposal.amount > remaining:
                raise Rejected(
                    "amount",
                    "within_remaining",
                    f"reverses {format_ore(proposal.amount)} but only {format_ore(remaining)} "
                    f"of booking {proposal.booking_id!r} remains",
                )
        case InKindHoursRecorded():
            _require_budget(state, "municipality")
            _positive(proposal.hours, "hours")
            _positive(proposal.hourly_rate, "hourly_rate")
            _check_in_kind(proposal, state)
        case FundingReceived():
            _known(proposal.source, state.sources, "source", "known_source", "funding source")
            _positive(proposal.amount, "amount")
        case BudgetRevised():
            _check_revision(proposal, state)
    return [proposal]


def evolve(state: ProjectFinance, event: FinanceEvent) -> ProjectFinance:
    match event:
        case BudgetApproved():
            return replace(
                state,
                approved=True,
                period_start=event.period_start,
                period_end=event.period_end,
                frame=event.frame,
                in_kind_budget=event.in_kind,
                lines=Map({line.id: line.amount for line in event.lines}),
                municipalities=frozenset(event.municipalities),
                in_kind_rules=event.in_kind_rules,
            )
        case FinancingPlanned():
            return replace(state, sources=Map({s.id: s.amount for s in event.sources}))
        case CostBooked():
            return replace(state, bookings=state.bookings.set(event.booking_id, event.amount))
        case CostReversed():
            remaining = state.bookings[event.booking_id] - event.amount
            return replace(state, bookings=state.bookings.set(event.booking_id, remaining))
        case InKindHoursRecorded():
            key = _day_key(event)
            hours = state.hours_per_day.get(key, Decimal(0)) + event.hours
            return replace(state, hours_per_day=state.hours_per_day.set(key, hours))
        case BudgetRevised():
            lines = state.lines
            for change in event.changes:
                lines = lines.set(change.line, lines.get(change.line, 0) + change.delta)
            return replace(
                state,
                lines=lines,
                frame=state.frame + event.frame_delta,
                in_kind_budget=state.in_kind_budget + event.in_kind_delta,
            )
    return state


DECIDER: Decider[ProjectFinance, FinanceEvent] = Decider(ProjectFinance(), decide, evolve)


def _check_approval(proposal: BudgetApproved, state: ProjectFinance) -> None:
    if state.approved:
        raise Rejected(
            "approved_on", "once", "the budget is approved already; change it with BudgetRevised"
        )
    if proposal.period_end < proposal.period_start:
        raise Rejected("period_end", "after_start", "must not be before period_start")
    _unique([line.id for line in proposal.lines], "lines", "id")
    for index, line in enumerate(proposal.lines):
        _not_negative(line.amount, f"lines.{index}.amount")
    _not_negative(proposal.in_kind, "in_kind")
    lines_total = sum(line.amount for line in proposal.lines)
    if lines_total + proposal.in_kind != proposal.frame:
        raise Rejected(
            "frame",
            "adds_up",
            f"the frame {format_ore(proposal.frame)} is not the lines' "
            f"{format_ore(lines_total)} plus in-kind {format_ore(proposal.in_kind)}",
        )


def _check_financing(proposal: FinancingPlanned, state: ProjectFinance) -> None:
    _unique([source.id for source in proposal.sources], "sources", "id")
    for index, source in enumerate(proposal.sources):
        _not_negative(source.amount, f"sources.{index}.amount")
    total = sum(source.amount for source in proposal.sources)
    if state.approved and total != state.frame:
        raise Rejected(
            "sources",
            "adds_up",
            f"the sources add up to {format_ore(total)}, the frame is {format_ore(state.frame)}",
        )


def _check_revision(proposal: BudgetRevised, state: ProjectFinance) -> None:
    _require_budget(state, "changes")
    if not proposal.changes and not proposal.in_kind_delta and not proposal.frame_delta:
        raise Rejected("changes", "not_empty", "a revision must change something")
    _unique([change.line for change in proposal.changes], "changes", "line")
    for index, change in enumerate(proposal.changes):
        if change.line not in state.lines and change.name is None:
            raise Rejected(
                f"changes.{index}.name", "required", "a new line needs a name; or use a known line"
            )
        if state.lines.get(change.line, 0) + change.delta < 0:
            raise Rejected(
                f"changes.{index}.delta",
                "not_negative",
                f"would leave line {change.line!r} below zero",
            )
    if state.in_kind_budget + proposal.in_kind_delta < 0:
        raise Rejected("in_kind_delta", "not_negative", "would leave the in-kind budget below zero")
    moved = sum(change.delta for change in proposal.changes) + proposal.in_kind_delta
    if moved != proposal.frame_delta:
        raise Rejected(
            "frame_delta",
            "adds_up",
            f"the changes add {format_ore(moved)} to the budget but frame_delta is "
            f"{format_ore(proposal.frame_delta)}; the frame changes only when the revision says so",
        )


def _check_in_kind(proposal: InKindHoursRecorded, state: ProjectFinance) -> None:
    """The period always; the plan's rules when the approved budget carries them. Every
    broken rule is named, not only the first."""
    broken = _broken_in_kind_rules(proposal, state)
    if broken:
        first, *more = broken
        raise Rejected(first.field, first.rule, first.detail, more=more)


def _broken_in_kind_rules(proposal: InKindHoursRecorded, state: ProjectFinance) -> list[Rejected]:
    assert state.period_start is not None
    assert state.period_end is not None
    broken: list[Rejected] = []
    rules = state.in_kind_rules
    if rules is not None and proposal.municipality not in state.municipalities:
        listed = ", ".join(sorted(state.municipalities)) or "none"
        broken.append(
            Rejected(
                "municipality",
                "known_municipality",
                f"{proposal.municipality!r} is not one of the project's municipalities: {listed}",
            )
        )
    if rules is not None and proposal.activity not in rules.activities:
        broken.append(
            Rejected(
                "activity",
                "in_kind_activity",
                f"the plan allows no in-kind work on activity {proposal.activity!r}; "
                f"allowed: {', '.join(rules.activities)}",
            )
        )
    if not state.period_start <= proposal.work_date <= state.period_end:
        broken.append(
            Rejected(
                "work_date",
                "within_period",
                f"{proposal.work_date} is outside the project period "
                f"{state.period_start}..{state.period_end}",
            )
        )
    if rules is None:
        return broken
    ceiling, whose = rules.default_rate_ceiling, "the default"
    if proposal.role is not None and proposal.role in rules.rate_ceilings:
        ceiling, whose = rules.rate_ceilings[proposal.role], f"the role {proposal.role!r}'s"
    if proposal.hourly_rate > ceiling:
        broken.append(
            Rejected(
                "hourly_rate",
                "rate_ceiling",
                f"{format_ore(proposal.hourly_rate)} an hour is above {whose} ceiling of "
                f"{format_ore(ceiling)} in the plan",
            )
        )
    recorded = state.hours_per_day.get(_day_key(proposal), Decimal(0))
    if recorded + proposal.hours > rules.max_hours_per_day:
        broken.append(
            Rejected(
                "hours",
                "hours_per_day",
                f"{proposal.person} would have {_hours(recorded + proposal.hours)} hours on "
                f"{proposal.work_date} ({_hours(recorded)} recorded already); the plan allows "
                f"at most {_hours(rules.max_hours_per_day)} a day",
            )
        )
    return broken


def _day_key(event: InKindHoursRecorded) -> tuple[str, date]:
    return (event.person, event.work_date)


def _hours(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _require_budget(state: ProjectFinance, field_name: str) -> None:
    if not state.approved:
        raise Rejected(field_name, "budget_approved", "the project has no approved budget yet")


def _known(key: str, known: Map[str, int], field_name: str, rule: str, what: str) -> None:
    if key not in known:
        listed = ", ".join(sorted(known)[:20]) or "none"
        raise Rejected(field_name, rule, f"unknown {what} {key!r}; known: {listed}")


def in_kind_value(hours: Decimal, hourly_rate: int) -> int:
    """The value of in-kind work in øre: hours × rate, rounded half up to the øre."""
    return int((hours * hourly_rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _positive(value: int | Decimal, field_name: str) -> None:
    if not value > 0:
        raise Rejected(field_name, "positive", "must be greater than zero")


def _not_negative(value: int, field_name: str) -> None:
    if value < 0:
        raise Rejected(field_name, "not_negative", "must not be negative")


def _unique(values: list[str], field_name: str, key: str) -> None:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise Rejected(f"{field_name}.{index}.{key}", "unique", f"{value!r} appears twice")
        seen.add(value)
