"""CSV as each language's spreadsheets read it, and the accounts as one CSV.

English (and machines): `,` between fields and a decimal point, as the finance CSVs always were.
Bokmål: `;` between fields and a decimal comma (`440000,00`), UTF-8 with a byte order mark, so
a spreadsheet set to Norwegian opens the file with numbers as numbers and `æøå` intact.
Amounts have no thousands separator in either: a separator would make them text on import.

The accounts CSV has one row per figure: each budget, revision, voucher, receipt, repayment,
in-kind entry (with its attestation), the figures before and after each correction or
withdrawal of one, and each attestation, with the position and id of its event; and the sums
(revised budget, actual, deviation, outstanding, attested) without one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from services.finance.accounts.messages import N_, Writing, writing
from services.finance.accounts.model import Accounts
from shared.i18n import PSEUDO
from shared.money import format_ore

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


@dataclass(frozen=True)
class CsvStyle:
    delimiter: str
    decimal_comma: bool
    bom: bool

    def amount(self, ore: int | None) -> str:
        return "" if ore is None else self.decimal(format_ore(ore))

    def decimal(self, text: str) -> str:
        """A decimal as the API spells it (`7.5`), in this style (`7,5`)."""
        return text.replace(".", ",") if self.decimal_comma else text

    def encode(self, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
        buffer = io.StringIO()
        if self.bom:
            buffer.write(BOM)
        writer = csv.writer(buffer, delimiter=self.delimiter)
        writer.writerow(columns)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")


ENGLISH = CsvStyle(delimiter=",", decimal_comma=False, bom=False)
NORWEGIAN = CsvStyle(delimiter=";", decimal_comma=True, bom=True)


def csv_style(lang: str) -> CsvStyle:
    return NORWEGIAN if lang in ("nb", PSEUDO) else ENGLISH


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str:
    """Free text from an integration, made safe to open in a spreadsheet.

    A cell starting with `=`, `+`, `-` or `@` is run as a formula by spreadsheet programs, and
    these files are opened by auditors on their own machines; such text gets a leading
    apostrophe (the usual neutralisation). Only free text is touched: amounts and dates never
    need it, and the event id leads to the text exactly as recorded.
    """
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def hours_text(value: object) -> str:
    """Hours as the finance API spells them: no float, no trailing zeros (`7.5`, `12`)."""
    number = Decimal(str(value or 0))
    return format(number.normalize(), "f") if number else "0"


COLUMNS = (
    N_("Section"),
    N_("Line or source"),
    N_("Name"),
    N_("Entry"),
    N_("Date"),
    N_("Reference"),
    N_("Booking"),
    N_("Text"),
    N_("Municipality"),
    N_("Person"),
    N_("Activity"),
    N_("Hours"),
    N_("Rate"),
    N_("Amount"),
    N_("Position"),
    N_("Event id"),
    N_("Work date"),
    N_("Attested by"),
    N_("Attested on"),
    N_("Corrections"),
)
"""The last four came with corrections and attestations: after the others, so a reader of the
earlier columns finds them where they were."""


def accounts_csv(accounts: Accounts, lang: str) -> bytes:
    words = writing(lang)
    style = csv_style(words.lang)
    return style.encode([words._(column) for column in COLUMNS], _rows(accounts, words, style))


def _rows(a: Accounts, w: Writing, style: CsvStyle) -> Iterable[list[str]]:
    _ = w._

    def row(
        section: str,
        item: str,
        name: str,
        entry: str,
        *,
        on: date | None = None,
        reference: str | None = None,
        booking: str | None = None,
        text: str | None = None,
        municipality: str | None = None,
        person: str | None = None,
        activity: str | None = None,
        hours: Decimal | None = None,
        rate: int | None = None,
        amount: int | None = None,
        position: int | None = None,
        event_id: str | None = None,
        work_date: date | None = None,
        attested_by: str | None = None,
        attested_on: date | None = None,
        corrections: int | None = None,
    ) -> list[str]:
        return [
            section,
            item,
            safe_text(name),
            entry,
            on.isoformat() if on else "",
            safe_text(reference),
            safe_text(booking),
            safe_text(text),
            safe_text(municipality),
            safe_text(person),
            safe_text(activity),
            "" if hours is None else style.decimal(hours_text(hours)),
            style.amount(rate),
            style.amount(amount),
            "" if position is None else str(position),
            event_id or "",
            work_date.isoformat() if work_date else "",
            safe_text(attested_by),
            attested_on.isoformat() if attested_on else "",
            "" if corrections is None else str(corrections),
        ]

    costs, total = _("Costs"), _("Total")
    approval = a.project.approved
    for line in a.costs.lines:
        yield row(
            costs, line.id, line.name, _("Original budget"),
            on=a.project.approved_on if line.approved else None,
            reference=a.project.decision_ref if line.approved else None,
            amount=line.original,
            position=line.approved.position if line.approved else None,
            event_id=line.approved.event_id if line.approved else None,
        )  # fmt: skip
        for revision in line.revisions:
            yield row(
                costs, line.id, line.name, _("Revision"), on=revision.revised_on,
                reference=revision.decision_ref, text=revision.reason, amount=revision.delta,
                position=revision.position, event_id=revision.event_id,
            )  # fmt: skip
        yield row(costs, line.id, line.name, _("Revised budget"), amount=line.revised)
        for v in line.vouchers:
            yield row(
                costs, line.id, line.name, w.entry(v.entry), on=v.entry_date,
                reference=v.voucher, booking=v.booking_id,
                text=": ".join(part for part in (v.supplier, v.text) if part) or None,
                amount=v.amount, position=v.position, event_id=v.event_id,
            )  # fmt: skip
        yield row(costs, line.id, line.name, _("Actual"), amount=line.actual)
        yield row(costs, line.id, line.name, _("Deviation"), amount=line.deviation)
    c = a.costs
    yield row(
        costs, "", total, _("Original budget"), amount=c.original,
        position=approval.position if approval else None,
        event_id=approval.event_id if approval else None,
    )  # fmt: skip
    yield row(costs, "", total, _("Revisions"), amount=c.revisions)
    yield row(costs, "", total, _("Revised budget"), amount=c.revised)
    yield row(costs, "", total, _("Actual"), amount=c.actual)
    yield row(costs, "", total, _("Deviation"), amount=c.deviation)

    financing, f = _("Financing"), a.financing
    for source in f.sources:
        yield row(
            financing, source.id, source.name, _("Planned"), on=f.planned_on,
            text=w.kind(source.kind), amount=source.planned,
            position=f.planned.position if f.planned else None,
            event_id=f.planned.event_id if f.planned else None,
        )  # fmt: skip
        for receipt in source.receipts:
            yield row(
                financing, source.id, source.name, _("Received"), on=receipt.received_date,
                reference=receipt.reference, amount=receipt.amount, position=receipt.position,
                event_id=receipt.event_id,
            )  # fmt: skip
        for repayment in source.repayments:
            yield row(
                financing, source.id, source.name, _("Repaid"), on=repayment.repaid_date,
                reference=repayment.reference, text=repayment.reason, amount=repayment.amount,
                position=repayment.position, event_id=repayment.event_id,
            )  # fmt: skip
        for documented in source.documented:
            yield row(
                financing, source.id, source.name, _("Documented"),
                municipality=documented.municipality, hours=documented.hours,
                amount=documented.value,
            )  # fmt: skip
        yield row(financing, source.id, source.name, _("Received"), amount=source.received)
        yield row(financing, source.id, source.name, _("Outstanding"), amount=source.outstanding)
    yield row(financing, "", total, _("Planned"), amount=f.planned_total)
    yield row(financing, "", total, _("Received"), amount=f.received_total)
    yield row(financing, "", total, _("Outstanding"), amount=f.outstanding_total)

    in_kind, k = _("In-kind work"), a.in_kind
    for e in k.detail:
        yield row(
            in_kind, "", "", _("Documented"), on=e.work_date, reference=e.role,
            text=e.description, municipality=e.municipality, person=e.person,
            activity=e.activity, hours=e.hours, rate=e.rate, amount=e.value,
            position=e.position, event_id=e.event_id, work_date=e.work_date,
            attested_by=e.attested_by, attested_on=e.attested_on, corrections=e.corrections,
        )  # fmt: skip
    for group in k.by_municipality:
        name = _("Total for %(municipality)s", municipality=group.municipality)
        yield row(
            in_kind, "", name, _("Documented"), municipality=group.municipality,
            hours=group.hours, amount=group.value,
        )  # fmt: skip
        yield row(
            in_kind, "", name, _("Attested"), municipality=group.municipality,
            amount=group.attested,
        )  # fmt: skip
        yield row(
            in_kind, "", name, _("Unattested"), municipality=group.municipality,
            amount=group.unattested,
        )  # fmt: skip
    yield row(in_kind, "", total, _("Documented"), hours=k.hours, amount=k.documented)
    yield row(in_kind, "", total, _("Attested"), amount=k.attested)
    yield row(in_kind, "", total, _("Unattested"), amount=k.unattested)
    yield row(in_kind, "", total, _("In-kind budget"), amount=k.budget)
    yield row(in_kind, "", total, _("Remaining"), amount=k.remaining)

    # A change as two rows, the entry's figures before it and after it; both name the change's
    # event, and `Reference` the entry's (the event that recorded it).
    changes = _("Corrections and withdrawals")
    for change in k.changes:
        for entry, figures in ((_("Before"), change.before), (_("After"), change.after)):
            yield row(
                changes, "", w.change(change), entry, on=change.changed_on,
                reference=change.entry, text=change.reason, municipality=change.municipality,
                person=change.person, activity=figures.activity, hours=figures.hours,
                rate=figures.rate, amount=figures.value, position=change.position,
                event_id=change.event_id, work_date=figures.work_date,
            )  # fmt: skip

    attestations = _("Attestations")
    for at in k.attestations:
        yield row(
            attestations, "", "", _("Attested"), on=at.attested_on,
            text=_("Period %(start)s – %(end)s; entries attested: %(entries)s, still attested: "
                   "%(standing)s", start=at.period_start.isoformat(),
                   end=at.period_end.isoformat(), entries=at.entries, standing=at.standing),
            municipality=at.municipality, hours=at.hours, amount=at.value,
            position=at.position, event_id=at.event_id, attested_by=at.attested_by,
            attested_on=at.attested_on,
        )  # fmt: skip
