"""`ptrack privacy erase` and `ptrack privacy export`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from ptrack.command import Command


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


def _erase(args: argparse.Namespace) -> int:
    return asyncio.run(_erase_async(args))


async def _erase_async(args: argparse.Namespace) -> int:
    from ptrack.privacy.erase import NoSuchSubject, erase
    from ptrack.stack.location import command_settings
    from shared.db import create_pool
    from shared.privacy.personal import Handle

    try:
        handle = Handle.parse(args.subject)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    settings = command_settings()
    pool = await create_pool(settings.database_url, min_size=2, max_size=4)
    try:
        erasure = await erase(
            pool,
            settings,
            handle,
            basis=args.basis,
            requested_by=args.requested_by,
            reason=args.reason,
            progress=lambda message: print(message, file=sys.stderr),
        )
    except NoSuchSubject as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await pool.close()
    rebuilt = ", ".join(f"{name} ({count})" for name, count in erasure.rebuilt.items())
    print(
        f"erased subject {erasure.subject} (privacy log position {erasure.position}); "
        f"read models rebuilt: {rebuilt}"
    )
    return 0


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--subject", required=True, help="who, as kind:value (see erase)")
    parser.add_argument("-o", "--output", type=Path, help="also write it all as JSON here")


def _export(args: argparse.Namespace) -> int:
    return asyncio.run(_export_async(args))


async def _export_async(args: argparse.Namespace) -> int:
    from ptrack.privacy.access import subject_record
    from ptrack.privacy.erase import NoSuchSubject
    from ptrack.stack.location import command_settings
    from shared.db import create_pool
    from shared.privacy.personal import Handle

    try:
        handle = Handle.parse(args.subject)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    settings = command_settings()
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        record = await subject_record(
            pool, settings, handle, progress=lambda message: print(message, file=sys.stderr)
        )
    except NoSuchSubject as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await pool.close()
    print("\n".join(record.lines()))
    if args.output is not None:
        document = json.dumps(record.to_dict(), indent=2, ensure_ascii=False)
        args.output.write_text(document + "\n", encoding="utf-8")
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
            "erase",
            "destroy a data subject's key, record the erasure, rebuild the read models",
            _erase,
            _erase_options,
        ),
    ),
)
