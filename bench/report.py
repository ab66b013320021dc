"""The run's results as JSON (everything), Markdown (the table) and PNG (one panel per scenario)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

from bench.model import Scenario, ratio

OURS_COLOUR = "#1f6fb4"
PEER_COLOURS = {"raw asyncpg": "#9a9a9a", "eventsourcing": "#c7a252"}
"""One colour per system across panels, found by the start of a row's label."""
OTHER_COLOUR = "#6aa36f"


def write_all(results: dict[str, Any], scenarios: list[Scenario], directory: Path) -> str:
    """Write latest.json, latest.md and latest.png; return the Markdown table."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = markdown_table(scenarios)
    (directory / "latest.md").write_text(markdown_document(results, table, scenarios))
    chart(scenarios, directory / "latest.png", subtitle=_subtitle(results))
    return table


def markdown_table(scenarios: list[Scenario]) -> str:
    lines = [
        "| Scenario | Ours | Ours (events/s) | Peer | Peer (events/s) | Ours / peer |",
        "|---|---|---:|---|---:|---:|",
    ]
    for scenario in scenarios:
        for peer in scenario.peers:
            value = ratio(scenario.ours, peer)
            lines.append(
                f"| {scenario.title} | {scenario.ours.label} | {scenario.ours.rate:,.0f} "
                f"| {peer.label} | {peer.rate:,.0f} "
                f"| {'n/a' if value is None else f'{value:.2f}'} |"
            )
    return "\n".join(lines)


def cpu_table(scenarios: list[Scenario]) -> str:
    """CPU per process during each measured window: which side ran out, if any."""
    names = ["bench", "service", "wrk", "postgres"]
    lines = [
        "| Scenario | System | " + " | ".join(names) + " |",
        "|---|---|" + "---:|" * len(names),
    ]
    for scenario in scenarios:
        for system in [scenario.ours, *scenario.peers]:
            usage = system.details.get("cpu_percent_of_one_core") or {}
            cells = [_percent(usage.get(name)) for name in names]
            lines.append(f"| {scenario.title} | {system.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} %"


def markdown_document(results: dict[str, Any], table: str, scenarios: list[Scenario]) -> str:
    env = results["environment"]
    check = results["log_check"]
    postgres = env["postgresql"]
    git = env.get("git") or {}
    lines = [
        "# ptrack benchmark: latest run",
        "",
        f"Run {results['run_id']} on {env['date']}: {env['cpu_count']} CPUs, "
        f"PostgreSQL {postgres['server_version']} "
        f"(synchronous_commit={postgres['synchronous_commit']}), "
        f"Python {env['python']}, commit {git.get('commit', 'unknown')[:12]}"
        f"{' with uncommitted changes' if git.get('uncommitted_changes') else ''}.",
        "",
        table,
        "",
        "Ours / peer above 1 means ours recorded more events per second than that peer.",
        "",
        f"Service log check: head {check['log_head']}, accepted {check['accepted']} "
        f"(plan included): {'OK' if check['ok'] else 'MISMATCH'}.",
        "",
        "CPU during each measured window, in percent of one core (the machine has "
        f"{env['cpu_count']} cores); a Python process near 100 % has run out of CPU, and when "
        "nothing is near its limit the figure is bound by latency:",
        "",
        cpu_table(scenarios),
    ]
    notes = [note for scenario in results["scenarios"] for note in scenario.get("notes", [])]
    if notes:
        lines += ["", "Notes:", "", *(f"- {note}" for note in notes)]
    lines += ["", "Details (counts, statuses, settings): latest.json. Chart: latest.png.", ""]
    return "\n".join(lines)


def chart(scenarios: list[Scenario], path: Path, subtitle: str) -> None:
    matplotlib.use("Agg")  # files only: no display on a server or in CI; before pyplot loads
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(
        1, len(scenarios), figsize=(4.2 * len(scenarios), 5.2), squeeze=False
    )
    for axis, scenario in zip(axes[0], scenarios, strict=True):
        systems = [scenario.ours, *scenario.peers]
        rates = [system.rate for system in systems]
        colours = [OURS_COLOUR, *(_colour(peer.label) for peer in scenario.peers)]
        labels = [textwrap.fill(system.label, 16, break_long_words=False) for system in systems]
        bars = axis.bar(range(len(systems)), rates, color=colours)
        for index, (bar, system) in enumerate(zip(bars, systems, strict=True)):
            text = f"{system.rate:,.0f}"
            if index > 0:
                value = ratio(scenario.ours, system)
                text += f"\nours ×{value:.2f}" if value is not None else ""
            axis.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        axis.set_xticks(range(len(systems)), labels, fontsize=7)
        axis.set_title(textwrap.fill(scenario.title, 30), fontsize=10)
        axis.set_ylabel("events per second")
        axis.set_ylim(0, max(rates, default=1) * 1.25 or 1)
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(f"ptrack event log vs peers (higher is better)\n{subtitle}", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _colour(label: str) -> str:
    return next((c for start, c in PEER_COLOURS.items() if label.startswith(start)), OTHER_COLOUR)


def _subtitle(results: dict[str, Any]) -> str:
    env = results["environment"]
    return (
        f"{env['date']}, {env['cpu_count']} CPUs, "
        f"PostgreSQL {env['postgresql']['server_version']}, Python {env['python']}"
    )
