"""Writes the boards as JSON files into `deploy/grafana/dashboards/`, or, with `--check`, says
which files differ from what the code generates."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from tools.dashboards.finance import finance
from tools.dashboards.networks_and_surveys import networks_and_surveys
from tools.dashboards.operations import operations
from tools.dashboards.project_status import project_status

OUTPUT = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"
"""Where the generated files live in the repository (mounted into Grafana by compose)."""

BOARDS = {
    "project-status.json": project_status,
    "finance.json": finance,
    "networks-and-surveys.json": networks_and_surveys,
    "operations.json": operations,
}


def _numbered(dashboard: dict[str, Any]) -> dict[str, Any]:
    # The SDK leaves every panel id 0; Grafana needs them unique on a board for links to a
    # panel, the panel editor and repeated panels.
    for number, panel in enumerate(dashboard.get("panels", []), start=1):
        panel["id"] = number
    return dashboard


def build_dashboards() -> dict[str, dict[str, Any]]:
    """Each board's file name and JSON model."""
    found: dict[str, dict[str, Any]] = {}
    for name, make in BOARDS.items():
        model = json.loads(json.dumps(make().build(), cls=JSONEncoder))
        found[name] = _numbered(model)
    return found


def render(dashboard: dict[str, Any]) -> str:
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.dashboards", description="Write the Grafana boards as JSON files."
    )
    parser.add_argument("--out", type=Path, default=OUTPUT, help="folder (default: %(default)s)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the files differ from what this code generates",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    boards = build_dashboards()
    stale = sorted(p.name for p in out.glob("*.json") if p.name not in boards)
    changed = [
        name
        for name, model in boards.items()
        if not (out / name).exists() or (out / name).read_text() != render(model)
    ]
    if args.check:
        for name in [*changed, *stale]:
            print(f"{out / name}: out of date; run `make dashboards`")
        return 1 if changed or stale else 0
    out.mkdir(parents=True, exist_ok=True)
    for name in changed:
        (out / name).write_text(render(boards[name]))
        print(f"wrote {out / name}")
    for name in stale:
        # Left alone: it may be someone's hand-made board. Grafana shows it until it is deleted.
        print(f"{out / name}: not generated here; delete it if its board is gone")
    return 0
