"""The finance board: budget against cost booked, in-kind work, funding and earned value, and the
S-curve and monthly history from the read models."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.models.dashboard import (
    VariableOption,
)

from tools.dashboards.panels import (
    BUDGET_USED,
    DAYS,
    GREEN,
    HOURS,
    NOK,
    ORANGE,
    PERFORMANCE,
    PROJECT,
    RATIO,
    RED,
    SCOPE,
    a_gauge,
    a_stat,
    bars,
    business_board,
    compare,
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
    SELECT months.month AS "Month",
           round(sum(coalesce(pv.nok, 0)) OVER by_month, 2) AS "Planned value (PV)",
           CASE WHEN months.month <= (SELECT max(month) FROM known)
                THEN round(coalesce(earned.nok, 0), 2) END AS "Earned value (EV)",
           CASE WHEN months.month <= (SELECT max(month) FROM known)
                THEN round(sum(coalesce(ac.nok, 0)) OVER by_month, 2) END AS "Actual cost (AC)"
    FROM months
    LEFT JOIN (SELECT month, sum(nok) AS nok FROM planned GROUP BY month) pv USING (month)
    LEFT JOIN (SELECT month, sum(nok) AS nok FROM actual GROUP BY month) ac USING (month)
    LEFT JOIN earned USING (month)
    WINDOW by_month AS (ORDER BY months.month)
    ORDER BY months.month
"""

IN_KIND_BY_MONTH = """
    SELECT to_char(work_date, 'YYYY-MM') AS month, municipality,
           sum(hours)::float8 AS hours
    FROM in_kind WHERE project_id = '$project'
    GROUP BY 1, 2 ORDER BY 1, 2
"""

FUNDING_RECEIPTS = """
    SELECT to_char(r.received_date, 'YYYY-MM-DD') AS "Received on",
           coalesce(s.name, r.source_id) AS "Source",
           round(r.amount_ore / 100.0, 2) AS "Amount",
           coalesce(r.reference, '') AS "Reference"
    FROM funding_receipts r
    LEFT JOIN funding_sources s ON s.project_id = r.project_id AND s.source_id = r.source_id
    WHERE r.project_id = '$project'
    ORDER BY r.received_date, r.position
"""


def scope_variable() -> board.CustomVariable:
    return (
        board.CustomVariable("scope")
        .label("Scope")
        .description("money: the cost budget only; total: with documented in-kind work")
        .values("money,total")
        .current(VariableOption(selected=True, text="money", value="money"))
    )


def finance() -> board.Dashboard:
    lines = f"max by (line) (ptrack_budget_nok{PROJECT})"
    booked = f"max by (line) (ptrack_cost_booked_nok{PROJECT})"
    in_kind_value = f"max by (municipality) (ptrack_in_kind_value_nok{PROJECT})"
    return (
        business_board(
            "ptrack: finance",
            "ptrack-finance",
            "Budget against cost booked, in-kind work, funding and earned value, as of the "
            "services' status date; the S-curve and monthly history from the read models.",
        )
        .with_variable(scope_variable())
        .with_row(board.Row("Money against the frame"))
        .with_panel(
            a_stat(
                "Frame",
                "The whole frame: cost budget and planned in-kind work.",
                promql(f"max(ptrack_frame_nok{PROJECT})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_stat(
                "Cost budget",
                "The approved cost budget: the sum of the budget lines.",
                promql(f"sum({lines})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_stat(
                "Cost booked",
                "Booked on all lines, net of reversals.",
                promql(f"sum({booked})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_gauge(
                "Most used budget line",
                "The budget line with the largest share used; 90 % raises BudgetLineNearlySpent.",
                promql(f"max(ptrack:budget_used_ratio:max{PROJECT})"),
                steps=BUDGET_USED,
                maximum=1.2,
            )
        )
        .with_panel(
            a_stat(
                "In-kind documented",
                "Value of documented municipal in-kind work (hours × rate).",
                promql(f"sum({in_kind_value})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_gauge(
                "In-kind documented of planned",
                "Documented in-kind value against the in-kind part of the frame.",
                promql(f"sum({in_kind_value}) / max(ptrack_in_kind_budget_nok{PROJECT})"),
                steps=thresholds(ORANGE, (1, GREEN)),
            )
        )
        .with_row(board.Row("Budget lines"))
        .with_panel(
            compare(
                "Budget against booked, per line",
                "Each line's approved budget (after revisions) against cost booked net of "
                "reversals.",
                "line",
                {"Budget": lines, "Booked": booked},
                unit=NOK,
                width=14,
            )
        )
        .with_panel(
            bars(
                "Budget used, per line",
                "Booked net / budget; 90 % raises BudgetLineNearlySpent, above 100 % the line "
                "is overspent.",
                promql(f"max by (line) (ptrack_budget_used_ratio{PROJECT})", "{{line}}"),
                unit=RATIO,
                steps=BUDGET_USED,
                minimum=0,
                maximum=1,
                width=10,
            )
        )
        .with_row(board.Row("Earned value on the status date"))
        .with_panel(
            a_stat(
                "CPI",
                "Cost performance index, EV / AC; below 0.9 raises CostPerformanceLow. Absent "
                "while nothing is booked.",
                promql(f"max(ptrack_evm_cpi_ratio{SCOPE})"),
                steps=PERFORMANCE,
                decimals=2,
            )
        )
        .with_panel(
            a_stat(
                "SPI",
                "Schedule performance index, EV / PV (returns to 1 at completion, however late).",
                promql(f"max(ptrack_evm_spi_ratio{SCOPE})"),
                steps=PERFORMANCE,
                decimals=2,
            )
        )
        .with_panel(
            a_stat(
                "SPI(t)",
                "Earned-schedule performance index, ES / AT; below 0.9 raises "
                "SchedulePerformanceLow.",
                promql(f"max(ptrack_evm_spi_t_ratio{SCOPE})"),
                steps=PERFORMANCE,
                decimals=2,
            )
        )
        .with_panel(
            a_stat(
                "EAC",
                "Estimate at completion, BAC / CPI.",
                promql(f"max(ptrack_evm_eac_nok{SCOPE})"),
                unit=NOK,
            )
        )
        .with_panel(
            a_stat(
                "VAC",
                "Variance at completion, BAC − EAC; negative is a forecast overrun.",
                promql(f"max(ptrack_evm_vac_nok{SCOPE})"),
                unit=NOK,
                steps=thresholds(RED, (0, GREEN)),
            )
        )
        .with_panel(
            a_stat(
                "Earned schedule variance",
                "SV(t) = ES − AT: how far the work done is ahead (+) or behind (−) the plan.",
                promql(f"max(ptrack_evm_sv_t_seconds{SCOPE}) / 86400"),
                unit=DAYS,
                decimals=1,
                steps=thresholds(RED, (0, GREEN)),
            )
        )
        .with_panel(
            sql_bars(
                "S-curve: planned, earned and actual by month",
                "Cumulative PV, EV and AC at each month's end for the latest baseline, from the "
                "read models by business date ($scope scope). EV and AC end with the last month "
                "anything was recorded in.",
                S_CURVE,
                unit=NOK,
                x="Month",
                width=16,
                height=10,
            )
        )
        .with_panel(
            a_stat(
                "BAC, PV, EV, AC",
                "Budget at completion, and planned value, earned value and actual cost by the "
                "status date.",
                promql(f"max(ptrack_evm_bac_nok{SCOPE})", "BAC", ref="BAC"),
                promql(f"max(ptrack_evm_pv_nok{SCOPE})", "PV", ref="PV"),
                promql(f"max(ptrack_evm_ev_nok{SCOPE})", "EV", ref="EV"),
                promql(f"max(ptrack_evm_ac_nok{SCOPE})", "AC", ref="AC"),
                unit=NOK,
                width=8,
                height=10,
            )
        )
        .with_panel(
            trend(
                "CPI and SPI(t) over time",
                "As Prometheus recorded them: each day moves the status date on.",
                promql(f"max(ptrack_evm_cpi_ratio{SCOPE})", "CPI", ref="CPI", instant=False),
                promql(f"max(ptrack_evm_spi_t_ratio{SCOPE})", "SPI(t)", ref="SPIt", instant=False),
                unit="none",
                steps=PERFORMANCE,
                width=24,
                height=7,
            )
        )
        .with_row(board.Row("In-kind work"))
        .with_panel(
            bars(
                "In-kind value by municipality",
                "Documented in-kind work valued at hours × rate.",
                promql(in_kind_value, "{{municipality}}"),
                unit=NOK,
                width=6,
            )
        )
        .with_panel(
            bars(
                "In-kind hours by municipality",
                "Documented in-kind work time.",
                promql(
                    f"max by (municipality) (ptrack_in_kind_work_seconds{PROJECT}) / 3600",
                    "{{municipality}}",
                ),
                unit=HOURS,
                decimals=1,
                width=6,
            )
        )
        .with_panel(
            sql_bars(
                "In-kind hours by month",
                "Documented in-kind hours by work month and municipality, from the read models.",
                IN_KIND_BY_MONTH,
                unit=HOURS,
                x=None,
                stacked=True,
                pivot=matrix("month", "municipality", "hours"),
            )
        )
        .with_row(board.Row("Funding"))
        .with_panel(
            compare(
                "Funding planned against received",
                "Each financing source's planned amount against what has been received.",
                "source",
                {
                    "Planned": f"max by (source) (ptrack_funding_planned_nok{PROJECT})",
                    "Received": f"max by (source) (ptrack_funding_received_nok{PROJECT})",
                },
                unit=NOK,
            )
        )
        .with_panel(
            sql_table(
                "Funding received",
                "Every payment received, by date, from the read models.",
                FUNDING_RECEIPTS,
                width=12,
                height=8,
            ).unit(NOK)
        )
    )
