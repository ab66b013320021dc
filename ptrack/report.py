"""The status report for a steering-group meeting: one self-contained HTML file built from the
reporting service's status and S-curve series, for `ptrack report`.

Self-contained on purpose: the file is mailed, archived with the minutes and printed, so its
pictures are PNGs embedded as base64, its CSS is inline and it loads nothing from anywhere and
runs no script. The figures are the read model's own (only grouped by thousands), and the footer
names where they come from, so a reader can trace each back to the API."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ptrack.board import (
    DASH,
    LOW_FACTOR_SCORE,
    WARN_SHARE,
    nok,
    percent,
    slip_text,
    undefined_reasons,
    worst_slip,
)

OPEN_DECISIONS = ("pending", "overdue", "deferred")
DPI = 150
"""Sharp enough on paper at the report's width, small enough to mail."""
COLOURS = {
    "pv": "#4c72b0",
    "ev": "#2a9d4b",
    "ac": "#c0392b",
    "ok": "#4c72b0",
    "warn": "#e08a00",
    "bad": "#c0392b",
    "good": "#2a9d4b",
    "muted": "#8a8a8a",
}

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: #1d1d1f;
  background: #fff; margin: 0 auto; max-width: 190mm; padding: 8mm 6mm; font-size: 10.5pt;
  line-height: 1.35; }
h1 { font-size: 18pt; margin: 0 0 2pt; }
h2 { font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 1.5pt solid #1d1d1f;
  padding-bottom: 2pt; }
p { margin: 3pt 0; }
.sub { color: #555; margin-bottom: 8pt; }
.headline { display: grid; grid-template-columns: repeat(3, 1fr); gap: 6pt; }
.card { border: 1pt solid #ccc; border-left: 5pt solid #4c72b0; padding: 5pt 7pt;
  break-inside: avoid; }
.card.good { border-left-color: #2a9d4b; }
.card.warn { border-left-color: #e08a00; }
.card.bad { border-left-color: #c0392b; }
.card .label { font-size: 8.5pt; text-transform: uppercase; letter-spacing: .04em; color: #555; }
.card .value { font-size: 15pt; font-weight: 700; }
.card .note { font-size: 8.5pt; color: #555; }
figure { margin: 6pt 0; break-inside: avoid; page-break-inside: avoid; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 8.5pt; color: #555; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; margin: 4pt 0;
  break-inside: avoid; }
th, td { text-align: left; padding: 2pt 5pt; border-bottom: .5pt solid #ddd; vertical-align: top; }
th { border-bottom: 1pt solid #1d1d1f; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.date, th.date { white-space: nowrap; font-variant-numeric: tabular-nums; }
.state { font-weight: 600; white-space: nowrap; }
.bad { color: #c0392b; }
.warn { color: #a86400; }
.good { color: #1f7a3a; }
.muted { color: #777; }
ul { margin: 3pt 0; padding-left: 14pt; }
footer { margin-top: 14pt; border-top: .5pt solid #999; padding-top: 4pt; font-size: 8.5pt;
  color: #555; }
@page { size: A4; margin: 12mm; }
@media print {
  body { padding: 0; max-width: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
}
"""


def build_report(status: dict[str, Any], series: dict[str, Any], *, generated_at: datetime) -> str:
    """The whole report as one HTML document (a string to write to a `.html` file)."""
    project = status["project"]
    name = status.get("name") or project
    schedule = status.get("schedule")
    money = status.get("money")
    networks = status.get("networks") or {}
    surveys = status.get("surveys") or {}
    status_date = date.fromisoformat(status["status_date"])

    body: list[str] = [
        f"<h1>{_e(name)}</h1>",
        f'<p class="sub">{_e(_subtitle(status))}</p>',
        "<h2>Headline</h2>",
        _headline(status),
    ]

    body.append("<h2>Earned value: the S-curve</h2>")
    curve = _s_curve(status, series, status_date)
    body.append(curve or '<p class="muted">No time-phased plan: no S-curve to draw.</p>')
    reasons = undefined_reasons(status.get("evm") or {})
    if reasons:
        body.append(_list("Undefined measures (shown as –)", reasons))

    if money:
        body.append("<h2>Budget lines</h2>")
        body.append(_budget_chart(money))
        body.append(_budget_table(money))

    if schedule:
        body.append("<h2>Milestones</h2>")
        body.append(_timeline(schedule, status, status_date))
        body.append(_milestone_table(schedule))
        body.append("<h2>Open decisions</h2>")
        body.append(_open_decisions(schedule))

    body.append("<h2>Risks from the success factors</h2>")
    body.append(_risks(surveys))

    body.append("<h2>Networks in brief</h2>")
    body.append(_networks(networks, surveys))

    body.append(_footer(status, generated_at))
    title = f"Status report: {name}, {status['status_date']}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="ptrack">\n<title>{_e(title)}</title>\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _subtitle(status: dict[str, Any]) -> str:
    facts = ["Status report for the steering group", f"status date {status['status_date']}"]
    schedule = status.get("schedule")
    facts.append(f"plan baseline {schedule['baseline']}" if schedule else "no plan baseline")
    if status.get("period_start") and status.get("period_end"):
        facts.append(f"project period {status['period_start']} – {status['period_end']}")
    return " · ".join(facts)


# --- headline ---------------------------------------------------------------------------------


def _card(label: str, value: str, note: str, tone: str = "") -> str:
    return (
        f'<div class="card {tone}"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div><div class="note">{_e(note)}</div></div>'
    )


def _index_tone(value: str | None) -> str:
    """An index below 1 is bad news; below 0.9 it needs the steering group's attention."""
    if value is None:
        return ""
    number = Decimal(value)
    return "good" if number >= 1 else "warn" if number >= Decimal("0.9") else "bad"


def _headline(status: dict[str, Any]) -> str:
    cards: list[str] = []
    money = status.get("money")
    if money:
        spent, whole = money["money"], money["total"]
        cards.append(
            _card(
                "Money used",
                f"{nok(spent['used'])} NOK",
                f"{percent(spent['share_used'])} of the {nok(spent['budget'])} cost budget; "
                f"with in-kind {nok(whole['used'])} of the {nok(money['frame'])} frame "
                f"({percent(whole['share_used'])})",
                "bad" if (spent["share_used"] or 0) > 1 else "",
            )
        )
    evm = (status.get("evm") or {}).get("money")
    if evm:
        undefined = evm.get("undefined", {})
        cards.append(
            _card(
                "CPI (cost budget)",
                evm["cpi"] or DASH,
                undefined.get("cpi")
                or f"EV {nok(evm['ev'])} for AC {nok(evm['ac'])}; EAC {nok(evm['eac_cpi'])}, "
                f"VAC {nok(evm['vac'])}",
                _index_tone(evm["cpi"]),
            )
        )
        sv_t = evm.get("sv_t_days")
        cards.append(
            _card(
                "SPI(t) (cost budget)",
                evm["spi_t"] or DASH,
                undefined.get("spi_t")
                or f"{sv_t} days against the plan after {evm['at_days']} days (SPI {evm['spi']})",
                _index_tone(evm["spi_t"]),
            )
        )
    schedule = status.get("schedule")
    if schedule:
        counts = schedule["milestones_by_state"]
        reached = counts.get("reached_on_time", 0) + counts.get("reached_late", 0)
        overdue = counts.get("overdue", 0)
        total = len(schedule["milestones"])
        cards.append(
            _card(
                "Milestones",
                f"{reached} reached, {overdue} overdue",
                f"of {total}: {counts.get('reached_late', 0)} reached late, "
                f"{counts.get('due_soon', 0)} due within 14 days",
                "bad" if overdue else "warn" if counts.get("reached_late") else "good",
            )
        )
        worst = worst_slip(schedule)
        if worst is None:
            cards.append(_card("Worst slip", "none", "no milestone is late", "good"))
        else:
            cards.append(
                _card(
                    "Worst slip",
                    slip_text(worst["slip_days"]).replace(" d", " days"),
                    f"{worst['id']} {worst['title']} ({worst['state'].replace('_', ' ')})",
                    "bad" if worst["state"] == "overdue" or worst["slip_days"] > 30 else "warn",
                )
            )
        open_points = [p for p in schedule["decision_points"] if p["state"] in OPEN_DECISIONS]
        cards.append(
            _card(
                "Open decisions",
                str(len(open_points)),
                ", ".join(f"{p['id']} {p['state']}" for p in open_points) or "none",
                "bad" if any(p["state"] == "overdue" for p in open_points) else "",
            )
        )
    return f'<div class="headline">{"".join(cards)}</div>'


# --- pictures ---------------------------------------------------------------------------------


def _figure(figure: Figure, alt: str, caption: str) -> str:
    """The figure as an embedded PNG. Agg is drawn directly (no pyplot), so no global state or
    display backend is involved and reports can be built in any thread or server."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _new_figure(height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(7.4, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return figure, axes


def _thousands(value: float, _position: object) -> str:
    return f"{value / 1000:,.0f}k" if value else "0"


def _s_curve(status: dict[str, Any], series: dict[str, Any], status_date: date) -> str | None:
    points = series.get("points") or []
    if not points:
        return None
    scope = series.get("scope", "money")
    days = [date.fromisoformat(p["day"]) for p in points]
    pv = [float(p["pv"]) for p in points]
    known = [(d, p) for d, p in zip(days, points, strict=True) if p["ev"] is not None]
    ev_days = [d for d, _ in known]
    ev = [float(p["ev"]) for _, p in known]
    ac = [float(p["ac"]) for _, p in known]
    # The series has points at month ends; a status date inside a month is added from the
    # status's own figures, so EV and AC end exactly at the status date.
    figures = (status.get("evm") or {}).get(scope)
    if figures and (not ev_days or ev_days[-1] < status_date):
        ev_days.append(status_date)
        ev.append(float(figures["ev"]))
        ac.append(float(figures["ac"]))

    figure, axes = _new_figure(3.3)
    axes.plot(_x(days), pv, color=COLOURS["pv"], linewidth=2, label="PV (planned value)")
    axes.plot(_x(ev_days), ev, color=COLOURS["ev"], linewidth=2, marker="o", markersize=3,
              label="EV (earned value)")  # fmt: skip
    axes.plot(_x(ev_days), ac, color=COLOURS["ac"], linewidth=2, marker="s", markersize=3,
              label="AC (actual cost)")  # fmt: skip
    axes.axvline(_day(status_date), color="#333", linestyle="--", linewidth=1)
    axes.annotate(
        f"status date {status_date.isoformat()}",
        xy=(_day(status_date), 1), xycoords=("data", "axes fraction"),
        xytext=(4, -4), textcoords="offset points", va="top", fontsize=8,
    )  # fmt: skip
    axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
    axes.set_ylabel("NOK, cumulative", fontsize=8)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#e5e5e5")
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(0, 0.92))
    _month_axis(axes, min(days), max(days))

    what = "the cost budget" if scope == "money" else "the whole frame with in-kind work"
    alt = (
        f"S-curve of {what}: planned value, earned value and actual cost by month, "
        f"EV and AC ending at the status date {status_date.isoformat()}"
    )
    if figures:
        alt += (
            f"; then PV {nok(figures['pv'])}, EV {nok(figures['ev'])}, "
            f"AC {nok(figures['ac'])} NOK of BAC {nok(figures['bac'])} NOK"
        )
    caption = (
        f"Cumulative PV, EV and AC (NOK) at each month end for {what}. EV and AC stop at the "
        "status date: nothing after it was known then."
    )
    return _figure(figure, alt, caption)


def _day(day: date) -> float:
    """Days on the x axis as proleptic ordinals: plain numbers, so the axes need no date
    converter and the month ticks below are exactly the first of each month."""
    return float(day.toordinal())


def _x(days: Iterable[date]) -> list[float]:
    return [_day(day) for day in days]


def _month_axis(axes: Axes, first: date, last: date) -> None:
    """A tick on the first of each month from `first` to `last`, named by its short name only
    (the years go in the axis label): long y labels can leave the axis narrow."""
    ticks = []
    month = first.replace(day=1)
    while month <= last:
        ticks.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    axes.set_xticks(_x(ticks), [tick.strftime("%b") for tick in ticks])
    years = str(first.year) if first.year == last.year else f"{first.year}–{last.year}"
    axes.set_xlabel(years, fontsize=8)


def _budget_chart(money: dict[str, Any]) -> str:
    lines = money["lines"]
    figure, axes = _new_figure(0.55 * len(lines) + 1.0)
    labels = [line["id"] for line in lines]
    shares = [(line["share_used"] or 0.0) for line in lines]
    colours = [COLOURS["bad"] if share > WARN_SHARE else COLOURS["ok"] for share in shares]
    positions = list(range(len(lines)))
    axes.barh(positions, [1.0] * len(lines), color="#eeeeee", height=0.6)
    axes.barh(positions, shares, color=colours, height=0.6)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.axvline(WARN_SHARE, color=COLOURS["bad"], linestyle="--", linewidth=1)
    axes.annotate(
        "90 %", xy=(WARN_SHARE, 1), xycoords=("data", "axes fraction"),
        xytext=(-3, 2), textcoords="offset points", ha="right", fontsize=8,
        color=COLOURS["bad"],
    )  # fmt: skip
    for position, line, share in zip(positions, lines, shares, strict=True):
        axes.annotate(
            f"{nok(line['used'])} of {nok(line['budget'])} ({percent(line['share_used'])})",
            xy=(min(max(share, 1.0), 1.25), position), xytext=(4, 0),
            textcoords="offset points", va="center", fontsize=8,
        )  # fmt: skip
    axes.set_xlim(0, max(1.6, max(shares, default=0) + 0.6))
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    axes.tick_params(axis="y", length=0)
    over = [line["id"] for line in lines if (line["share_used"] or 0) > WARN_SHARE]
    alt = (
        "Bar chart of each cost budget line's share used, with a dashed line at 90 %: "
        + "; ".join(f"{line['id']} {percent(line['share_used'])}" for line in lines)
    )
    caption = "Used against budget per line (bookings net of reversals by the status date)."
    if over:
        caption += f" Above 90 %: {', '.join(over)}."
    return _figure(figure, alt, caption)


def _timeline(schedule: dict[str, Any], status: dict[str, Any], status_date: date) -> str:
    milestones = schedule["milestones"]
    figure, axes = _new_figure(0.32 * len(milestones) + 1.1)
    positions = list(range(len(milestones)))
    for position, m in zip(positions, milestones, strict=True):
        due = date.fromisoformat(m["due"])
        end, filled = _milestone_end(m, status_date)
        late = m["slip_days"] > 0
        colour = (
            COLOURS["bad"] if m["state"] == "overdue"
            else COLOURS["warn"] if late
            else COLOURS["good"] if m["actual"]
            else COLOURS["muted"]
        )  # fmt: skip
        if end != due:
            axes.plot(_x([due, end]), [position, position], color=colour, linewidth=2,
                      linestyle="-" if filled else ":")  # fmt: skip
        axes.plot(_x([due]), [position], marker="D", markersize=6, markerfacecolor="white",
                  markeredgecolor="#333", linestyle="none")  # fmt: skip
        if m["actual"] or m["forecast"] or m["state"] == "overdue":
            axes.plot(_x([end]), [position], marker="o", markersize=7, linestyle="none",
                      markerfacecolor=colour if filled else "white",
                      markeredgecolor=colour)  # fmt: skip
        if late:
            axes.annotate(
                slip_text(m["slip_days"]), xy=(_day(max(due, end)), position), xytext=(6, 0),
                textcoords="offset points", va="center", fontsize=8, color=colour,
                fontweight="bold",
            )  # fmt: skip
    labels = [f"{m['id']} {_short(m['title'], 34)}" for m in milestones]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.tick_params(axis="y", length=0)
    axes.axvline(_day(status_date), color="#333", linestyle="--", linewidth=1)
    axes.annotate(
        "status date", xy=(_day(status_date), 1), xycoords=("data", "axes fraction"),
        xytext=(3, 2), textcoords="offset points", fontsize=8,
    )  # fmt: skip
    shown = [date.fromisoformat(m["due"]) for m in milestones] + [status_date]
    shown += [_milestone_end(m, status_date)[0] for m in milestones]
    if status.get("period_start") and status.get("period_end"):
        shown += [date.fromisoformat(status[key]) for key in ("period_start", "period_end")]
    # A few days either side so markers on the first and last day are drawn whole.
    margin = timedelta(days=8)
    axes.set_xlim(_day(min(shown) - margin), _day(max(shown) + margin))
    _month_axis(axes, min(shown), max(shown))
    axes.grid(axis="x", color="#eeeeee")
    late = [m for m in milestones if m["slip_days"] > 0]
    alt = (
        "Milestone timeline: each milestone's baseline due date (diamond) against its actual "
        "date (filled circle) or forecast (open circle), with the status date marked"
    )
    if late:
        alt += "; late: " + ", ".join(
            f"{m['id']} {slip_text(m['slip_days'])} ({m['state'].replace('_', ' ')})" for m in late
        )
    caption = (
        "◇ due in the baseline in force; ● reached; ○ forecast, or the status date for an "
        "overdue milestone without a forecast (the least slip it can still end with)."
    )
    return _figure(figure, alt, caption)


def _milestone_end(m: dict[str, Any], status_date: date) -> tuple[date, bool]:
    """Where the milestone's line ends, and whether that date is a fact (reached)."""
    if m["actual"]:
        return date.fromisoformat(m["actual"]), True
    due = date.fromisoformat(m["due"])
    forecast = date.fromisoformat(m["forecast"]) if m["forecast"] else due
    return (max(forecast, status_date) if m["state"] == "overdue" else forecast), False


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _factor_chart(factors: list[dict[str, Any]]) -> str:
    figure, axes = _new_figure(0.42 * len(factors) + 0.9)
    positions = list(range(len(factors)))
    for position, factor in zip(positions, factors, strict=True):
        score = factor["score"]
        if factor.get("suppressed") or score is None:
            axes.barh([position], [1.0], color="white", edgecolor=COLOURS["muted"],
                      hatch="///", height=0.55)  # fmt: skip
            axes.annotate(
                "suppressed: " + (factor.get("suppressed_reason") or "too few respondents"),
                xy=(0.02, position), va="center", fontsize=8, color="#555",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )  # fmt: skip
            continue
        colour = COLOURS["bad"] if score < LOW_FACTOR_SCORE else COLOURS["good"]
        axes.barh([position], [score], color=colour, height=0.55)
        axes.annotate(f"{score:.2f} (n = {factor['n']})", xy=(score, position), xytext=(4, 0),
                      textcoords="offset points", va="center", fontsize=8)  # fmt: skip
    axes.set_yticks(positions, [f["factor"].replace("_", " ") for f in factors], fontsize=8)
    axes.invert_yaxis()
    axes.tick_params(axis="y", length=0)
    axes.set_xlim(0, 1.2)
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    axes.axvline(LOW_FACTOR_SCORE, color=COLOURS["bad"], linestyle="--", linewidth=1)
    alt = "Bar chart of the success factor scores from 0 to 1, with a dashed line at 0.5: " + (
        "; ".join(
            f"{f['factor']} "
            + ("suppressed" if f.get("suppressed") or f["score"] is None else f"{f['score']:.2f}")
            for f in factors
        )
    )
    caption = (
        "Each factor's score 0–1 (likert (v − 1) / 4, nps v / 10, over every survey); below "
        "0.5 is a risk. Groups under the anonymity threshold are suppressed."
    )
    return _figure(figure, alt, caption)


# --- tables and lists -------------------------------------------------------------------------


def _table(headers: Iterable[tuple[str, str]], rows: Iterable[Iterable[str]]) -> str:
    """`headers` are (title, CSS class of the column: "", "num" or "date"); row cells are HTML
    already escaped."""
    heads = list(headers)

    def cell(tag: str, content: str, kind: str) -> str:
        return f'<{tag} class="{kind}">{content}</{tag}>' if kind else f"<{tag}>{content}</{tag}>"

    head = "".join(cell("th", _e(title), kind) for title, kind in heads)
    body = "".join(
        "<tr>"
        + "".join(cell("td", content, kind) for content, (_, kind) in zip(row, heads, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _list(title: str, items: Iterable[str]) -> str:
    return f"<p>{_e(title)}:</p><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _budget_table(money: dict[str, Any]) -> str:
    rows = []
    for line in money["lines"]:
        tone = ' class="bad"' if (line["share_used"] or 0) > WARN_SHARE else ""
        rows.append(
            [
                f"<span{tone}>{_e(line['id'])}</span>",
                _e(nok(line["budget"])),
                _e(nok(line["used"])),
                _e(nok(line["remaining"])),
                f"<span{tone}>{_e(percent(line['share_used']))}</span>",
            ]
        )
    for label, key in (("all lines", "money"), ("in-kind", "in_kind"), ("frame", "total")):
        usage = money[key]
        rows.append(
            [
                f"<strong>{_e(label)}</strong>",
                _e(nok(usage["budget"])),
                _e(nok(usage["used"])),
                _e(nok(usage["remaining"])),
                _e(percent(usage["share_used"])),
            ]
        )
    table = _table(
        [("Line", ""), ("Budget", "num"), ("Used", "num"), ("Remaining", "num"), ("Share", "num")],
        rows,
    )
    funding = "; ".join(
        f"{source['id']} {nok(source['received'])} of {nok(source['planned'])} received"
        for source in money["funding"]
    )
    in_kind = ", ".join(
        f"{municipality} {nok(value)}"
        for municipality, value in sorted(money["in_kind_by_municipality"].items())
    )
    return (
        table
        + f"<p><strong>Funding:</strong> {_e(funding or DASH)}.</p>"
        + f"<p><strong>In-kind by municipality:</strong> {_e(in_kind or 'none documented')}.</p>"
    )


def _milestone_table(schedule: dict[str, Any]) -> str:
    rows = []
    for m in schedule["milestones"]:
        tone = {"overdue": "bad", "reached_late": "warn", "reached_on_time": "good"}.get(
            m["state"], "muted"
        )
        rows.append(
            [
                _e(m["id"]),
                _e(m["title"]),
                _e(m["due"]),
                _e(m["actual"] or (f"forecast {m['forecast']}" if m["forecast"] else DASH)),
                f'<span class="{tone}">{_e(slip_text(m["slip_days"]))}</span>',
                f'<span class="state {tone}">{_e(m["state"].replace("_", " "))}</span>',
            ]
        )
    return _table(
        [("ID", ""), ("Milestone", ""), ("Due", "date"), ("Actual / forecast", "date"),
         ("Slip", "num"), ("State", "")],
        rows,
    )  # fmt: skip


def _open_decisions(schedule: dict[str, Any]) -> str:
    points = [p for p in schedule["decision_points"] if p["state"] in OPEN_DECISIONS]
    if not points:
        return '<p class="good">No decision point is open.</p>'
    rows = []
    for p in points:
        last = p["decisions"][-1] if p["decisions"] else None
        history = DASH
        if last:
            history = f"{last['outcome']} {last['decided_on']} ({last['minutes_ref']})"
            if last.get("note"):
                history += f": {last['note']}"
        tone = {"overdue": "bad", "deferred": "warn"}.get(p["state"], "")
        rows.append(
            [
                _e(p["id"]),
                _e(p["title"]),
                _e(p["due_month"]),
                _e(p["owner_role"]),
                f'<span class="state {tone}">{_e(p["state"])}</span>',
                _e(history),
            ]
        )
    return _table(
        [("ID", ""), ("Decision point", ""), ("Due", "date"), ("Owner", ""), ("State", ""),
         ("Last decision", "")],
        rows,
    )  # fmt: skip


def _risks(surveys: dict[str, Any]) -> str:
    factors = surveys.get("success_factors") or []
    if not factors:
        return '<p class="muted">No success factor has been surveyed yet.</p>'
    items = []
    for f in factors:
        label = f["factor"].replace("_", " ")
        if f.get("suppressed") or f["score"] is None:
            reason = f.get("suppressed_reason") or "too few respondents"
            items.append(
                f'<li class="muted"><strong>{_e(label)}</strong>: suppressed ({_e(reason)}): '
                "not yet measurable, so not known to be safe.</li>"
            )
        elif f["score"] < LOW_FACTOR_SCORE:
            items.append(
                f'<li class="bad"><strong>{_e(label)}</strong>: low score {f["score"]:.2f} '
                f"(n = {f['n']}): a risk to the pilot.</li>"
            )
        else:
            items.append(f"<li><strong>{_e(label)}</strong>: {f['score']:.2f} (n = {f['n']}).</li>")
    return _factor_chart(factors) + "<ul>" + "".join(items) + "</ul>"


def _networks(networks: dict[str, Any], surveys: dict[str, Any]) -> str:
    items = []
    coverage = networks.get("coverage")
    if coverage:
        items.append(
            f"{coverage['mapped']} networks mapped, {coverage['assessed']} assessed "
            f"({percent(coverage['share_assessed'])}); {coverage['active']} active, "
            f"{coverage['retired']} retired."
        )
    else:
        items.append("No networks mapped yet.")
    pilot = networks.get("pilot")
    if pilot:
        verdict = "within the target" if pilot["within_target"] else "outside the target"
        chosen = ", ".join(pilot["networks"]) or "none chosen"
        items.append(
            f"Pilot: {pilot['count']} networks against the plan's "
            f"{pilot['target_min']}–{pilot['target_max']} ({verdict}): {chosen}."
        )
    scored = [s for s in networks.get("scores") or [] if s["mean"] is not None]
    if scored:
        weakest = min(scored, key=lambda s: s["mean"])
        strongest = max(scored, key=lambda s: s["mean"])
        items.append(
            f"Assessment scores (1–5, mean over {weakest['networks']} networks): weakest "
            f"{weakest['dimension'].replace('_', ' ')} {weakest['mean']:.2f}, strongest "
            f"{strongest['dimension'].replace('_', ' ')} {strongest['mean']:.2f}."
        )
    found = surveys.get("surveys") or []
    if found:
        responses = sum(s["responses"] for s in found)
        still_open = sum(1 for s in found if s["state"] == "open")
        items.append(f"Surveys: {len(found)} published ({still_open} open), {responses} responses.")
    return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"


def _footer(status: dict[str, Any], generated_at: datetime) -> str:
    schedule = status.get("schedule")
    baseline = f", plan baseline {schedule['baseline']}" if schedule else ""
    return (
        "<footer>Figures from ptrack's reporting read model (the status and the S-curve "
        f"series of project {_e(status['project'])}) as of the status date "
        f"{_e(status['status_date'])}{_e(baseline)}. Money in NOK. "
        f"Generated {_e(generated_at.isoformat(timespec='minutes'))}.</footer>"
    )
