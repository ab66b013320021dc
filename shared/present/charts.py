"""The report's pictures, drawn with matplotlib: the S-curve, budget use per line, the
milestone timeline and the success factors. Each comes with the text a reader without the
picture needs (`alt`) and its caption; `png` makes the image the report embeds.

Every word on a picture, in its `alt` and in its caption is a message of the `present`
catalogue and every figure is formatted for the reader's language (`lang`, bokmål unless told:
the office's pages pass theirs)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from shared.i18n import DEFAULT_LANGUAGE
from shared.present.formatting import (
    LOW_FACTOR_SCORE,
    MEASURE,
    MILESTONE_STATES,
    WARN_SHARE,
    Reader,
    suppression_reason,
    title_in,
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


def _thousands(reader: Reader) -> FuncFormatter:
    """Tick labels in thousands (the axis label says so), grouped as the reader groups them."""

    def label(value: float, _position: object) -> str:
        return format_decimal(round(value / 1000), "#,##0", locale=reader.formats.locale)

    return FuncFormatter(label)


def _shares(reader: Reader) -> FuncFormatter:
    def label(value: float, _position: object) -> str:
        return reader.percent(round(value, 4), places=0)

    return FuncFormatter(label)


def s_curve(
    status: dict[str, Any],
    series: dict[str, Any],
    status_date: date,
    *,
    lang: str = DEFAULT_LANGUAGE,
) -> Chart | None:
    reader = Reader(lang)
    _ = reader._
    points = series.get("points") or []
    if not points:
        return None
    scope = series.get("scope", "money")
    days = [date.fromisoformat(p["day"]) for p in points]
    pv = [float(p["pv"]) for p in points]
    known = [(d, p) for d, p in zip(days, points, strict=True) if p["ev"] is not None]
    ev_days = [d for d, _p in known]
    ev = [float(p["ev"]) for _d, p in known]
    ac = [float(p["ac"]) for _d, p in known]
    # The series has points at month ends; a status date inside a month is added from the
    # status's own figures, so EV and AC end exactly at the status date.
    figures = (status.get("evm") or {}).get(scope)
    if figures and (not ev_days or ev_days[-1] < status_date):
        ev_days.append(status_date)
        ev.append(float(figures["ev"]))
        ac.append(float(figures["ac"]))

    figure, axes = _new_figure(3.3)
    axes.plot(_x(days), pv, color=COLOURS["pv"], linewidth=2, label=_(MEASURE["pv"].name))
    axes.plot(_x(ev_days), ev, color=COLOURS["ev"], linewidth=2, marker="o", markersize=3,
              label=_(MEASURE["ev"].name))  # fmt: skip
    axes.plot(_x(ev_days), ac, color=COLOURS["ac"], linewidth=2, marker="s", markersize=3,
              label=_(MEASURE["ac"].name))  # fmt: skip
    axes.axvline(_day(status_date), color="#333", linestyle="--", linewidth=1)
    axes.annotate(
        _("status date {day}", day=reader.date(status_date)),
        xy=(_day(status_date), 1), xycoords=("data", "axes fraction"),
        xytext=(4, -4), textcoords="offset points", va="top", fontsize=8,
    )  # fmt: skip
    axes.yaxis.set_major_formatter(_thousands(reader))
    axes.set_ylabel(_("Thousands of NOK, cumulative"), fontsize=8)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", color="#e5e5e5")
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(0, 0.92))
    _month_axis(axes, min(days), max(days), reader)

    what = _("the cost budget") if scope == "money" else _("the whole frame with in-kind work")
    alt = _(
        "S-curve of {what}: planned value, earned value and actual cost by month, EV and AC "
        "ending at the status date {day}",
        what=what,
        day=reader.date(status_date),
    )
    if figures:
        alt += _(
            "; then PV {pv}, EV {ev}, AC {ac} of BAC {bac}",
            pv=reader.money(figures["pv"]),
            ev=reader.money(figures["ev"]),
            ac=reader.money(figures["ac"]),
            bac=reader.money(figures["bac"]),
        )
    caption = _(
        "Cumulative PV, EV and AC (NOK) at each month end for {what}. EV and AC stop at the "
        "status date: nothing after it was known then.",
        what=what,
    )
    return Chart(figure, alt, caption)


def _day(day: date) -> float:
    """Days on the x axis as proleptic ordinals: plain numbers, so the axes need no date
    converter and the month ticks below are exactly the first of each month."""
    return float(day.toordinal())


def _x(days: Iterable[date]) -> list[float]:
    return [_day(day) for day in days]


def _month_axis(axes: Axes, first: date, last: date, reader: Reader) -> None:
    """A tick on the first of each month from `first` to `last`, named by its short name only
    (the years go in the axis label): long y labels can leave the axis narrow."""
    ticks = []
    month = first.replace(day=1)
    while month <= last:
        ticks.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    names = [format_skeleton("MMM", tick, locale=reader.formats.locale) for tick in ticks]
    axes.set_xticks(_x(ticks), names)
    years = str(first.year) if first.year == last.year else f"{first.year}–{last.year}"
    axes.set_xlabel(years, fontsize=8)


def budget_chart(money: dict[str, Any], *, lang: str = DEFAULT_LANGUAGE) -> Chart:
    reader = Reader(lang)
    _ = reader._
    lines = money["lines"]
    figure, axes = _new_figure(0.55 * len(lines) + 1.0)
    # The line's name in the reader's language, as the tables beside the chart name it.
    labels = [
        _short(title_in(line, lang, "name"), 28) if "name" in line else line["id"] for line in lines
    ]
    shares = [(line["share_used"] or 0.0) for line in lines]
    colours = [COLOURS["bad"] if share > WARN_SHARE else COLOURS["ok"] for share in shares]
    positions = list(range(len(lines)))
    axes.barh(positions, [1.0] * len(lines), color="#eeeeee", height=0.6)
    axes.barh(positions, shares, color=colours, height=0.6)
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.axvline(WARN_SHARE, color=COLOURS["bad"], linestyle="--", linewidth=1)
    warn = reader.percent(WARN_SHARE, places=0)
    axes.annotate(
        warn, xy=(WARN_SHARE, 1), xycoords=("data", "axes fraction"),
        xytext=(-3, 2), textcoords="offset points", ha="right", fontsize=8,
        color=COLOURS["bad"],
    )  # fmt: skip
    for position, line, share in zip(positions, lines, shares, strict=True):
        axes.annotate(
            _("{used} of {budget} ({share})", used=reader.amount(line["used"]),
              budget=reader.amount(line["budget"]), share=reader.percent(line["share_used"])),
            xy=(min(max(share, 1.0), 1.25), position), xytext=(4, 0),
            textcoords="offset points", va="center", fontsize=8,
        )  # fmt: skip
    axes.set_xlim(0, max(1.6, max(shares, default=0) + 0.6))
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    axes.xaxis.set_major_formatter(_shares(reader))
    axes.tick_params(axis="y", length=0)
    over = [line["id"] for line in lines if (line["share_used"] or 0) > WARN_SHARE]
    alt = _(
        "Bar chart of each cost budget line's share used, with a dashed line at {warn}: {lines}",
        warn=warn,
        lines="; ".join(f"{line['id']} {reader.percent(line['share_used'])}" for line in lines),
    )
    caption = _("Used against budget per line (bookings net of reversals by the status date).")
    if over:
        caption += " " + _("Above {warn}: {lines}.", warn=warn, lines=", ".join(over))
    return Chart(figure, alt, caption)


def timeline(
    schedule: dict[str, Any],
    status: dict[str, Any],
    status_date: date,
    *,
    lang: str = DEFAULT_LANGUAGE,
) -> Chart:
    reader = Reader(lang)
    _ = reader._
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
                reader.slip(m["slip_days"]), xy=(_day(max(due, end)), position), xytext=(6, 0),
                textcoords="offset points", va="center", fontsize=8, color=colour,
                fontweight="bold",
            )  # fmt: skip
    labels = [f"{m['id']} {_short(title_in(m, lang), 34)}" for m in milestones]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.tick_params(axis="y", length=0)
    axes.axvline(_day(status_date), color="#333", linestyle="--", linewidth=1)
    axes.annotate(
        _("status date"), xy=(_day(status_date), 1), xycoords=("data", "axes fraction"),
        xytext=(3, 2), textcoords="offset points", fontsize=8,
    )  # fmt: skip
    shown = [date.fromisoformat(m["due"]) for m in milestones] + [status_date]
    shown += [_milestone_end(m, status_date)[0] for m in milestones]
    if status.get("period_start") and status.get("period_end"):
        shown += [date.fromisoformat(status[key]) for key in ("period_start", "period_end")]
    # A few days either side so markers on the first and last day are drawn whole.
    margin = timedelta(days=8)
    axes.set_xlim(_day(min(shown) - margin), _day(max(shown) + margin))
    _month_axis(axes, min(shown), max(shown), reader)
    axes.grid(axis="x", color="#eeeeee")
    late = [m for m in milestones if m["slip_days"] > 0]
    alt = _(
        "Milestone timeline: each milestone's baseline due date (diamond) against its actual "
        "date (filled circle) or forecast (open circle), with the status date marked"
    )
    if late:
        alt += _(
            "; late: {milestones}",
            milestones=", ".join(
                f"{m['id']} {reader.slip(m['slip_days'])} "
                f"({reader.code(MILESTONE_STATES, m['state'])})"
                for m in late
            ),
        )
    caption = _(
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


def factor_chart(factors: list[dict[str, Any]], *, lang: str = DEFAULT_LANGUAGE) -> Chart:
    reader = Reader(lang)
    _ = reader._
    figure, axes = _new_figure(0.42 * len(factors) + 0.9)
    positions = list(range(len(factors)))
    for position, factor in zip(positions, factors, strict=True):
        score = factor["score"]
        if factor.get("suppressed") or score is None:
            axes.barh([position], [1.0], color="white", edgecolor=COLOURS["muted"],
                      hatch="///", height=0.55)  # fmt: skip
            axes.annotate(
                _("suppressed: {reason}", reason=suppression_reason(factor, reader)),
                xy=(0.02, position), va="center", fontsize=8, color="#555",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )  # fmt: skip
            continue
        colour = COLOURS["bad"] if score < LOW_FACTOR_SCORE else COLOURS["good"]
        axes.barh([position], [score], color=colour, height=0.55)
        axes.annotate(_("{score} (n = {n})", score=reader.score(score), n=factor["n"]),
                      xy=(score, position), xytext=(4, 0),
                      textcoords="offset points", va="center", fontsize=8)  # fmt: skip
    names = [title_in(f, lang, "name") for f in factors]
    axes.set_yticks(positions, names, fontsize=8)
    axes.invert_yaxis()
    axes.tick_params(axis="y", length=0)
    axes.set_xlim(0, 1.2)
    ticks = [0, 0.25, 0.5, 0.75, 1.0]
    axes.set_xticks(ticks, [reader.score(tick) for tick in ticks])
    axes.axvline(LOW_FACTOR_SCORE, color=COLOURS["bad"], linestyle="--", linewidth=1)
    alt = _(
        "Bar chart of the success factor scores from 0 to 1, with a dashed line at {low}: "
        "{factors}",
        low=reader.score(LOW_FACTOR_SCORE, 1),
        factors="; ".join(
            f"{name} "
            + (
                _("suppressed")
                if f.get("suppressed") or f["score"] is None
                else reader.score(f["score"])
            )
            for name, f in zip(names, factors, strict=True)
        ),
    )
    caption = _(
        "Each factor's score 0–1 (likert (v − 1) / 4, nps v / 10, over every survey); below "
        "{low} is a risk. Groups under the anonymity threshold are suppressed.",
        low=reader.score(LOW_FACTOR_SCORE, 1),
    )
    return Chart(figure, alt, caption)
