"""`ptrack import saft FILE --project P [--mapping MAP.yaml] [--dry-run]` and
`ptrack import timesheet FILE --project P [--mapping MAP.yaml] [--dry-run]`.

Without `--mapping`, the plan's `imports` section is the mapping (`--plan`, by default the
default plan). Exit status: 0 imported (or nothing new, or a dry run that found nothing wrong),
1 refused (the report or the problem says why)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ptrack.command import DEFAULT_PROJECT, Command


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument(
        "--mapping", type=Path, help="the mapping (YAML); default: the plan's `imports` section"
    )
    parser.add_argument("--plan", type=Path, help="the plan whose mapping to use")
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be recorded; record nothing"
    )
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")


def _saft(args: argparse.Namespace) -> int:
    from ptrack.imports import saft

    return saft.run(args)


def _timesheet(args: argparse.Namespace) -> int:
    from ptrack.imports import timesheet

    return timesheet.run(args)


IMPORT = Command(
    "import",
    "costs from a SAF-T file, in-kind hours from a timesheet export",
    subcommands=(
        Command("saft", "a SAF-T Financial file's project costs", _saft, _options),
        Command("timesheet", "in-kind hours from a CSV or XLSX export", _timesheet, _options),
    ),
)
