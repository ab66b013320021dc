"""The status report for a steering-group meeting: one self-contained HTML file built from the
reporting service's status and S-curve series, for `ptrack report`.

Self-contained on purpose: the file is mailed, archived with the minutes and printed, so its
pictures are PNGs embedded as base64, its CSS is inline and it loads nothing from anywhere and
runs no script. The figures are the read model's own (only grouped by thousands), and the footer
names where they come from, so a reader can trace each back to the API."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.present.charts import Chart, budget_chart, factor_chart, png, s_curve, timeline
from shared.present.formatting import (
    DASH,
    LOW_FACTOR_SCORE,
    WARN_SHARE,
    last_decision,
    nok,
    percent,
    slip_text,
    suppression_reason,
    undefined_reasons,
    worst_slip,
)

OPEN_DECISIONS = ("pending", "overdue", "deferred")

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
    curve = s_curve(status, series, status_date)
    body.append(
        _figure(curve) if curve else '<p class="muted">No time-phased plan: no S-curve to draw.</p>'
    )
    reasons = undefined_reasons(status.get("evm") or {})
    if reasons:
        body.append(_list("Undefined measures (shown as –)", reasons))

    if money:
        body.append("<h2>Budget lines</h2>")
        body.append(_figure(budget_chart(money)))
        body.append(_budget_table(money))

    if schedule:
        body.append("<h2>Milestones</h2>")
        body.append(_figure(timeline(schedule, status, status_date)))
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


def _figure(chart: Chart) -> str:
    """The chart as an embedded PNG, with its words for readers who cannot see it."""
    data = base64.b64encode(png(chart.figure)).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(chart.alt)}">'
        f"<figcaption>{_e(chart.caption)}</figcaption></figure>"
    )


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
        tone = {"overdue": "bad", "deferred": "warn"}.get(p["state"], "")
        rows.append(
            [
                _e(p["id"]),
                _e(p["title"]),
                _e(p["due_month"]),
                _e(p["owner_role"]),
                f'<span class="state {tone}">{_e(p["state"])}</span>',
                _e(last_decision(p)),
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
            reason = suppression_reason(f)
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
    return _figure(factor_chart(factors)) + "<ul>" + "".join(items) + "</ul>"


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
