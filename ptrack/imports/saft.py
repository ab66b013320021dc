"""`ptrack import saft`: the file uploaded to finance's `POST /imports/saft`, with a progress
bar as it goes (the service streams it to disk and reads it from there), and the report
printed: per budget line what is (or would be) recorded, what is not and why, the file's
totals beside the project's share, and any conflict with both versions."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from ptrack.imports.mapping import mapping_for
from ptrack.stack.location import admin_key, service_url
from shared.client import ApiError

_TIMEOUT = httpx.Timeout(30.0, read=3600.0)
"""A gigabyte takes the service minutes to check and read once uploaded."""


class _Counted:
    """The file as httpx reads it for the upload, telling the progress bar how far it is."""

    def __init__(self, file: BinaryIO, advance: Any) -> None:
        self._file = file
        self._advance = advance

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._advance(len(chunk))
        return chunk


def upload(
    base_url: str, key: str, project: str, path: Path, mapping: dict[str, Any], *, dry_run: bool
) -> httpx.Response:
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with (
        Progress(*columns, TransferSpeedColumn(), console=console, transient=True) as progress,
        path.open("rb") as file,
    ):
        task = progress.add_task(f"uploading {path.name}", total=path.stat().st_size)
        counted = _Counted(file, lambda n: progress.advance(task, n))
        with httpx.Client(timeout=_TIMEOUT) as http:
            return http.post(
                f"{base_url}/imports/saft",
                params={"project": project, "dry_run": str(dry_run).lower()},
                data={"mapping": json.dumps(mapping)},
                files={"file": (path.name, counted, "application/xml")},  # type: ignore[dict-item]
                headers={"Authorization": f"Bearer {key}"},
            )


def run(args: argparse.Namespace) -> int:
    mapping = mapping_for(args, "saft")
    try:
        response = upload(
            service_url("finance"),
            admin_key(),
            args.project,
            args.file,
            mapping,
            dry_run=args.dry_run,
        )
    except httpx.HTTPError as error:
        print(f"cannot reach the finance service: {error}", file=sys.stderr)
        return 1
    body = response.json() if response.content else {}
    report = body.get("report", body) if response.status_code == 409 else body
    if response.status_code not in (200, 201, 409):
        print(f"the import was refused: {ApiError(response)}", file=sys.stderr)
        for found in body.get("schema_errors", [])[:20]:
            print(f"  line {found['line']}: {found['message']}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        show(report, Console())
    if response.status_code == 409:
        print(f"nothing was recorded: {body.get('detail')}", file=sys.stderr)
        return 1
    return 0


def show(report: dict[str, Any], console: Console) -> None:
    stated, counted = report["file"]["stated"], report["file"]["counted"]
    company = report["file"]["company"]
    console.print(
        f"SAF-T {report['file']['version']} from {company['name']} "
        f"({company['registration_number']}): {stated['entries']} transactions, "
        f"debit {stated['total_debit']}, credit {stated['total_credit']}"
        + ("" if report["file"]["totals_agree"] else f" (the lines add up to {counted})")
    )
    share = report["project_share"]
    console.print(
        f"{report['project']}: {share['lines']} lines, debit {share['debit']}, "
        f"credit {share['credit']} ({share['share_of_debit']:.2%} of the file's debit)"
    )
    table = Table(title="dry run: would be recorded" if report["dry_run"] else "recorded")
    for column in ("budget line", "booked", "reversed", "net", "of it new: booked", "reversed"):
        table.add_column(column, justify="left" if column == "budget line" else "right")
    for row in report["by_line"]:
        table.add_row(
            row["line"], row["booked"], row["reversed"], row["net"],
            row["new_booked"], row["new_reversed"],
        )  # fmt: skip
    console.print(table)
    counts = report["counts"]
    console.print(
        f"{counts['new']} new, {counts['already_recorded']} recorded before, "
        f"{counts['not_recorded']} not recorded, {counts['conflicts']} in conflict"
        + ("" if report.get("position") is None else f"; finance log at {report['position']}")
    )
    reasons = Counter(found["reason"] for found in report["not_recorded"])
    for reason, count in sorted(reasons.items()):
        console.print(f"  not recorded, {reason}: {count}")
    for found in report["not_recorded"]:
        if found["reason"] in ("not_matched", "duplicate_record"):
            console.print(
                f"    line {found['file_line']} ({found['journal']}/{found['transaction']}/"
                f"{found['record']}): {found['detail']}"
            )
    for conflict in report["conflicts"]:
        console.print(
            f"[bold]conflict[/] at line {conflict['file_line']} ({conflict['journal']}/"
            f"{conflict['transaction']}/{conflict['record']}):\n"
            f"  recorded: {json.dumps(conflict['recorded']['data'], ensure_ascii=False)}\n"
            f"  in file:  {json.dumps(conflict['file']['data'], ensure_ascii=False)}"
        )
