"""The `ptrack` command line."""

from __future__ import annotations

import argparse
import sys

from ptrack.accounts.commands import ACCOUNTS
from ptrack.audit.commands import AUDIT
from ptrack.command import Command, add_commands
from ptrack.demo.commands import DEMO
from ptrack.imports.commands import IMPORT
from ptrack.plan.commands import PLAN
from ptrack.present.commands import REPORT, STATUS
from ptrack.privacy.commands import PRIVACY
from ptrack.stack.commands import KEYS, REPLAY, SERVE, UP

COMMANDS: tuple[Command, ...] = (
    UP,
    SERVE,
    PLAN,
    DEMO,
    REPLAY,
    STATUS,
    REPORT,
    ACCOUNTS,
    IMPORT,
    AUDIT,
    PRIVACY,
    KEYS,
)
"""Every subcommand, in the order `ptrack --help` lists them."""


def parser() -> argparse.ArgumentParser:
    built = argparse.ArgumentParser(prog="ptrack", description=__doc__)
    add_commands(built, COMMANDS, dest="command")
    return built


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
