"""`ptrack privacy erase` and `ptrack privacy export`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ptrack.command import Command

if TYPE_CHECKING:  # the handlers import what they need when they run (ptrack.command)
    import asyncpg

    from shared.privacy.personal import Handle
    from shared.settings import Settings

    Pool = asyncpg.Pool[asyncpg.Record]


def _erase_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--subject",
        required=True,
        help="who, as kind:value: person:NAME (in-kind work, attestations, coordinators, "
        "assessors, milestone reports), member:ID (registry members), respondent:ID",
    )
    parser.add_argument("--basis", choices=["request", "retention"], default="request")
    parser.add_argument(
        "--requested-by",
        required=True,
        help="who asked, by role or case number, not by name (it is kept in the privacy log)",
    )
    parser.add_argument("--reason", required=True, help="why, by case number or rule")


Work = Callable[["Pool", "Settings", "Handle"], Awaitable[int]]
"""(pool, settings, handle) -> exit status: what a command does for one data subject."""


def _for_subject(args: argparse.Namespace, work: Work) -> int:
    """Run `work` for `--subject` beside the stack: 2 for a subject not written kind:value,
    1 when nobody is recorded so."""
    from shared.privacy.personal import Handle

    try:
        handle = Handle.parse(args.subject)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return asyncio.run(_with_pool(handle, work))


async def _with_pool(handle: Handle, work: Work) -> int:
    from ptrack.stack.location import command_settings
    from shared.db import create_pool
    from shared.privacy.erasure import NoSuchSubject

    settings = command_settings()
    pool = await create_pool(settings.database_url, min_size=2, max_size=4)
    try:
        return await work(pool, settings, handle)
    except NoSuchSubject as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await pool.close()


def _progress(message: str) -> None:
    print(message, file=sys.stderr)


def _erase(args: argparse.Namespace) -> int:
    async def work(pool: Pool, settings: Settings, handle: Handle) -> int:
        from ptrack.privacy.erase import erase

        erasure = await erase(
            pool,
            settings,
            handle,
            basis=args.basis,
            requested_by=args.requested_by,
            reason=args.reason,
            progress=_progress,
        )
        rebuilt = ", ".join(erasure.rebuilt) or "none (the running services had done it)"
        print(
            f"erased subject {erasure.subject} (privacy log position {erasure.position}); "
            f"read models rebuilt here: {rebuilt}"
        )
        return 0

    return _for_subject(args, work)


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subject", required=True, help="who, as kind:value (see erase)")
    parser.add_argument("-o", "--output", type=Path, help="also write it all as JSON here")


def _export(args: argparse.Namespace) -> int:
    async def work(pool: Pool, settings: Settings, handle: Handle) -> int:
        from ptrack.privacy.access import subject_record

        record = await subject_record(pool, settings, handle, progress=_progress)
        print("\n".join(record.lines()))
        if args.output is not None:
            document = json.dumps(record.to_dict(), indent=2, ensure_ascii=False)
            args.output.write_text(document + "\n", encoding="utf-8")
        return 0

    return _for_subject(args, work)


def _due_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", type=Path, required=True, help="the plan with the rules")
    parser.add_argument(
        "--on", type=date.fromisoformat, help="the day to judge by (default: today)"
    )
    parser.add_argument(
        "--erase",
        action="store_true",
        help="erase them all now (basis: retention), with --requested-by",
    )
    parser.add_argument("--requested-by", help="with --erase: who decided, by role")


def _due(args: argparse.Namespace) -> int:
    return asyncio.run(_due_async(args))


async def _due_async(args: argparse.Namespace) -> int:
    from ptrack.plan.model import PlanError, read_plan
    from ptrack.privacy.erase import erase
    from ptrack.privacy.retention import due_for_erasure, rules_of
    from ptrack.stack.location import command_settings
    from shared.db import create_pool

    if args.erase and not args.requested_by:
        print("--erase needs --requested-by", file=sys.stderr)
        return 2
    try:
        plan = read_plan(args.plan)
    except PlanError as error:
        print(error, file=sys.stderr)
        return 2
    rules = rules_of(plan.data)
    on = args.on or date.today()
    settings = command_settings()
    pool = await create_pool(settings.database_url, min_size=2, max_size=4)
    try:
        due = await due_for_erasure(pool, settings, rules, on)
        for item in due:
            print(item.line())
        print(f"{len(due)} data subject(s) due for erasure on {on}", file=sys.stderr)
        if args.erase and due:
            why = "; ".join(
                f"{rule.kind}: {rule.years} years ({rule.why})" for rule in rules.values()
            )
            await erase(
                pool,
                settings,
                *(item.handle for item in due),
                basis="retention",
                requested_by=args.requested_by,
                reason=f"retention in {plan.path.name}: {why}",
                progress=_progress,
            )
    finally:
        await pool.close()
    return 0


PRIVACY = Command(
    "privacy",
    "personal data: a data subject's own copy, and erasing them",
    subcommands=(
        Command(
            "export",
            "everything recorded about a data subject, readable (the right of access)",
            _export,
            _export_options,
        ),
        Command(
            "due",
            "who is due for erasure under the plan's retention rules (and erase them)",
            _due,
            _due_options,
        ),
        Command(
            "erase",
            "destroy a data subject's key, record the erasure, rebuild the read models",
            _erase,
            _erase_options,
        ),
    ),
)
