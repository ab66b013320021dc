"""The status board in the terminal: the reporting service's `GET /projects/{id}/status` (and,
when given, its S-curve series) drawn with rich, for `ptrack status`, in bokmål or English.

The figures are those of `shared.present.formatting`, as the read model states them and as the
reader's language writes them; every word is a message of the `present` catalogue. Colour only
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
    DECISION_STATES,
    FUNDING_KINDS,
    GOAL_STATES,
    LOW_FACTOR_SCORE,
    MEASURES,
    MILESTONE_STATES,
    N_,
    SCOPE_HEADINGS,
    SCOPES,
    SURVEY_PHASES,
    SURVEY_STATES,
    SURVEY_TARGETS,
    WARN_SHARE,
    Reader,
    language_of,
    last_decision,
    milestone_counts,
    suppression_reason,
    title_in,
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


def render_board(
    status: dict[str, Any],
    series: dict[str, Any] | None,
    console: Console,
    *,
    lang: str | None = None,
) -> None:
    """Print the whole board for one status answer (and optionally its S-curve series), in
    `lang` (else the plan's language, else bokmål)."""
    t = Reader(language_of(status, lang))
    _ = t._
    console.print(_header(status, t))
    evm = status.get("evm") or {}
    if evm or series:
        # Side by side only where both fit; a narrow terminal gets them one under the other.
        wide = console.width >= 140
        console.print(_section(_("Earned value"), _evm(evm, series, t, wide=wide)))
    schedule = status.get("schedule")
    if schedule:
        console.print(_section(_("Schedule"), _schedule(schedule, t)))
    money = status.get("money")
    if money:
        console.print(_section(_("Money"), _money(money, t)))
    console.print(_section(_("Networks"), _networks(status.get("networks") or {}, t)))
    console.print(_section(_("Surveys"), _surveys(status.get("surveys") or {}, t)))


def board_console(width: int = BOARD_WIDTH) -> Console:
    """A console that records what it prints, without colours, for `board_text`."""
    return Console(
        file=io.StringIO(), record=True, width=width, color_system=None, force_terminal=False
    )


def board_text(
    status: dict[str, Any], series: dict[str, Any] | None, *, lang: str | None = None
) -> str:
    """The board as plain text, 120 columns wide, without colours (for tests and pipes)."""
    console = board_console()
    render_board(status, series, console, lang=lang)
    return console.export_text(styles=False)


def board_svg(
    status: dict[str, Any], series: dict[str, Any] | None, *, lang: str | None = None
) -> str:
    """The board as an SVG picture of a terminal 120 columns wide, in colour (for documents)."""
    console = Console(
        file=io.StringIO(), record=True, width=BOARD_WIDTH, color_system="truecolor",
        force_terminal=True,
    )  # fmt: skip
    render_board(status, series, console, lang=lang)
    title = Reader(language_of(status, lang))._("ptrack status board")
    return console.export_svg(title=title)


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


def _header(status: dict[str, Any], t: Reader) -> Panel:
    _ = t._
    name = status.get("name") or status["project"]
    title = Text(f"{name} ({status['project']})", style="bold")
    facts = [_("status date {day}", day=t.date(status["status_date"]))]
    schedule = status.get("schedule")
    facts.append(
        _("baseline {number}", number=schedule["baseline"]) if schedule else _("no plan baseline")
    )
    if status.get("period_start") and status.get("period_end"):
        facts.append(
            _(
                "period {start} – {end}",
                start=t.date(status["period_start"]),
                end=t.date(status["period_end"]),
            )
        )
    money = status.get("money")
    if money:
        facts.append(_("frame {frame}", frame=t.money(money["frame"])))
    return Panel(
        Group(title, Text(" · ".join(facts))),
        title=_("ptrack status board"),
        title_align="left",
        box=box.DOUBLE,
    )


def _evm(
    evm: dict[str, dict[str, Any]], series: dict[str, Any] | None, t: Reader, *, wide: bool = True
) -> RenderableType:
    _ = t._
    figures = _table()
    figures.add_column(_("Measure"), no_wrap=True)
    for scope in SCOPES:
        if scope in evm:
            figures.add_column(_(SCOPE_HEADINGS[scope]), justify="right", no_wrap=True)
    for measure in MEASURES:
        cells = []
        for scope in SCOPES:
            if scope not in evm:
                continue
            value = evm[scope].get(measure.key)
            cells.append(Text(t.measure(measure.key, value), style=_evm_style(measure.key, value)))
        figures.add_row(_(measure.label), *cells)
    parts: list[RenderableType] = [
        figures,
        Text(
            _("Cost budget: money spent alone; with in-kind: with documented in-kind work"),
            style="dim",
        ),
    ]
    reasons = undefined_reasons(evm, t)
    if reasons:
        parts.append(Text(_("Undefined (–):"), style="bold"))
        parts += [Text(f"  {reason}", style="dim") for reason in reasons]
    left = Group(*parts)
    legend = _legend(t)
    if not series or not series.get("points"):
        return Group(left, Text(""), legend)
    scope = series.get("scope", "money")
    curve = _table(_("S-curve ({scope}, NOK)", scope=t.code(SCOPES, scope)))
    curve.add_column(_("Day"), no_wrap=True)
    for column in (N_("PV"), N_("EV"), N_("AC")):
        curve.add_column(_(column), justify="right", no_wrap=True)
    for point in series["points"]:
        # EV and AC stop at the status date: nothing after it was known then.
        curve.add_row(
            t.date(point["day"]),
            t.amount(point["pv"]),
            t.amount(point["ev"]),
            t.amount(point["ac"]),
        )
    if not wide:
        return Group(left, Text(""), curve, Text(""), legend)
    grid = Table.grid(padding=(0, 3))
    grid.add_row(left, curve)
    return Group(grid, Text(""), legend)


def _legend(t: Reader) -> RenderableType:
    """What each measure means, in one line each, for readers who do not know earned value."""
    _ = t._
    legend = _table(_("What the measures mean"), show_header=False)
    legend.add_column(no_wrap=True)
    legend.add_column(ratio=1, overflow="fold")
    for measure in MEASURES:
        legend.add_row(
            _(measure.symbol),
            Text(_("{name}: {explanation}", name=_(measure.name),
                   explanation=_(measure.explanation)), style="dim"),
        )  # fmt: skip
    return legend


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


def _schedule(schedule: dict[str, Any], t: Reader) -> RenderableType:
    _ = t._
    worst = worst_slip(schedule)
    summary = _("Milestones: {counts}", counts=milestone_counts(schedule, t))
    if worst is not None:
        summary = _(
            "{summary}; worst slip {slip} ({milestone})",
            summary=summary,
            slip=t.slip(worst["slip_days"]),
            milestone=worst["id"],
        )

    milestones = _table(
        summary,
        columns=(
            (_("ID"), {"no_wrap": True}),
            (_("Milestone"), {"ratio": 1, "overflow": "fold"}),
            (_("Due"), {"no_wrap": True}),
            (_("Forecast"), {"no_wrap": True}),
            (_("Actual"), {"no_wrap": True}),
            (_("Slip"), {"justify": "right", "no_wrap": True}),
            (_("State"), {"no_wrap": True}),
        ),
    )
    for m in schedule.get("milestones", []):
        milestones.add_row(
            m["id"],
            title_in(m, t.lang),
            t.date(m["due"]),
            t.date(m["forecast"]),
            t.date(m["actual"]),
            t.slip(m["slip_days"]),
            t.code(MILESTONE_STATES, m["state"]),
            style=MILESTONE_STYLES.get(m["state"], ""),
        )

    goals = _table(
        _("Action goals"),
        columns=(
            (_("ID"), {"no_wrap": True}),
            (_("Action goal"), {"ratio": 3, "overflow": "fold"}),
            (_("Deadline"), {"no_wrap": True}),
            (_("Done"), {"justify": "right", "no_wrap": True}),
            (_("Reported"), {"no_wrap": True}),
            (_("State"), {"no_wrap": True}),
            (_("Comment"), {"ratio": 1, "overflow": "fold"}),
        ),
    )
    for g in schedule.get("goals", []):
        reported = DASH
        if g["reported_status"]:
            reported = t.code(GOAL_STATES, g["reported_status"])
            if g.get("reported_on"):
                reported = f"{reported} {t.date(g['reported_on'])}"
        goals.add_row(
            g["id"],
            title_in(g, t.lang),
            t.date(g["deadline"]),
            t.percent(g["share_complete"]),
            reported,
            t.code(GOAL_STATES, g["state"]),
            g.get("comment") or "",
            style=GOAL_STYLES.get(g["state"], ""),
        )

    decisions = _table(
        _("Decision points"),
        columns=(
            (_("ID"), {"no_wrap": True}),
            (_("Decision point"), {"ratio": 2, "overflow": "fold"}),
            (_("Due"), {"no_wrap": True}),
            (_("Owner"), {"no_wrap": True}),
            (_("State"), {"no_wrap": True}),
            (_("Last decision"), {"ratio": 1, "overflow": "fold"}),
        ),
    )
    for p in schedule.get("decision_points", []):
        decisions.add_row(
            p["id"],
            title_in(p, t.lang),
            t.month(p["due_month"], short=True),
            p["owner_role"],
            t.code(DECISION_STATES, p["state"]),
            last_decision(p, t),
            style=DECISION_STYLES.get(p["state"], ""),
        )

    activities = _table(
        _("Activities: planned by the status date against reported"),
        columns=(
            (_("ID"), {"no_wrap": True}),
            (_("Activity"), {"ratio": 1, "overflow": "fold"}),
            (_("Months"), {"no_wrap": True}),
            (_("Planned"), {"justify": "right", "no_wrap": True}),
            (_("Reported"), {"justify": "right", "no_wrap": True}),
            ("", {"no_wrap": True}),
            (_("Difference"), {"justify": "right", "no_wrap": True}),
        ),
    )
    for a in schedule.get("activities", []):
        planned, reported_share = (
            float(Decimal(a["planned_share"])),
            float(Decimal(a["reported_share"])),
        )
        behind = Decimal(a["variance"]) < 0
        activities.add_row(
            a["id"],
            title_in(a, t.lang),
            t.months(a["months"]),
            t.percent(a["planned_share"]),
            t.percent(a["reported_share"]),
            Text(progress_bar(planned, reported_share), style="yellow" if behind else "green"),
            Text(t.points(a["variance"]), style="yellow" if behind else ""),
        )
    return Group(milestones, goals, decisions, activities)


def _money(money: dict[str, Any], t: Reader) -> RenderableType:
    _ = t._
    lines = _table(
        _("Cost budget lines (frame {frame})", frame=t.money(money["frame"])),
        columns=(
            (_("Line"), {"no_wrap": True}),
            (_("Name"), {"ratio": 1}),
            (_("Budget"), {"justify": "right", "no_wrap": True}),
            (_("Used"), {"justify": "right", "no_wrap": True}),
            (_("Remaining"), {"justify": "right", "no_wrap": True}),
            (_("Share"), {"justify": "right", "no_wrap": True}),
            ("", {"no_wrap": True}),
        ),
    )
    for line in money["lines"]:
        # The plan's names are long: cut to one line, the id says which it is.
        name = Text(title_in(line, t.lang, "name"), no_wrap=True, overflow="ellipsis")
        lines.add_row(line["id"], name, *_usage_cells(line, t))
    lines.add_section()
    totals = (
        (_("money"), _("cost budget (all lines)"), "money"),
        (_("in-kind"), _("documented in-kind work"), "in_kind"),
        (_("total"), _("frame: money and in-kind"), "total"),
    )
    for label, words, key in totals:
        name = Text(words, no_wrap=True, overflow="ellipsis")
        lines.add_row(label, name, *_usage_cells(money[key], t), style="bold")

    pledge = money["in_kind"]
    in_kind = _table(_("In-kind: documented against the pledge"), min_width=40)
    in_kind.add_column(_("Municipality"), no_wrap=True)
    in_kind.add_column(_("Documented"), justify="right", no_wrap=True)
    for municipality, value in sorted(money["in_kind_by_municipality"].items()):
        in_kind.add_row(municipality, t.amount(value))
    if not money["in_kind_by_municipality"]:
        in_kind.add_row(_("(none documented)"), DASH)
    in_kind.add_section()
    in_kind.add_row(_("documented"), t.amount(pledge["used"]), style="bold")
    in_kind.add_row(_("pledged"), t.amount(pledge["budget"]))
    in_kind.add_row(_("share of the pledge"), t.percent(pledge["share_used"]))

    funding = _table(
        _("Funding: planned against received"),
        columns=(
            (_("Source"), {"no_wrap": True}),
            (_("Kind"), {"no_wrap": True}),
            (_("Planned"), {"justify": "right", "no_wrap": True}),
            (_("Received"), {"justify": "right", "no_wrap": True}),
            (_("Share"), {"justify": "right", "no_wrap": True}),
        ),
    )
    for source in money["funding"]:
        planned = Decimal(source["planned"])
        share = Decimal(source["received"]) / planned if planned else None
        funding.add_row(
            source["id"],
            t.code(FUNDING_KINDS, source["kind"]),
            t.amount(source["planned"]),
            t.amount(source["received"]),
            t.percent(share),
        )
    side = Table.grid(padding=(0, 4))
    side.add_row(in_kind, funding)
    return Group(lines, side)


def _usage_cells(usage: dict[str, Any], t: Reader) -> list[RenderableType]:
    share = usage.get("share_used")
    style = "bold red" if share is not None and share > WARN_SHARE else "green"
    return [
        t.amount(usage["budget"]),
        t.amount(usage["used"]),
        t.amount(usage["remaining"]),
        Text(t.percent(share), style=style if style != "green" else ""),
        Text(bar(share, 15), style=style),
    ]


def _networks(networks: dict[str, Any], t: Reader) -> RenderableType:
    _ = t._
    parts: list[RenderableType] = []
    coverage = networks.get("coverage")
    if coverage:
        parts.append(
            Text(
                _(
                    "Coverage: {mapped} mapped, {assessed} assessed ({share}), {active} active, "
                    "{retired} retired",
                    mapped=coverage["mapped"],
                    assessed=coverage["assessed"],
                    share=t.percent(coverage["share_assessed"]),
                    active=coverage["active"],
                    retired=coverage["retired"],
                )
            )
        )
    else:
        parts.append(Text(_("Coverage: no networks mapped yet"), style="dim"))
    pilot = networks.get("pilot")
    if pilot:
        verdict = _("within target") if pilot["within_target"] else _pilot_gap(pilot, t)
        chosen = ", ".join(pilot["networks"]) or _("none")
        parts.append(
            Text(
                _(
                    "Pilot: {count} of {low}–{high} networks ({verdict}): {chosen}",
                    count=pilot["count"],
                    low=pilot["target_min"],
                    high=pilot["target_max"],
                    verdict=verdict,
                    chosen=chosen,
                ),
                style="green" if pilot["within_target"] else "yellow",
            )
        )
    scores = networks.get("scores") or []
    if scores:
        table = _table(_("Assessment scores (1–5)"))
        table.add_column(_("Dimension"), no_wrap=True)
        for column in (N_("Mean"), N_("Min"), N_("Max"), N_("Networks")):
            table.add_column(_(column), justify="right", no_wrap=True)
        for score in scores:
            mean = score["mean"]
            table.add_row(
                title_in(score, t.lang, "name"),
                t.score(mean),
                t.decimal(score["min"]),
                t.decimal(score["max"]),
                t.decimal(score["networks"]),
                style="yellow" if mean is not None and mean < 2.5 else "",
            )
        parts.append(table)
    return Group(*parts)


def _pilot_gap(pilot: dict[str, Any], t: Reader) -> str:
    if pilot["count"] < pilot["target_min"]:
        return t._("{count} short of the target", count=pilot["target_min"] - pilot["count"])
    return t._("{count} over the target", count=pilot["count"] - pilot["target_max"])


def _surveys(surveys: dict[str, Any], t: Reader) -> RenderableType:
    _ = t._
    parts: list[RenderableType] = []
    found = surveys.get("surveys") or []
    if found:
        table = _table(
            _("Surveys"),
            columns=(
                (_("Survey"), {"no_wrap": True}),
                (_("Target"), {"no_wrap": True}),
                (_("Phase"), {"no_wrap": True}),
                (_("Responses"), {"justify": "right", "no_wrap": True}),
                (_("Rate"), {"justify": "right", "no_wrap": True}),
                (_("State"), {"no_wrap": True}),
            ),
        )
        for survey in found:
            target = survey["target"]
            whom = t.code(SURVEY_TARGETS, target["kind"])
            table.add_row(
                survey["id"],
                f"{whom} {target['network']}" if target.get("network") else whom,
                t.code(SURVEY_PHASES, survey["phase"]),
                _("{responses} of {invited}", responses=survey["responses"],
                  invited=survey["invited"]),
                t.percent(survey["response_rate"]),
                t.code(SURVEY_STATES, survey["state"]),
            )  # fmt: skip
        parts.append(table)
    else:
        parts.append(Text(_("No surveys published"), style="dim"))
    factors = surveys.get("success_factors") or []
    if factors:
        table = _table(
            _("Success factors (0–1)"),
            columns=(
                (_("Factor"), {"no_wrap": True}),
                (_("Score"), {"justify": "right", "no_wrap": True}),
                ("", {"no_wrap": True}),
                (_("Answers"), {"justify": "right", "no_wrap": True}),
            ),
        )
        for factor in factors:
            name = title_in(factor, t.lang, "name")
            if factor.get("suppressed"):
                reason = suppression_reason(factor, t)
                table.add_row(name, _("suppressed"), Text(f"({reason})", style="dim"), DASH)
                continue
            score = factor["score"]
            low = score is not None and score < LOW_FACTOR_SCORE
            table.add_row(
                name,
                t.score(score),
                Text(bar(score, 10), style="red" if low else "green"),
                t.decimal(factor["n"]),
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
