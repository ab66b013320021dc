"""The accounts package a funder received (`ptrack accounts -o DIR`), figure by figure against
the accounts made again from the replayed finance log, at the position the package names.

The package's CSV has a row per figure (each budget, voucher, receipt, in-kind entry, and each
sum), with the log position and event id of the event behind a single figure. The accounts are
made again from the replay by the same code the finance service uses, written in the package's
language, and the two CSVs compared row by row, cell by cell: amounts as written, to the øre.
A difference names the row, the column, both values and the events behind it (its own event, or
for a sum the events of the figures it adds up). Personal fields are not compared where the
replay holds them sealed (`sealed-…`): the auditor has no key to open them.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import openpyxl

from services.finance.accounts import queries
from services.finance.accounts.messages import writing
from services.finance.accounts.model import Accounts, Head, build
from services.finance.accounts.tables import BOM, COLUMNS
from shared.privacy.personal import WITHHELD_PREFIX
from shared.store.postgres import PostgresEventStore

SECTION, LINE, NAME, ENTRY, DATE, MUNICIPALITY, AMOUNT, POSITION, EVENT_ID = (
    COLUMNS.index(column)
    for column in (
        "Section", "Line or source", "Name", "Entry", "Date", "Municipality", "Amount",
        "Position", "Event id",
    )
)  # fmt: skip
"""Where the accounts CSV has each column (`tables.COLUMNS`, the header in English)."""
KEY_COLUMNS = (SECTION, LINE, NAME, ENTRY, DATE, MUNICIPALITY, EVENT_ID)
"""What tells a row apart."""


class NotAPackage(ValueError):
    """The directory does not hold an accounts package that can be compared."""


@dataclass(frozen=True)
class Package:
    csv: Path
    lang: str
    position: int
    """The finance log position the accounts were made from (the workbook's Basis sheet)."""


@dataclass(frozen=True)
class Difference:
    row: tuple[str, ...]
    """Section, line or source, name, entry: which figure."""
    column: str
    received: str
    replayed: str
    events: tuple[str, ...]
    """`position N (event id)` of the events behind the figure."""

    def line(self) -> str:
        where = " / ".join(part for part in self.row if part)
        behind = "; ".join(self.events) or "no event"
        return (
            f"{where}: {self.column} received {self.received or '(empty)'}, replay gives "
            f"{self.replayed or '(empty)'} [{behind}]"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": list(self.row),
            "column": self.column,
            "received": self.received,
            "replayed": self.replayed,
            "events": list(self.events),
        }


@dataclass
class Comparison:
    package: Package
    rows: int = 0
    """Rows compared."""
    differences: list[Difference] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        head = (
            f"{self.package.csv.name}: {self.rows} rows made from finance position "
            f"{self.package.position}"
        )
        if self.same:
            return [f"{head}: every figure reproduced to the øre"]
        return [
            f"{head}: {len(self.differences)} differences",
            *(f"  {difference.line()}" for difference in self.differences),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.package.csv),
            "lang": self.package.lang,
            "position": self.package.position,
            "rows": self.rows,
            "same": self.same,
            "differences": [difference.to_dict() for difference in self.differences],
        }


def read_package(directory: Path, project: str) -> Package:
    """The package's CSV, its language and the position its workbook names."""
    stem = directory / f"prosjektregnskap-{project}"
    found_csv, workbook = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
    for path in (found_csv, workbook):
        if not path.is_file():
            raise NotAPackage(f"{directory} holds no {path.name} (from `ptrack accounts`)")
    lang = "nb" if found_csv.read_text(encoding="utf-8").startswith(BOM) else "en"
    return Package(found_csv, lang, _basis_position(workbook, lang))


def _basis_position(workbook: Path, lang: str) -> int:
    label = writing(lang)._("Position")
    book = openpyxl.load_workbook(workbook, read_only=True)
    try:
        basis = book.worksheets[-1]  # the Basis sheet ends the workbook
        for row in basis.iter_rows(values_only=True):
            if len(row) > 1 and row[0] == label and isinstance(row[1], int):
                return row[1]  # the first is the accounts'; a checkpoint's comes after
    finally:
        book.close()
    raise NotAPackage(f"{workbook.name} names no log position on its last sheet")


async def replayed_accounts(
    pool: asyncpg.Pool[asyncpg.Record],
    schema: str,
    store: PostgresEventStore,
    project: str,
    lang: str,
) -> Accounts:
    """The accounts made from the replayed finance read model in `schema`, by the code the
    finance service makes them with."""
    rows = await queries.read(pool, schema, project)
    if rows is None:
        raise NotAPackage(f"the replayed finance log holds no approved budget for {project}")
    rows = await queries.with_plan_events(rows, store, project)
    at = await queries.event_at(store, rows.position)
    head = Head(
        hash="" if at is None else at.hash.hex(),
        event_id="" if at is None else str(at.event_id),
        made_at=datetime.now(UTC),
        log_head=rows.position,
        checkpoint=None,
    )
    return build(rows, head, lang)


def compare_csv(package: Package, received: bytes, replayed: bytes) -> Comparison:
    found = Comparison(package)
    delimiter = ";" if package.lang == "nb" else ","
    header, *theirs = _rows(received, delimiter)
    _, *ours = _rows(replayed, delimiter)
    mine = _keyed(ours)
    seen: set[tuple[str, ...]] = set()
    for key, row in _keyed(theirs).items():
        seen.add(key)
        replayed_row = mine.get(key)
        if replayed_row is None:
            found.differences.append(
                Difference(_which(row), "row", _summary(row), "(no such row)", _own_events(row))
            )
            continue
        found.rows += 1
        for index, (theirs_cell, ours_cell) in enumerate(zip(row, replayed_row, strict=False)):
            if theirs_cell == ours_cell or ours_cell.startswith(WITHHELD_PREFIX):
                continue
            events = _own_events(replayed_row) or _events_behind(replayed_row, ours)
            found.differences.append(
                Difference(_which(row), header[index], theirs_cell, ours_cell, events)
            )
    for key, row in mine.items():
        if key not in seen:
            found.differences.append(
                Difference(_which(row), "row", "(no such row)", _summary(row), _own_events(row))
            )
    return found


def _rows(body: bytes, delimiter: str) -> list[list[str]]:
    text = body.decode("utf-8").removeprefix(BOM)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _keyed(rows: list[list[str]]) -> dict[tuple[str, ...], list[str]]:
    """Rows by what tells them apart (a repeat numbered, should two rows be alike)."""
    counts: Counter[tuple[str, ...]] = Counter()
    keyed = {}
    for row in rows:
        key = tuple(row[index] if index < len(row) else "" for index in KEY_COLUMNS)
        counts[key] += 1
        keyed[(*key, str(counts[key]))] = row
    return keyed


def _which(row: list[str]) -> tuple[str, ...]:
    return tuple(row[SECTION : ENTRY + 1])


def _summary(row: list[str]) -> str:
    return " ".join(cell for cell in row[DATE : AMOUNT + 1] if cell)


def _own_events(row: list[str]) -> tuple[str, ...]:
    if len(row) > EVENT_ID and row[POSITION]:
        return (f"position {row[POSITION]} ({row[EVENT_ID]})",)
    return ()


def _events_behind(total: list[str], rows: list[list[str]]) -> tuple[str, ...]:
    """A sum's events: those of the figures of its section and line (and municipality)."""
    return tuple(
        event
        for row in rows
        if row[SECTION] == total[SECTION]
        and row[LINE] == total[LINE]
        and (not total[MUNICIPALITY] or row[MUNICIPALITY] == total[MUNICIPALITY])
        for event in _own_events(row)
    )
