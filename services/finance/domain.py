"""Finance rules, as pure functions: `decide` checks a proposed event against the project's
state, `evolve` folds a recorded event into it. One stream per project."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from immutables import Map

from services.finance.events import (
    BudgetApproved,
    BudgetRevised,
    CostBooked,
    CostReversed,
    FinanceEvent,
    FinancingPlanned,
    FundingReceived,
    FundingRepaid,
    InKindAttested,
    InKindCorrected,
    InKindHoursRecorded,
    InKindRules,
    InKindWithdrawn,
)
from shared.decider import Conflict, Decider, Rejected
from shared.money import format_ore


@dataclass(frozen=True, slots=True)
class InKindEntry:
    """An in-kind entry as it stands after its corrections."""

    municipality: str
    person: str
    role: str | None
    activity: str
    work_date: date
    hours: Decimal
    hourly_rate: int
    attested: bool = False


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
    """In-kind hours recorded per (person, work date), as corrected."""
    entries: Map[UUID, InKindEntry] = field(default_factory=Map)
    """The in-kind entries standing, by the id of the event that recorded them."""
    withdrawn: frozenset[UUID] = frozenset()
    received: Map[str, int] = field(default_factory=Map)
    """Funding received per source, net of repayments, in øre."""


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
            entry = _entry_of(proposal)
            recorded = state.hours_per_day.get(_day_key(entry), Decimal(0))
            _raise_all(_broken_in_kind_rules(entry, state, recorded, "hours"))
        case InKindCorrected():
            _check_correction(proposal, state)
        case InKindWithdrawn():
            _standing_entry(proposal.entry, state)
        case InKindAttested():
            _check_attestation(proposal, state)
        case FundingReceived():
            _known(proposal.source, state.sources, "source", "known_source", "funding source")
            _positive(proposal.amount, "amount")
        case FundingRepaid():
            _known(proposal.source, state.sources, "source", "known_source", "funding source")
            _positive(proposal.amount, "amount")
            received = state.received.get(proposal.source, 0)
            if proposal.amount > received:
                raise Rejected(
                    "amount",
                    "within_received",
                    f"repays {format_ore(proposal.amount)} but {format_ore(received)} has been "
                    f"received from {proposal.source!r}",
                )
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
        case FundingReceived():
            received = state.received.get(event.source, 0) + event.amount
            return replace(state, received=state.received.set(event.source, received))
        case FundingRepaid():
            received = state.received.get(event.source, 0) - event.amount
            return replace(state, received=state.received.set(event.source, received))
        case FinancingPlanned():
            return replace(state, sources=Map({s.id: s.amount for s in event.sources}))
        case CostBooked():
            return replace(state, bookings=state.bookings.set(event.booking_id, event.amount))
        case CostReversed():
            remaining = state.bookings[event.booking_id] - event.amount
            return replace(state, bookings=state.bookings.set(event.booking_id, remaining))
        case InKindHoursRecorded():
            return _put_entry(state, event.event_id, _entry_of(event))
        case InKindCorrected():
            return _put_entry(state, event.entry, _corrected(state.entries[event.entry], event))
        case InKindWithdrawn():
            return replace(
                _take_entry(state, event.entry), withdrawn=state.withdrawn | {event.entry}
            )
        case InKindAttested():
            entries = state.entries
            for entry_id, entry in state.entries.items():
                if _attests(event, entry):
                    entries = entries.set(entry_id, replace(entry, attested=True))
            return replace(state, entries=entries)
        case BudgetRevised():
            lines = state.lines
            for change in event.changes:
                lines = lines.set(change.line, lines.get(change.line, 0) + change.delta)
            return replace(
                state,
                lines=lines,
                frame=state.frame + event.frame_delta,
                in_kind_budget=state.in_kind_budget + event.in_kind_delta,
                in_kind_rules=event.in_kind_rules or state.in_kind_rules,
                municipalities=(
                    state.municipalities
                    if event.municipalities is None
                    else frozenset(event.municipalities)
                ),
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
    _check_attesters(proposal.in_kind_rules, proposal.municipalities)
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
    if not (
        proposal.changes
        or proposal.in_kind_delta
        or proposal.frame_delta
        or proposal.in_kind_rules
        or proposal.municipalities is not None
    ):
        raise Rejected("changes", "not_empty", "a revision must change something")
    municipalities = (
        state.municipalities if proposal.municipalities is None else proposal.municipalities
    )
    _check_attesters(proposal.in_kind_rules or state.in_kind_rules, municipalities)
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


def _check_attesters(rules: InKindRules | None, municipalities: Iterable[str]) -> None:
    known = set(municipalities)
    for municipality in rules.attesters if rules else {}:
        if municipality not in known:
            raise Rejected(
                "in_kind_rules.attesters",
                "known_municipality",
                f"names an attester for {municipality!r}, not one of the project's "
                f"municipalities: {', '.join(sorted(known)) or 'none'}",
            )


def _unknown_municipality(municipality: str, state: ProjectFinance) -> Rejected | None:
    """Only the plan's municipalities record or attest in-kind work, when the budget has rules."""
    if state.in_kind_rules is None or municipality in state.municipalities:
        return None
    listed = ", ".join(sorted(state.municipalities)) or "none"
    return Rejected(
        "municipality",
        "known_municipality",
        f"{municipality!r} is not one of the project's municipalities: {listed}",
    )


def _raise_all(broken: list[Rejected]) -> None:
    """Every broken rule is named, not only the first."""
    if broken:
        first, *more = broken
        raise Rejected(first.field, first.rule, first.detail, more=more)


def _broken_in_kind_rules(
    entry: InKindEntry, state: ProjectFinance, recorded: Decimal, hours_field: str
) -> list[Rejected]:
    """The rules `entry` breaks: the period always, the plan's rules when the approved budget
    carries them. `recorded` is what the person has on the day besides this entry."""
    assert state.period_start is not None
    assert state.period_end is not None
    broken: list[Rejected] = []
    rules = state.in_kind_rules
    if (unknown := _unknown_municipality(entry.municipality, state)) is not None:
        broken.append(unknown)
    if rules is not None and entry.activity not in rules.activities:
        broken.append(
            Rejected(
                "activity",
                "in_kind_activity",
                f"the plan allows no in-kind work on activity {entry.activity!r}; "
                f"allowed: {', '.join(rules.activities)}",
            )
        )
    if not state.period_start <= entry.work_date <= state.period_end:
        broken.append(
            Rejected(
                "work_date",
                "within_period",
                f"{entry.work_date} is outside the project period "
                f"{state.period_start}..{state.period_end}",
            )
        )
    if rules is None:
        return broken
    ceiling, whose = rules.default_rate_ceiling, "the default"
    if entry.role is not None and entry.role in rules.rate_ceilings:
        ceiling, whose = rules.rate_ceilings[entry.role], f"the role {entry.role!r}'s"
    if entry.hourly_rate > ceiling:
        broken.append(
            Rejected(
                "hourly_rate",
                "rate_ceiling",
                f"{format_ore(entry.hourly_rate)} an hour is above {whose} ceiling of "
                f"{format_ore(ceiling)} in the plan",
            )
        )
    if recorded + entry.hours > rules.max_hours_per_day:
        broken.append(
            Rejected(
                hours_field,
                "hours_per_day",
                f"{entry.person} would have {_hours(recorded + entry.hours)} hours on "
                f"{entry.work_date} ({_hours(recorded)} recorded already); the plan allows "
                f"at most {_hours(rules.max_hours_per_day)} a day",
            )
        )
    return broken


def _check_correction(proposal: InKindCorrected, state: ProjectFinance) -> None:
    """The corrected entry must keep to the rules on what the correction changes (an entry
    recorded under earlier rules is not refused for a field left as it was)."""
    entry = _standing_entry(proposal.entry, state)
    changed = {
        name
        for name in ("hours", "hourly_rate", "activity", "work_date")
        if getattr(proposal, name) is not None and getattr(proposal, name) != getattr(entry, name)
    }
    if not changed:
        raise Rejected(
            "entry",
            "changes_something",
            "the correction gives no figure that differs from the entry's",
        )
    for name in ("hours", "hourly_rate"):
        if name in changed:
            _positive(getattr(proposal, name), name)
    corrected = _corrected(entry, proposal)
    others = state.hours_per_day.get(_day_key(corrected), Decimal(0))
    if _day_key(corrected) == _day_key(entry):
        others -= entry.hours
    hours_field = "hours" if "hours" in changed else "work_date"
    if "hours" in changed or "work_date" in changed:
        changed.add(hours_field)
    _raise_all(
        [
            rejected
            for rejected in _broken_in_kind_rules(corrected, state, others, hours_field)
            if rejected.field in changed
        ]
    )


def _standing_entry(entry_id: UUID, state: ProjectFinance) -> InKindEntry:
    if entry_id in state.withdrawn:
        raise Conflict("entry", "withdrawn", f"in-kind entry {entry_id} is withdrawn already")
    entry = state.entries.get(entry_id)
    if entry is None:
        raise Rejected(
            "entry",
            "known_entry",
            f"no in-kind entry {entry_id} in this project (an entry is the id of the event "
            "that recorded it)",
        )
    return entry


def _check_attestation(proposal: InKindAttested, state: ProjectFinance) -> None:
    _require_budget(state, "municipality")
    if proposal.period_end < proposal.period_start:
        raise Rejected("period_end", "after_start", "must not be before period_start")
    rules = state.in_kind_rules
    if (unknown := _unknown_municipality(proposal.municipality, state)) is not None:
        raise unknown
    attester = rules.attesters.get(proposal.municipality) if rules else None
    if attester is not None and proposal.attested_by != attester:
        raise Rejected(
            "attested_by",
            "attester",
            f"{proposal.municipality}'s in-kind work is attested by {attester}, its member of "
            "the project group in the plan",
        )
    if not any(_attests(proposal, entry) for entry in state.entries.values()):
        raise Rejected(
            "municipality",
            "nothing_to_attest",
            f"{proposal.municipality} has no unattested in-kind entries from "
            f"{proposal.period_start} to {proposal.period_end}",
        )


def _attests(attestation: InKindAttested, entry: InKindEntry) -> bool:
    return (
        not entry.attested
        and entry.municipality == attestation.municipality
        and attestation.period_start <= entry.work_date <= attestation.period_end
    )


def _entry_of(event: InKindHoursRecorded) -> InKindEntry:
    return InKindEntry(
        municipality=event.municipality,
        person=event.person,
        role=event.role,
        activity=event.activity,
        work_date=event.work_date,
        hours=event.hours,
        hourly_rate=event.hourly_rate,
    )


def _corrected(entry: InKindEntry, correction: InKindCorrected) -> InKindEntry:
    """The entry with the correction's figures; unattested, since what was attested changed."""
    return replace(
        entry,
        hours=entry.hours if correction.hours is None else correction.hours,
        hourly_rate=entry.hourly_rate if correction.hourly_rate is None else correction.hourly_rate,
        activity=correction.activity or entry.activity,
        work_date=correction.work_date or entry.work_date,
        attested=False,
    )


def _put_entry(state: ProjectFinance, entry_id: UUID | None, entry: InKindEntry) -> ProjectFinance:
    """`entry` standing under `entry_id` (replacing what stood there), its hours counted on
    its day. An entry without an id (a model built in code) counts its hours only."""
    if entry_id is not None:
        state = _take_entry(state, entry_id)
    key = _day_key(entry)
    hours = state.hours_per_day.get(key, Decimal(0)) + entry.hours
    entries = state.entries if entry_id is None else state.entries.set(entry_id, entry)
    return replace(state, hours_per_day=state.hours_per_day.set(key, hours), entries=entries)


def _take_entry(state: ProjectFinance, entry_id: UUID) -> ProjectFinance:
    entry = state.entries.get(entry_id)
    if entry is None:
        return state
    key = _day_key(entry)
    return replace(
        state,
        hours_per_day=state.hours_per_day.set(key, state.hours_per_day[key] - entry.hours),
        entries=state.entries.delete(entry_id),
    )


def _day_key(entry: InKindEntry) -> tuple[str, date]:
    return (entry.person, entry.work_date)


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
