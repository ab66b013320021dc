"""SAF-T Financial files made to the Norwegian Tax Administration's schema, for tests and
benchmarks: a company, its suppliers and accounts, journals of balanced transactions whose lines
carry analysis tags (the project), VAT and source documents.

The file is written as it goes (`write_saft`), so a benchmark can make a file of a gigabyte
without holding it: the header's totals are counted first from the journals (given as a
function that yields them, so they can be walked twice), then the journals are written.
`saft_bytes` makes a small file in memory for a test.

What is written is valid against both the v1.10 and the v1.30 schema (it fills in what either
requires: the selection criteria, account grouping, a contact), with `AuditFileVersion` as asked.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import BinaryIO
from xml.sax.saxutils import escape

NAMESPACE = "urn:StandardAuditFile-Taxation-Financial:NO"


@dataclass(frozen=True)
class Tax:
    """VAT on a line: the code, the rate, the base and the VAT amount (debit for input VAT)."""

    code: str
    percentage: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Line:
    record: str
    account: str
    amount: Decimal
    """Positive: a debit; negative: a credit."""
    description: str = "Line"
    analysis: Sequence[tuple[str, str]] = ()
    """(AnalysisType, AnalysisID) pairs, e.g. `[("P", "2010-017")]`."""
    analysis_amounts: Sequence[Decimal | None] = ()
    """Per analysis pair, the part of the line that falls on it (a split line); None or absent:
    no analysis amount."""
    source_document: str | None = None
    supplier: str | None = None
    tax: Tax | None = None


@dataclass(frozen=True)
class Transaction:
    id: str
    day: date
    description: str
    lines: Sequence[Line]
    supplier: str | None = None


@dataclass(frozen=True)
class Journal:
    id: str
    description: str
    type: str
    transactions: Iterable[Transaction]


@dataclass(frozen=True)
class SaftFile:
    registration_number: str
    company: str
    journals: Sequence[Journal] | Callable[[], Iterable[Journal]]
    """A list, or a function yielding them anew on each call (walked twice: totals, then lines)."""
    version: str = "1.30"
    suppliers: dict[str, str] = field(default_factory=dict)
    """SupplierID -> name."""
    accounts: dict[str, str] = field(default_factory=dict)
    """AccountID -> description; every account a line uses must be here."""
    analysis: Sequence[tuple[str, str, str]] = ()
    """(AnalysisType, AnalysisID, description) for the analysis table."""
    start: date = date(2010, 1, 1)
    end: date = date(2010, 12, 31)
    currency: str = "NOK"

    def every_journal(self) -> Iterable[Journal]:
        return self.journals() if callable(self.journals) else self.journals


def saft_bytes(file: SaftFile) -> bytes:
    out = io.BytesIO()
    write_saft(out, file)
    return out.getvalue()


def write_saft(out: BinaryIO, file: SaftFile) -> None:
    entries, debit, credit = totals(file.every_journal())
    write = _Writer(out)
    write(f'<?xml version="1.0" encoding="UTF-8"?>\n<AuditFile xmlns="{NAMESPACE}">\n')
    write(_header(file))
    write(_master_files(file))
    write(
        "<GeneralLedgerEntries>"
        f"<NumberOfEntries>{entries}</NumberOfEntries>"
        f"<TotalDebit>{debit:.2f}</TotalDebit><TotalCredit>{credit:.2f}</TotalCredit>\n"
    )
    for journal in file.every_journal():
        write(
            f"<Journal><JournalID>{_x(journal.id)}</JournalID>"
            f"<Description>{_x(journal.description)}</Description>"
            f"<Type>{_x(journal.type)}</Type>\n"
        )
        for transaction in journal.transactions:
            write(_transaction(transaction, file.version))
        write("</Journal>\n")
    write("</GeneralLedgerEntries>\n</AuditFile>\n")
    write.flush()


def totals(journals: Iterable[Journal]) -> tuple[int, Decimal, Decimal]:
    """NumberOfEntries (transactions), TotalDebit and TotalCredit, as the header states them."""
    entries, debit, credit = 0, Decimal(0), Decimal(0)
    for journal in journals:
        for transaction in journal.transactions:
            entries += 1
            for line in transaction.lines:
                if line.amount >= 0:
                    debit += line.amount
                else:
                    credit -= line.amount
    return entries, debit, credit


class _Writer:
    """Text in, UTF-8 out in blocks of about a megabyte: one write per transaction would cost
    more than making it."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._parts: list[str] = []
        self._size = 0

    def __call__(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        self._out.write("".join(self._parts).encode())
        self._parts, self._size = [], 0


def _x(text: str) -> str:
    return escape(text)


def _header(file: SaftFile) -> str:
    return (
        "<Header>"
        f"<AuditFileVersion>{_x(file.version)}</AuditFileVersion>"
        "<AuditFileCountry>NO</AuditFileCountry>"
        f"<AuditFileDateCreated>{file.end.isoformat()}</AuditFileDateCreated>"
        "<SoftwareCompanyName>ptrack tests</SoftwareCompanyName>"
        "<SoftwareID>shared.testing.saft</SoftwareID>"
        "<SoftwareVersion>1</SoftwareVersion>"
        "<Company>"
        f"<RegistrationNumber>{_x(file.registration_number)}</RegistrationNumber>"
        f"<Name>{_x(file.company)}</Name>"
        f"{_address()}"
        "<Contact><ContactPerson><FirstName>Kari</FirstName><LastName>Nordmann</LastName>"
        "</ContactPerson></Contact>"
        "</Company>"
        f"<DefaultCurrencyCode>{_x(file.currency)}</DefaultCurrencyCode>"
        "<SelectionCriteria>"
        f"<SelectionStartDate>{file.start.isoformat()}</SelectionStartDate>"
        f"<SelectionEndDate>{file.end.isoformat()}</SelectionEndDate>"
        "</SelectionCriteria>"
        "<TaxAccountingBasis>A</TaxAccountingBasis>"
        "</Header>\n"
    )


def _address() -> str:
    return "<Address><City>Kongsberg</City><PostalCode>3616</PostalCode></Address>"


def _master_files(file: SaftFile) -> str:
    parts = ["<MasterFiles>"]
    if file.accounts:
        parts.append("<GeneralLedgerAccounts>")
        for account, description in file.accounts.items():
            parts.append(
                f"<Account><AccountID>{_x(account)}</AccountID>"
                f"<AccountDescription>{_x(description)}</AccountDescription>"
                # v1.10 has the standard account, v1.30 the grouping category in its place.
                + (
                    f"<StandardAccountID>{_x(account[:2])}</StandardAccountID>"
                    if file.version == "1.10"
                    else "<GroupingCategory>RF-1167</GroupingCategory>"
                )
                + f"<GroupingCode>{_x(account[:4])}</GroupingCode>"
                "<AccountType>GL</AccountType>"
                "<OpeningDebitBalance>0.00</OpeningDebitBalance>"
                "<ClosingDebitBalance>0.00</ClosingDebitBalance></Account>"
            )
        parts.append("</GeneralLedgerAccounts>\n")
    if file.suppliers:
        parts.append("<Suppliers>")
        for supplier, name in file.suppliers.items():
            parts.append(
                f"<Supplier><Name>{_x(name)}</Name>{_address()}"
                f"<SupplierID>{_x(supplier)}</SupplierID></Supplier>"
            )
        parts.append("</Suppliers>\n")
    parts.append(
        "<TaxTable><TaxTableEntry><TaxType>MVA</TaxType><Description>Merverdiavgift</Description>"
        + "".join(
            f"<TaxCodeDetails><TaxCode>{code}</TaxCode><TaxPercentage>{rate}</TaxPercentage>"
            f"<Country>NO</Country><StandardTaxCode>{code}</StandardTaxCode>"
            f"<BaseRate>100</BaseRate></TaxCodeDetails>"
            for code, rate in (("1", "25"), ("11", "15"), ("13", "12"), ("0", "0"))
        )
        + "</TaxTableEntry></TaxTable>\n"
    )
    if file.analysis:
        parts.append("<AnalysisTypeTable>")
        for kind, ident, description in file.analysis:
            parts.append(
                f"<AnalysisTypeTableEntry><AnalysisType>{_x(kind)}</AnalysisType>"
                f"<AnalysisTypeDescription>{_x(kind)}</AnalysisTypeDescription>"
                f"<AnalysisID>{_x(ident)}</AnalysisID>"
                f"<AnalysisIDDescription>{_x(description)}</AnalysisIDDescription>"
                "</AnalysisTypeTableEntry>"
            )
        parts.append("</AnalysisTypeTable>\n")
    parts.append("</MasterFiles>\n")
    return "".join(parts)


def _transaction(transaction: Transaction, version: str) -> str:
    day = transaction.day.isoformat()
    parts = [
        f"<Transaction><TransactionID>{_x(transaction.id)}</TransactionID>"
        f"<Period>{transaction.day.month}</Period><PeriodYear>{transaction.day.year}</PeriodYear>"
        f"<TransactionDate>{day}</TransactionDate>"
        f"<Description>{_x(transaction.description)}</Description>"
        f"<SystemEntryDate>{day}</SystemEntryDate><GLPostingDate>{day}</GLPostingDate>"
    ]
    if transaction.supplier is not None:
        parts.append(f"<SupplierID>{_x(transaction.supplier)}</SupplierID>")
    parts.extend(_line(line, version) for line in transaction.lines)
    parts.append("</Transaction>\n")
    return "".join(parts)


def _line(line: Line, version: str) -> str:
    parts = [
        f"<Line><RecordID>{_x(line.record)}</RecordID><AccountID>{_x(line.account)}</AccountID>"
    ]
    for index, (kind, ident) in enumerate(line.analysis):
        part = line.analysis_amounts[index] if index < len(line.analysis_amounts) else None
        parts.append(f"<Analysis><AnalysisType>{_x(kind)}</AnalysisType>")
        parts.append(f"<AnalysisID>{_x(ident)}</AnalysisID>")
        if part is not None:
            # v1.10 states the part unsigned (AnalysisAmount), v1.30 as debit or credit.
            side = "" if version == "1.10" else "Debit" if part >= 0 else "Credit"
            parts.append(
                f"<{side}AnalysisAmount><Amount>{abs(part):.2f}</Amount></{side}AnalysisAmount>"
            )
        parts.append("</Analysis>")
    if line.source_document is not None:
        parts.append(f"<SourceDocumentID>{_x(line.source_document)}</SourceDocumentID>")
    if line.supplier is not None:
        parts.append(f"<SupplierID>{_x(line.supplier)}</SupplierID>")
    parts.append(f"<Description>{_x(line.description)}</Description>")
    side = "Debit" if line.amount >= 0 else "Credit"
    parts.append(f"<{side}Amount><Amount>{abs(line.amount):.2f}</Amount></{side}Amount>")
    if line.tax is not None:
        tax = line.tax
        # v1.10 states the VAT unsigned (TaxAmount), v1.30 as debit or credit.
        tax_side = "" if version == "1.10" else "Debit" if tax.amount >= 0 else "Credit"
        parts.append(
            f"<TaxInformation><TaxType>MVA</TaxType><TaxCode>{_x(tax.code)}</TaxCode>"
            f"<TaxPercentage>{tax.percentage}</TaxPercentage><TaxBase>{tax.base:.2f}</TaxBase>"
            f"<{tax_side}TaxAmount><Amount>{abs(tax.amount):.2f}</Amount></{tax_side}TaxAmount>"
            "</TaxInformation>"
        )
    parts.append("</Line>")
    return "".join(parts)


def lines_of(transactions: Iterable[Transaction]) -> Iterator[Line]:
    for transaction in transactions:
        yield from transaction.lines
