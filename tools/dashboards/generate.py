"""Writes the boards as JSON files into `deploy/grafana/dashboards/<lang>/`, one folder per
language (bokmål and English, each provisioned into a Grafana folder of its own), or, with
`--check`, says which files differ from what the code generates."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from shared.i18n import DEFAULT_LANGUAGE, LANGUAGES
from tools.dashboards.finance import finance
from tools.dashboards.networks_and_surveys import networks_and_surveys
from tools.dashboards.operations import operations
from tools.dashboards.panels import Language
from tools.dashboards.project_status import project_status

OUTPUT = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"
"""Where the generated files live in the repository (mounted into Grafana by compose), a folder
per language."""

BOARDS: dict[str, Callable[[Language], board.Dashboard]] = {
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


def build_dashboards(lang: Language | str = DEFAULT_LANGUAGE) -> dict[str, dict[str, Any]]:
    """Each board's file name and JSON model, in `lang` (a language code, or a `Language` with
    a gettext of its own, as the tests give)."""
    language = lang if isinstance(lang, Language) else Language.of(lang)
    found: dict[str, dict[str, Any]] = {}
    for name, make in BOARDS.items():
        model = json.loads(json.dumps(make(language).build(), cls=JSONEncoder))
        found[name] = _numbered(model)
    return found


def render(dashboard: dict[str, Any]) -> str:
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.dashboards",
        description="Write the Grafana boards as JSON files, a folder per language.",
    )
    parser.add_argument(
        "--out", type=Path, default=OUTPUT, help="folder of the language folders (%(default)s)"
    )
    parser.add_argument(
        "--lang",
        choices=sorted(LANGUAGES),
        action="append",
        help="only this language (may be repeated; default: every language)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the files differ from what this code generates",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    langs: list[str] = args.lang or list(LANGUAGES)
    # Boards left directly in the folder, as they were before there were two languages: Grafana
    # no longer loads them (each provider reads a language's folder).
    unplaced = sorted(out.glob("*.json"))
    stale: list[Path] = []
    changed: list[tuple[Path, str]] = []
    for lang in langs:
        folder = out / lang
        boards = build_dashboards(lang)
        stale += sorted(p for p in folder.glob("*.json") if p.name not in boards)
        for name, model in boards.items():
            text = render(model)
            if not (folder / name).exists() or (folder / name).read_text() != text:
                changed.append((folder / name, text))
    for path in unplaced:
        print(f"{path}: outside a language's folder, so Grafana does not load it; delete it")
    for path in stale:
        # Left alone: it may be someone's hand-made board. Grafana shows it until it is deleted.
        print(f"{path}: not generated here; delete it if its board is gone")
    if args.check:
        for path, _ in changed:
            print(f"{path}: out of date; run `make dashboards`")
        return 1 if changed or stale or unplaced else 0
    for path, text in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    return 0
