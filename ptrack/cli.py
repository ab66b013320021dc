"""The `ptrack` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from ptrack.catalog import SERVICES
from ptrack.stack import admin_key, database_url, home, nats_url, service_url

DEFAULT_PROJECT = "kongsbergregionen-2010"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ptrack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the whole stack in the foreground")
    up.add_argument("--plan", type=Path, help="load this plan once the services are up")
    up.add_argument("--service", action="append", choices=sorted(SERVICES), help="only these")
    up.add_argument("--demo", action="store_true", help="post the demo history after the plan")

    serve = commands.add_parser("serve", help="run one service in this process")
    serve.add_argument("service", choices=sorted(SERVICES))
    serve.add_argument("--port", type=int)
    serve.add_argument("--host")

    plan = commands.add_parser("plan", help="plan files").add_subparsers(dest="plan", required=True)
    check = plan.add_parser("check", help="report contradictions and gaps, with lines")
    check.add_argument("file", type=Path)
    load = plan.add_parser("load", help="load a plan into the running services")
    load.add_argument("file", type=Path)
    load.add_argument("--reason", help="why a changed plan replaces the loaded one")
    load.add_argument("--decision-ref", help="the decision that allows the change")
    load.add_argument(
        "--decided-on", type=date.fromisoformat, help="the decision's date (default today)"
    )

    commands.add_parser("demo", help="post the demo history of the default project (idempotent)")
    replay = commands.add_parser(
        "replay", help="rebuild read models from the logs into <schema>_replay"
    )
    replay.add_argument("--service", action="append", choices=sorted(SERVICES))
    replay.add_argument("--swap", action="store_true", help="replace the live models (full only)")
    when = replay.add_mutually_exclusive_group()
    when.add_argument("--as-of-business", type=date.fromisoformat, help="what we know now")
    when.add_argument("--as-of-recorded", type=datetime.fromisoformat, help="what was known then")
    dashboards = commands.add_parser("dashboards", help="regenerate the Grafana boards")
    dashboards.add_argument("--check", action="store_true", help="exit 1 if the files differ")

    status = commands.add_parser("status", help="the project's status board in the terminal")
    status.add_argument("--as-of", type=date.fromisoformat, help="status date (default today)")
    status.add_argument("--project", default=DEFAULT_PROJECT)
    status.add_argument(
        "--as-of-recorded", type=datetime.fromisoformat, help="what the system knew then"
    )
    report = commands.add_parser("report", help="a one-page HTML status report")
    report.add_argument("--as-of", type=date.fromisoformat, help="status date (default today)")
    report.add_argument("--project", default=DEFAULT_PROJECT)
    report.add_argument(
        "--as-of-recorded", type=datetime.fromisoformat, help="what the system knew then"
    )
    report.add_argument("-o", "--output", type=Path, required=True, help="the HTML file to write")

    audit = commands.add_parser("audit", help="verify, checkpoint and export the logs")
    audits = audit.add_subparsers(dest="audit", required=True)
    verify = audits.add_parser("verify", help="chain, checkpoints, JetStream, read models")
    verify.add_argument("--service", action="append", choices=sorted(SERVICES))
    verify.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint file you kept (from `ptrack audit checkpoint`)",
    )
    verify.add_argument("--file", type=Path, help="verify an exported NDJSON log on its own")
    verify.add_argument("--first-position", type=int, help="with --file: where the export began")
    verify.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that recompute hashes side by side on large logs (default: the CPUs)",
    )
    verify.add_argument("--no-jetstream", action="store_true")
    verify.add_argument("--no-read-models", action="store_true")
    verify.add_argument("--json", action="store_true", help="the report as JSON")
    export = audits.add_parser("export", help="a log as NDJSON, or the finance CSVs")
    export.add_argument("--service", choices=sorted(SERVICES), help="export this service's log")
    export.add_argument("--from-position", type=int, default=1)
    export.add_argument("--bookings", action="store_true", help="cost bookings with vouchers")
    export.add_argument("--in-kind", action="store_true", help="in-kind work per municipality")
    export.add_argument("--project", default=DEFAULT_PROJECT)
    export.add_argument("--summary", type=Path, help="with --in-kind: the per-municipality file")
    export.add_argument("-o", "--output", type=Path, required=True)
    checkpoint = audits.add_parser("checkpoint", help="have a service sign its log head; keep it")
    checkpoint.add_argument("--service", required=True, choices=sorted(SERVICES))
    checkpoint.add_argument("-o", "--output", type=Path, required=True)

    keys = commands.add_parser("keys", help="API keys").add_subparsers(dest="keys", required=True)
    create = keys.add_parser("create", help="make a key (its token is shown once)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--role", required=True, choices=["integration", "manager", "auditor", "admin"]
    )
    create.add_argument("--service", action="append", help="integration keys: may write here")
    create.add_argument("--expires", type=datetime.fromisoformat, help="e.g. 2011-01-01")
    keys.add_parser("list", help="list keys (never their secrets)")
    revoke = keys.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id")

    args = parser.parse_args(argv)
    if args.command == "up":
        from ptrack.up import up as run_up

        return run_up(home(), args.plan, args.service, demo=args.demo)
    if args.command == "serve":
        from ptrack.serve import serve as run_serve

        run_serve(args.service, args.port, args.host)
        return 0
    if args.command == "plan":
        return _plan(args)
    if args.command in ("status", "report"):
        return _status(args)
    if args.command == "audit":
        return _audit(args)
    if args.command == "replay":
        return asyncio.run(_replay(args))
    if args.command == "dashboards":
        # The dashboard SDK is a development dependency: imported only here.
        from ptrack.dashboards import main as dashboards_main

        return dashboards_main(["--check"] if args.check else [])
    if args.command == "demo":
        from ptrack.demo import run_demo

        print(run_demo({name: service_url(name) for name in SERVICES}, admin_key()).report())
        return 0
    return asyncio.run(_keys(args))


def _plan(args: argparse.Namespace) -> int:
    from ptrack.plan import read_plan
    from ptrack.plan_check import check_plan, format_finding
    from ptrack.plan_load import NeedsRevision, Revision, load_plan

    findings = check_plan(args.file)
    errors = [finding for finding in findings if finding.level == "error"]
    for finding in findings:
        print(format_finding(args.file, finding), file=sys.stderr if errors else sys.stdout)
    if args.plan == "check":
        print(f"{args.file}: {len(errors)} error(s), {len(findings) - len(errors)} warning(s)")
        return 1 if errors else 0
    if errors:
        print(f"{args.file}: not loaded: fix the errors first", file=sys.stderr)
        return 1
    revision = None
    if args.reason or args.decision_ref:
        if not (args.reason and args.decision_ref):
            print("a revision needs both --reason and --decision-ref", file=sys.stderr)
            return 2
        revision = Revision(args.reason, args.decision_ref, args.decided_on or date.today())
    urls = {name: service_url(name) for name in SERVICES}
    try:
        for line in load_plan(read_plan(args.file), urls, admin_key(), revision):
            print(line)
    except NeedsRevision as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _status(args: argparse.Namespace) -> int:
    import httpx
    from rich.console import Console

    from ptrack.board import fetch_status, render_board
    from ptrack.client import ApiError
    from ptrack.report import build_report

    try:
        status, series = asyncio.run(
            fetch_status(
                service_url("reporting"),
                admin_key(),
                args.project,
                args.as_of,
                as_of_recorded=args.as_of_recorded,
            )
        )
    except (ApiError, httpx.HTTPError) as error:
        print(f"cannot get the status of {args.project}: {error}", file=sys.stderr)
        return 1
    if args.command == "status":
        # Piped output has no terminal to measure: lay the board out for a wide page.
        render_board(status, series, Console(width=None if sys.stdout.isatty() else 160))
        return 0
    html = build_report(status, series, generated_at=datetime.now(UTC))
    args.output.write_text(html, encoding="utf-8")
    print(f"wrote {args.output} ({len(html) // 1024} KiB)")
    return 0


def _audit(args: argparse.Namespace) -> int:
    import json

    import httpx
    from rich.console import Console

    from ptrack.audit import as_json, audit, kept_checkpoints, summary
    from shared.settings import Settings

    if args.audit == "checkpoint":
        response = httpx.post(
            f"{service_url(args.service)}/audit/checkpoints",
            headers={"Authorization": f"Bearer {admin_key()}"},
            timeout=30,
        )
        response.raise_for_status()
        args.output.write_text(json.dumps(response.json(), indent=2) + "\n")
        print(
            f"{args.service}: position {response.json()['position']} signed; kept in {args.output}"
        )
        return 0
    if args.audit == "export":
        return _export(args)
    if args.file is not None:
        return _verify_file(args.file, args.first_position, as_json_output=args.json)
    settings = Settings(database_url=database_url(), nats_url=nats_url() or Settings().nats_url)
    console = None if args.json else Console(stderr=True)
    audits = asyncio.run(
        audit(
            settings,
            args.service or list(SERVICES),
            kept=kept_checkpoints(args.checkpoint),
            jetstream=not args.no_jetstream,
            drift=not args.no_read_models,
            jobs=max(args.jobs, 1),
            console=console,
        )
    )
    if args.json:
        print(as_json(audits))
    else:
        Console().print(summary(audits))
    return 0 if all(item.ok for item in audits) else 1


def _verify_file(path: Path, first_position: int | None, *, as_json_output: bool) -> int:
    import json

    from ptrack.audit_export import verify_file

    def progress(checked: int) -> None:
        if not as_json_output:
            print(f"{checked} events checked", file=sys.stderr)

    report = asyncio.run(verify_file(path, progress, first_position=first_position))
    if as_json_output:
        print(json.dumps(report.to_dict(), indent=2))
    elif report.damage is None:
        print(
            f"ok: {report.checked} events, head {report.head_position} "
            f"{report.head_hash.hex()} (compare it with a signed checkpoint you kept)"
        )
    else:
        damage = report.damage
        print(
            f"damaged at position {damage.position} ({damage.kind}): {damage.detail}; "
            f"{report.checked} events verified before it"
        )
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> int:
    import httpx

    from ptrack.audit_export import export_bookings_csv, export_in_kind_csv, export_log
    from ptrack.client import ApiError

    key = admin_key()
    try:
        if args.bookings:
            count = asyncio.run(
                export_bookings_csv(service_url("finance"), key, args.project, args.output)
            )
            print(f"wrote {count} bookings and reversals to {args.output}")
        elif args.in_kind:
            summary_file = args.summary or args.output.with_name(
                f"{args.output.stem}-summary{args.output.suffix}"
            )
            rows, municipalities = asyncio.run(
                export_in_kind_csv(
                    service_url("finance"), key, args.project, args.output, summary_file
                )
            )
            print(f"wrote {rows} in-kind entries to {args.output}")
            print(f"wrote {municipalities} municipalities to {summary_file}")
        elif args.service:
            start = args.from_position
            count = asyncio.run(
                export_log(service_url(args.service), key, args.output, from_position=start)
            )
            span = f"positions {start}-{start + count - 1}"
            print(f"wrote {count} events of {args.service} ({span}) to {args.output}")
        else:
            print("say what to export: --service S, --bookings or --in-kind", file=sys.stderr)
            return 2
    except (ApiError, httpx.HTTPError) as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    return 0


async def _replay(args: argparse.Namespace) -> int:
    from ptrack.replay import ReplayError, replay
    from shared.db import create_pool
    from shared.settings import Settings

    pool = await create_pool(database_url(), min_size=2, max_size=4)
    try:
        report = await replay(
            pool,
            Settings(),
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


async def _keys(args: argparse.Namespace) -> int:
    from shared.auth import auth_sql, create_key, list_keys, revoke_key
    from shared.db import create_pool
    from shared.settings import Settings
    from shared.store.postgres import migrate

    schema = Settings().schema_for("auth")
    pool = await create_pool(database_url(), min_size=1, max_size=2)
    try:
        await migrate(pool, schema, auth_sql(schema))
        if args.keys == "create":
            expires = (
                args.expires.replace(tzinfo=args.expires.tzinfo or UTC) if args.expires else None
            )
            services = tuple(args.service) if args.service else None
            token, key = await create_key(
                pool, schema, name=args.name, role=args.role, services=services, expires_at=expires
            )
            print(f"key {key.key_id} ({key.role}) created; its token, shown only now:\n{token}")
        elif args.keys == "list":
            for key in await list_keys(pool, schema):
                state = "revoked" if key.revoked_at else "active"
                scope = ",".join(key.services) if key.services else "all services"
                expiry = key.expires_at.isoformat() if key.expires_at else "never"
                print(f"{key.key_id}  {key.role:<11} {state:<8} {expiry:<25} {scope}  {key.name}")
        elif args.keys == "revoke":
            if not await revoke_key(pool, schema, args.key_id):
                print(f"no active key {args.key_id}", file=sys.stderr)
                return 1
            print(f"key {args.key_id} revoked (takes effect within 5 seconds)")
    finally:
        await pool.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
