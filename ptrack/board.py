"""The status board in the terminal: the reporting service's `GET /projects/{id}/status` (and,
when given, its S-curve series) drawn with rich, for `ptrack status`.

Every figure is shown as the read model states it: money strings are only grouped by thousands,
ratios keep their four places, so a reader can match the board against the API and an auditor
against the log. Colour only repeats what the text already says (a state, a share above 90 %),
so the plain-text rendering used by tests and pipes loses nothing."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ptrack.client import ApiError

DASH = "–"
"""Shown for a figure the read model leaves undefined or does not have."""
BOARD_WIDTH = 120
WARN_SHARE = 0.9
"""A budget line above this share used is shown in red: little room is left for the rest."""
LOW_FACTOR_SCORE = 0.5
"""A success factor below this (0..1, the scale's midpoint) is a risk to the pilot."""

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
EVM_ROWS: tuple[tuple[str, str, str], ...] = (
    # (key, label, kind): kind says how the read model's string is shown.
    ("bac", "BAC (budget at completion)", "money"),
    ("pv", "PV (planned value)", "money"),
    ("ev", "EV (earned value)", "money"),
    ("ac", "AC (actual cost)", "money"),
    ("cv", "CV = EV − AC", "money"),
    ("sv", "SV = EV − PV", "money"),
    ("cpi", "CPI", "ratio"),
    ("spi", "SPI", "ratio"),
    ("es_days", "ES (days)", "ratio"),
    ("at_days", "AT (days)", "ratio"),
    ("sv_t_days", "SV(t) (days)", "ratio"),
    ("spi_t", "SPI(t)", "ratio"),
    ("eac_cpi", "EAC = BAC / CPI", "money"),
    ("eac_remaining", "EAC = AC + (BAC − EV)", "money"),
    ("etc", "ETC = EAC − AC", "money"),
    ("vac", "VAC = BAC − EAC", "money"),
    ("tcpi", "TCPI", "ratio"),
)
EVM_LABELS = {key: label.split(" ")[0] for key, label, _ in EVM_ROWS}
SCOPES = {"money": "money", "total": "total"}
"""Earned value is computed for the cost budget alone and for the whole frame with in-kind."""


# --- formatting, shared with the HTML report --------------------------------------------------


def nok(value: str | None) -> str:
    """A money string from the API (`"131600.50"`) grouped by thousands: `131,600.50`."""
    if value is None:
        return DASH
    try:
        return f"{Decimal(value):,.2f}"
    except InvalidOperation:
        return value


def percent(share: float | None) -> str:
    return DASH if share is None else f"{share * 100:.1f} %"


def share_text(share: str | None) -> str:
    """A 0..1 decimal string as a percentage with at most one decimal (`0.3333` → `33.3 %`)."""
    if share is None:
        return DASH
    return percent(float(Decimal(share)))


def slip_text(days: int | None) -> str:
    if days is None:
        return DASH
    return f"{days:+d} d" if days else "0 d"


def figure(value: Any) -> str:
    return DASH if value is None else str(value)


def undefined_reasons(evm: dict[str, dict[str, Any]]) -> list[str]:
    """`CPI (money): AC is 0: ...` for each measure the read model leaves undefined."""
    return [
        f"{EVM_LABELS.get(name, name)} ({scope}): {reason}"
        for scope in SCOPES
        for name, reason in evm.get(scope, {}).get("undefined", {}).items()
    ]


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


def milestone_counts(schedule: dict[str, Any]) -> str:
    counts = schedule.get("milestones_by_state", {})
    return ", ".join(f"{counts[state]} {state.replace('_', ' ')}" for state in counts)


def worst_slip(schedule: dict[str, Any]) -> dict[str, Any] | None:
    """The milestone with the largest positive slip (the read model gives only its days)."""
    late = [m for m in schedule.get("milestones", []) if m["slip_days"] > 0]
    return max(late, key=lambda m: m["slip_days"]) if late else None


# --- the board --------------------------------------------------------------------------------


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


def _table(title: str | None = None, **options: Any) -> Table:
    return Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        **options,
    )


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

    milestones = _table(summary)
    for column, options in (
        ("ID", {"no_wrap": True}),
        ("Milestone", {"ratio": 1, "overflow": "fold"}),
        ("Due", {"no_wrap": True}),
        ("Forecast", {"no_wrap": True}),
        ("Actual", {"no_wrap": True}),
        ("Slip", {"justify": "right", "no_wrap": True}),
        ("State", {"no_wrap": True}),
    ):
        milestones.add_column(column, **options)
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

    goals = _table("Goals")
    for column, options in (
        ("ID", {"no_wrap": True}),
        ("Goal", {"ratio": 3, "overflow": "fold"}),
        ("Deadline", {"no_wrap": True}),
        ("Done", {"justify": "right", "no_wrap": True}),
        ("Reported", {"no_wrap": True}),
        ("State", {"no_wrap": True}),
        ("Comment", {"ratio": 2, "overflow": "fold"}),
    ):
        goals.add_column(column, **options)
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

    decisions = _table("Decision points")
    for column, options in (
        ("ID", {"no_wrap": True}),
        ("Decision point", {"ratio": 2, "overflow": "fold"}),
        ("Due", {"no_wrap": True}),
        ("Owner", {"no_wrap": True}),
        ("State", {"no_wrap": True}),
        ("Last decision", {"ratio": 1, "overflow": "fold"}),
    ):
        decisions.add_column(column, **options)
    for p in schedule.get("decision_points", []):
        decisions.add_row(
            p["id"],
            p["title"],
            p["due_month"],
            p["owner_role"],
            p["state"],
            _last_decision(p),
            style=DECISION_STYLES.get(p["state"], ""),
        )

    activities = _table("Activities: planned by the status date against reported")
    for column, options in (
        ("ID", {"no_wrap": True}),
        ("Activity", {"ratio": 1, "overflow": "fold"}),
        ("Months", {"no_wrap": True}),
        ("Planned", {"justify": "right", "no_wrap": True}),
        ("Reported", {"justify": "right", "no_wrap": True}),
        ("", {"no_wrap": True}),
        ("Variance", {"justify": "right", "no_wrap": True}),
    ):
        activities.add_column(column, **options)
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


def _last_decision(point: dict[str, Any]) -> str:
    if not point.get("decisions"):
        return DASH
    last = point["decisions"][-1]
    text = f"{last['outcome']} {last['decided_on']} ({last['minutes_ref']})"
    return f"{text}: {last['note']}" if last.get("note") else text


def _points(variance: str) -> str:
    """A share difference in percentage points (`-0.2333` → `-23.3 pp`)."""
    value = float(Decimal(variance)) * 100
    return "0 pp" if value == 0 else f"{value:+.1f} pp"


def _money(money: dict[str, Any]) -> RenderableType:
    lines = _table(f"Cost budget lines (frame {nok(money['frame'])} NOK)")
    for column, options in (
        ("Line", {"no_wrap": True}),
        ("Name", {"ratio": 1}),
        ("Budget", {"justify": "right", "no_wrap": True}),
        ("Used", {"justify": "right", "no_wrap": True}),
        ("Remaining", {"justify": "right", "no_wrap": True}),
        ("Share", {"justify": "right", "no_wrap": True}),
        ("", {"no_wrap": True}),
    ):
        lines.add_column(column, **options)
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

    funding = _table("Funding: planned against received")
    for column, options in (
        ("Source", {"no_wrap": True}),
        ("Kind", {"no_wrap": True}),
        ("Planned", {"justify": "right", "no_wrap": True}),
        ("Received", {"justify": "right", "no_wrap": True}),
        ("Share", {"justify": "right", "no_wrap": True}),
    ):
        funding.add_column(column, **options)
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
        table = _table("Surveys")
        for column, options in (
            ("Survey", {"no_wrap": True}),
            ("Target", {"no_wrap": True}),
            ("Phase", {"no_wrap": True}),
            ("Responses", {"justify": "right", "no_wrap": True}),
            ("Rate", {"justify": "right", "no_wrap": True}),
            ("State", {"no_wrap": True}),
        ):
            table.add_column(column, **options)
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
        table = _table("Success factors (0–1)")
        for column, options in (
            ("Factor", {"no_wrap": True}),
            ("Score", {"justify": "right", "no_wrap": True}),
            ("", {"no_wrap": True}),
            ("Answers", {"justify": "right", "no_wrap": True}),
        ):
            table.add_column(column, **options)
        for factor in factors:
            if factor.get("suppressed"):
                reason = factor.get("suppressed_reason") or "too few respondents"
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


# --- fetching ---------------------------------------------------------------------------------


async def fetch_status(
    base_url: str,
    key: str,
    project: str,
    as_of: date | None,
    *,
    as_of_recorded: datetime | None = None,
    scope: str = "money",
    client: httpx.AsyncClient | None = None,
    timeout: float = 30.0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status and the monthly S-curve series of `project` from the reporting service, with
    `wait=true` so both include every event the other services have recorded by now.

    `as_of` None asks for the service's default day (today); the series is then asked for the
    day the status answered for, so the two always describe the same day. `client` lets a
    caller (a test with an in-process app) bring its own transport. A project with a budget but
    no plan baseline has no series: its points are then empty.

    `as_of_recorded` asks for what the system knew at that moment (corrections recorded later
    left out); the day then defaults to that moment's UTC date."""
    base = base_url.rstrip("/")
    headers = {"Authorization": f"Bearer {key}"}
    params = {"wait": "true"}
    if as_of is not None:
        params["status_date"] = as_of.isoformat()
    if as_of_recorded is not None:
        params["as_of_recorded"] = as_of_recorded.isoformat()
    owned = client is None
    http = client if client is not None else httpx.AsyncClient(timeout=timeout)
    try:
        status = await _get_json(http, f"{base}/projects/{project}/status", params, headers)
        day = status["status_date"]
        series_params = {**params, "status_date": day, "scope": scope, "step": "month"}
        response = await _get(http, f"{base}/projects/{project}/evm/series", series_params, headers)
        if response.status_code == 404:
            series: dict[str, Any] = {
                "project": project,
                "scope": scope,
                "step": "month",
                "status_date": day,
                "points": [],
            }
        else:
            series = _json(response)
    finally:
        if owned:
            await http.aclose()
    return status, series


_ATTEMPTS = 10
"""`wait=true` answers 503 while the reporting feeds catch up; a fresh stack can take a while."""


async def _get(
    client: httpx.AsyncClient, url: str, params: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    for _ in range(_ATTEMPTS - 1):
        response = await client.get(url, params=params, headers=headers)
        if response.status_code != 503:
            return response
        await asyncio.sleep(_retry_after(response))
    return await client.get(url, params=params, headers=headers)


async def _get_json(
    client: httpx.AsyncClient, url: str, params: dict[str, str], headers: dict[str, str]
) -> dict[str, Any]:
    return _json(await _get(client, url, params, headers))


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise ApiError(response)
    body: dict[str, Any] = response.json()
    return body


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.1), 10.0)
    except ValueError:
        return 1.0
