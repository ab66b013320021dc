"""The status board in the terminal: the reporting service's `GET /projects/{id}/status` (and,
when given, its S-curve series) drawn with rich, for `ptrack status`.

The figures are those of `shared.present.formatting`, as the read model states them. Colour only
repeats what the text already says (a state, a share above 90 %), so the plain-text rendering
used by tests and pipes loses nothing."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shared.present.formatting import (
    DASH,
    EVM_ROWS,
    LOW_FACTOR_SCORE,
    SCOPES,
    WARN_SHARE,
    figure,
    last_decision,
    milestone_counts,
    nok,
    percent,
    share_text,
    slip_text,
    suppression_reason,
    undefined_reasons,
    worst_slip,
)

BOARD_WIDTH = 120
MILESTONE_STYLES = {
    "reached_on_time": "green",
    "reached_late": "yellow",
    "overdue": "bold red",
    "due_soon": "dark_orange",
    "planned": "dim",
}
GOAL_STYLES = {
    "done": "green",
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "red",
    "overdue": "bold red",
    "not_started": "dim",
}
DECISION_STYLES = {
    "approved": "green",
    "rejected": "red",
    "deferred": "yellow",
    "overdue": "bold red",
    "pending": "",
}


def render_board(status: dict[str, Any], series: dict[str, Any] | None, console: Console) -> None:
    """Print the whole board for one status answer (and optionally its S-curve series)."""
    console.print(_header(status))
    evm = status.get("evm") or {}
    if evm or series:
        # Side by side only where both fit; a narrow terminal gets them one under the other.
        wide = console.width >= 140
        console.print(_section("Earned value", _evm(evm, series, wide=wide)))
    schedule = status.get("schedule")
    if schedule:
        console.print(_section("Schedule", _schedule(schedule)))
    money = status.get("money")
    if money:
        console.print(_section("Money", _money(money)))
    console.print(_section("Networks", _networks(status.get("networks") or {})))
    console.print(_section("Surveys", _surveys(status.get("surveys") or {})))


def board_text(status: dict[str, Any], series: dict[str, Any] | None) -> str:
    """The board as plain text, 120 columns wide, without colours (for tests and pipes)."""
    console = Console(
        file=io.StringIO(), record=True, width=BOARD_WIDTH, color_system=None, force_terminal=False
    )
    render_board(status, series, console)
    return console.export_text(styles=False)


def _section(title: str, body: RenderableType) -> Panel:
    return Panel(body, title=Text(title, style="bold"), title_align="left", box=box.ROUNDED)


def _table(
    title: str | None = None, columns: Iterable[tuple[str, dict[str, Any]]] = (), **options: Any
) -> Table:
    """A table with these (header, column options) columns."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        **options,
    )
    for header, column in columns:
        table.add_column(header, **column)
    return table


def _header(status: dict[str, Any]) -> Panel:
    name = status.get("name") or status["project"]
    title = Text(f"{name} ({status['project']})", style="bold")
    facts = [f"status date {status['status_date']}"]
    schedule = status.get("schedule")
    facts.append(f"baseline {schedule['baseline']}" if schedule else "no plan baseline")
    if status.get("period_start") and status.get("period_end"):
        facts.append(f"period {status['period_start']} – {status['period_end']}")
    money = status.get("money")
    if money:
        facts.append(f"frame {nok(money['frame'])} NOK")
    return Panel(
        Group(title, Text(" · ".join(facts))),
        title="ptrack status board",
        title_align="left",
        box=box.DOUBLE,
    )


def _evm(
    evm: dict[str, dict[str, Any]], series: dict[str, Any] | None, *, wide: bool = True
) -> RenderableType:
    figures = _table()
    figures.add_column("Measure", no_wrap=True)
    for scope, label in SCOPES.items():
        if scope in evm:
            figures.add_column(label, justify="right", no_wrap=True)
    for key, label, kind in EVM_ROWS:
        cells = []
        for scope in SCOPES:
            if scope not in evm:
                continue
            value = evm[scope].get(key)
            text = nok(value) if kind == "money" else figure(value)
            cells.append(Text(text, style=_evm_style(key, value)))
        figures.add_row(label, *cells)
    parts: list[RenderableType] = [
        figures,
        Text("money: the cost budget; total: with documented in-kind work", style="dim"),
    ]
    reasons = undefined_reasons(evm)
    if reasons:
        parts.append(Text("Undefined (–):", style="bold"))
        parts += [Text(f"  {reason}", style="dim") for reason in reasons]
    left = Group(*parts)
    if not series or not series.get("points"):
        return left
    curve = _table(f"S-curve ({series.get('scope', 'money')}, NOK)")
    curve.add_column("Day", no_wrap=True)
    for column in ("PV", "EV", "AC"):
        curve.add_column(column, justify="right", no_wrap=True)
    for point in series["points"]:
        # EV and AC stop at the status date: nothing after it was known then.
        curve.add_row(point["day"], nok(point["pv"]), nok(point["ev"]), nok(point["ac"]))
    if not wide:
        return Group(left, Text(""), curve)
    grid = Table.grid(padding=(0, 3))
    grid.add_row(left, curve)
    return grid


def _evm_style(key: str, value: Any) -> str:
    """Below 1 an index means over cost or behind time; TCPI above 1 means the rest must be done
    cheaper than planned. Negative variances are bad news too."""
    if value is None:
        return "dim"
    if key in ("cpi", "spi", "spi_t"):
        return "red" if Decimal(value) < 1 else "green"
    if key == "tcpi":
        return "red" if Decimal(value) > 1 else "green"
    if key in ("cv", "sv", "sv_t_days", "vac"):
        return "red" if Decimal(value) < 0 else ""
    return ""


def _schedule(schedule: dict[str, Any]) -> RenderableType:
    worst = worst_slip(schedule)
    summary = f"Milestones: {milestone_counts(schedule)}"
    if worst is not None:
        summary += f"; worst slip {slip_text(worst['slip_days'])} ({worst['id']})"

    milestones = _table(
        summary,
        columns=(
            ("ID", {"no_wrap": True}),
            ("Milestone", {"ratio": 1, "overflow": "fold"}),
            ("Due", {"no_wrap": True}),
            ("Forecast", {"no_wrap": True}),
            ("Actual", {"no_wrap": True}),
            ("Slip", {"justify": "right", "no_wrap": True}),
            ("State", {"no_wrap": True}),
        ),
    )
    for m in schedule.get("milestones", []):
        milestones.add_row(
            m["id"],
            m["title"],
            m["due"],
            figure(m["forecast"]),
            figure(m["actual"]),
            slip_text(m["slip_days"]),
            m["state"],
            style=MILESTONE_STYLES.get(m["state"], ""),
        )

    goals = _table(
        "Goals",
        columns=(
            ("ID", {"no_wrap": True}),
            ("Goal", {"ratio": 3, "overflow": "fold"}),
            ("Deadline", {"no_wrap": True}),
            ("Done", {"justify": "right", "no_wrap": True}),
            ("Reported", {"no_wrap": True}),
            ("State", {"no_wrap": True}),
            ("Comment", {"ratio": 2, "overflow": "fold"}),
        ),
    )
    for g in schedule.get("goals", []):
        reported = g["reported_status"]
        if reported and g.get("reported_on"):
            reported = f"{reported} {g['reported_on']}"
        goals.add_row(
            g["id"],
            g["title"],
            g["deadline"],
            share_text(g["share_complete"]),
            figure(reported),
            g["state"],
            g.get("comment") or "",
            style=GOAL_STYLES.get(g["state"], ""),
        )

    decisions = _table(
        "Decision points",
        columns=(
            ("ID", {"no_wrap": True}),
            ("Decision point", {"ratio": 2, "overflow": "fold"}),
            ("Due", {"no_wrap": True}),
            ("Owner", {"no_wrap": True}),
            ("State", {"no_wrap": True}),
            ("Last decision", {"ratio": 1, "overflow": "fold"}),
        ),
    )
    for p in schedule.get("decision_points", []):
        decisions.add_row(
            p["id"],
            p["title"],
            p["due_month"],
            p["owner_role"],
            p["state"],
            last_decision(p),
            style=DECISION_STYLES.get(p["state"], ""),
        )

    activities = _table(
        "Activities: planned by the status date against reported",
        columns=(
            ("ID", {"no_wrap": True}),
            ("Activity", {"ratio": 1, "overflow": "fold"}),
            ("Months", {"no_wrap": True}),
            ("Planned", {"justify": "right", "no_wrap": True}),
            ("Reported", {"justify": "right", "no_wrap": True}),
            ("", {"no_wrap": True}),
            ("Variance", {"justify": "right", "no_wrap": True}),
        ),
    )
    for a in schedule.get("activities", []):
        planned, reported = float(Decimal(a["planned_share"])), float(Decimal(a["reported_share"]))
        behind = Decimal(a["variance"]) < 0
        months = a["months"]
        span = months[0] if len(months) == 1 else f"{months[0]}…{months[-1]}"
        activities.add_row(
            a["id"],
            a["title"],
            span if months else DASH,
            share_text(a["planned_share"]),
            share_text(a["reported_share"]),
            Text(progress_bar(planned, reported), style="yellow" if behind else "green"),
            Text(_points(a["variance"]), style="yellow" if behind else ""),
        )
    return Group(milestones, goals, decisions, activities)


def _points(variance: str) -> str:
    """A share difference in percentage points (`-0.2333` → `-23.3 pp`)."""
    value = float(Decimal(variance)) * 100
    return "0 pp" if value == 0 else f"{value:+.1f} pp"


def _money(money: dict[str, Any]) -> RenderableType:
    lines = _table(
        f"Cost budget lines (frame {nok(money['frame'])} NOK)",
        columns=(
            ("Line", {"no_wrap": True}),
            ("Name", {"ratio": 1}),
            ("Budget", {"justify": "right", "no_wrap": True}),
            ("Used", {"justify": "right", "no_wrap": True}),
            ("Remaining", {"justify": "right", "no_wrap": True}),
            ("Share", {"justify": "right", "no_wrap": True}),
            ("", {"no_wrap": True}),
        ),
    )
    for line in money["lines"]:
        # The plan's names are long and bilingual: cut to one line, the id says which it is.
        name = Text(line["name"], no_wrap=True, overflow="ellipsis")
        lines.add_row(line["id"], name, *_usage_cells(line))
    lines.add_section()
    for label, key in (
        ("money", "money"),
        ("in-kind", "in_kind"),
        ("total", "total"),
    ):
        name = Text(_TOTAL_NAMES[key], no_wrap=True, overflow="ellipsis")
        lines.add_row(label, name, *_usage_cells(money[key]), style="bold")

    in_kind = _table("In-kind by municipality")
    in_kind.add_column("Municipality", no_wrap=True)
    in_kind.add_column("Documented", justify="right", no_wrap=True)
    for municipality, value in sorted(money["in_kind_by_municipality"].items()):
        in_kind.add_row(municipality, nok(value))
    if not money["in_kind_by_municipality"]:
        in_kind.add_row("(none documented)", DASH)

    funding = _table(
        "Funding: planned against received",
        columns=(
            ("Source", {"no_wrap": True}),
            ("Kind", {"no_wrap": True}),
            ("Planned", {"justify": "right", "no_wrap": True}),
            ("Received", {"justify": "right", "no_wrap": True}),
            ("Share", {"justify": "right", "no_wrap": True}),
        ),
    )
    for source in money["funding"]:
        planned = Decimal(source["planned"])
        share = float(Decimal(source["received"]) / planned) if planned else None
        funding.add_row(
            source["id"],
            source["kind"],
            nok(source["planned"]),
            nok(source["received"]),
            percent(share),
        )
    side = Table.grid(padding=(0, 4))
    side.add_row(in_kind, funding)
    return Group(lines, side)


_TOTAL_NAMES = {
    "money": "cost budget (all lines)",
    "in_kind": "documented in-kind work",
    "total": "frame: money and in-kind",
}


def _usage_cells(usage: dict[str, Any]) -> list[RenderableType]:
    share = usage.get("share_used")
    style = "bold red" if share is not None and share > WARN_SHARE else "green"
    return [
        nok(usage["budget"]),
        nok(usage["used"]),
        nok(usage["remaining"]),
        Text(percent(share), style=style if style != "green" else ""),
        Text(bar(share, 15), style=style),
    ]


def _networks(networks: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    coverage = networks.get("coverage")
    if coverage:
        parts.append(
            Text(
                f"Coverage: {coverage['mapped']} mapped, {coverage['assessed']} assessed "
                f"({percent(coverage['share_assessed'])}), {coverage['active']} active, "
                f"{coverage['retired']} retired"
            )
        )
    else:
        parts.append(Text("Coverage: no networks mapped yet", style="dim"))
    pilot = networks.get("pilot")
    if pilot:
        verdict = "within target" if pilot["within_target"] else _pilot_gap(pilot)
        chosen = ", ".join(pilot["networks"]) or "none"
        parts.append(
            Text(
                f"Pilot: {pilot['count']} of {pilot['target_min']}–{pilot['target_max']} "
                f"networks ({verdict}): {chosen}",
                style="green" if pilot["within_target"] else "yellow",
            )
        )
    scores = networks.get("scores") or []
    if scores:
        table = _table("Assessment scores (1–5)")
        table.add_column("Dimension", no_wrap=True)
        for column in ("Mean", "Min", "Max", "Networks"):
            table.add_column(column, justify="right", no_wrap=True)
        for score in scores:
            mean = score["mean"]
            table.add_row(
                score["dimension"],
                DASH if mean is None else f"{mean:.2f}",
                figure(score["min"]),
                figure(score["max"]),
                str(score["networks"]),
                style="yellow" if mean is not None and mean < 2.5 else "",
            )
        parts.append(table)
    return Group(*parts)


def _pilot_gap(pilot: dict[str, Any]) -> str:
    if pilot["count"] < pilot["target_min"]:
        return f"{pilot['target_min'] - pilot['count']} short of the target"
    return f"{pilot['count'] - pilot['target_max']} over the target"


def _surveys(surveys: dict[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    found = surveys.get("surveys") or []
    if found:
        table = _table(
            "Surveys",
            columns=(
                ("Survey", {"no_wrap": True}),
                ("Target", {"no_wrap": True}),
                ("Phase", {"no_wrap": True}),
                ("Responses", {"justify": "right", "no_wrap": True}),
                ("Rate", {"justify": "right", "no_wrap": True}),
                ("State", {"no_wrap": True}),
            ),
        )
        for survey in found:
            target = survey["target"]
            table.add_row(
                survey["id"],
                target["kind"] + (f" {target['network']}" if target.get("network") else ""),
                survey["phase"],
                f"{survey['responses']} of {survey['invited']}",
                percent(survey["response_rate"]),
                survey["state"],
            )
        parts.append(table)
    else:
        parts.append(Text("No surveys published", style="dim"))
    factors = surveys.get("success_factors") or []
    if factors:
        table = _table(
            "Success factors (0–1)",
            columns=(
                ("Factor", {"no_wrap": True}),
                ("Score", {"justify": "right", "no_wrap": True}),
                ("", {"no_wrap": True}),
                ("Answers", {"justify": "right", "no_wrap": True}),
            ),
        )
        for factor in factors:
            if factor.get("suppressed"):
                reason = suppression_reason(factor)
                table.add_row(
                    factor["factor"], "suppressed", Text(f"({reason})", style="dim"), DASH
                )
                continue
            score = factor["score"]
            low = score is not None and score < LOW_FACTOR_SCORE
            table.add_row(
                factor["factor"],
                DASH if score is None else f"{score:.2f}",
                Text(bar(score, 10), style="red" if low else "green"),
                figure(factor["n"]),
                style="red" if low else "",
            )
        parts.append(table)
    return Group(*parts)


def bar(share: float | None, width: int = 20) -> str:
    """Used against budget: `█` for what is used, `░` for what is left; `▶` past 100 %."""
    if share is None:
        return " " * width
    filled = round(min(max(share, 0.0), 1.0) * width)
    return "█" * filled + "░" * (width - filled) + ("▶" if share > 1 else "")


def progress_bar(planned: float, reported: float, width: int = 10) -> str:
    """Reported against planned: `█` reported, `░` the part still behind plan, `·` the rest."""
    done = round(min(max(reported, 0.0), 1.0) * width)
    due = max(done, round(min(max(planned, 0.0), 1.0) * width))
    return "█" * done + "░" * (due - done) + "·" * (width - due)
