"""The project's ledger lines as finance events: a debit on a mapped account is a `CostBooked`,
a credit a `CostReversed` of the booking it credits; every other line is listed with why it is
not recorded.

A SAF-T file does not link a credit to the debit it undoes, so the rule is ours: a credit
reverses a booking on the same budget line of the project, found first in the same transaction
(a correction within a voucher), else among bookings with the same voucher (`SourceDocumentID`:
a credit note on the invoice's number), in this file or imported before. Among those, one with
exactly the credit's amount left wins, else the first (by date, then identity) with enough
left. A credit that finds none is listed as not matched and not recorded.

Each event's identity is the line's place in the accounting system: the company's
organisation number, journal, transaction and record ids (`key`), from which the caller makes
the event id. A credit already recorded keeps the booking it reversed then, when that booking
still fits the rule, so an import of the same file decides the same.

Pure: the caller brings the lines, the mapping and what the log holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, unquote

from services.finance.events import CostBooked, CostReversed
from services.finance.saft.ledger import LedgerLine
from services.finance.saft.mapping import AccountMap
from shared.money import format_ore

BOOKING_PREFIX = "saft:"
_TEXT = 200


@dataclass(frozen=True)
class Planned:
    key: str
    """The line's identity in the accounting system (also a booking's `booking_id`)."""
    event: CostBooked | CostReversed
    source: LedgerLine
    account: str
    line: str
    """The budget line (a reversal's too, though its event names only the booking)."""


@dataclass(frozen=True)
class Skipped:
    source: LedgerLine
    reason: str
    """`outside_mapping`, `vat`, `zero_amount`, `not_matched` or `duplicate_record`."""
    detail: str
    line: str | None = None
    """The budget line, where the account has one."""


@dataclass(frozen=True)
class RecordedBooking:
    """A booking in the log: what a credit is matched against."""

    booking_id: str
    line: str
    voucher: str
    remaining: int


@dataclass
class Plan:
    events: list[Planned] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def booking_key(company: str, line: LedgerLine) -> str:
    """`saft:<organisation number>/<journal>/<transaction>/<record>`, each part %-quoted so the
    parts can be told apart again (an id may hold a `/`)."""
    parts = (company, *line.identity)
    return BOOKING_PREFIX + "/".join(quote(part, safe="") for part in parts)


def transaction_of(booking_id: str) -> tuple[str, str, str] | None:
    """(company, journal, transaction) of a booking this import made, else None."""
    if not booking_id.startswith(BOOKING_PREFIX):
        return None
    parts = booking_id[len(BOOKING_PREFIX) :].split("/")
    if len(parts) != 4:
        return None
    company, journal, transaction, _ = (unquote(part) for part in parts)
    return (company, journal, transaction)


def plan(
    company: str,
    lines: Sequence[LedgerLine],
    accounts: AccountMap,
    recorded: Mapping[str, RecordedBooking],
    reversed_before: Mapping[str, str],
) -> Plan:
    """The events for the project's lines.

    `recorded`: the project's bookings in the log by booking id, with what remains of each;
    `reversed_before`: the key of each credit line already recorded -> the booking it
    reversed."""
    result = Plan()
    seen: set[str] = set()
    credits: list[tuple[str, str, LedgerLine]] = []
    candidates: dict[str, _Candidate] = {
        booking.booking_id: _Candidate.recorded(booking) for booking in recorded.values()
    }
    for source in lines:
        key = booking_key(company, source)
        budget_line = accounts.line_of(source.account)
        if key in seen:
            result.skipped.append(
                Skipped(source, "duplicate_record", "the file holds this record id twice")
            )
            continue
        seen.add(key)
        if budget_line is None:
            reason = "vat" if accounts.is_vat(source.account) else "outside_mapping"
            detail = (
                "a VAT line: the budget excludes VAT"
                if reason == "vat"
                else f"account {source.account} is on no budget line of the mapping"
            )
            result.skipped.append(Skipped(source, reason, detail))
        elif source.amount == 0:
            result.skipped.append(Skipped(source, "zero_amount", "nothing to book", budget_line))
        elif source.amount > 0:
            # Amounts go in as the wire spells them (the one way in, see shared.money).
            event = CostBooked.model_validate(
                {
                    "booking_id": key,
                    "line": budget_line,
                    "amount": format_ore(source.amount),
                    "booking_date": source.day,
                    "voucher": _fit(source.voucher),
                    "supplier": _supplier(source.supplier),
                    "text": source.text[:2000] or None,
                }
            )
            result.events.append(Planned(key, event, source, source.account, budget_line))
            if key not in candidates:
                candidates[key] = _Candidate(key, budget_line, event.voucher, source.amount)
            candidates[key].transaction = (company, source.journal, source.transaction)
            candidates[key].day = source.day
        else:
            credits.append((key, budget_line, source))
    reversals: list[Planned] = []
    for key, budget_line, source in sorted(credits, key=lambda c: (c[2].day, c[0])):
        found = _match(company, key, budget_line, source, candidates, reversed_before)
        if found is None:
            result.skipped.append(
                Skipped(
                    source,
                    "not_matched",
                    f"no booking on {budget_line} in transaction {source.transaction} or with "
                    f"voucher {source.voucher} has {_kroner(-source.amount)} left to reverse",
                    budget_line,
                )
            )
            continue
        reversal = CostReversed.model_validate(
            {
                "booking_id": found,
                "amount": format_ore(-source.amount),
                "reversal_date": source.day,
                "reason": _fit(
                    f"SAF-T credit, journal {source.journal}, transaction {source.transaction}, "
                    f"record {source.record}: {source.line_text or source.text}"
                ),
                "voucher": _fit(source.voucher),
            }
        )
        reversals.append(Planned(key, reversal, source, source.account, budget_line))
    # Every booking before any reversal: a reversal may undo a booking of a later journal.
    result.events.extend(reversals)
    return result


@dataclass
class _Candidate:
    booking_id: str
    line: str
    voucher: str
    remaining: int
    transaction: tuple[str, str, str] | None = None
    day: date = date.min

    @classmethod
    def recorded(cls, booking: RecordedBooking) -> _Candidate:
        return cls(
            booking.booking_id,
            booking.line,
            booking.voucher,
            booking.remaining,
            transaction_of(booking.booking_id),
        )


def _match(
    company: str,
    key: str,
    budget_line: str,
    source: LedgerLine,
    candidates: Mapping[str, _Candidate],
    reversed_before: Mapping[str, str],
) -> str | None:
    transaction = (company, source.journal, source.transaction)
    same_transaction = [
        c for c in candidates.values() if c.line == budget_line and c.transaction == transaction
    ]
    same_voucher = [
        c for c in candidates.values() if c.line == budget_line and c.voucher == source.voucher
    ]
    before = reversed_before.get(key)
    if before is not None and any(c.booking_id == before for c in same_transaction + same_voucher):
        return before  # recorded before, and its amount is already off what remains
    amount = -source.amount
    for pool in (same_transaction, same_voucher):
        ordered = sorted(pool, key=lambda c: (c.day, c.booking_id))
        chosen = next((c for c in ordered if c.remaining == amount), None) or next(
            (c for c in ordered if c.remaining >= amount), None
        )
        if chosen is not None:
            chosen.remaining -= amount
            return chosen.booking_id
    return None


def _fit(text: str) -> str:
    """A name or reference as the events take it (at most 200 characters): SAF-T allows 256."""
    return text if len(text) <= _TEXT else text[: _TEXT - 1] + "…"


def _supplier(name: str | None) -> str | None:
    return _fit(name) if name is not None and name.strip() else None


def _kroner(ore: int) -> str:
    return f"{ore // 100}.{ore % 100:02d}"
