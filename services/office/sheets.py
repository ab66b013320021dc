"""A municipality's spreadsheet of in-kind work hours, read into `InKindHoursRecorded` data.

Municipal contacts keep their hours in Excel, so the office takes the file the way they have it:
CSV or XLSX, Norwegian or English headers, decimal commas, `kr 450,-`. Only what the file itself
gets wrong is reported here: a required cell left empty, a date or a number that cannot be read.
Whether the activity exists, the rate is allowed or the hours are plausible is for the finance
service to say when the office asks it to validate each row, so those rules live in one place.

Pure: the caller hands over the bytes; nothing here touches files, clocks or the network.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from openpyxl import Workbook, load_workbook

MAX_BYTES = 5 * 1024 * 1024
"""Larger uploads are refused before they are read."""
MAX_ROWS = 1000
"""Data rows per file: as many as a person can check in a preview, and a bound on the posts."""
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
"""An XLSX is a zip, and a small zip can unpack to gigabytes; its parts may not add up to more."""
ACCEPTED_KINDS = (".csv", ".xlsx")

FIELD_OF_COLUMN: dict[str, str] = {
    "person": "person",
    "municipality": "municipality",
    "activity": "activity",
    "date": "work_date",
    "hours": "hours",
    "rate": "hourly_rate",
    "role": "role",
    "description": "description",
}
"""Our column key -> the `InKindHoursRecorded` data field. Also the way back: the finance
service points at `/data/hours` or `/0/data/work_date`, a person fixes a column."""

COLUMN_HEADERS: dict[str, tuple[str, ...]] = {
    "person": ("person", "navn", "name"),
    "municipality": ("kommune", "municipality"),
    "activity": ("aktivitet", "activity"),
    "date": ("dato", "date", "work_date"),
    "hours": ("timer", "hours"),
    "rate": ("sats", "timesats", "timepris", "rate", "hourly_rate"),
    "role": ("rolle", "role"),
    "description": ("beskrivelse", "kommentar", "description"),
}
"""The header names each column goes by, compared trimmed and case-insensitively, with spaces,
hyphens and underscores alike ("Work date" is `work_date`)."""

REQUIRED_COLUMNS = ("person", "municipality", "activity", "date", "hours", "rate")

_DATE_ERROR = ("date", "not a date; write it as 2010-04-06 or 06.04.2010")
_NUMBER_ERROR = ("number", "not a number; write it as 7.5 or 7,5")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""Old .xls files and password-protected workbooks start this way."""
_DELIMITERS = ";,\t"


class SheetError(ValueError):
    """The file as a whole cannot be read. `code` is stable, for the caller to translate;
    `columns` holds our column keys when the problem is about columns."""

    def __init__(self, code: str, message: str, columns: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.columns = list(columns)


@dataclass(frozen=True)
class CellError:
    column: str
    """Our column key, e.g. "hours"."""
    code: str
    """"required", "date" or "number"."""
    message: str


@dataclass
class SheetRow:
    """One data row. Mutable so that the caller can add the finance service's findings to
    `errors` next to ours."""

    line: int
    """The row number Excel shows, so a person finds the row in their own file."""
    values: dict[str, str]
    """Each recognised column's text as shown, for the preview."""
    data: dict[str, str] | None
    """The event's data, ready to post; None when the row has errors of its own."""
    errors: list[CellError] = field(default_factory=list)


@dataclass
class Sheet:
    rows: list[SheetRow]
    ignored_columns: list[str]
    """Header names we do not know, as written: shown so a misspelt header is noticed."""


@dataclass(frozen=True)
class ColumnMapping:
    """How an export that is not the office's own sheet names its columns: `headers` gives,
    per column key, the export's header (found before the usual names); `values` gives a
    column the export lacks one value for every row (the municipality of a municipality's
    export)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)


def read_sheet(filename: str, content: bytes, columns: ColumnMapping | None = None) -> Sheet:
    """The rows of an uploaded CSV or XLSX file. Raises `SheetError` for a file that cannot be
    read as a whole; problems of single cells are in each row's `errors`."""
    kind = _kind(filename)
    mapping = columns or ColumnMapping()
    if len(content) > MAX_BYTES:
        raise SheetError("too_large", f"the file is larger than {MAX_BYTES // 2**20} MiB")
    if kind == ".csv":
        return _build(_csv_rows(content), mapping)
    workbook = _open_xlsx(content)
    try:
        return _build(_xlsx_rows(workbook), mapping)
    finally:
        workbook.close()


def finance_findings(problem: Mapping[str, object]) -> list[CellError]:
    """What the finance service refused in a row (its problem details) as the row's cell
    errors, each on the column its pointer names: the office's preview and `ptrack import
    timesheet` show the same findings the same way."""
    errors = problem.get("errors")
    found = [
        CellError(
            column_of_pointer(str(error.get("pointer") or "")),
            str(error.get("rule") or ""),
            str(error.get("detail")),
        )
        for error in (errors if isinstance(errors, list) else [])
        if isinstance(error, dict)
    ]
    return found or [CellError("", "refused", str(problem.get("detail") or problem.get("title")))]


def column_of_pointer(pointer: str) -> str:
    """`/0/data/hours` -> `hours`, `/data/work_date` -> `date`; '' for the row as a whole."""
    parts = [part for part in pointer.split("/") if part]
    if parts and parts[0].isdigit():
        parts = parts[1:]
    if len(parts) >= 2 and parts[0] == "data":
        return _COLUMN_OF_FIELD.get(parts[1], "")
    return ""


_COLUMN_OF_FIELD = {field: column for column, field in FIELD_OF_COLUMN.items()}


# --- The file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cell:
    text: str
    """As shown, trimmed."""
    native: date | Decimal | None = None
    """What a typed XLSX cell holds, so that a date cell needs no reading of its text."""


_BLANK = _Cell("")
_Rows = Iterator[tuple[int, list[_Cell]]]


def _kind(filename: str) -> str:
    """The extension decides, since browsers send whatever content type the OS guesses."""
    _, dot, suffix = filename.strip().lower().rpartition(".")
    kind = f".{suffix}" if dot else ""
    if kind not in ACCEPTED_KINDS:
        raise SheetError(
            "unsupported_type",
            "only .csv and .xlsx files can be read; save the sheet as CSV or Excel Workbook",
        )
    return kind


def _csv_rows(content: bytes) -> _Rows:
    if content.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise SheetError(
            "not_csv", "the file is an Excel workbook, not CSV; name it .xlsx or save it as CSV"
        )
    text = _decode(content)
    return _csv_records(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))


def _csv_records(records: Iterator[list[str]]) -> _Rows:
    # Numbered by record, not by physical line: a quoted cell holding line breaks is still one
    # row in Excel, and a blank line is a row there too.
    try:
        for line, record in enumerate(records, start=1):
            yield line, [_Cell(value.strip()) for value in record]
    except csv.Error as error:
        raise SheetError("unreadable", f"the CSV file cannot be read: {error}") from None


def _decode(content: bytes) -> str:
    """UTF-8 first (with or without BOM); Norwegian Excel's "CSV" without "UTF-8" is cp1252,
    and latin-1 takes the bytes cp1252 leaves undefined rather than refusing the file."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            raise SheetError("unreadable", "the CSV file is not valid UTF-16") from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _delimiter(text: str) -> str:
    """Norwegian Excel writes `;`, English Excel `,`, some exports tabs. The header line decides:
    the delimiter that splits it into the most of our column names wins (csv.Sniffer alone
    prefers `,` whenever several fit a single line). Where that does not tell, csv.Sniffer does,
    and where it cannot, Norwegian Excel's `;`."""
    header = next((line for line in text.splitlines() if line.strip(_DELIMITERS + ' "')), "")
    known = {delimiter: _known_headers(header, delimiter) for delimiter in _DELIMITERS}
    best = [delimiter for delimiter in _DELIMITERS if known[delimiter] == max(known.values())]
    if len(best) == 1:
        return best[0]
    try:
        return csv.Sniffer().sniff(header, delimiters="".join(best)).delimiter
    except csv.Error:
        return ";"


def _known_headers(header: str, delimiter: str) -> int:
    names = next(csv.reader([header], delimiter=delimiter), [])
    return sum(1 for name in names if _header_key(name) in _COLUMN_OF_HEADER)


def _open_xlsx(content: bytes) -> Workbook:
    try:
        if not content.startswith(_ZIP_MAGIC):
            raise zipfile.BadZipFile
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetError(
            "not_xlsx",
            "the file is not an XLSX workbook (an .xlsx file is a zip archive); "
            "save it as Excel Workbook (.xlsx) or as CSV",
        ) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetError("too_large", "the workbook unpacks to more than a sheet of hours needs")
    try:
        # data_only: a formula's value as Excel last computed it, which is what the person saw.
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # any failure of the parser on an upload is the file's
        raise SheetError("unreadable", "the XLSX workbook cannot be read") from error


def _xlsx_rows(workbook: Workbook) -> _Rows:
    if not workbook.worksheets:
        raise SheetError("empty", "the workbook holds no worksheet")
    sheet = workbook.worksheets[0]
    # The dimension an exporter writes can be wrong; trusting it could cut rows off.
    sheet.reset_dimensions()
    try:
        # openpyxl fills in the rows a file leaves out, so counting from 1 gives Excel's numbers.
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_xlsx_cell(value) for value in values]
    except Exception as error:  # any failure of the parser on an upload is the file's
        raise SheetError("unreadable", "the XLSX workbook cannot be read") from error


def _xlsx_cell(value: object) -> _Cell:
    if value is None:
        return _BLANK
    if isinstance(value, bool):  # before int, which it is too
        return _Cell("TRUE" if value else "FALSE")
    if isinstance(value, datetime):
        shown = value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
        return _Cell(shown, value.date())
    if isinstance(value, date):
        return _Cell(value.isoformat(), value)
    if isinstance(value, int):
        return _number_cell(Decimal(value))
    if isinstance(value, float) and math.isfinite(value):
        # Excel keeps and shows 15 significant digits, so this is the number the person sees:
        # 7.5 stays 7.5, 450.0 is 450, and a formula's 0.1 + 0.2 is 0.3, not 0.30000000000000004.
        return _number_cell(Decimal(format(value, ".15g")))
    return _Cell(str(value).strip())


def _number_cell(number: Decimal) -> _Cell:
    return _Cell(_plain(number), number)


# --- Header and rows -----------------------------------------------------------------------


def _header_key(name: str) -> str:
    return re.sub(r"[\s_-]+", "_", name.strip().casefold())


_COLUMN_OF_HEADER = {name: key for key, names in COLUMN_HEADERS.items() for name in names}


def _build(rows: _Rows, mapping: ColumnMapping) -> Sheet:
    columns, ignored = _read_header(rows, mapping)
    sheet_rows: list[SheetRow] = []
    for line, cells in rows:
        picked = {key: cells[index] if index < len(cells) else _BLANK for key, index in columns}
        # A row with nothing in our columns carries nothing to post (an empty row, or a note in
        # a column we ignore), so it is skipped rather than reported as missing everything.
        if not any(cell.text for cell in picked.values()):
            continue
        for key, value in mapping.values.items():
            if not picked.get(key, _BLANK).text:
                picked[key] = _Cell(value)
        if len(sheet_rows) == MAX_ROWS:
            raise SheetError(
                "too_many_rows", f"the file has more than {MAX_ROWS} rows; split it into several"
            )
        sheet_rows.append(_read_row(line, picked))
    return Sheet(rows=sheet_rows, ignored_columns=ignored)


def _read_header(rows: _Rows, mapping: ColumnMapping) -> tuple[list[tuple[str, int]], list[str]]:
    """The first non-empty row names the columns: blank rows above it are common."""
    for _line, cells in rows:
        names = [cell.text for cell in cells]
        if any(names):
            return _map_header(names, mapping)
    raise SheetError("empty", "the file holds no rows; the first row should name the columns")


def _map_header(
    names: list[str], mapping: ColumnMapping
) -> tuple[list[tuple[str, int]], list[str]]:
    """(our column key, its index) in our order, and the header names we do not know."""
    index_of: dict[str, int] = {}
    ignored: list[str] = []
    twice: list[str] = []
    exported = {_header_key(header): key for key, header in mapping.headers.items()}
    for index, name in enumerate(names):
        key = exported.get(_header_key(name)) or _COLUMN_OF_HEADER.get(_header_key(name))
        if key is None:
            if name:
                ignored.append(name)
        elif key in index_of:
            twice.append(key)
        else:
            index_of[key] = index
    missing = [key for key in REQUIRED_COLUMNS if key not in index_of and key not in mapping.values]
    if missing:
        raise SheetError(
            "missing_columns", f"missing required columns: {', '.join(missing)}", missing
        )
    if twice:
        twice = list(dict.fromkeys(twice))
        raise SheetError(
            "duplicate_columns", f"more than one column holds: {', '.join(twice)}", twice
        )
    return [(key, index_of[key]) for key in FIELD_OF_COLUMN if key in index_of], ignored


def _read_row(line: int, cells: dict[str, _Cell]) -> SheetRow:
    values = {key: cell.text for key, cell in cells.items()}
    data: dict[str, str] = {}
    errors: list[CellError] = []
    for key, cell in cells.items():
        if not cell.text:
            if key in REQUIRED_COLUMNS:
                errors.append(CellError(key, "required", "a value is required"))
            continue
        try:
            data[FIELD_OF_COLUMN[key]] = _READERS[key](cell)
        except _Unreadable as problem:
            errors.append(CellError(key, problem.code, problem.message))
    return SheetRow(line=line, values=values, data=None if errors else data, errors=errors)


# --- Values --------------------------------------------------------------------------------


class _Unreadable(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_TIME_OF_DAY = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
"""Exports of date-time cells add a midnight; the day is what counts."""
_ISO_DATE = re.compile(rf"([0-9]{{4}})-([0-9]{{1,2}})-([0-9]{{1,2}}){_TIME_OF_DAY}")
_NORWEGIAN_DATE = re.compile(rf"([0-9]{{1,2}})\.([0-9]{{1,2}})\.([0-9]{{4}}){_TIME_OF_DAY}")
# Two-digit years and slashes are refused: 06/04/10 is a different day in different countries.

_CURRENCY = re.compile(r"^(?:kr\.?|nok)|(?:kr\.?|nok)$", re.IGNORECASE)
_WHOLE_KRONER = re.compile(r"[.,]-$")
"""`450,-` is how Norwegians write 450 kroner even."""
_WHITESPACE = re.compile(r"\s+")
"""Unicode whitespace, so the no-break and narrow no-break spaces Excel puts between thousands."""
_GROUPED = re.compile(r"[0-9]{1,3}(?: [0-9]{3})+")
_DIGITS = re.compile(r"[0-9]*")
"""ASCII digits only: `Decimal` would also take Arabic-Indic ones, which nobody meant here."""


def _text(cell: _Cell) -> str:
    return cell.text


def _activity(cell: _Cell) -> str:
    return cell.text.lower()


def _work_date(cell: _Cell) -> str:
    if isinstance(cell.native, date):
        return cell.native.isoformat()
    if match := _ISO_DATE.fullmatch(cell.text):
        year, month, day = match.group(1, 2, 3)
    elif match := _NORWEGIAN_DATE.fullmatch(cell.text):
        day, month, year = match.group(1, 2, 3)
    else:
        raise _Unreadable(*_DATE_ERROR)
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise _Unreadable(*_DATE_ERROR) from None


def _hours(cell: _Cell) -> str:
    return _plain(_number(cell))


def _rate(cell: _Cell) -> str:
    """Two decimals, as money is written on the wire. More are left as written for the finance
    service to refuse: rounding a rate here would change the amount without anyone seeing."""
    whole, _, fraction = _plain(_number(cell, currency=True)).partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _number(cell: _Cell, *, currency: bool = False) -> Decimal:
    if isinstance(cell.native, Decimal):
        return cell.native
    text = cell.text
    if currency:
        text = _WHOLE_KRONER.sub("", _CURRENCY.sub("", text).strip())
    number = _parse_decimal(text)
    if number is None:
        raise _Unreadable(*_NUMBER_ERROR)
    return number


def _parse_decimal(text: str) -> Decimal | None:
    """`7,5`, `7.5`, `1 250,50`, `1.250,50`, `1,250.50`. Spaces, and whichever of `,` and `.` is
    not the decimal mark, group thousands; a grouping that is not in threes is refused, since
    `12 34` is more likely two numbers than one."""
    compact = _WHITESPACE.sub(" ", text.strip()).replace("\u2212", "-")
    sign = ""
    if compact[:1] in ("-", "+"):
        sign = "-" if compact[0] == "-" else ""
        compact = compact[1:].lstrip()
    point = _decimal_point(compact)
    whole, fraction = compact, ""
    if point is not None:
        whole, fraction = compact.rsplit(point, 1)
    whole = whole.replace(",", " ").replace(".", " ")
    if " " in whole:
        if not _GROUPED.fullmatch(whole):
            return None
        whole = whole.replace(" ", "")
    if not (whole or fraction) or not _DIGITS.fullmatch(whole) or not _DIGITS.fullmatch(fraction):
        return None
    return Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")


def _decimal_point(text: str) -> str | None:
    """With both marks the last one is decimal; one mark once is decimal (a Norwegian `1,250`
    is one and a quarter); one mark several times groups thousands."""
    commas, points = text.count(","), text.count(".")
    if commas and points:
        return "," if text.rfind(",") > text.rfind(".") else "."
    if commas == 1:
        return ","
    if points == 1:
        return "."
    return None


def _plain(number: Decimal) -> str:
    """Without exponent or trailing zeros (`7.50` is `7.5`, `1E+3` is `1000`); exact, since
    formatting a Decimal as "f" never rounds."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


_READERS: dict[str, Callable[[_Cell], str]] = {
    "person": _text,
    "municipality": _text,
    "activity": _activity,
    "date": _work_date,
    "hours": _hours,
    "rate": _rate,
    "role": _text,
    "description": _text,
}
