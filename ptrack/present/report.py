"""The status report for a steering-group meeting: one self-contained HTML file built from the
reporting service's status and S-curve series, for `ptrack report`, in bokmål or English.

Self-contained on purpose: the file is mailed, archived with the minutes and printed, so its
pictures are PNGs embedded as base64, its CSS is inline and it loads nothing from anywhere and
runs no script. The figures are the read model's own, formatted for the reader's language, and
the footer names where they come from, so a reader can trace each back to the API.

Every word is a message of the `present` catalogue (`Reader._`); the plan's titles are shown
in the reader's language where the plan gives them (`title_in`). Beside the status, the report
shows the plan's history where the command fetched it (`ptrack.present.status.fetch_history`):
the baselines of the milestones service and the budget revisions of the finance service."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.i18n import LANGUAGES
from shared.present.charts import Chart, budget_chart, factor_chart, png, s_curve, timeline
from shared.present.formatting import (
    DASH,
    DECISION_STATES,
    FUNDING_KINDS,
    GOAL_STATES,
    LOW_FACTOR_SCORE,
    MEASURE,
    MEASURES,
    MILESTONE_STATES,
    OUTCOMES,
    SCOPE_HEADINGS,
    SCOPES,
    WARN_SHARE,
    Reader,
    language_of,
    last_decision,
    suppression_reason,
    title_in,
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
.card .label { font-size: 8.5pt; font-weight: 600; letter-spacing: .02em; color: #555; }
.card .value { font-size: 15pt; font-weight: 700; }
.card .note { font-size: 8.5pt; color: #555; }
.card .explain { font-style: italic; margin-top: 2pt; }
.explain { color: #555; font-size: 8.5pt; }
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


def build_report(
    status: dict[str, Any],
    series: dict[str, Any],
    *,
    generated_at: datetime,
    lang: str | None = None,
    history: dict[str, Any] | None = None,
) -> str:
    """The whole report as one HTML document (a string to write to a `.html` file), in `lang`
    (else the plan's language, else bokmål). `history` is what `fetch_history` brings: the
    plan's baselines and the budget revisions; without it those sections say so."""
    lang = language_of(status, lang)
    t = Reader(lang)
    _ = t._
    project = status["project"]
    name = status.get("name") or project
    schedule = status.get("schedule")
    money = status.get("money")
    networks = status.get("networks") or {}
    surveys = status.get("surveys") or {}
    status_date = date.fromisoformat(status["status_date"])

    body: list[str] = [
        f"<h1>{_e(name)}</h1>",
        f'<p class="sub">{_e(_subtitle(status, t))}</p>',
        _h2(_("Headline")),
        _headline(status, t),
    ]
    if status.get("main_goal"):
        body.append(_h2(_("Main goal")))
        body.append(_main_goal(status["main_goal"], t))

    body.append(_h2(_("Earned value: the S-curve")))
    curve = s_curve(status, series, status_date, lang=lang)
    body.append(
        _figure(curve) if curve else _p(_("No time-phased plan: no S-curve to draw."), "muted")
    )
    evm = status.get("evm") or {}
    if evm:
        body.append(_measures(evm, t))
    reasons = undefined_reasons(evm, t)
    if reasons:
        body.append(_list(_("Undefined measures (shown as –)"), reasons))

    if schedule:
        body.append(_h2(_("Action goals")))
        body.append(_goals(schedule, t))
        body.append(_h2(_("Milestones")))
        body.append(_figure(timeline(schedule, status, status_date, lang=lang)))
        body.append(_milestone_table(schedule, t))
        body.append(_h2(_("Activities: planned against reported")))
        body.append(_activities(schedule, t))
        body.append(_h2(_("Decision points")))
        body.append(_decision_points(schedule, t))
        body.append(_h2(_("Decisions")))
        body.append(_decision_log(schedule, t))
        body.append(_h2(_("Plan baselines")))
        body.append(_baselines(schedule, history, status_date, t))

    if money:
        body.append(_h2(_("Budget lines")))
        body.append(_figure(budget_chart(money, lang=lang)))
        body.append(_budget_table(money, t))
        body.append(_h2(_("Budget revisions")))
        body.append(_revisions(history, status_date, t))
        body.append(_h2(_("In-kind work: documented against the pledge")))
        body.append(_in_kind(money, t))

    body.append(_h2(_("Risks from the success factors")))
    body.append(_risks(surveys, t))

    body.append(_h2(_("Networks in brief")))
    body.append(_networks(networks, surveys, t))

    body.append(_footer(status, history, generated_at, t))
    title = _("Status report: {name}, {day}", name=name, day=t.date(status_date))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang if lang in LANGUAGES else "en"}">\n<head>\n<meta charset="utf-8">\n'
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


def _subtitle(status: dict[str, Any], t: Reader) -> str:
    _ = t._
    facts = [
        _("Status report for the steering group"),
        _("status date {day}", day=t.date(status["status_date"])),
    ]
    schedule = status.get("schedule")
    facts.append(
        _("plan baseline {number}", number=schedule["baseline"])
        if schedule
        else _("no plan baseline")
    )
    if status.get("period_start") and status.get("period_end"):
        facts.append(
            _(
                "project period {start} – {end}",
                start=t.date(status["period_start"]),
                end=t.date(status["period_end"]),
            )
        )
    return " · ".join(facts)


# --- headline ---------------------------------------------------------------------------------


def _card(label: str, value: str, note: str, tone: str = "", explain: str = "") -> str:
    more = f'<div class="note explain">{_e(explain)}</div>' if explain else ""
    return (
        f'<div class="card {tone}"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div><div class="note">{_e(note)}</div>{more}</div>'
    )


def _index_tone(value: str | None) -> str:
    """An index below 1 is bad news; below 0.9 it needs the steering group's attention."""
    if value is None:
        return ""
    number = Decimal(value)
    return "good" if number >= 1 else "warn" if number >= Decimal("0.9") else "bad"


def _headline(status: dict[str, Any], t: Reader) -> str:
    _ = t._
    cards: list[str] = []
    money = status.get("money")
    if money:
        spent, whole = money["money"], money["total"]
        cards.append(
            _card(
                _("Money used"),
                t.money(spent["used"]),
                _(
                    "{share} of the {budget} cost budget; with in-kind {used} of the {frame} "
                    "frame ({frame_share})",
                    share=t.percent(spent["share_used"]),
                    budget=t.amount(spent["budget"]),
                    used=t.amount(whole["used"]),
                    frame=t.amount(money["frame"]),
                    frame_share=t.percent(whole["share_used"]),
                ),
                "bad" if (spent["share_used"] or 0) > 1 else "",
            )
        )
    evm = (status.get("evm") or {}).get("money")
    if evm:
        undefined = evm.get("undefined", {})
        cards.append(
            _card(
                _("{measure}, {scope}", measure=_(MEASURE["cpi"].symbol), scope=_(SCOPES["money"])),
                t.decimal(evm["cpi"]),
                t.reason(undefined["cpi"])
                if "cpi" in undefined
                else _(
                    "EV {ev} for AC {ac}; EAC {eac}, VAC {vac}",
                    ev=t.amount(evm["ev"]),
                    ac=t.amount(evm["ac"]),
                    eac=t.amount(evm["eac_cpi"]),
                    vac=t.amount(evm["vac"]),
                ),
                _index_tone(evm["cpi"]),
                _(MEASURE["cpi"].explanation),
            )
        )
        cards.append(
            _card(
                _(
                    "{measure}, {scope}",
                    measure=_(MEASURE["spi_t"].symbol),
                    scope=_(SCOPES["money"]),
                ),
                t.decimal(evm["spi_t"]),
                t.reason(undefined["spi_t"])
                if "spi_t" in undefined
                else _(
                    "{days} days against the plan after {at} days (SPI {spi})",
                    days=t.decimal(evm.get("sv_t_days")),
                    at=t.decimal(evm["at_days"]),
                    spi=t.decimal(evm["spi"]),
                ),
                _index_tone(evm["spi_t"]),
                _(MEASURE["spi_t"].explanation),
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
                _("Milestones"),
                _("{reached} reached, {overdue} overdue", reached=reached, overdue=overdue),
                _(
                    "of {total}: {late} reached late, {soon} due within 14 days",
                    total=total,
                    late=counts.get("reached_late", 0),
                    soon=counts.get("due_soon", 0),
                ),
                "bad" if overdue else "warn" if counts.get("reached_late") else "good",
            )
        )
        worst = worst_slip(schedule)
        if worst is None:
            cards.append(_card(_("Worst slip"), _("none"), _("no milestone is late"), "good"))
        else:
            cards.append(
                _card(
                    _("Worst slip"),
                    t.slip_days(worst["slip_days"]),
                    f"{worst['id']} {title_in(worst, t.lang)} "
                    f"({t.code(MILESTONE_STATES, worst['state'])})",
                    "bad" if worst["state"] == "overdue" or worst["slip_days"] > 30 else "warn",
                )
            )
        open_points = [p for p in schedule["decision_points"] if p["state"] in OPEN_DECISIONS]
        cards.append(
            _card(
                _("Open decisions"),
                str(len(open_points)),
                ", ".join(f"{p['id']} {t.code(DECISION_STATES, p['state'])}" for p in open_points)
                or _("none"),
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


def _h2(text: str) -> str:
    return f"<h2>{_e(text)}</h2>"


def _p(text: str, tone: str = "") -> str:
    return f'<p class="{tone}">{_e(text)}</p>' if tone else f"<p>{_e(text)}</p>"


def _strong(text: str) -> str:
    return f"<strong>{_e(text)}</strong>"


def _list(title: str, items: Iterable[str]) -> str:
    return f"<p>{_e(title)}:</p><ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>"


def _state(text: str, tone: str) -> str:
    return f'<span class="state {tone}">{_e(text)}</span>'


def _measures(evm: dict[str, dict[str, Any]], t: Reader) -> str:
    """Every earned-value measure in both scopes, each with what it means in one line."""
    _ = t._
    scopes = [scope for scope in SCOPES if scope in evm]
    rows = []
    for measure in MEASURES:
        label = _(measure.label)
        name = f"<strong>{_e(_(measure.name))}</strong>"
        if "=" in label:
            name += f'<br><span class="muted">{_e(label)}</span>'
        rows.append(
            [
                name,
                *(_e(t.measure(measure.key, evm[scope].get(measure.key))) for scope in scopes),
                f'<span class="explain">{_e(_(measure.explanation))}</span>',
            ]
        )
    headers = [(_("Measure"), ""), *((_(SCOPE_HEADINGS[s]), "num") for s in scopes)]
    return _table([*headers, (_("What it means"), "")], rows)


def _main_goal(goal: dict[str, Any], t: Reader) -> str:
    """The main goal the action goals serve, and its targets by date (the last may lie past
    the project period)."""
    _ = t._
    targets = [
        _("By {day}: {text}", day=t.date(target["by"]), text=title_in(target, t.lang, "text"))
        for target in goal.get("targets", [])
    ]
    head = f"<p>{_strong(title_in(goal, t.lang))}</p>"
    return head + (
        "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in targets) + "</ul>" if targets else ""
    )


def _goals(schedule: dict[str, Any], t: Reader) -> str:
    _ = t._
    tones = {"done": "good", "on_track": "good", "at_risk": "warn", "off_track": "bad",
             "overdue": "bad"}  # fmt: skip
    rows = []
    for g in schedule.get("goals", []):
        reported = DASH
        if g.get("reported_status"):
            reported = t.code(GOAL_STATES, g["reported_status"])
            if g.get("reported_on"):
                reported = _("{state} on {day}", state=reported, day=t.date(g["reported_on"]))
        rows.append(
            [
                _e(g["id"]),
                _e(title_in(g, t.lang)),
                _e(t.date(g["deadline"])),
                _e(t.percent(g["share_complete"])),
                _state(t.code(GOAL_STATES, g["state"]), tones.get(g["state"], "muted")),
                _e(reported),
                _e(g.get("comment") or ""),
            ]
        )
    if not rows:
        return _p(_("The plan has no action goals."), "muted")
    return _table(
        [(_("ID"), ""), (_("Action goal"), ""), (_("Deadline"), "date"), (_("Complete"), "num"),
         (_("State"), ""), (_("Last reported"), ""), (_("Comment"), "")],
        rows,
    )  # fmt: skip


def _milestone_table(schedule: dict[str, Any], t: Reader) -> str:
    _ = t._
    rows = []
    for m in schedule["milestones"]:
        tone = {"overdue": "bad", "reached_late": "warn", "reached_on_time": "good"}.get(
            m["state"], "muted"
        )
        if m["actual"]:
            when = t.date(m["actual"])
        elif m["forecast"]:
            when = _("forecast {day}", day=t.date(m["forecast"]))
        else:
            when = DASH
        rows.append(
            [
                _e(m["id"]),
                _e(title_in(m, t.lang)),
                _e(t.date(m["due"])),
                _e(when),
                f'<span class="{tone}">{_e(t.slip(m["slip_days"]))}</span>',
                _state(t.code(MILESTONE_STATES, m["state"]), tone),
            ]
        )
    return _table(
        [(_("ID"), ""), (_("Milestone"), ""), (_("Due"), "date"), (_("Actual / forecast"), "date"),
         (_("Slip"), "num"), (_("State"), "")],
        rows,
    )  # fmt: skip


def _activities(schedule: dict[str, Any], t: Reader) -> str:
    _ = t._
    rows = []
    for a in schedule.get("activities", []):
        behind = Decimal(a["variance"]) < 0
        variance = t.points(a["variance"])
        rows.append(
            [
                _e(a["id"]),
                _e(title_in(a, t.lang)),
                _e(t.months(a["months"])),
                _e(t.percent(a["planned_share"])),
                _e(t.percent(a["reported_share"])),
                f'<span class="warn">{_e(variance)}</span>' if behind else _e(variance),
                _e(t.date(a.get("reported_on"))),
            ]
        )
    if not rows:
        return _p(_("The plan has no activities."), "muted")
    note = _(
        "Planned: the share of each activity's months gone by the status date; reported: the "
        "share complete as last reported; the difference in percentage points (pp)."
    )
    return _table(
        [(_("ID"), ""), (_("Activity"), ""), (_("Months"), "date"), (_("Planned"), "num"),
         (_("Reported"), "num"), (_("Difference"), "num"), (_("Reported on"), "date")],
        rows,
    ) + f'<p class="explain">{_e(note)}</p>'  # fmt: skip


def _decision_points(schedule: dict[str, Any], t: Reader) -> str:
    _ = t._
    points = schedule["decision_points"]
    if not points:
        return _p(_("The plan has no decision points."), "muted")
    rows = []
    for p in points:
        tone = {"overdue": "bad", "deferred": "warn", "approved": "good", "rejected": "bad"}.get(
            p["state"], ""
        )
        rows.append(
            [
                _e(p["id"]),
                _e(title_in(p, t.lang)),
                _e(t.month(p["due_month"])),
                _e(p["owner_role"]),
                _state(t.code(DECISION_STATES, p["state"]), tone),
                _e(last_decision(p, t)),
            ]
        )
    table = _table(
        [(_("ID"), ""), (_("Decision point"), ""), (_("Due"), "date"), (_("Owner"), ""),
         (_("State"), ""), (_("Last decision"), "")],
        rows,
    )  # fmt: skip
    still_open = [p for p in points if p["state"] in OPEN_DECISIONS]
    if not still_open:
        table += _p(_("No decision point is open."), "good")
    return table


def _decision_log(schedule: dict[str, Any], t: Reader) -> str:
    """Every decision by the status date, per decision point, oldest first."""
    _ = t._
    rows = []
    waiting = []
    for p in schedule["decision_points"]:
        if not p["decisions"]:
            waiting.append(p["id"])
        for d in p["decisions"]:
            outcome = t.code(OUTCOMES, d["outcome"])
            if d.get("revision"):
                outcome = _("{outcome} (changes an earlier decision)", outcome=outcome)
            rows.append(
                [
                    _e(p["id"]),
                    _e(t.date(d["decided_on"])),
                    _e(outcome),
                    _e(d["minutes_ref"]),
                    _e(d.get("note") or ""),
                ]
            )
    headers = [
        (_("Decision point"), ""),
        (_("Decided on"), "date"),
        (_("Outcome"), ""),
        (_("Minutes reference"), ""),
        (_("Note"), ""),
    ]
    parts = [_table(headers, rows) if rows else _p(_("No decision has been taken yet."), "muted")]
    if waiting:
        parts.append(_p(_("No decision yet: {points}.", points=", ".join(waiting)), "muted"))
    return "".join(parts)


def _baselines(
    schedule: dict[str, Any], history: dict[str, Any] | None, status_date: date, t: Reader
) -> str:
    """The plan's baselines up to the status date, the one in force marked."""
    _ = t._
    in_force = schedule["baseline"]
    found = (history or {}).get("baselines")
    if found is None:
        return _p(_("Baseline {number} is in force.", number=in_force)) + (
            _p(_("The plan history was not fetched for this report."), "muted")
        )
    rows = []
    for b in found:
        if date.fromisoformat(str(b["effective_on"])[:10]) > status_date:
            continue
        number = str(b["baseline"])
        if b["baseline"] == in_force:
            number = _("{number} (in force)", number=number)
        rows.append(
            [
                _e(number) if b["baseline"] != in_force else f"<strong>{_e(number)}</strong>",
                _e(t.date(b["effective_on"])),
                _e(b.get("reason") or (_("the plan as approved") if b["baseline"] == 1 else "")),
                _e(b.get("decision_ref") or DASH),
            ]
        )
    return _table(
        [(_("Baseline"), ""), (_("In force from"), "date"), (_("Reason"), ""),
         (_("Decision"), "")],
        rows,
    )  # fmt: skip


def _budget_table(money: dict[str, Any], t: Reader) -> str:
    _ = t._
    rows = []
    for line in money["lines"]:
        tone = ' class="bad"' if (line["share_used"] or 0) > WARN_SHARE else ""
        rows.append(
            [
                f"<span{tone}>{_e(line['id'])}</span><br>"
                f'<span class="muted">{_e(title_in(line, t.lang, "name"))}</span>',
                _e(t.amount(line["budget"])),
                _e(t.amount(line["used"])),
                _e(t.amount(line["remaining"])),
                f"<span{tone}>{_e(t.percent(line['share_used']))}</span>",
            ]
        )
    totals = (
        (_("all lines"), "money"),
        (_("in-kind"), "in_kind"),
        (_("frame"), "total"),
    )
    for label, key in totals:
        usage = money[key]
        rows.append(
            [
                f"<strong>{_e(label)}</strong>",
                _e(t.amount(usage["budget"])),
                _e(t.amount(usage["used"])),
                _e(t.amount(usage["remaining"])),
                _e(t.percent(usage["share_used"])),
            ]
        )
    table = _table(
        [(_("Line"), ""), (_("Budget"), "num"), (_("Used"), "num"), (_("Remaining"), "num"),
         (_("Share used"), "num")],
        rows,
    )  # fmt: skip
    funding = "; ".join(
        _(
            "{source} ({kind}) {received} of {planned} received",
            source=title_in(source, t.lang, "name"),
            kind=t.code(FUNDING_KINDS, source.get("kind")),
            received=t.amount(source["received"]),
            planned=t.amount(source["planned"]),
        )
        for source in money["funding"]
    )
    return (
        table
        + _p(_("Funding: {sources}.", sources=funding or DASH))
        + _p(_("Amounts in NOK."), "explain")
    )


def _revisions(history: dict[str, Any] | None, status_date: date, t: Reader) -> str:
    """The budget revisions by the status date: each with its decision where the finance
    service gives them, else how many it has recorded."""
    _ = t._
    found = (history or {}).get("budget_revisions")
    if found is None:
        return _p(_("The plan history was not fetched for this report."), "muted")
    if isinstance(found, int):
        if found == 0:
            return _p(_("No budget revision: the budget approved at the start holds."))
        return _p(
            t.ngettext(
                "The finance service has recorded {n} budget revision by now; it does not give "
                "its date and decision, so it may have been made after the status date.",
                "The finance service has recorded {n} budget revisions by now; it does not give "
                "their dates and decisions, so some may have been made after the status date.",
                found,
            )
        )
    rows = []
    for revision in found:
        if date.fromisoformat(str(revision["revised_on"])[:10]) > status_date:
            continue
        changes = [
            f"{change['line']} {_signed_amount(change['delta'], t)}"
            for change in revision.get("changes") or []
        ]
        for key, label in (("in_kind_delta", _("in-kind")), ("frame_delta", _("frame"))):
            if Decimal(str(revision.get(key) or 0)) != 0:
                changes.append(f"{label} {_signed_amount(revision[key], t)}")
        rows.append(
            [
                _e(t.date(revision["revised_on"])),
                _e(revision["decision_ref"]),
                _e(revision.get("reason") or ""),
                "<br>".join(_e(change) for change in changes) or DASH,
            ]
        )
    if not rows:
        return _p(_("No budget revision: the budget approved at the start holds."))
    return _table(
        [(_("Revised on"), "date"), (_("Decision"), ""), (_("Reason"), ""),
         (_("Changes (NOK)"), "num")],
        rows,
    )  # fmt: skip


def _signed_amount(value: object, t: Reader) -> str:
    shown = t.amount(value)
    return shown if shown.startswith(("-", "−", DASH)) else f"+{shown}"


def _in_kind(money: dict[str, Any], t: Reader) -> str:
    """The municipalities' documented in-kind work against what they pledged in the plan."""
    _ = t._
    pledged = money["in_kind"]
    summary = _(
        "{documented} documented of the {pledged} pledged ({share}); {remaining} still to "
        "document.",
        documented=t.money(pledged["used"]),
        pledged=t.money(pledged["budget"]),
        share=t.percent(pledged["share_used"]),
        remaining=t.money(pledged["remaining"]),
    )
    by_municipality = money.get("in_kind_by_municipality") or {}
    if not by_municipality:
        return _p(summary) + _p(_("None documented yet."), "muted")
    total = sum(Decimal(value) for value in by_municipality.values())
    rows = [
        [
            _e(municipality),
            _e(t.amount(value)),
            _e(t.percent(Decimal(value) / total if total else None)),
        ]
        for municipality, value in sorted(by_municipality.items())
    ]
    rows.append(
        [
            _strong(_("documented")),
            f"<strong>{_e(t.amount(pledged['used']))}</strong>",
            _e(t.percent(1 if total else None)),
        ]
    )
    rows.append(
        [
            _strong(_("pledged")),
            _e(t.amount(pledged["budget"])),
            _e(t.percent(pledged["share_used"])),
        ]
    )
    return f"<p>{_e(summary)}</p>" + _table(
        [(_("Municipality"), ""), (_("Documented (NOK)"), "num"), (_("Share"), "num")], rows
    )


def _risks(surveys: dict[str, Any], t: Reader) -> str:
    _ = t._
    factors = surveys.get("success_factors") or []
    if not factors:
        return _p(_("No success factor has been surveyed yet."), "muted")
    items = []
    for f in factors:
        label = title_in(f, t.lang, "name")
        if f.get("suppressed") or f["score"] is None:
            text = _(
                "{factor}: suppressed ({reason}): not yet measurable, so not known to be safe.",
                factor=label,
                reason=suppression_reason(f, t),
            )
            items.append(f'<li class="muted">{_e(text)}</li>')
        elif f["score"] < LOW_FACTOR_SCORE:
            text = _(
                "{factor}: low score {score} (n = {n}): a risk to the pilot.",
                factor=label,
                score=t.score(f["score"]),
                n=f["n"],
            )
            items.append(f'<li class="bad">{_e(text)}</li>')
        else:
            text = _(
                "{factor}: {score} (n = {n}).", factor=label, score=t.score(f["score"]), n=f["n"]
            )
            items.append(f"<li>{_e(text)}</li>")
    return _figure(factor_chart(factors, lang=t.lang)) + "<ul>" + "".join(items) + "</ul>"


def _networks(networks: dict[str, Any], surveys: dict[str, Any], t: Reader) -> str:
    _ = t._
    items = []
    coverage = networks.get("coverage")
    if coverage:
        items.append(
            _(
                "{mapped} networks mapped, {assessed} assessed ({share}); {active} active, "
                "{retired} retired.",
                mapped=coverage["mapped"],
                assessed=coverage["assessed"],
                share=t.percent(coverage["share_assessed"]),
                active=coverage["active"],
                retired=coverage["retired"],
            )
        )
    else:
        items.append(_("No networks mapped yet."))
    pilot = networks.get("pilot")
    if pilot:
        verdict = _("within the target") if pilot["within_target"] else _("outside the target")
        chosen = ", ".join(pilot["networks"]) or _("none chosen")
        items.append(
            _(
                "Pilot: {count} networks against the plan's {low}–{high} ({verdict}): {chosen}.",
                count=pilot["count"],
                low=pilot["target_min"],
                high=pilot["target_max"],
                verdict=verdict,
                chosen=chosen,
            )
        )
    scored = [s for s in networks.get("scores") or [] if s["mean"] is not None]
    if scored:
        weakest = min(scored, key=lambda s: s["mean"])
        strongest = max(scored, key=lambda s: s["mean"])
        items.append(
            _(
                "Assessment scores (1–5, mean over {count} networks): weakest {weakest} "
                "{weakest_mean}, strongest {strongest} {strongest_mean}.",
                count=weakest["networks"],
                weakest=title_in(weakest, t.lang, "name"),
                weakest_mean=t.score(weakest["mean"]),
                strongest=title_in(strongest, t.lang, "name"),
                strongest_mean=t.score(strongest["mean"]),
            )
        )
    found = surveys.get("surveys") or []
    if found:
        items.append(
            _(
                "Surveys: {count} published ({open} open), {responses} responses.",
                count=len(found),
                open=sum(1 for s in found if s["state"] == "open"),
                responses=sum(s["responses"] for s in found),
            )
        )
    return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>"


def _footer(
    status: dict[str, Any], history: dict[str, Any] | None, generated_at: datetime, t: Reader
) -> str:
    _ = t._
    schedule = status.get("schedule")
    text = _(
        "Figures from ptrack's reporting read model (the status and the S-curve series of "
        "project {project}) as of the status date {day}.",
        project=status["project"],
        day=t.date(status["status_date"]),
    )
    if schedule:
        text += " " + _("Plan baseline {number}.", number=schedule["baseline"])
    if history is not None:
        text += " " + _(
            "Baselines from the milestones service and budget revisions from the finance "
            "service, as recorded when the report was made."
        )
    text += " " + _("Money in NOK. Generated {moment}.", moment=t.moment(generated_at))
    return f"<footer>{_e(text)}</footer>"
