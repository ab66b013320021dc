"""The commands that run and operate the stack: `ptrack up`, `serve`, `replay` and `keys`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from ptrack.command import Command
from ptrack.stack.catalog import PROCESSES, SERVICES
from ptrack.stack.location import database_url, home

SERVICE_NAMES = sorted(SERVICES)
PROCESS_NAMES = sorted(PROCESSES)


def _up_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", type=Path, help="load this plan once the services are up")
    parser.add_argument("--service", action="append", choices=PROCESS_NAMES, help="only these")
    parser.add_argument("--demo", action="store_true", help="post the demo history after the plan")


def _up(args: argparse.Namespace) -> int:
    from ptrack.stack.up import up

    return up(home(), args.plan, args.service, demo=args.demo)


def _serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("service", choices=PROCESS_NAMES)
    parser.add_argument("--port", type=int)
    parser.add_argument("--host")


def _serve(args: argparse.Namespace) -> int:
    from ptrack.stack.serve import serve

    serve(args.service, args.port, args.host)
    return 0


def _replay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", action="append", choices=SERVICE_NAMES)
    parser.add_argument("--swap", action="store_true", help="replace the live models (full only)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--as-of-business", type=date.fromisoformat, help="what we know now")
    when.add_argument("--as-of-recorded", type=datetime.fromisoformat, help="what was known then")


def _replay(args: argparse.Namespace) -> int:
    return asyncio.run(_replay_async(args))


async def _replay_async(args: argparse.Namespace) -> int:
    from ptrack.replay import ReplayError, replay
    from ptrack.stack.location import command_settings
    from shared.db import create_pool

    pool = await create_pool(database_url(), min_size=2, max_size=4)
    try:
        report = await replay(
            pool,
            command_settings(),
            services=args.service,
            swap=args.swap,
            as_of_business=args.as_of_business,
            as_of_recorded=args.as_of_recorded,
            progress=lambda message: print(message, file=sys.stderr),
        )
    except ReplayError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await pool.close()
    print("\n".join(report.lines()))
    return 0


def _create_key_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", required=True)
    parser.add_argument(
        "--role", required=True, choices=["integration", "manager", "auditor", "admin"]
    )
    parser.add_argument("--service", action="append", help="integration keys: may write here")
    parser.add_argument("--expires", type=datetime.fromisoformat, help="e.g. 2011-01-01")


def _create_key(args: argparse.Namespace) -> int:
    from ptrack.stack.keys import new_key

    # A time without a zone is taken as UTC, as the services read times.
    expires = args.expires.replace(tzinfo=args.expires.tzinfo or UTC) if args.expires else None
    token, key = asyncio.run(
        new_key(
            database_url(),
            name=args.name,
            role=args.role,
            services=args.service,
            expires_at=expires,
        )
    )
    print(f"key {key.key_id} ({key.role}) created; its token, shown only now:\n{token}")
    return 0


def _list_keys(args: argparse.Namespace) -> int:
    from ptrack.stack.keys import all_keys, key_line

    for key in asyncio.run(all_keys(database_url())):
        print(key_line(key))
    return 0


def _revoke_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key_id")


def _revoke_key(args: argparse.Namespace) -> int:
    from ptrack.stack.keys import revoke

    if not asyncio.run(revoke(database_url(), args.key_id)):
        print(f"no active key {args.key_id}", file=sys.stderr)
        return 1
    print(f"key {args.key_id} revoked (takes effect within 5 seconds)")
    return 0


UP = Command("up", "run the whole stack in the foreground", _up, _up_options)
SERVE = Command("serve", "run one service in this process", _serve, _serve_options)
REPLAY = Command(
    "replay", "rebuild read models from the logs into <schema>_replay", _replay, _replay_options
)
KEYS = Command(
    "keys",
    "API keys",
    subcommands=(
        Command("create", "make a key (its token is shown once)", _create_key, _create_key_options),
        Command("list", "list keys (never their secrets)", _list_keys),
        Command("revoke", "revoke a key by id", _revoke_key, _revoke_options),
    ),
)
