"""`ptrack accounts --project P -o DIR [--lang nb|en] [--sign]`: the funder's accounts package
("prosjektregnskap") from the finance service, as XLSX, PDF and CSV, with the signed checkpoint
they name (see `ptrack.accounts.download`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ptrack.command import DEFAULT_PROJECT, Command
from ptrack.stack.location import admin_key, service_url

LANGUAGE_CHOICES = ("nb", "en")
"""`shared.i18n.LANGUAGES`, written out so that building the parser imports no Babel."""


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument("-o", "--output", type=Path, required=True, help="the folder to write")
    parser.add_argument(
        "--lang",
        choices=LANGUAGE_CHOICES,
        help="nb (bokmål) or en (English); default PTRACK_LANGUAGE, else the service's",
    )
    parser.add_argument(
        "--sign",
        action="store_true",
        help="have finance sign its log head first, so the checkpoint covers the accounts "
        "(needs an auditor's or admin's key)",
    )


def _accounts(args: argparse.Namespace) -> int:
    from ptrack.accounts.download import AccountsMoved, Written, fetch_accounts, save_accounts
    from shared.client import FAILURES
    from shared.settings import Settings

    def progress(written: Written) -> None:
        size = f"{written.size / 1024:.0f} KiB" if written.size >= 1024 else f"{written.size} B"
        print(f"wrote {written.path} ({size}, finance log position {written.position})")

    try:
        package = asyncio.run(
            fetch_accounts(
                service_url("finance"),
                admin_key(),
                args.project,
                lang=args.lang or Settings().language,
                sign=args.sign,
            )
        )
    except FAILURES as error:
        print(f"cannot make the accounts of {args.project}: {error}", file=sys.stderr)
        return 1
    except AccountsMoved as error:
        print(f"cannot make the accounts of {args.project}: {error}", file=sys.stderr)
        return 1
    save_accounts(package, args.output, progress)
    if package.checkpoint is None:
        print("the finance log has no signed checkpoint yet: ask again with --sign")
    return 0


ACCOUNTS = Command(
    "accounts", "the project accounts for the funder (XLSX, PDF, CSV)", _accounts, _options
)
