"""A subcommand of `ptrack`: its name, its options and the function that runs it, or the
subcommands under it (`ptrack plan check`). `ptrack.cli` builds the parser from a table of them.

A handler imports what it needs when it runs, not when the parser is built: every service
process starts through this parser (`ptrack serve`), and should not pay for the imports of the
report, the audit or the demo."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Handler = Callable[[argparse.Namespace], int]
Options = Callable[[argparse.ArgumentParser], None]

DEFAULT_PROJECT = "kongsbergregionen-2010"
"""The project of the default plan: the one commands look at unless told otherwise."""


def no_options(parser: argparse.ArgumentParser) -> None:
    """For a command that takes none."""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Handler | None = None
    options: Options = no_options
    subcommands: tuple[Command, ...] = ()

    def __post_init__(self) -> None:
        if (self.run is None) == (not self.subcommands):
            raise ValueError(f"command {self.name}: give either a handler or subcommands")


def add_commands(parser: argparse.ArgumentParser, commands: Sequence[Command], dest: str) -> None:
    """Each command as a subcommand of `parser`; the name of the one given lands in `dest`, its
    handler in `handler`."""
    subparsers = parser.add_subparsers(dest=dest, required=True)
    for command in commands:
        sub = subparsers.add_parser(command.name, help=command.help)
        command.options(sub)
        if command.subcommands:
            add_commands(sub, command.subcommands, dest=command.name)
        else:
            sub.set_defaults(handler=command.run)
