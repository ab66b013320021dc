"""A SAF-T file's general ledger as plain data, and which of its lines are a project's.

The reader (`services.finance.saft.reader`) turns each `<Transaction>` into a `RawTransaction`
and forgets the XML; `project_lines` keeps the lines tagged with the project's analysis, with
the project's part of each (a line split across projects by `DebitAnalysisAmount` or
`CreditAnalysisAmount` counts only that part), the voucher, the supplier's name and the
transaction's text. `FileTotals` adds up what the file holds, to set beside its header.

Amounts are integer øre, signed: a debit is positive, a credit negative.

Pure: no XML, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class RawAnalysis:
    type: str
    id: str
    amount: int | None = None
    """The part of the line on this analysis id (signed), when the file states it."""


@dataclass(frozen=True, slots=True)
class RawLine:
    record: str
    account: str
    amount: int
    description: str
    analysis: tuple[RawAnalysis, ...] = ()
    source_document: str | None = None
    supplier: str | None = None
    vat: int = 0
    """The VAT the line's `TaxInformation` states (signed like the line), for the report."""
    tax_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RawTransaction:
    journal: str
    id: str
    day: date
    description: str
    lines: tuple[RawLine, ...]
    supplier: str | None = None
    sourceline: int = 0
    """Where the transaction starts in the file, for messages."""


@dataclass(frozen=True, slots=True)
class Header:
    version: str
    registration_number: str | None
    company: str
    currency: str
    start: date | None
    end: date | None


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One ledger line of the project: its identity in the file and what it says."""

    journal: str
    transaction: str
    record: str
    account: str
    amount: int
    """The project's part, signed (debit +, credit -)."""
    day: date
    voucher: str
    """`SourceDocumentID`, else the transaction id (the voucher number in most systems)."""
    supplier: str | None
    text: str
    """The transaction's description."""
    line_text: str
    vat: int
    tax_codes: tuple[str, ...]
    sourceline: int

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.journal, self.transaction, self.record)


@dataclass
class FileTotals:
    """What the ledger in the file adds up to, and the project's share of it (øre)."""

    entries: int = 0
    lines: int = 0
    debit: int = 0
    credit: int = 0
    project_lines: int = 0
    project_debit: int = 0
    project_credit: int = 0
    by_account: dict[str, list[int]] = field(default_factory=dict)
    """The project's lines per account: [debit, credit, vat, lines]."""

    def add_other(self, lines: int, debit: int, credit: int) -> None:
        """A transaction with no line of the project: only its sums count."""
        self.entries += 1
        self.lines += lines
        self.debit += debit
        self.credit += credit

    def add(self, transaction: RawTransaction, project: Sequence[LedgerLine]) -> None:
        self.entries += 1
        for line in transaction.lines:
            self.lines += 1
            if line.amount >= 0:
                self.debit += line.amount
            else:
                self.credit -= line.amount
        for found in project:
            self.project_lines += 1
            sums = self.by_account.setdefault(found.account, [0, 0, 0, 0])
            if found.amount >= 0:
                self.project_debit += found.amount
                sums[0] += found.amount
            else:
                self.project_credit -= found.amount
                sums[1] -= found.amount
            sums[2] += found.vat
            sums[3] += 1


def project_lines(
    transaction: RawTransaction,
    analysis_type: str,
    analysis_id: str,
    suppliers: Mapping[str, str],
) -> list[LedgerLine]:
    """The transaction's lines tagged with the project, as the project's part of each.

    The supplier is the line's own `SupplierID`, else the transaction's, else the one supplier
    the transaction's other lines name (a purchase's cost line rarely names it; its
    accounts-payable line does), named as the file's master data names it."""
    tagged = [
        (line, tag)
        for line in transaction.lines
        for tag in line.analysis
        if tag.type == analysis_type and tag.id == analysis_id
    ]
    if not tagged:
        return []
    fallback = transaction.supplier
    if fallback is None:
        named = {line.supplier for line in transaction.lines if line.supplier is not None}
        fallback = named.pop() if len(named) == 1 else None
    found = []
    for line, tag in tagged:
        supplier_id = line.supplier or fallback
        amount = line.amount if tag.amount is None else tag.amount
        split = tag.amount is not None and line.amount != 0
        vat = line.vat * amount // line.amount if split else line.vat
        found.append(
            LedgerLine(
                journal=transaction.journal,
                transaction=transaction.id,
                record=line.record,
                account=line.account,
                amount=amount,
                day=transaction.day,
                voucher=line.source_document or transaction.id,
                supplier=None if supplier_id is None else suppliers.get(supplier_id, supplier_id),
                text=transaction.description,
                line_text=line.description,
                vat=vat,
                tax_codes=line.tax_codes,
                sourceline=transaction.sourceline,
            )
        )
    return found
