"""The finance board: budget against cost booked, in-kind work, funding and earned value, and the
S-curve and monthly history from the read models."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.models.dashboard import (
    VariableOption,
)

from tools.dashboards.panels import (
    BUDGET_USED,
    GREEN,
    NOK,
    ORANGE,
    PERFORMANCE,
    PROJECT,
    RATIO,
    RED,
    SCOPE,
    Language,
    a_gauge,
    a_stat,
    bars,
    business_board,
    compare,
    days,
    hours,
    matrix,
    promql,
    sql_bars,
    sql_table,
    thresholds,
    trend,
)
from tools.dashboards.project_status import LATEST_BASELINE

S_CURVE = f"""
    -- PV, EV and AC at the end of each month, as services/reporting/evm.py defines them, for
    -- the latest baseline: PV is the time-phased budget summed through the month; EV is each
    -- activity's planned total times its latest reported share by the month's end; AC is cost
    -- booked net of reversals by booking and reversal date; each rounded to the øre, half up,
    -- as there. Scope money leaves in-kind work out; total counts its planned and documented
    -- value. EV and AC stop at the last month anything was recorded in, rather than run flat
    -- into months nobody has reported on yet.
    WITH latest AS ({LATEST_BASELINE}),
    planned AS (
        SELECT a.value->>'id' AS activity, m.key AS month, (m.value #>> '{{}}')::numeric AS nok
        FROM latest, jsonb_array_elements(latest.content->'activities') a,
             jsonb_each(a.value->'planned') l, jsonb_each(l.value) m
        WHERE l.key <> 'in-kind' OR '$scope' = 'total'
    ),
    actual AS (
        SELECT to_char(booking_date, 'YYYY-MM') AS month, amount_ore / 100.0 AS nok
        FROM bookings WHERE project_id = '$project'
        UNION ALL
        SELECT to_char(reversal_date, 'YYYY-MM'), -amount_ore / 100.0
        FROM reversals WHERE project_id = '$project'
        UNION ALL
        SELECT to_char(work_date, 'YYYY-MM'), value_ore / 100.0
        FROM in_kind WHERE project_id = '$project' AND '$scope' = 'total'
    ),
    progress AS (
        SELECT activity, reported_on, share, position FROM activity_reports
        WHERE project_id = '$project'
    ),
    known AS (
        SELECT month FROM actual
        UNION SELECT to_char(reported_on, 'YYYY-MM') FROM progress
    ),
    months AS (
        SELECT to_char(first, 'YYYY-MM') AS month, (first + interval '1 month')::date AS next
        FROM generate_series(
            (SELECT to_date(min(month), 'YYYY-MM')
             FROM (SELECT month FROM planned UNION SELECT month FROM known) m),
            (SELECT to_date(max(month), 'YYYY-MM')
             FROM (SELECT month FROM planned UNION SELECT month FROM known) m),
            interval '1 month'
        ) AS first
    ),
    budget AS (SELECT activity, sum(nok) AS nok FROM planned GROUP BY activity),
    earned AS (
        SELECT months.month, sum(budget.nok * coalesce((
            SELECT p.share FROM progress p
            WHERE p.activity = budget.activity AND p.reported_on < months.next
            ORDER BY p.reported_on DESC, p.position DESC LIMIT 1
        ), 0)) AS nok
        FROM months CROSS JOIN budget GROUP BY months.month
    )
    SELECT months.month,
           round(sum(coalesce(pv.nok, 0)) OVER by_month, 2) AS pv,
           CASE WHEN months.month <= (SELECT max(month) FROM known)
                THEN round(coalesce(earned.nok, 0), 2) END AS ev,
           CASE WHEN months.month <= (SELECT max(month) FROM known)
                THEN round(sum(coalesce(ac.nok, 0)) OVER by_month, 2) END AS ac
    FROM months
    LEFT JOIN (SELECT month, sum(nok) AS nok FROM planned GROUP BY month) pv USING (month)
    LEFT JOIN (SELECT month, sum(nok) AS nok FROM actual GROUP BY month) ac USING (month)
    LEFT JOIN earned USING (month)
    WINDOW by_month AS (ORDER BY months.month)
    ORDER BY months.month
"""

IN_KIND_BEHIND = thresholds(RED, (0.8, ORANGE), (1, GREEN))
"""The 80 % of the InKindBehindPlan alert; from 100 % the documentation keeps up with the plan."""

IN_KIND_BY_MONTH = """
    SELECT to_char(work_date, 'YYYY-MM') AS month, municipality,
           sum(hours)::float8 AS hours
    FROM in_kind WHERE project_id = '$project'
    GROUP BY 1, 2 ORDER BY 1, 2
"""

FUNDING_RECEIPTS = """
    SELECT to_char(r.received_date, 'YYYY-MM-DD') AS received_on,
           coalesce(s.name, r.source_id) AS source,
           round(r.amount_ore / 100.0, 2) AS amount,
           coalesce(r.reference, '') AS reference
    FROM funding_receipts r
    LEFT JOIN funding_sources s ON s.project_id = r.project_id AND s.source_id = r.source_id
    WHERE r.project_id = '$project'
    ORDER BY r.received_date, r.position
"""


def scope_variable(lang: Language) -> board.CustomVariable:
    _ = lang.gettext
    # Translators: the two scopes of earned value: money only, or with in-kind work.
    money, total = _("money"), _("total")
    # Grafana's `text : value` pairs, separated by commas (a comma in a text escaped): the reader
    # picks a name, the queries get the value.
    options = ",".join(
        f"{text.replace(',', chr(92) + ',')} : {value}"
        for text, value in [(money, "money"), (total, "total")]
    )
    return (
        board.CustomVariable("scope")
        .label(_("Scope"))
        .description(_("money: the cost budget only; total: with documented in-kind work"))
        .values(options)
        .current(VariableOption(selected=True, text=money, value="money"))
    )


def finance(lang: Language) -> board.Dashboard:
    _ = lang.gettext
    lines = f"max by (line) (ptrack_budget_nok{PROJECT})"
    booked = f"max by (line) (ptrack_cost_booked_nok{PROJECT})"
    in_kind_value = f"max by (municipality) (ptrack_in_kind_value_nok{PROJECT})"
    return (
        business_board(
            lang,
            _("ptrack: finance"),
            "ptrack-finance",
            _(
                "Budget against cost booked, in-kind work, funding and earned value, as of the "
                "services' status date; the S-curve and monthly history from the read models."
            ),
        )
        .with_variable(scope_variable(lang))
        .with_row(board.Row(_("Money against the frame")))
        .with_panel(
            a_stat(
                _("Frame"),
                _("The whole frame: cost budget and planned in-kind work."),
                promql(f"max(ptrack_frame_nok{PROJECT})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_stat(
                _("Cost budget"),
                _("The approved cost budget: the sum of the budget lines."),
                promql(f"sum({lines})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_stat(
                _("Cost booked"),
                _("Booked on all lines, net of reversals."),
                promql(f"sum({booked})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_gauge(
                _("Most used budget line"),
                _(
                    "The budget line with the largest share used; 90 % raises "
                    "BudgetLineNearlySpent."
                ),
                promql(f"max(ptrack:budget_used_ratio:max{PROJECT})"),
                steps=BUDGET_USED,
                maximum=1.2,
            )
        )
        .with_panel(
            a_stat(
                _("In-kind documented"),
                _("Value of documented municipal in-kind work (hours × rate)."),
                promql(f"sum({in_kind_value})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_gauge(
                # The whole pledge; the In-kind work row holds it against the plan to date.
                _("In-kind documented of the pledge"),
                _("Documented in-kind value against the in-kind part of the frame."),
                promql(f"sum({in_kind_value}) / max(ptrack_in_kind_budget_nok{PROJECT})"),
                steps=thresholds(ORANGE, (1, GREEN)),
            )
        )
        .with_row(board.Row(_("Budget lines")))
        .with_panel(
            compare(
                _("Budget against booked, per line"),
                _(
                    "Each line's approved budget (after revisions) against cost booked net of "
                    "reversals."
                ),
                ("line", _("Budget line")),
                [("Budget", _("Budget"), lines), ("Booked", _("Booked"), booked)],
                unit=NOK,
                width=14,
            )
        )
        .with_panel(
            bars(
                _("Budget used, per line"),
                _(
                    "Booked net / budget; 90 % raises BudgetLineNearlySpent, above 100 % the "
                    "line is overspent."
                ),
                promql(f"max by (line) (ptrack_budget_used_ratio{PROJECT})", "{{line}}"),
                unit=RATIO,
                steps=BUDGET_USED,
                minimum=0,
                maximum=1,
                width=10,
            )
        )
        .with_panel(
            bars(
                _("Budget against the plan's months, per line"),
                _(
                    "Each line's budget on the status date less what the plan baseline in force "
                    "spreads over its months (in-kind: the in-kind budget). 0 where they agree; "
                    "any other figure raises BudgetAndPlanDisagree: the budget was revised "
                    "without its plan."
                ),
                promql(f"max by (line) (ptrack_budget_plan_difference_nok{PROJECT})", "{{line}}"),
                unit=NOK,
                width=24,
                height=6,
            )
        )
        .with_row(board.Row(_("Earned value on the status date")))
        .with_panel(
            a_stat(
                _("CPI"),
                _(
                    "Cost performance index, EV / AC; below 0.9 raises CostPerformanceLow. "
                    "Absent while nothing is booked."
                ),
                promql(f"max(ptrack_evm_cpi_ratio{SCOPE})"),
                steps=PERFORMANCE,
                decimals=2,
            )
        )
        .with_panel(
            a_stat(
                _("SPI"),
                _(
                    "Schedule performance index, EV / PV (returns to 1 at completion, however "
                    "late)."
                ),
                promql(f"max(ptrack_evm_spi_ratio{SCOPE})"),
                steps=PERFORMANCE,
                decimals=2,
            )
        )
        .with_panel(
            a_stat(
                _("SPI(t)"),
                _(
                    "Earned-schedule performance index, ES / AT; below 0.9 raises "
                    "SchedulePerformanceLow."
                ),
                promql(f"max(ptrack_evm_spi_t_ratio{SCOPE})"),
                steps=PERFORMANCE,
                decimals=2,
            )
        )
        .with_panel(
            a_stat(
                _("EAC"),
                _("Estimate at completion, BAC / CPI."),
                promql(f"max(ptrack_evm_eac_nok{SCOPE})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_stat(
                _("VAC"),
                _("Variance at completion, BAC − EAC; negative is a forecast overrun."),
                promql(f"max(ptrack_evm_vac_nok{SCOPE})"),
                unit=NOK,
                steps=thresholds(RED, (0, GREEN)),
            )
        )
        .with_panel(
            a_stat(
                _("Earned schedule variance"),
                _("SV(t) = ES − AT: how far the work done is ahead (+) or behind (−) the plan."),
                promql(f"max(ptrack_evm_sv_t_seconds{SCOPE}) / 86400"),
                unit=days(lang),
                decimals=1,
                steps=thresholds(RED, (0, GREEN)),
            )
        )
        .with_panel(
            sql_bars(
                _("S-curve: planned, earned and actual by month"),
                # Translators: ${scope:text} is the scope chosen at the top of the board.
                _(
                    "Cumulative PV, EV and AC at each month's end for the latest baseline, from "
                    "the read models by business date (scope: ${scope:text}). EV and AC end with "
                    "the last month anything was recorded in."
                ),
                S_CURVE,
                {
                    "month": _("Month"),
                    "pv": _("Planned value (PV)"),
                    "ev": _("Earned value (EV)"),
                    "ac": _("Actual cost (AC)"),
                },
                unit=NOK,
                x="month",
                width=16,
                height=10,
            )
        )
        .with_panel(
            a_stat(
                _("BAC, PV, EV, AC"),
                _(
                    "Budget at completion, and planned value, earned value and actual cost by "
                    "the status date."
                ),
                promql(f"max(ptrack_evm_bac_nok{SCOPE})", _("BAC"), ref="BAC"),
                promql(f"max(ptrack_evm_pv_nok{SCOPE})", _("PV"), ref="PV"),
                promql(f"max(ptrack_evm_ev_nok{SCOPE})", _("EV"), ref="EV"),
                promql(f"max(ptrack_evm_ac_nok{SCOPE})", _("AC"), ref="AC"),
                unit=NOK,
                width=8,
                height=10,
            )
        )
        .with_panel(
            trend(
                _("CPI and SPI(t) over time"),
                _("As Prometheus recorded them: each day moves the status date on."),
                promql(f"max(ptrack_evm_cpi_ratio{SCOPE})", _("CPI"), ref="CPI", instant=False),
                promql(
                    f"max(ptrack_evm_spi_t_ratio{SCOPE})", _("SPI(t)"), ref="SPIt", instant=False
                ),
                unit="none",
                steps=PERFORMANCE,
                width=24,
                height=7,
            )
        )
        .with_row(board.Row(_("In-kind work")))
        .with_panel(
            bars(
                _("In-kind value by municipality"),
                _("Documented in-kind work valued at hours × rate."),
                promql(in_kind_value, "{{municipality}}"),
                unit=NOK,
                width=6,
            )
        )
        .with_panel(
            bars(
                _("In-kind hours by municipality"),
                _("Documented in-kind work time."),
                promql(
                    f"max by (municipality) (ptrack_in_kind_work_seconds{PROJECT}) / 3600",
                    "{{municipality}}",
                ),
                unit=hours(lang),
                decimals=1,
                width=6,
            )
        )
        .with_panel(
            sql_bars(
                _("In-kind hours by month"),
                _("Documented in-kind hours by work month and municipality, from the read models."),
                IN_KIND_BY_MONTH,
                # After the pivot, the first column (the months) is named after both fields.
                {"month\\municipality": _("Month")},
                unit=hours(lang),
                x=None,
                stacked=True,
                pivot=matrix("month", "municipality", "hours"),
            )
        )
        .with_panel(
            a_gauge(
                _("In-kind documented of planned to date"),
                _(
                    "Documented in-kind value against what the pledge's time-phased plan "
                    "expects by the status date; below 80 % raises InKindBehindPlan. Absent "
                    "while nothing is planned yet."
                ),
                promql(f"max(ptrack:in_kind_documented_of_planned:ratio{PROJECT})"),
                steps=IN_KIND_BEHIND,
                maximum=1.2,
                width=6,
                height=8,
            )
        )
        .with_panel(
            trend(
                _("In-kind documented against planned to date"),
                _(
                    "Documented in-kind value and what the plan expects by the status date, as "
                    "Prometheus recorded them: each day moves the status date on."
                ),
                promql(
                    f"max(ptrack:in_kind_value_nok:sum{PROJECT})",
                    _("Documented"),
                    ref="Documented",
                    instant=False,
                ),
                promql(
                    f"max(ptrack_in_kind_planned_nok{PROJECT})",
                    _("Planned to date"),
                    ref="Planned",
                    instant=False,
                ),
                unit=NOK,
                width=18,
                height=8,
            )
        )
        .with_row(board.Row(_("Funding")))
        .with_panel(
            compare(
                _("Funding planned against received"),
                _("Each financing source's planned amount against what has been received."),
                ("source", _("Source")),
                [
                    (
                        "Planned",
                        _("Planned"),
                        f"max by (source) (ptrack_funding_planned_nok{PROJECT})",
                    ),
                    (
                        "Received",
                        _("Received"),
                        f"max by (source) (ptrack_funding_received_nok{PROJECT})",
                    ),
                ],
                unit=NOK,
            )
        )
        .with_panel(
            sql_table(
                _("Funding received"),
                _("Every payment received, by date, from the read models."),
                FUNDING_RECEIPTS,
                {
                    "received_on": _("Received on"),
                    "source": _("Source"),
                    "amount": _("Amount"),
                    "reference": _("Reference"),
                },
                width=12,
                height=8,
            ).unit(NOK)
        )
    )
