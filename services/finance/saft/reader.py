"""Reading a SAF-T Financial file: validated against the official schema of its version, in one
streaming pass, in memory that does not grow with the file.

lxml (libxml2) parses and validates as it reads (`iterparse` with the schema); each record
(`<Transaction>`, a master-data `<Supplier>`, ...) is turned into plain data as it ends and then
cleared and unlinked, so the tree never holds more than the record being read. What stays is
what the import needs: the header, the suppliers' names, the totals, and the project's lines.

libxml2 tells whether a file is valid as it streams, but its streaming validator does not know
the line of what it finds wrong. So an invalid file is read a second time to place each error:
every `<Transaction>` is validated on its own against its declaration, taken unchanged from the
official schema, and the rest of the file (header, master data, journals without their
transactions) as a whole against the official schema; elements keep their source lines, so each
error names its line and element. (The official schemas' key and keyref constraints select
unqualified names in a qualified document and so constrain nothing, in one pass or in parts.)
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

from lxml import etree

from services.finance.saft.ledger import (
    FileTotals,
    Header,
    LedgerLine,
    RawAnalysis,
    RawLine,
    RawTransaction,
    project_lines,
)

NAMESPACE = "urn:StandardAuditFile-Taxation-Financial:NO"
N = f"{{{NAMESPACE}}}"
XS = "{http://www.w3.org/2001/XMLSchema}"
SCHEMA_FILES = {
    "1.10": "Norwegian_SAF-T_Financial_Schema_v_1.10.xsd",
    # The v1.10 schema file names itself version 1.20 (its minor revision of 2020), so files
    # made to it may say either.
    "1.20": "Norwegian_SAF-T_Financial_Schema_v_1.10.xsd",
    "1.30": "Norwegian_SAF-T_Financial_Schema_v_1.30.xsd",
}
MAX_ERRORS = 100
"""Schema errors reported of one file; an export gone wrong repeats one error on every line."""
_SAFE: dict[str, Any] = {
    # Internal entities only: never a file or URL (XXE); libxml2 bounds their expansion.
    # (`False` would be stricter, but with a schema lxml then lets a truncated file pass.)
    "resolve_entities": "internal",
    "no_network": True,
    "load_dtd": False,
    "remove_comments": True,
    "remove_pis": True,
}
"""An uploaded file is untrusted: no entities, DTDs or network look-ups (XXE, billion laughs)."""
_RECORDS = (
    "Transaction", "Supplier", "Account", "Customer", "TaxTableEntry", "AnalysisTypeTableEntry",
    "UOMTableEntry", "MovementTypeTableEntry", "Product", "PhysicalStockEntry", "Owner", "Asset",
    "Taxonomy", "Invoice", "Payment", "StockMovement", "AssetTransaction",
)  # fmt: skip
"""Every element the schema repeats without bound under a section: each is cleared once read."""
_TOTALS = ("NumberOfEntries", "TotalDebit", "TotalCredit")
_TAGS = tuple(f"{N}{name}" for name in (*_RECORDS, *_TOTALS, "Header", "AuditFile"))
_BYTES_MESSAGE = re.compile(r"^line \d+: b'(.*)'$")
"""How lxml words a parse error met while validating: the message inside is what counts."""
_ELEMENT = re.compile(r"Element '(?:\{[^}]*\})?([^']+)'")


Source = Path | IO[bytes]
"""A file by its path, or an open binary file that can seek (an upload spooled to disk)."""


@dataclass(frozen=True)
class SchemaError:
    line: int
    """The line in the file; 0 where it cannot be told."""
    element: str
    message: str


class SaftRefused(Exception):
    """The file cannot be imported as a whole: not SAF-T of a version we know, or invalid
    against its schema. `errors` says where and why."""

    def __init__(self, rule: str, detail: str, errors: list[SchemaError]) -> None:
        super().__init__(detail)
        self.rule = rule
        self.detail = detail
        self.errors = errors


@dataclass(frozen=True)
class Stated:
    """The header of `<GeneralLedgerEntries>`: what the file says it holds."""

    entries: int
    debit: int
    credit: int


@dataclass
class Ledger:
    header: Header
    stated: Stated
    counted: FileTotals
    lines: list[LedgerLine]
    """The project's lines, in file order."""


def read_ledger(source: Source, analysis_type: str, analysis_id: str) -> Ledger:
    """The project's lines of a valid SAF-T file, with its header and totals; raises
    SaftRefused for a file that is not one."""
    version = sniff_version(source)
    schema = official_schema(version)
    reading = _Reading(analysis_type, analysis_id)
    try:
        for _, element in etree.iterparse(
            _opened(source), events=("end",), tag=_TAGS, schema=schema, **_SAFE
        ):
            reading.take(element)
    except etree.XMLSyntaxError as error:
        raise _invalid(source, version, error) from None
    if not reading.ended:  # the parser says so itself; this guards against a quiet stop
        raise SaftRefused(
            "well_formed", "the file ends before </AuditFile>", [SchemaError(0, "AuditFile", "")]
        )
    return reading.ledger(version)


def _opened(source: Source) -> str | IO[bytes]:
    """What lxml reads, from the start (each pass reads the file anew)."""
    if isinstance(source, Path):
        return str(source)
    source.seek(0)
    return source


def sniff_version(source: Source) -> str:
    """`Header/AuditFileVersion`, read before the schema is chosen (it is near the top)."""
    try:
        for _, element in etree.iterparse(_opened(source), events=("end",), **_SAFE):
            if etree.QName(element).localname == "AuditFileVersion":
                version = (element.text or "").strip()
                if version not in SCHEMA_FILES:
                    raise SaftRefused(
                        "supported_version",
                        f"SAF-T Financial version {version!r} is not one ptrack knows "
                        f"({', '.join(sorted(SCHEMA_FILES))})",
                        [SchemaError(element.sourceline or 0, "AuditFileVersion", version)],
                    )
                return version
            if etree.QName(element).localname in ("MasterFiles", "GeneralLedgerEntries"):
                break
    except etree.XMLSyntaxError as error:
        raise SaftRefused(
            "well_formed", "the file is not well-formed XML", _errors(error.error_log)
        ) from None
    raise SaftRefused(
        "saft_header",
        "the file has no Header/AuditFileVersion: it is not a SAF-T Financial file",
        [SchemaError(1, "AuditFileVersion", "is required in the Header")],
    )


@cache
def official_schema(version: str) -> etree.XMLSchema:
    return etree.XMLSchema(_schema_document(version))


def schema_source(version: str) -> bytes:
    return (resources.files(__package__) / "schemas" / SCHEMA_FILES[version]).read_bytes()


def _schema_document(version: str) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(schema_source(version)))


class _Reading:
    """One pass over the file: the header, the suppliers, the totals, the project's lines."""

    def __init__(self, analysis_type: str, analysis_id: str) -> None:
        self.analysis_type = analysis_type
        self.analysis_id = analysis_id
        self.header: Header | None = None
        self.suppliers: dict[str, str] = {}
        self.stated: dict[str, int] = {}
        self.counted = FileTotals()
        self.lines: list[LedgerLine] = []
        self.ended = False

    def take(self, element: etree._Element) -> None:
        name = element.tag[len(N) :] if isinstance(element.tag, str) else ""
        if name == "Transaction":
            if not self._may_be_ours(element):
                self._count_other(element)
                _forget(element)
                return
            transaction = _transaction(element)
            found = project_lines(transaction, self.analysis_type, self.analysis_id, self.suppliers)
            self.counted.add(transaction, found)
            self.lines.extend(found)
        elif name == "Supplier":
            supplier_id = _text(element, "SupplierID")
            if supplier_id:
                self.suppliers[supplier_id] = _text(element, "Name")
        elif name in _TOTALS:
            parent = element.getparent()
            if parent is not None and parent.tag == f"{N}GeneralLedgerEntries":
                text = (element.text or "").strip()
                self.stated[name] = int(text) if name == "NumberOfEntries" else _ore(text)
            return
        elif name == "Header":
            self.header = _header(element)
            return
        elif name == "AuditFile":
            self.ended = True
            return
        _forget(element)

    def _may_be_ours(self, element: etree._Element) -> bool:
        """Whether a line names the project's analysis id (its type is checked after): most
        transactions of a municipality's ledger are not the project's, and for them the sums
        are all that is needed, read without making a line of each."""
        return any(
            (found.text or "").strip() == self.analysis_id
            for found in element.iterfind(_ANALYSIS_ID)
        )

    def _count_other(self, element: etree._Element) -> None:
        debit = sum(_ore(found.text or "0") for found in element.iterfind(_DEBIT_AMOUNT))
        credit = sum(_ore(found.text or "0") for found in element.iterfind(_CREDIT_AMOUNT))
        self.counted.add_other(len(element.findall(_LINE)), debit, credit)

    def ledger(self, version: str) -> Ledger:
        header = self.header or Header(version, None, "", "NOK", None, None)
        stated = Stated(
            self.stated.get("NumberOfEntries", 0),
            self.stated.get("TotalDebit", 0),
            self.stated.get("TotalCredit", 0),
        )
        return Ledger(header, stated, self.counted, self.lines)


def _forget(element: etree._Element) -> None:
    """Clear a record once read, and unlink the records read before it: an emptied element
    still costs a node, and a file has millions."""
    element.clear()
    parent = element.getparent()
    if parent is None:
        return
    while (before := element.getprevious()) is not None and before.tag == element.tag:
        parent.remove(before)


def _text(element: etree._Element, child: str) -> str:
    return (element.findtext(f"{N}{child}") or "").strip()


def _optional(element: etree._Element, child: str) -> str | None:
    return element.findtext(f"{N}{child}")


def _ore(text: str) -> int:
    """A schema-valid `SAFmonetaryType` (at most two decimals) in øre."""
    try:
        return int(Decimal(text.strip()) * 100)
    except InvalidOperation:
        return 0


def _day(text: str | None) -> date | None:
    if not text:
        return None
    # xs:date may carry a time zone (2010-03-15Z, 2010-03-15+01:00); the day is what counts.
    return date.fromisoformat(text.strip()[:10])


def _header(element: etree._Element) -> Header:
    company = element.find(f"{N}Company")
    criteria = element.find(f"{N}SelectionCriteria")
    start = end = None
    if criteria is not None:
        start = _day(_optional(criteria, "SelectionStartDate"))
        end = _day(_optional(criteria, "SelectionEndDate"))
    return Header(
        version=_text(element, "AuditFileVersion"),
        registration_number=(
            None if company is None else _text(company, "RegistrationNumber") or None
        ),
        company="" if company is None else _text(company, "Name"),
        currency=_text(element, "DefaultCurrencyCode"),
        start=start,
        end=end,
    )


def _transaction(element: etree._Element) -> RawTransaction:
    journal = element.getparent()
    fields: dict[str, str] = {}
    lines: list[RawLine] = []
    # One walk over the children: a file has millions of them, and each find() is a walk.
    for child in element.iterchildren():
        tag = child.tag
        if tag == _LINE:
            lines.append(_line(child))
        elif isinstance(tag, str):
            fields[tag[_CUT:]] = child.text or ""
    day = _day(fields.get("TransactionDate"))
    assert day is not None  # required by the schema; an invalid file fails the pass anyway
    return RawTransaction(
        journal="" if journal is None else _text(journal, "JournalID"),
        id=fields.get("TransactionID", "").strip(),
        day=day,
        description=fields.get("Description", ""),
        lines=tuple(lines),
        supplier=fields.get("SupplierID"),
        sourceline=_line_of(element),
    )


def _line_of(element: etree._Element) -> int:
    line: Any = element.sourceline  # lxml-stubs leave its type out
    return int(line or 0)


def _line(element: etree._Element) -> RawLine:
    fields: dict[str, str] = {}
    amount = 0
    tags: list[etree._Element] = []
    taxes: list[etree._Element] = []
    for child in element.iterchildren():
        tag = child.tag
        if tag == _DEBIT:
            amount = _ore(child.findtext(_AMOUNT) or "0")
        elif tag == _CREDIT:
            amount = -_ore(child.findtext(_AMOUNT) or "0")
        elif tag == _ANALYSIS:
            tags.append(child)
        elif tag == _TAX:
            taxes.append(child)
        elif isinstance(tag, str):
            fields[tag[_CUT:]] = child.text or ""
    vat = 0
    codes: list[str] = []
    for tax in taxes:
        code = tax.findtext(f"{N}TaxCode")
        if code:
            codes.append(code.strip())
        if (stated := tax.findtext(f"{N}DebitTaxAmount/{N}Amount")) is not None:
            vat += _ore(stated)
        elif (stated := tax.findtext(f"{N}CreditTaxAmount/{N}Amount")) is not None:
            vat -= _ore(stated)
        elif (stated := tax.findtext(f"{N}TaxAmount/{N}Amount")) is not None:
            # v1.10 states VAT without a side: it goes the way of the line it is on.
            vat += _ore(stated) if amount >= 0 else -_ore(stated)
    return RawLine(
        record=fields.get("RecordID", "").strip(),
        account=fields.get("AccountID", "").strip(),
        amount=amount,
        description=fields.get("Description", ""),
        analysis=tuple(_analysis(tag, amount) for tag in tags),
        source_document=fields.get("SourceDocumentID"),
        supplier=fields.get("SupplierID"),
        vat=vat,
        tax_codes=tuple(codes),
    )


_CUT = len(N)
_ANALYSIS_ID = f"{N}Line/{N}Analysis/{N}AnalysisID"
_DEBIT_AMOUNT = f"{N}Line/{N}DebitAmount/{N}Amount"
_CREDIT_AMOUNT = f"{N}Line/{N}CreditAmount/{N}Amount"
_LINE, _DEBIT, _CREDIT = f"{N}Line", f"{N}DebitAmount", f"{N}CreditAmount"
_ANALYSIS, _TAX, _AMOUNT = f"{N}Analysis", f"{N}TaxInformation", f"{N}Amount"


def _analysis(element: etree._Element, line_amount: int) -> RawAnalysis:
    amount: int | None = None
    if (debit := element.findtext(f"{N}DebitAnalysisAmount/{N}Amount")) is not None:
        amount = _ore(debit)
    elif (credit := element.findtext(f"{N}CreditAnalysisAmount/{N}Amount")) is not None:
        amount = -_ore(credit)
    elif (part := element.findtext(f"{N}AnalysisAmount/{N}Amount")) is not None:
        # v1.10: unsigned, on the side of its line.
        amount = _ore(part) if line_amount >= 0 else -_ore(part)
    return RawAnalysis(_text(element, "AnalysisType"), _text(element, "AnalysisID"), amount)


# --- Placing the errors of an invalid file ------------------------------------------------------


def _invalid(source: Source, version: str, error: etree.XMLSyntaxError) -> SaftRefused:
    streamed = _errors(error.error_log)
    if any(found.line for found in streamed) or not streamed:
        # A well-formedness error stops the parser where it is, and says where.
        return SaftRefused(
            "well_formed", "the file is not well-formed XML", streamed or _unplaced(error)
        )
    try:
        placed = locate_errors(source, version)
    except etree.XMLSyntaxError as broken:
        # Not well-formed after all (a cut file also breaks the schema first, without a line).
        return SaftRefused("well_formed", "the file is not well-formed XML", _unplaced(broken))
    return SaftRefused(
        "schema_valid",
        f"the file is not valid against the SAF-T Financial {version} schema",
        placed or streamed,
    )


def locate_errors(source: Source, version: str) -> list[SchemaError]:
    """The schema errors of an invalid file, each with its line: every transaction against its
    own declaration, the rest of the file as a whole (see the module's docstring)."""
    transaction = transaction_schema(version)
    errors: list[SchemaError] = []
    root: etree._Element | None = None
    for _, element in etree.iterparse(
        _opened(source), events=("end",), tag=f"{N}Transaction", **_SAFE
    ):
        if not transaction.validate(element):
            errors.extend(_errors(transaction.error_log))
        root = element.getroottree().getroot()
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)  # the skeleton stays valid: Transaction is minOccurs="0"
        if len(errors) >= MAX_ERRORS:
            return errors[:MAX_ERRORS]
    if root is None:
        root = etree.parse(_opened(source), etree.XMLParser(**_SAFE)).getroot()
    official = official_schema(version)
    if not official.validate(root):
        errors = _errors(official.error_log) + errors
    return sorted(errors, key=lambda found: found.line)[:MAX_ERRORS]


@cache
def transaction_schema(version: str) -> etree.XMLSchema:
    """The official schema with its `Transaction` declaration (inside `Journal`) also declared
    globally, copied unchanged but for the occurrence bounds a global element may not carry."""
    document = _schema_document(version)
    root = document.getroot()
    declaration = root.find(f".//{XS}element[@name='Journal']//{XS}element[@name='Transaction']")
    assert declaration is not None, "the official schema declares Journal/Transaction"
    global_copy = copy.deepcopy(declaration)
    for bound in ("minOccurs", "maxOccurs"):
        if bound in global_copy.attrib:
            del global_copy.attrib[bound]
    root.append(global_copy)
    return etree.XMLSchema(document)


def _errors(log: Any) -> list[SchemaError]:
    found: dict[tuple[int, str], SchemaError] = {}  # libxml2 may say one thing twice
    for entry in list(log)[: MAX_ERRORS * 2]:
        message = _BYTES_MESSAGE.sub(r"\1", str(entry.message).replace(N, ""))
        element = _ELEMENT.search(str(entry.message))
        line = int(entry.line or 0)
        found.setdefault(
            (line, message), SchemaError(line, element.group(1) if element else "", message)
        )
    return list(found.values())[:MAX_ERRORS]


def _unplaced(error: etree.XMLSyntaxError) -> list[SchemaError]:
    """A parse error as lxml raises it: its own line, its message without lxml's suffix."""
    message = _BYTES_MESSAGE.sub(r"\1", str(error.msg).replace(N, ""))
    message = re.sub(r", line \d+, column \d+$", "", message)
    return [SchemaError(int(error.lineno or 0), "", message)]
