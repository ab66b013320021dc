"""The report's pictures, drawn with matplotlib: the S-curve, budget use per line, the
milestone timeline and the success factors. Each comes with the text a reader without the
picture needs (`alt`) and its caption; `png` makes the image the report embeds."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from shared.present.formatting import (
    LOW_FACTOR_SCORE,
    WARN_SHARE,
    nok,
    percent,
    slip_text,
    suppression_reason,
)

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


@dataclass(frozen=True)
class Chart:
    figure: Figure
    alt: str
    """What the picture shows, in words."""
    caption: str


def png(figure: Figure) -> bytes:
    """Agg is drawn directly (no pyplot), so no global state or display backend is involved
    and reports can be built in any thread or server."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _new_figure(height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(7.4, height), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=8)
    return figure, axes


def _thousands(value: float, _position: object) -> str:
    return f"{value / 1000:,.0f}k" if value else "0"


def s_curve(status: dict[str, Any], series: dict[str, Any], status_date: date) -> Chart | None:
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
    return Chart(figure, alt, caption)


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


def budget_chart(money: dict[str, Any]) -> Chart:
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
    return Chart(figure, alt, caption)


def timeline(schedule: dict[str, Any], status: dict[str, Any], status_date: date) -> Chart:
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
    return Chart(figure, alt, caption)


def _milestone_end(m: dict[str, Any], status_date: date) -> tuple[date, bool]:
    """Where the milestone's line ends, and whether that date is a fact (reached)."""
    if m["actual"]:
        return date.fromisoformat(m["actual"]), True
    due = date.fromisoformat(m["due"])
    forecast = date.fromisoformat(m["forecast"]) if m["forecast"] else due
    return (max(forecast, status_date) if m["state"] == "overdue" else forecast), False


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def factor_chart(factors: list[dict[str, Any]]) -> Chart:
    figure, axes = _new_figure(0.42 * len(factors) + 0.9)
    positions = list(range(len(factors)))
    for position, factor in zip(positions, factors, strict=True):
        score = factor["score"]
        if factor.get("suppressed") or score is None:
            axes.barh([position], [1.0], color="white", edgecolor=COLOURS["muted"],
                      hatch="///", height=0.55)  # fmt: skip
            axes.annotate(
                "suppressed: " + suppression_reason(factor),
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
    return Chart(figure, alt, caption)
