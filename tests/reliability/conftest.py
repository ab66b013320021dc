"""The reliability suite's results: one row per fault, kept for the whole session, written as
Markdown and JSON into pytest's temporary directory and printed at the end of the run (also
without `-s`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


class Results:
    COLUMNS = (
        ("fault", "fault"),
        ("events_per_second", "load held (events/s)"),
        ("events_accepted", "events accepted"),
        ("refused_as_intended", "refused as intended"),
        ("lost", "lost"),
        ("doubled", "doubled"),
        ("stream_duplicates", "stream duplicates"),
        ("retries", "retries"),
        ("longest_wait_seconds", "longest wait (s)"),
        ("slowest_attempt_seconds", "slowest attempt (s)"),
        ("caught_up_seconds", "caught up after (s)"),
        ("answers", "answers seen"),
    )

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.json_path.write_text(json.dumps(self.rows, indent=2) + "\n")
        self.markdown_path.write_text(self.markdown())

    @property
    def json_path(self) -> Path:
        return self.directory / "results.json"

    @property
    def markdown_path(self) -> Path:
        return self.directory / "results.md"

    def markdown(self) -> str:
        header = "| " + " | ".join(title for _, title in self.COLUMNS) + " |"
        rule = "|" + "|".join("---" if key == "fault" else "---:" for key, _ in self.COLUMNS) + "|"
        lines = [header, rule]
        for row in self.rows:
            lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in self.COLUMNS) + " |")
        return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}×{v}" for k, v in sorted(value.items()))
    return str(value)


_RESULTS = pytest.StashKey[Results]()


@pytest.fixture(scope="session")
def results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Results:
    found = Results(tmp_path_factory.getbasetemp() / "reliability")
    request.config.stash[_RESULTS] = found
    return found


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    found = config.stash.get(_RESULTS, None)
    if found is None or not found.rows:
        return
    terminalreporter.section("reliability under faults")
    terminalreporter.write(found.markdown())
    terminalreporter.write_line(f"results as JSON: {found.json_path}")
    terminalreporter.write_line(f"results as Markdown: {found.markdown_path}")
