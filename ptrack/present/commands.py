"""`ptrack status` (the board in the terminal) and `ptrack report` (the HTML report): the same
status of one project on one day, fetched from the reporting service, in bokmål or English.

The language is `--lang`, else the setting `PTRACK_LANGUAGE`, else the plan's own (the status's
`language`), else bokmål."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ptrack.command import DEFAULT_PROJECT, Command
from ptrack.stack.location import admin_key, service_url

LANGUAGE_CHOICES = ("nb", "en")
"""`shared.i18n.LANGUAGES`, written out so that building the parser imports no Babel."""


def _status_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=date.fromisoformat, help="status date (default today)")
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument(
        "--as-of-recorded", type=datetime.fromisoformat, help="what the system knew then"
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGE_CHOICES,
        help="nb (bokmål) or en (English); default PTRACK_LANGUAGE, else the plan's language",
    )


def _report_options(parser: argparse.ArgumentParser) -> None:
    _status_options(parser)
    parser.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")


def _language(args: argparse.Namespace) -> str | None:
    """`--lang`, else the setting; None leaves it to the plan (the status's `language`)."""
    if args.lang:
        return str(args.lang)
    from shared.settings import Settings

    return Settings().language


def _history(args: argparse.Namespace) -> dict[str, Any] | None:
    """The plan's baselines and budget revisions, or None once the reason is told on stderr:
    the report is still made, saying what it lacks."""
    from ptrack.present.status import fetch_history
    from shared.client import FAILURES

    try:
        return asyncio.run(
            fetch_history(
                service_url("finance"), service_url("milestones"), admin_key(), args.project
            )
        )
    except FAILURES as error:
        print(f"the report leaves out the plan's history: {error}", file=sys.stderr)
        return None


def _fetch(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The status and its series, or None once the reason is told on stderr."""
    from ptrack.present.status import fetch_status
    from shared.client import FAILURES

    try:
        return asyncio.run(
            fetch_status(
                service_url("reporting"),
                admin_key(),
                args.project,
                args.as_of,
                as_of_recorded=args.as_of_recorded,
            )
        )
    except FAILURES as error:
        print(f"cannot get the status of {args.project}: {error}", file=sys.stderr)
        return None


def _status(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ptrack.present.board import render_board

    fetched = _fetch(args)
    if fetched is None:
        return 1
    # Piped output has no terminal to measure: lay the board out for a wide page.
    render_board(
        *fetched, Console(width=None if sys.stdout.isatty() else 160), lang=_language(args)
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from ptrack.present.report import build_report

    fetched = _fetch(args)
    if fetched is None:
        return 1
    html = build_report(
        *fetched, generated_at=datetime.now(UTC), lang=_language(args), history=_history(args)
    )
    args.output.write_text(html, encoding="utf-8")
    print(f"wrote {args.output} ({len(html) // 1024} KiB)")
    return 0


STATUS = Command("status", "the project's status board in the terminal", _status, _status_options)
REPORT = Command("report", "a one-page HTML status report", _report, _report_options)
