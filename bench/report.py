"""The run's results as JSON (everything), Markdown (the tables) and PNG (one panel per scenario).

Throughput is in events per second (higher is better); latency in milliseconds and memory in
megabytes (lower is better). Each kind has a table and a panel style of its own, so no figure is
shown in another's unit.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

from bench.model import Measurement, Scenario, ratio

OURS_COLOUR = "#1f6fb4"
ALSO_COLOUR = "#7fb2e0"
"""More rows of ours in one scenario (another read model, another service)."""
PEER_COLOURS = {
    "raw asyncpg": "#9a9a9a",
    "raw nats-py": "#9a9a9a",
    "eventsourcing": "#c7a252",
    "bare FastAPI": "#c7a252",
}
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
    """One table per kind of figure, each in its own unit."""
    tables = {
        "throughput": _throughput_table,
        "latency": _latency_table,
        "memory": _memory_table,
    }
    sections = []
    for kind, table in tables.items():
        chosen = [scenario for scenario in scenarios if scenario.kind == kind]
        if chosen:
            sections.append(table(chosen))
    return "\n\n".join(sections)


def _throughput_table(scenarios: list[Scenario]) -> str:
    lines = [
        "| Scenario | Ours | Ours (events/s) | Peer | Peer (events/s) | Ours / peer |",
        "|---|---|---:|---|---:|---:|",
    ]
    for scenario in scenarios:
        for ours in scenario.ours_rows:
            for peer in scenario.peers:
                lines.append(
                    f"| {scenario.title} | {ours.label} | {ours.rate:,.0f} "
                    f"| {peer.label} | {peer.rate:,.0f} | {_ratio_text(ours, peer)} |"
                )
    return "\n".join(lines)


def _latency_table(scenarios: list[Scenario]) -> str:
    lines = [
        "| Scenario | System | Events | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) "
        "| p99 ours / peer |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        for row in [*scenario.ours_rows, *scenario.peers]:
            d = row.details
            peer_row = _is_peer(scenario, row)
            cells = [_ms(d.get(name)) for name in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
            lines.append(
                f"| {scenario.title} | {row.label}{' (peer)' if peer_row else ''} | {row.events:,} "
                f"| {' | '.join(cells)} | {'' if peer_row else _ratios_text(row, scenario)} |"
            )
    lines += ["", *(_target_line(scenario, "p99") for scenario in scenarios if scenario.target)]
    return "\n".join(lines).rstrip()


def _memory_table(scenarios: list[Scenario]) -> str:
    lines = ["| Scenario | Process | RSS (MB) | Ours / peer |", "|---|---|---:|---:|"]
    for scenario in scenarios:
        for row in [*scenario.ours_rows, *scenario.peers]:
            peer_row = _is_peer(scenario, row)
            lines.append(
                f"| {scenario.title} | {row.label}{' (peer)' if peer_row else ''} "
                f"| {_number(row.value, '.1f')} "
                f"| {'' if peer_row else _ratios_text(row, scenario)} |"
            )
    lines += ["", *(_target_line(scenario, "RSS") for scenario in scenarios if scenario.target)]
    return "\n".join(lines).rstrip()


def _target_line(scenario: Scenario, what: str) -> str:
    over = [row.label for row in scenario.ours_rows if not row.figure < (scenario.target or 0)]
    verdict = "met by every row of ours" if not over else f"missed by {', '.join(over)}"
    return (
        f"Target for *{scenario.title}*: {what} under {scenario.target:g} {scenario.unit}: "
        f"{verdict}."
    )


def _ratio_text(ours: Measurement, peer: Measurement) -> str:
    value = ratio(ours, peer)
    return "n/a" if value is None else f"{value:.2f}"


def _ratios_text(row: Measurement, scenario: Scenario) -> str:
    if len(scenario.peers) == 1:
        return _ratio_text(row, scenario.peers[0])
    return "; ".join(f"{_ratio_text(row, peer)} ({peer.label})" for peer in scenario.peers)


def _ms(value: float | None) -> str:
    return _number(value, ",.1f")


def _number(value: float | None, spec: str) -> str:
    return "n/a" if value is None or math.isnan(value) else format(value, spec)


def cpu_table(scenarios: list[Scenario]) -> str:
    """CPU per process during each measured window: which side ran out, if any."""
    rows = [
        (scenario, system, system.details.get("cpu_percent_of_one_core") or {})
        for scenario in scenarios
        for system in [*scenario.ours_rows, *scenario.peers]
    ]
    rows = [row for row in rows if row[2]]
    names = list(dict.fromkeys(name for _, _, usage in rows for name in usage))
    lines = [
        "| Scenario | System | " + " | ".join(names) + " |",
        "|---|---|" + "---:|" * len(names),
    ]
    for scenario, system, usage in rows:
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
        "Ours / peer above 1 means ours recorded more events per second than that peer; in the "
        "latency and memory tables (lower is better there) it means ours took that many times "
        "longer, or that many times the memory.",
        "",
        f"Service log check: head {check['log_head']}, accepted {check['accepted']} "
        f"(plan included): {'OK' if check['ok'] else 'MISMATCH'}.",
        "",
        "Scenario checks (details in latest.json): "
        + (
            ", ".join(
                f"{scenario.key} {'OK' if (scenario.checks or {}).get('ok') else 'FAILED'}"
                for scenario in scenarios
                if scenario.checks is not None
            )
            or "none"
        )
        + ".",
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


COLUMNS = 4
"""Panels per row of the chart."""
Y_LABELS = {
    "throughput": "events per second (higher is better)",
    "latency": "p99 milliseconds (lower is better)",
    "memory": "MB resident (lower is better)",
}


def chart(scenarios: list[Scenario], path: Path, subtitle: str) -> None:
    matplotlib.use("Agg")  # files only: no display on a server or in CI; before pyplot loads
    import matplotlib.pyplot as plt

    columns = max(1, min(COLUMNS, len(scenarios)))
    rows = max(1, math.ceil(len(scenarios) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 5.2 * rows), squeeze=False)
    panels = list(axes.flat)
    for axis, scenario in zip(panels, scenarios, strict=False):
        _panel(axis, scenario)
    for axis in panels[len(scenarios) :]:
        axis.set_visible(False)
    figure.suptitle(
        "ptrack vs peers: events/s higher is better; milliseconds and MB lower is better\n"
        f"{subtitle}",
        fontsize=11,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _panel(axis: Any, scenario: Scenario) -> None:
    systems = [*scenario.ours_rows, *scenario.peers]
    figures = [_finite(system.figure) for system in systems]
    colours = [
        OURS_COLOUR,
        *[ALSO_COLOUR] * len(scenario.also),
        *(_colour(peer.label) for peer in scenario.peers),
    ]
    width = 16 if len(systems) <= 3 else 12 if len(systems) == 4 else 9  # as bars narrow
    labels = [textwrap.fill(system.label, width, break_long_words=False) for system in systems]
    bars = axis.bar(range(len(systems)), figures, color=colours)
    for bar, system in zip(bars, systems, strict=True):
        axis.annotate(
            _annotation(scenario, system),
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=7 if scenario.kind == "latency" else 8,
        )
    top = max([*figures, scenario.target or 0.0], default=1.0)
    title = textwrap.fill(scenario.title, 30)
    if scenario.target is not None:
        # Said in the title, not beside the line, where it would cover bars' annotations.
        axis.axhline(scenario.target, color="#c0392b", linestyle="--", linewidth=1)
        title += f"\n(red dashes: target {scenario.target:g} {scenario.unit})"
    axis.set_xticks(range(len(systems)), labels, fontsize=7 if width > 9 else 6)
    axis.set_title(title, fontsize=10)
    axis.set_ylabel(Y_LABELS[scenario.kind])
    # Room above the bars for the annotations (three lines on latency panels).
    axis.set_ylim(0, top * (1.5 if scenario.kind == "latency" else 1.25) or 1)
    axis.grid(axis="y", alpha=0.3)


def _annotation(scenario: Scenario, system: Measurement) -> str:
    peer = _is_peer(scenario, system)
    if scenario.kind == "latency":
        d = system.details
        return "\n".join(
            f"{name} {_number(d.get(f'{name}_ms'), ',.0f')}" for name in ("p50", "p99", "max")
        )
    if scenario.kind == "memory":
        text = f"{_number(system.value, '.0f')} MB"
        if not peer and len(scenario.peers) == 1:
            value = ratio(system, scenario.peers[0])
            text += f"\n×{value:.1f}" if value is not None else ""
        return text
    text = f"{system.rate:,.0f}"
    if peer:
        value = ratio(scenario.ours, system)
        text += f"\nours ×{value:.2f}" if value is not None else ""
    return text


def _is_peer(scenario: Scenario, row: Measurement) -> bool:
    return any(row is peer for peer in scenario.peers)  # identity: rows may be equal in value


def _finite(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def _colour(label: str) -> str:
    return next((c for start, c in PEER_COLOURS.items() if label.startswith(start)), OTHER_COLOUR)


def _subtitle(results: dict[str, Any]) -> str:
    env = results["environment"]
    return (
        f"{env['date']}, {env['cpu_count']} CPUs, "
        f"PostgreSQL {env['postgresql']['server_version']}, Python {env['python']}"
    )
