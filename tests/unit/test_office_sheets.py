"""Reading municipal in-kind hours from uploaded CSV and XLSX files."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from services.finance.events import InKindHoursRecorded
from services.office.sheets import (
    FIELD_OF_COLUMN,
    MAX_BYTES,
    MAX_ROWS,
    CellError,
    ColumnMapping,
    SheetError,
    SheetRow,
    finance_findings,
    read_sheet,
)

NORWEGIAN_HEADER = "Navn;Kommune;Rolle;Aktivitet;Dato;Timer;Timesats;Beskrivelse"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return "\r\n".join(lines).encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_in_sheet(content: bytes, old: str, new: str) -> bytes:
    """The workbook with the first sheet's XML edited: Excel stores a formula's 0.1 + 0.2 as
    `0.30000000000000004`, where openpyxl would write `0.3`."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            target.writestr(part, data)
    return buffer.getvalue()


def one_row(hours: str = "7,5", rate: str = "450", work_date: str = "06.04.2010") -> SheetRow:
    """The single row of a Norwegian CSV with the given cells."""
    content = csv_bytes(
        "Navn;Kommune;Aktivitet;Dato;Timer;Sats",
        f"Kari Nordmann;Kongsberg;workshop;{work_date};{hours};{rate}",
    )
    (row,) = read_sheet("timer.csv", content).rows
    return row


def error_codes(row: SheetRow) -> list[tuple[str, str]]:
    return [(error.column, error.code) for error in row.errors]


def test_semicolon_csv_with_decimal_commas_and_norwegian_headers() -> None:
    content = csv_bytes(
        NORWEGIAN_HEADER,
        "Kari Nordmann;Kongsberg;Rektor;Workshop ;06.04.2010;7,5;kr 450,-;Første samling",
        "Ola Hansen;Flesberg;;kartlegging;2010-04-07;3;1\u00a0250,50;",
    )

    sheet = read_sheet("timer.csv", content)

    assert sheet.ignored_columns == []
    assert [row.line for row in sheet.rows] == [2, 3]
    first, second = sheet.rows
    assert first.values == {
        "person": "Kari Nordmann",
        "municipality": "Kongsberg",
        "activity": "Workshop",
        "date": "06.04.2010",
        "hours": "7,5",
        "rate": "kr 450,-",
        "role": "Rektor",
        "description": "Første samling",
    }
    assert first.data == {
        "person": "Kari Nordmann",
        "municipality": "Kongsberg",
        "activity": "workshop",
        "work_date": "2010-04-06",
        "hours": "7.5",
        "hourly_rate": "450.00",
        "role": "Rektor",
        "description": "Første samling",
    }
    assert first.errors == []
    # Blank optional cells are left out rather than posted as empty text.
    assert second.data == {
        "person": "Ola Hansen",
        "municipality": "Flesberg",
        "activity": "kartlegging",
        "work_date": "2010-04-07",
        "hours": "3",
        "hourly_rate": "1250.50",
    }


def test_comma_csv_with_english_headers_and_a_bom() -> None:
    content = b"\xef\xbb\xbf" + csv_bytes(
        "Name,Municipality,Activity,Work date,Hours,Hourly_Rate,Role",
        '"Hansen, Ola",Ørnes,meeting,2010-04-06,7.5,450.00,"Adviser"',
    )

    sheet = read_sheet("hours.CSV", content)

    (row,) = sheet.rows
    assert row.data == {
        "person": "Hansen, Ola",
        "municipality": "Ørnes",
        "activity": "meeting",
        "work_date": "2010-04-06",
        "hours": "7.5",
        "hourly_rate": "450.00",
        "role": "Adviser",
    }
    assert sheet.ignored_columns == []


def test_tab_separated_csv() -> None:
    content = csv_bytes(
        "Navn\tKommune\tAktivitet\tDato\tTimer\tSats", "Kari\tÅs\tmøte\t6.4.2010\t2\t400"
    )

    (row,) = read_sheet("timer.csv", content).rows

    assert row.data is not None
    assert (row.data["municipality"], row.data["hours"], row.data["hourly_rate"]) == (
        "Ås",
        "2",
        "400.00",
    )


def test_a_header_with_commas_in_a_semicolon_csv() -> None:
    # csv.Sniffer alone would take "," here: it prefers it whenever several delimiters fit.
    content = csv_bytes(
        "Navn;Kommune;Aktivitet;Dato;Timer;Sats;Merknad, intern",
        "Kari;Kongsberg;møte;06.04.2010;7,5;450;ja, se vedlegg",
    )

    sheet = read_sheet("timer.csv", content)

    assert sheet.ignored_columns == ["Merknad, intern"]
    assert sheet.rows[0].data is not None
    assert sheet.rows[0].data["hours"] == "7.5"


def test_cp1252_csv_from_norwegian_excel() -> None:
    content = csv_bytes(
        NORWEGIAN_HEADER,
        "Kåre Sæther;Kongsberg/Flesberg/Ørnes;Rådgiver;møte;06.04.2010;2,5;500;Møte på rådhuset",
        encoding="cp1252",
    )
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    (row,) = read_sheet("timer.csv", content).rows

    assert row.data == {
        "person": "Kåre Sæther",
        "municipality": "Kongsberg/Flesberg/Ørnes",
        "activity": "møte",
        "work_date": "2010-04-06",
        "hours": "2.5",
        "hourly_rate": "500.00",
        "role": "Rådgiver",
        "description": "Møte på rådhuset",
    }


def test_xlsx_with_date_and_number_cells() -> None:
    content = xlsx_bytes(
        [
            ["Navn", "Kommune", "Aktivitet", "Dato", "Timer", "Sats"],
            ["Kari Nordmann", "Kongsberg", "workshop", date(2010, 4, 6), 7.5, 450],
            ["Ola Hansen", "Flesberg", "møte", "06.04.2010", 8, 450.5],
            ["Per Berg", "Ørnes", "møte", datetime(2010, 4, 8, 0, 0), 0.3, "kr 400"],
        ]
    )
    content = replace_in_sheet(content, "<v>0.3</v>", "<v>0.30000000000000004</v>")

    sheet = read_sheet("timer.xlsx", content)

    assert [row.line for row in sheet.rows] == [2, 3, 4]
    first, second, third = sheet.rows
    assert first.values == {
        "person": "Kari Nordmann",
        "municipality": "Kongsberg",
        "activity": "workshop",
        "date": "2010-04-06",
        "hours": "7.5",
        "rate": "450",
    }
    assert first.data == {
        "person": "Kari Nordmann",
        "municipality": "Kongsberg",
        "activity": "workshop",
        "work_date": "2010-04-06",
        "hours": "7.5",
        "hourly_rate": "450.00",
    }
    assert second.data is not None
    assert (second.data["work_date"], second.data["hours"], second.data["hourly_rate"]) == (
        "2010-04-06",
        "8",
        "450.50",
    )
    # A float is read as the 15 digits Excel shows, not as its binary approximation.
    assert third.values["hours"] == "0.3"
    assert third.data is not None
    assert (third.data["work_date"], third.data["hours"], third.data["hourly_rate"]) == (
        "2010-04-08",
        "0.3",
        "400.00",
    )


def test_rows_with_errors_are_marked_by_column_and_good_rows_get_data() -> None:
    content = csv_bytes(
        "Navn;Kommune;Aktivitet;Dato;Timer;Sats",
        "Kari;Kongsberg;møte;06.04.2010;2;450",
        "Ola;Kongsberg;møte;31.02.2010;2;450",
        "Per;Kongsberg;møte;07.04.2010;;450",
        ";Kongsberg;møte;en dag;sju;450",
        "Ida;Kongsberg;møte;08.04.2010;1;450",
    )

    rows = read_sheet("timer.csv", content).rows

    assert [row.line for row in rows] == [2, 3, 4, 5, 6]
    assert [row.data is not None for row in rows] == [True, False, False, False, True]
    assert rows[1].errors == [
        CellError("date", "date", "not a date; write it as 2010-04-06 or 06.04.2010")
    ]
    assert rows[2].errors == [CellError("hours", "required", "a value is required")]
    assert error_codes(rows[3]) == [
        ("person", "required"),
        ("date", "date"),
        ("hours", "number"),
    ]
    assert rows[3].values["hours"] == "sju"


def test_good_rows_data_is_a_valid_event() -> None:
    content = csv_bytes(NORWEGIAN_HEADER, "Kari;Kongsberg;Rektor;Workshop;6.4.2010;7,5;kr 450,-;")

    (row,) = read_sheet("timer.csv", content).rows

    event = InKindHoursRecorded.model_validate(row.data)
    assert (event.work_date, str(event.hours), event.hourly_rate) == (
        date(2010, 4, 6),
        "7.5",
        45000,
    )


def test_field_of_column_names_every_event_field() -> None:
    assert set(FIELD_OF_COLUMN.values()) == set(InKindHoursRecorded.model_fields)
    assert FIELD_OF_COLUMN["date"] == "work_date"
    assert FIELD_OF_COLUMN["rate"] == "hourly_rate"


@pytest.mark.parametrize(
    ("written", "hours"),
    [
        ("7,5", "7.5"),
        ("7.50", "7.5"),
        (" 8 ", "8"),
        ("1 250,5", "1250.5"),
        ("1\u202f250,5", "1250.5"),
        ("1.250,5", "1250.5"),
        ("1,250.5", "1250.5"),
        ("1.000.000", "1000000"),
        ("0,25", "0.25"),
        (",5", "0.5"),
        ("-2", "-2"),
        ("\u22122,5", "-2.5"),
        ("7,12345", "7.12345"),
    ],
)
def test_hours_are_read_as_written_in_norway_or_england(written: str, hours: str) -> None:
    row = one_row(hours=written)

    assert row.data is not None
    assert row.data["hours"] == hours


@pytest.mark.parametrize(
    ("written", "rate"),
    [
        ("450", "450.00"),
        ("450,5", "450.50"),
        ("kr 450", "450.00"),
        ("450 kr", "450.00"),
        ("Kr. 1 250,50", "1250.50"),
        ("450,-", "450.00"),
        ("kr 450,-", "450.00"),
        ("NOK 450", "450.00"),
        ("450,125", "450.125"),
    ],
)
def test_rates_accept_kroner_notation(written: str, rate: str) -> None:
    row = one_row(rate=written)

    assert row.data is not None
    assert row.data["hourly_rate"] == rate


@pytest.mark.parametrize("written", ["sju", "7,5,5", "12 34", "7.5 timer", "1.2.3,4", "-", "kr"])
def test_unreadable_numbers_are_marked(written: str) -> None:
    row = one_row(hours=written, rate=written)

    assert row.data is None
    assert error_codes(row) == [("hours", "number"), ("rate", "number")]


@pytest.mark.parametrize(
    "written", ["2010-04-06", "06.04.2010", "6.4.2010", "2010-04-06 00:00:00", "06.04.2010 00:00"]
)
def test_dates_in_iso_or_norwegian_form(written: str) -> None:
    row = one_row(work_date=written)

    assert row.data is not None
    assert row.data["work_date"] == "2010-04-06"
    assert row.values["date"] == written


@pytest.mark.parametrize("written", ["06/04/2010", "06.04.10", "2010-13-01", "29.02.2010", "40274"])
def test_unreadable_dates_are_marked(written: str) -> None:
    row = one_row(work_date=written)

    assert row.data is None
    assert error_codes(row) == [("date", "date")]


def test_missing_required_columns() -> None:
    content = csv_bytes("Navn;Kommune;Aktivitet;Dato", "Kari;Kongsberg;møte;06.04.2010")

    with pytest.raises(SheetError) as raised:
        read_sheet("timer.csv", content)

    assert raised.value.code == "missing_columns"
    assert raised.value.columns == ["hours", "rate"]
    assert str(raised.value) == "missing required columns: hours, rate"


def test_a_column_named_twice() -> None:
    content = csv_bytes("Navn;Name;Kommune;Aktivitet;Dato;Timer;Sats")

    with pytest.raises(SheetError) as raised:
        read_sheet("timer.csv", content)

    assert (raised.value.code, raised.value.columns) == ("duplicate_columns", ["person"])


def test_unknown_columns_are_listed() -> None:
    content = csv_bytes(
        "Prosjekt;Navn;Kommune;Aktivitet;;Dato;Timer;Sats;Merknad",
        "Nettverk;Kari;Kongsberg;møte;x;06.04.2010;2;450;se vedlegg",
    )

    sheet = read_sheet("timer.csv", content)

    assert sheet.ignored_columns == ["Prosjekt", "Merknad"]
    assert sheet.rows[0].data == {
        "person": "Kari",
        "municipality": "Kongsberg",
        "activity": "møte",
        "work_date": "2010-04-06",
        "hours": "2",
        "hourly_rate": "450.00",
    }


def test_at_most_max_rows() -> None:
    header = "Navn;Kommune;Aktivitet;Dato;Timer;Sats"
    row = "Kari;Kongsberg;møte;06.04.2010;2;450"

    full = read_sheet("timer.csv", csv_bytes(header, *[row] * MAX_ROWS))
    assert len(full.rows) == MAX_ROWS == 1000

    with pytest.raises(SheetError) as raised:
        read_sheet("timer.csv", csv_bytes(header, *[row] * (MAX_ROWS + 1)))
    assert raised.value.code == "too_many_rows"


def test_too_large() -> None:
    with pytest.raises(SheetError) as raised:
        read_sheet("timer.csv", b"x" * (MAX_BYTES + 1))

    assert raised.value.code == "too_large"


@pytest.mark.parametrize("filename", ["timer.xls", "timer.txt", "timer", "timer.csv.pdf", ""])
def test_wrong_extension(filename: str) -> None:
    with pytest.raises(SheetError) as raised:
        read_sheet(filename, csv_bytes("Navn;Kommune;Aktivitet;Dato;Timer;Sats"))

    assert raised.value.code == "unsupported_type"
    assert ".csv" in raised.value.message
    assert ".xlsx" in raised.value.message


@pytest.mark.parametrize(
    "content",
    [
        csv_bytes("Navn;Kommune;Aktivitet;Dato;Timer;Sats"),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,  # an old .xls
        b"",
    ],
)
def test_a_fake_xlsx_that_is_not_a_zip(content: bytes) -> None:
    with pytest.raises(SheetError) as raised:
        read_sheet("timer.xlsx", content)

    assert raised.value.code == "not_xlsx"


def test_a_workbook_behind_other_bytes_is_not_an_xlsx() -> None:
    # zipfile finds an archive anywhere in a file (self-extracting programs are built so).
    content = b"MZ" + b"\x00" * 64 + xlsx_bytes([["Navn", "Kommune", "Aktivitet", "Dato", "Timer"]])

    with pytest.raises(SheetError) as raised:
        read_sheet("timer.xlsx", content)

    assert raised.value.code == "not_xlsx"


def test_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hours.txt", "Navn;Kommune")

    with pytest.raises(SheetError) as raised:
        read_sheet("timer.xlsx", buffer.getvalue())

    assert raised.value.code == "unreadable"


def test_a_workbook_named_csv() -> None:
    content = xlsx_bytes([["Navn", "Kommune", "Aktivitet", "Dato", "Timer", "Sats"]])

    with pytest.raises(SheetError) as raised:
        read_sheet("timer.csv", content)

    assert raised.value.code == "not_csv"


@pytest.mark.parametrize(
    ("filename", "content"), [("timer.csv", b""), ("timer.xlsx", xlsx_bytes([]))]
)
def test_an_empty_file(filename: str, content: bytes) -> None:
    with pytest.raises(SheetError) as raised:
        read_sheet(filename, content)

    assert raised.value.code == "empty"


def test_a_header_without_rows() -> None:
    sheet = read_sheet("timer.csv", csv_bytes("Navn;Kommune;Aktivitet;Dato;Timer;Sats", ""))

    assert (sheet.rows, sheet.ignored_columns) == ([], [])


def test_csv_empty_rows_are_skipped_and_lines_match_the_spreadsheet() -> None:
    content = csv_bytes(
        ";;;;;;",
        "Navn;Kommune;Aktivitet;Dato;Timer;Sats;Merknad",
        "Kari;Kongsberg;møte;06.04.2010;2;450;",
        "",
        ";;;;;;kun en merknad",
        '"Ola";Kongsberg;"møte,\nmed to linjer";07.04.2010;3;450;',
        ";  ;;;;;",
        "Per;Kongsberg;møte;08.04.2010;1;450;",
    )

    rows = read_sheet("timer.csv", content).rows

    assert [row.line for row in rows] == [3, 6, 8]
    assert rows[1].values["activity"] == "møte,\nmed to linjer"


def test_xlsx_empty_rows_are_skipped_and_lines_match_the_spreadsheet() -> None:
    # Rows without cells are not in the file at all; the numbering must still count them.
    content = xlsx_bytes(
        [
            [],
            ["Navn", "Kommune", "Aktivitet", "Dato", "Timer", "Sats", "Merknad"],
            ["Kari", "Kongsberg", "møte", date(2010, 4, 6), 2, 450],
            [],
            [None, " ", None, None, None, None, "kun en merknad"],
            ["Ola", "Kongsberg", "møte", date(2010, 4, 7), 3, 450],
            [],
            [],
            ["Per", "Kongsberg", "møte", date(2010, 4, 8), 1, 450],
        ]
    )

    rows = read_sheet("timer.xlsx", content).rows

    assert [(row.line, row.values["person"]) for row in rows] == [
        (3, "Kari"),
        (6, "Ola"),
        (9, "Per"),
    ]


def test_an_export_with_headers_of_its_own_and_columns_it_lacks() -> None:
    """`ptrack import timesheet`: the mapping names the export's headers and gives a value for
    every row of a column the export has not got."""
    content = csv_bytes("Ansatt;Dato;Timer;Aktivitet", "Ola Nordmann;06.04.2010;7,5;Mapping")
    columns = ColumnMapping(
        {"person": "Ansatt", "activity": "Aktivitet"},
        {"municipality": "Flesberg", "rate": "650"},
    )
    (row,) = read_sheet("timer.csv", content, columns).rows
    assert row.errors == []
    assert row.data == {
        "person": "Ola Nordmann",
        "municipality": "Flesberg",
        "activity": "mapping",
        "work_date": "2010-04-06",
        "hours": "7.5",
        "hourly_rate": "650.00",
    }
    with pytest.raises(SheetError) as missing:
        read_sheet("timer.csv", content, ColumnMapping({"person": "Ansatt"}))
    assert missing.value.columns == ["municipality", "rate"]


def test_finance_findings_land_on_the_columns_they_name() -> None:
    problem = {
        "errors": [
            {"pointer": "/data/hours", "rule": "hours_per_day", "detail": "too many"},
            {"pointer": "/0/data/work_date", "rule": "within_period", "detail": "outside"},
            {"pointer": "/time", "rule": "required", "detail": "is required"},
        ]
    }
    assert [(found.column, found.code) for found in finance_findings(problem)] == [
        ("hours", "hours_per_day"),
        ("date", "within_period"),
        ("", "required"),
    ]
    assert finance_findings({"detail": "gone"}) == [CellError("", "refused", "gone")]
