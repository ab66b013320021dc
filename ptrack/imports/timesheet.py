"""`ptrack import timesheet`: a timesheet export (CSV or XLSX) as in-kind hours, through the
same preview-and-errors flow as the office's upload: the file read by the office's sheet reader
(`services.office.sheets`, with the mapping's column names and fixed values), each readable row
checked by the finance service with `POST /events?dry_run=true`, every row printed with its
errors, then the good rows posted as one batch (all or nothing), unless `--dry-run`.

Each row's event id is fixed by the project and the row's content, so importing the same export
again, or one that overlaps it, records each row once. Two rows alike in one file are one
entry twice over: the second is refused as a duplicate.

Exit status: 0 when every row is recorded (or, in a dry run, would be); 1 when any is refused
(the good rows are still recorded, as in the office)."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

from rich.console import Console
from rich.table import Table

from ptrack.imports.mapping import mapping_for
from ptrack.stack.location import admin_key, service_url
from services.office.sheets import (
    FIELD_OF_COLUMN,
    CellError,
    ColumnMapping,
    SheetError,
    SheetRow,
    finance_findings,
    read_sheet,
)
from shared.client import FAILURES, ServiceClient
from shared.http.events import CLOUDEVENT_BATCH, CLOUDEVENT_JSON

EVENT_TYPE = "InKindHoursRecorded"
SOURCE = "urn:ptrack:import:timesheet"
_NAMESPACE = uuid.UUID("0d7c2f3e-8b1a-4c5d-9e6f-3a2b1c0d9e8f")


def row_id(project: str, data: dict[str, str]) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{project}\n{json.dumps(data, sort_keys=True)}")


def run(args: argparse.Namespace) -> int:
    mapping = mapping_for(args, "timesheet")
    columns = ColumnMapping(mapping.get("columns", {}), mapping.get("values", {}))
    try:
        sheet = read_sheet(args.file.name, args.file.read_bytes(), columns)
    except SheetError as error:
        print(f"{args.file}: {error.message}", file=sys.stderr)
        return 1
    base = service_url("finance")
    events: list[tuple[SheetRow, dict[str, Any]]] = []
    already: list[SheetRow] = []
    seen: dict[uuid.UUID, int] = {}
    try:
        with ServiceClient(admin_key(), attempts=3) as client:
            for row in sheet.rows:
                if row.data is None or row.errors:
                    continue
                event_id = row_id(args.project, row.data)
                if event_id in seen:
                    row.errors.append(
                        CellError("", "duplicate", f"the same entry as line {seen[event_id]}")
                    )
                    continue
                seen[event_id] = row.line
                event = _event(event_id, args.project, row.data)
                answer = client.request(
                    "POST",
                    f"{base}/events",
                    params={"dry_run": "true"},
                    json=event,
                    headers={"Content-Type": CLOUDEVENT_JSON},
                )
                if answer.status_code != 200:
                    row.errors.extend(finance_findings(answer.json()))
                elif not answer.json()["events"]:
                    already.append(row)  # recorded by an earlier import: nothing to append
                else:
                    events.append((row, event))
            _show(sheet.rows, {row.line for row in already}, Console())
            standing = len(events) + len(already)
            if args.dry_run:
                print(
                    f"{standing} of {len(sheet.rows)} rows would be recorded "
                    f"({len(events)} new, {len(already)} recorded before; dry run)"
                )
            else:
                position = None
                if events:
                    receipt = client.post_json(
                        f"{base}/events", [event for _, event in events], CLOUDEVENT_BATCH
                    )
                    position = receipt["position"]
                print(
                    f"{standing} of {len(sheet.rows)} rows recorded ({len(events)} new, "
                    f"{len(already)} recorded before; finance log at {position})"
                )
    except FAILURES as error:
        print(f"the import was refused: {error}", file=sys.stderr)
        return 1
    return 0 if standing == len(sheet.rows) else 1


def _event(event_id: uuid.UUID, project: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(event_id),
        "source": SOURCE,
        "type": EVENT_TYPE,
        "subject": project,
        "data": data,
    }


def _show(rows: list[SheetRow], already: set[int], console: Console) -> None:
    table = Table(title="in-kind hours")
    table.add_column("line", justify="right")
    for key in FIELD_OF_COLUMN:
        table.add_column(key)
    table.add_column("errors")
    for row in rows:
        errors = "; ".join(f"{error.column or 'row'}: {error.message}" for error in row.errors)
        state = "recorded before" if row.line in already else "ok"
        table.add_row(
            str(row.line), *(row.values.get(key, "") for key in FIELD_OF_COLUMN), errors or state
        )
    console.print(table)
