"""`ptrack plan check FILE` and `ptrack plan load FILE`: both show the plan's findings first; a
plan with errors is never loaded."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ptrack.command import Command

if TYPE_CHECKING:
    from ptrack.plan.check import Finding


def _file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path)


def _load_options(parser: argparse.ArgumentParser) -> None:
    _file_option(parser)
    parser.add_argument("--reason", help="why a changed plan replaces the loaded one")
    parser.add_argument("--decision-ref", help="the decision that allows the change")
    parser.add_argument(
        "--decided-on", type=date.fromisoformat, help="the decision's date (default today)"
    )


def _findings(path: Path) -> tuple[list[Finding], list[Finding]]:
    """Every finding, printed (to stderr when there are errors), and the errors among them."""
    from ptrack.plan.check import check_plan, format_finding

    findings = check_plan(path)
    errors = [finding for finding in findings if finding.level == "error"]
    for finding in findings:
        print(format_finding(path, finding), file=sys.stderr if errors else sys.stdout)
    return findings, errors


def _check(args: argparse.Namespace) -> int:
    findings, errors = _findings(args.file)
    print(f"{args.file}: {len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
    return 1 if errors else 0


def _load(args: argparse.Namespace) -> int:
    from ptrack.plan.load import NeedsRevision, Revision, load_plan
    from ptrack.plan.model import read_plan
    from ptrack.stack.location import admin_key, service_urls

    _, errors = _findings(args.file)
    if errors:
        print(f"{args.file}: not loaded: fix the errors first", file=sys.stderr)
        return 1
    revision = None
    if args.reason or args.decision_ref:
        if not (args.reason and args.decision_ref):
            print("a revision needs both --reason and --decision-ref", file=sys.stderr)
            return 2
        revision = Revision(args.reason, args.decision_ref, args.decided_on or date.today())
    try:
        for line in load_plan(read_plan(args.file), service_urls(), admin_key(), revision):
            print(line)
    except NeedsRevision as error:
        print(error, file=sys.stderr)
        return 1
    return 0


PLAN = Command(
    "plan",
    "plan files",
    subcommands=(
        Command("check", "report contradictions and gaps, with lines", _check, _file_option),
        Command("load", "load a plan into the running services", _load, _load_options),
    ),
)
