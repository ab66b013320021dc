"""`ptrack audit verify`, `ptrack audit export` and `ptrack audit checkpoint`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ptrack.command import DEFAULT_PROJECT, Command
from ptrack.stack.catalog import SERVICES
from ptrack.stack.location import admin_key, service_url
from shared.settings import Settings

SERVICE_NAMES = sorted(SERVICES)

if TYPE_CHECKING:
    from ptrack.audit.offline import OfflineReplay


def _checkpoint_files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint file you kept (from `ptrack audit checkpoint`)",
    )


def _verify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", action="append", choices=SERVICE_NAMES)
    _checkpoint_files(parser)
    parser.add_argument("--file", type=Path, help="verify an exported NDJSON log on its own")
    parser.add_argument("--first-position", type=int, help="with --file: where the export began")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes that recompute hashes side by side on large logs (default: the CPUs)",
    )
    parser.add_argument("--no-jetstream", action="store_true")
    parser.add_argument("--no-read-models", action="store_true")
    parser.add_argument("--json", action="store_true", help="the report as JSON")


def _verify(args: argparse.Namespace) -> int:
    if args.file is not None:
        return _verify_file(args.file, args.first_position, as_json_output=args.json)

    from rich.console import Console

    from ptrack.audit.checkpoints import kept_checkpoints
    from ptrack.audit.verify import as_json, audit, summary
    from ptrack.stack.location import command_settings

    settings = command_settings()
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
    from ptrack.audit.exported_log import verify_file

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


def _export_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", choices=SERVICE_NAMES, help="export this service's log")
    parser.add_argument("--from-position", type=int, default=1)
    parser.add_argument("--bookings", action="store_true", help="cost bookings with vouchers")
    parser.add_argument("--in-kind", action="store_true", help="in-kind work per municipality")
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument("--summary", type=Path, help="with --in-kind: the per-municipality file")
    parser.add_argument(
        "--lang",
        choices=["nb", "en"],
        help="CSV for Norwegian spreadsheets (nb: ';', decimal comma) or English ones "
        "(default: PTRACK_LANGUAGE, else the service's)",
    )
    parser.add_argument("-o", "--output", type=Path, required=True)


def _export(args: argparse.Namespace) -> int:
    from ptrack.audit.export import export_bookings_csv, export_in_kind_csv, export_log
    from shared.client import FAILURES

    key = admin_key()
    lang = args.lang or Settings().language
    try:
        if args.bookings:
            count = asyncio.run(
                export_bookings_csv(
                    service_url("finance"), key, args.project, args.output, lang=lang
                )
            )
            print(f"wrote {count} bookings and reversals to {args.output}")
        elif args.in_kind:
            summary_file = args.summary or args.output.with_name(
                f"{args.output.stem}-summary{args.output.suffix}"
            )
            rows, municipalities = asyncio.run(
                export_in_kind_csv(
                    service_url("finance"), key, args.project, args.output, summary_file, lang=lang
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
    except FAILURES as error:
        print(f"export failed: {error}", file=sys.stderr)
        return 1
    return 0


def _replay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--file",
        type=Path,
        action="append",
        required=True,
        help="an exported log (ptrack audit export --service S), once per log",
    )
    _checkpoint_files(parser)
    parser.add_argument("--project", default=DEFAULT_PROJECT)
    parser.add_argument(
        "--as-of-business",
        type=date.fromisoformat,
        help="the status on this day, knowing everything recorded (default: the recorded "
        "moment's day, else today)",
    )
    parser.add_argument(
        "--as-of-recorded",
        type=_moment,
        help="only what was recorded by this moment (ISO 8601 with a zone): what was known then",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="DIR",
        help="the accounts package the funder received (from `ptrack accounts -o DIR`): its "
        "every figure against the accounts made again from the logs",
    )
    parser.add_argument(
        "--lang", choices=["nb", "en"], help="of the board, the report and the accounts"
    )
    parser.add_argument("--report", type=Path, help="write the steering-group report (HTML) here")
    parser.add_argument(
        "--accounts",
        type=Path,
        metavar="DIR",
        help="write the project accounts (XLSX, PDF, CSV) made from the replay into DIR",
    )
    parser.add_argument("--json", action="store_true", help="the result as JSON")
    parser.add_argument("-o", "--output", type=Path, help="also write the result as JSON here")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone (add Z or +01:00)")
    return moment


def _replay(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    from ptrack.audit.checkpoints import kept_checkpoints
    from ptrack.audit.compare import NotAPackage
    from ptrack.audit.offline import Refused, replay_exports

    missing = [path for path in args.file if not path.is_file()]
    if missing:
        print(f"no such file: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:>9,} {task.fields[of]}"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None, of="")

        def progress(what: str, done: int, total: int) -> None:
            of = f"of {total:,}" if total else ""
            bar.update(task, description=what, completed=done, total=total or None, of=of)

        try:
            result = asyncio.run(
                replay_exports(
                    args.file,
                    project=args.project,
                    kept=kept_checkpoints(args.checkpoint),
                    as_of_business=args.as_of_business,
                    as_of_recorded=args.as_of_recorded,
                    compare=args.compare,
                    accounts_lang=None if args.accounts is None else (args.lang or "nb"),
                    progress=progress,
                )
            )
        except NotAPackage as error:
            print(error, file=sys.stderr)
            return 2
        except Refused as error:
            print(f"refused, no figure computed: {error}", file=sys.stderr)
            return 1
    return _show_replay(result, args)


def _show_replay(result: OfflineReplay, args: argparse.Namespace) -> int:
    """The result as asked: JSON, or the provenance and the board; the report and the
    accounts written where asked."""
    from rich.console import Console

    from ptrack.present.board import render_board

    found = json.dumps(result.to_dict(), indent=2, ensure_ascii=False)
    if args.output is not None:
        args.output.write_text(found + "\n")
    status = result.status_json
    if args.json:
        print(found)
    else:
        print("\n".join(result.lines()))
        if status is not None:
            console = Console(width=None if sys.stdout.isatty() else 160)
            render_board(status, result.series, console, lang=args.lang)
    if args.report is not None and status is not None and result.series is not None:
        from ptrack.present.report import build_report

        html = build_report(status, result.series, generated_at=datetime.now(UTC), lang=args.lang)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(html, encoding="utf-8")
        print(f"wrote {args.report}", file=sys.stderr)
    if args.accounts is not None and result.accounts is not None:
        for written in _save_replayed_accounts(result, args.accounts):
            print(f"wrote {written}", file=sys.stderr)
    reproduced = result.comparison is None or result.comparison.same
    return 0 if status is not None and reproduced else 1


def _save_replayed_accounts(result: OfflineReplay, out: Path) -> list[Path]:
    from ptrack.accounts.download import Package, save_accounts
    from services.finance.accounts.document import render_pdf
    from services.finance.accounts.tables import accounts_csv
    from services.finance.accounts.workbook import render_xlsx

    made = result.accounts
    assert made is not None
    lang = made.lang
    files = {
        "json": made.model_dump_json().encode(),
        "xlsx": render_xlsx(made, lang),
        "pdf": render_pdf(made, lang),
        "csv": accounts_csv(made, lang),
    }
    package = Package(result.project, made.basis.position, files)
    return [written.path for written in save_accounts(package, out)]


def _checkpoint_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--service", required=True, choices=SERVICE_NAMES)
    parser.add_argument("-o", "--output", type=Path, required=True)


def _checkpoint(args: argparse.Namespace) -> int:
    from ptrack.audit.checkpoints import keep_checkpoint, request_checkpoint

    checkpoint = request_checkpoint(service_url(args.service), admin_key())
    keep_checkpoint(checkpoint, args.output)
    print(f"{args.service}: position {checkpoint['position']} signed; kept in {args.output}")
    return 0


AUDIT = Command(
    "audit",
    "verify, checkpoint and export the logs",
    subcommands=(
        Command("verify", "chain, checkpoints, JetStream, read models", _verify, _verify_options),
        Command("export", "a log as NDJSON, or the finance CSVs", _export, _export_options),
        Command(
            "replay",
            "the project's figures from exported logs alone, in a private database",
            _replay,
            _replay_options,
        ),
        Command(
            "checkpoint",
            "have a service sign its log head; keep it",
            _checkpoint,
            _checkpoint_options,
        ),
    ),
)
