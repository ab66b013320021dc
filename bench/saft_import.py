"""The SAF-T import scenario: peak memory of importing files of growing size, side by side.

    python -m bench.saft_import     # PTRACK_BENCH_SAFT_MB=10,100,1000 by default

For each size it writes a SAF-T file (`bench.saft_files`: the project's 2000 invoices spread
through a municipality's ledger), then measures, each in a process of its own
(`bench.saft_child`): the import (`import`), a plain lxml iterparse over the same file
(`iterparse`, the floor of streaming) and, up to `PTRACK_BENCH_SAFT_TREE_MB` (default 100), a
whole-tree parse and validation (`tree`, what loading the file would cost). It writes
bench/results/saft.json and saft.md and prints the table. Needs no servers, only disk for the
largest file (deleted after).

The run fails (exit 1) unless every import found the project's 2000 lines and the file's
totals agreeing with its header: a memory figure for an import that read nothing is worthless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.console import say, warn
from bench.facts import REPO
from bench.saft_files import PROJECT_TRANSACTIONS, write
from bench.saft_service import through_service
from bench.servers import find_nats, find_postgres

RESULTS = Path(__file__).parent / "results"
SIZES_VARIABLE = "PTRACK_BENCH_SAFT_MB"
TREE_VARIABLE = "PTRACK_BENCH_SAFT_TREE_MB"
SERVICE_VARIABLE = "PTRACK_BENCH_SAFT_SERVICE"


def main() -> int:
    sizes = [float(size) for size in os.environ.get(SIZES_VARIABLE, "10,100,1000").split(",")]
    tree_cap = float(os.environ.get(TREE_VARIABLE, "100"))
    rows: list[dict[str, Any]] = []
    with (
        contextlib.ExitStack() as servers,
        tempfile.TemporaryDirectory(prefix="ptrack-bench-saft-") as folder,
    ):
        service = os.environ.get(SERVICE_VARIABLE, "1") != "0"
        postgres = find_postgres() if service else ""
        nats = servers.enter_context(find_nats()) if service else ""
        for size in sizes:
            path = Path(folder) / f"saft-{size:g}mb.xml"
            say(f"writing a SAF-T file of about {size:g} MB")
            transactions = write(path, size)
            row: dict[str, Any] = {
                "target_mb": size,
                "file_mb": round(path.stat().st_size / 1_000_000, 1),
                "transactions": transactions,
            }
            for mode in ("import", "iterparse", "tree"):
                if mode == "tree" and size > tree_cap:
                    row[mode] = None
                    continue
                say(f"  {mode} ...")
                row[mode] = _child(mode, path)
                say(f"  {mode}: {row[mode]['peak_mb']} MB peak, {row[mode]['seconds']} s")
            row["service"] = None
            if service:
                say("  through ptrack serve finance ...")
                row["service"] = asyncio.run(through_service(postgres, nats, path))
                say(f"  service: {row['service']}")
            path.unlink()
            rows.append(row)
    failed = [
        row["target_mb"]
        for row in rows
        if row["import"].get("project_lines") != PROJECT_TRANSACTIONS
        or not row["import"].get("totals_agree")
        or (row["service"] is not None and row["service"]["events"] != PROJECT_TRANSACTIONS)
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "saft.json").write_text(json.dumps({"rows": rows}, indent=2) + "\n")
    table = markdown(rows)
    (RESULTS / "saft.md").write_text(table)
    print(table)
    if failed:
        warn(f"the import did not read the project's {PROJECT_TRANSACTIONS} lines: {failed}")
        return 1
    return 0


def _child(mode: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.saft_child", mode, str(path)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# SAF-T import: peak memory (RSS) by file size",
        "",
        "Each figure from a process of its own; the project's share is "
        f"{PROJECT_TRANSACTIONS} transactions in every file.",
        "",
        "| file | transactions | import: peak MB (s) | iterparse: peak MB (s) | "
        "import / iterparse | whole tree + validate: peak MB (s) | "
        "`ptrack serve finance`: MB before → peak (events) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours, floor, tree, service = row["import"], row["iterparse"], row["tree"], row["service"]
        lines.append(
            f"| {row['file_mb']} MB | {row['transactions']:,} | {ours['peak_mb']} "
            f"({ours['seconds']}) | {floor['peak_mb']} ({floor['seconds']}) | "
            f"{ours['peak_mb'] / floor['peak_mb']:.2f} | "
            + ("not run" if tree is None else f"{tree['peak_mb']} ({tree['seconds']})")
            + " | "
            + (
                "not run"
                if service is None
                else f"{service['rss_before_mb']} → {service['peak_mb']} ({service['events']})"
            )
            + " |"
        )
    first, last = rows[0], rows[-1]
    if len(rows) > 1:
        lines += [
            "",
            f"From {first['file_mb']} MB to {last['file_mb']} MB "
            f"({last['file_mb'] / first['file_mb']:.0f}x) the import's peak goes from "
            f"{first['import']['peak_mb']} to {last['import']['peak_mb']} MB "
            f"({last['import']['peak_mb'] / first['import']['peak_mb']:.2f}x).",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
