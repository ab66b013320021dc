"""The Grafana boards, as code: built with grafana-foundation-sdk and written to
`deploy/grafana/dashboards/*.json`, which Grafana provisions from files.

The JSON files are generated, never edited by hand (a test regenerates them and fails when they
differ). Run `python -m ptrack.dashboards` after changing this module, and commit both.

Two data sources, provisioned in `deploy/grafana/provisioning/datasources/`:

- Prometheus (uid `prometheus`) for figures as they stand: the services compute business gauges
  from their read models at scrape time, as of the status date, and report operational ones.
  Every service may run as several replicas that all report the same business figures (they come
  from the shared database), so business queries combine replicas with `max by (...)`, never a
  sum, as the recording rules do.
- PostgreSQL (uid `ptrack-postgres`) for business history by business date: the reporting
  service's copies of every read model, read by the role that `deploy/postgres/readonly.sql`
  creates. That role's search_path is the reporting schema, so the SQL here names tables without
  a schema and runs unchanged under any schema prefix. The only template variables in SQL are
  `$project` and `$scope`, always inside single quotes (Grafana doubles any quote in a
  single-value variable, so the literal stays a literal); no time macros, because the history
  panels show the whole project whatever the time picker says.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from textwrap import dedent
from typing import Any

from grafana_foundation_sdk.builders import (
    barchart,
    bargauge,
    gauge,
    prometheus,
    stat,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common, units
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat, QueryEditorMode

OUTPUT = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "dashboards"
"""Where the generated files live in the repository (mounted into Grafana by compose)."""

PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
POSTGRES = DataSourceRef(type_val="grafana-postgresql-datasource", uid="ptrack-postgres")

PROJECT = '{project="$project"}'
"""The selector every business query starts from."""
SCOPE = '{project="$project", scope="$scope"}'
SERVICE = '{service=~"$service"}'
API = '{service=~"$service", route!~"/metrics|/healthz|/readyz"}'
"""API requests only: scrapes and probes come every few seconds and would drown the latency and
error figures of the requests people and integrations make."""

NOK = units.NorwegianKrone
RATIO = units.PercentUnit
DAYS = "suffix:d"
"""Plain days: Grafana's own day unit turns 14 days into "2 weeks", which reads badly for slip."""
HOURS = "suffix:h"
DATE = "time:YYYY-MM-DD"
"""For timestamps in milliseconds. The business boards use UTC, so a date stored as midnight UTC
shows as that day wherever the viewer is."""

GREEN, ORANGE, RED, BLUE, TEXT = "green", "orange", "red", "blue", "text"


# --- Small helpers over the SDK's builders ------------------------------------------------------


def thresholds(base: str, *steps: tuple[float, str]) -> board.ThresholdsConfig:
    return (
        board.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps(
            [Threshold(value=None, color=base), *(Threshold(value=v, color=c) for v, c in steps)]
        )
    )


BUDGET_USED = thresholds(GREEN, (0.9, ORANGE), (1.0, RED))
"""The 90 % of the BudgetLineNearlySpent alert; above 100 % the line is overspent."""
PERFORMANCE = thresholds(RED, (0.9, ORANGE), (1.0, GREEN))
"""The 0.9 of the CostPerformanceLow and SchedulePerformanceLow alerts; at 1 the project is on
budget or on schedule."""


def promql(
    expr: str, legend: str = "", *, ref: str = "A", table: bool = False, instant: bool = True
) -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).ref_id(ref).editor_mode(QueryEditorMode.CODE)
    if legend:
        query = query.legend_format(legend)
    if table:
        query = query.format(PromQueryFormat.TABLE)
    return query.instant() if instant else query.range()


class SqlQuery(cogvariants.Dataquery):
    """A raw SQL target of Grafana's PostgreSQL data source, which the SDK has no model for."""

    def __init__(self, ref_id: str, raw_sql: str) -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": POSTGRES,
            "editorMode": "code",
            "format": "table",
            "rawQuery": True,
            "rawSql": self.raw_sql,
        }


class Sql(cogbuilder.Builder[cogvariants.Dataquery]):
    def __init__(self, raw_sql: str, ref_id: str = "A") -> None:
        self._internal = SqlQuery(ref_id, dedent(raw_sql).strip())

    def build(self) -> SqlQuery:
        return self._internal


def transformation(id_: str, **options: Any) -> DataTransformerConfig:
    return DataTransformerConfig(id_val=id_, options=options)


MERGE = transformation("merge")
"""Joins instant table queries on their common labels: one row per line, source, activity."""


def organize(rename: dict[str, str], hide: Sequence[str] = ("Time",)) -> DataTransformerConfig:
    return transformation(
        "organize", excludeByName=dict.fromkeys(hide, True), renameByName=rename, indexByName={}
    )


def matrix(rows: str, columns: str, values: str) -> DataTransformerConfig:
    """Long rows (month, municipality, hours) to one column per value of `columns`."""
    return transformation(
        "groupingToMatrix",
        rowField=rows,
        columnField=columns,
        valueField=values,
        emptyValue="zero",
    )


def legend(
    placement: common.LegendPlacement = common.LegendPlacement.BOTTOM,
) -> common_builders.VizLegendOptions:
    return (
        common_builders.VizLegendOptions()
        .show_legend(True)
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(placement)
    )


def last_value() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def a_stat(
    title: str,
    description: str,
    *targets: prometheus.Dataquery,
    unit: str = "none",
    steps: board.ThresholdsConfig | None = None,
    width: int = 4,
    height: int = 4,
    decimals: int | None = None,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(targets))
        .unit(unit)
        .span(width)
        .height(height)
        .reduce_options(last_value())
        .color_mode(common.BigValueColorMode.VALUE)
        .graph_mode(common.BigValueGraphMode.NONE)
        .text_mode(common.BigValueTextMode.AUTO)
        .thresholds(steps or thresholds(TEXT))
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def a_gauge(
    title: str,
    description: str,
    target: prometheus.Dataquery,
    *,
    steps: board.ThresholdsConfig,
    unit: str = RATIO,
    minimum: float = 0,
    maximum: float = 1,
    width: int = 4,
    height: int = 4,
) -> gauge.Panel:
    return (
        gauge.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .with_target(target)
        .unit(unit)
        .min(minimum)
        .max(maximum)
        .thresholds(steps)
        .reduce_options(last_value())
        .span(width)
        .height(height)
    )


def bars(
    title: str,
    description: str,
    *targets: prometheus.Dataquery,
    unit: str = "none",
    steps: board.ThresholdsConfig | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    width: int = 8,
    height: int = 8,
    decimals: int | None = None,
) -> bargauge.Panel:
    """A bar per series (per line, municipality, goal, ...), the last value of each."""
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(targets))
        .unit(unit)
        .thresholds(steps or thresholds(BLUE))
        .display_mode(common.BarGaugeDisplayMode.BASIC)
        .orientation(common.VizOrientation.HORIZONTAL)
        .show_unfilled(True)
        .reduce_options(last_value())
        .span(width)
        .height(height)
    )
    if minimum is not None:
        panel = panel.min(minimum)
    if maximum is not None:
        panel = panel.max(maximum)
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def compare(
    title: str,
    description: str,
    x: str,
    series: dict[str, str],
    *,
    unit: str,
    maximum: float | None = None,
    width: int = 12,
    height: int = 8,
) -> barchart.Panel:
    """Grouped bars side by side per `x` label (budget against booked per line, ...): one
    instant table query per series, merged on the label, each renamed to its legend."""
    panel = (
        barchart.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets([promql(expr, ref=name, table=True) for name, expr in series.items()])
        .with_transformation(MERGE)
        .with_transformation(
            organize({f"Value #{ref}": ref for ref in series}),
        )
        .x_field(x)
        .unit(unit)
        .orientation(common.VizOrientation.HORIZONTAL)
        .stacking(common.StackingMode.NONE)
        .show_value(common.VisibilityMode.AUTO)
        .legend(legend())
        .span(width)
        .height(height)
    )
    if maximum is not None:
        panel = panel.max(maximum)
    return panel


def trend(
    title: str,
    description: str,
    *targets: prometheus.Dataquery,
    unit: str,
    steps: board.ThresholdsConfig | None = None,
    width: int = 8,
    height: int = 8,
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(PROMETHEUS)
        .targets(list(targets))
        .unit(unit)
        .line_width(1)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .legend(legend())
        .span(width)
        .height(height)
    )
    if steps is not None:
        panel = panel.thresholds(steps).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.DASHED
            )
        )
    return panel


def sql_table(title: str, description: str, query: str, *, width: int, height: int) -> table.Panel:
    return (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(POSTGRES)
        .with_target(Sql(query))
        .span(width)
        .height(height)
    )


def sql_bars(
    title: str,
    description: str,
    query: str,
    *,
    unit: str,
    x: str | None,
    stacked: bool = False,
    pivot: DataTransformerConfig | None = None,
    width: int = 12,
    height: int = 9,
) -> barchart.Panel:
    """Bars per month from SQL. A bar chart rather than a time series: its x axis is the rows the
    query returns, so a project from 2010 shows whatever time range the picker is on."""
    panel = (
        barchart.Panel()
        .title(title)
        .description(description)
        .datasource(POSTGRES)
        .with_target(Sql(query))
        .unit(unit)
        .stacking(common.StackingMode.NORMAL if stacked else common.StackingMode.NONE)
        .show_value(common.VisibilityMode.NEVER)
        .x_tick_label_rotation(-45)
        .legend(legend())
        .span(width)
        .height(height)
    )
    if x is not None:
        panel = panel.x_field(x)
    if pivot is not None:
        # The pivoted frame's first column (the months) is the x axis.
        panel = panel.with_transformation(pivot)
    return panel


def override(name: str, properties: dict[str, object]) -> tuple[str, list[DynamicConfigValue]]:
    """A field's own settings, by its name or type: keys are Grafana's property ids."""
    return name, [DynamicConfigValue(id_val=key, value=value) for key, value in properties.items()]


def project_variable() -> board.QueryVariable:
    # ptrack_plan_baseline exists for every project whose plan is loaded, whatever else has
    # been recorded for it yet.
    return (
        board.QueryVariable("project")
        .label("Project")
        .description("A project with a loaded plan")
        .datasource(PROMETHEUS)
        .query("label_values(ptrack_plan_baseline, project)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def new_board(title: str, uid: str, description: str) -> board.Dashboard:
    return (
        board.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["ptrack"])
        .readonly()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .annotation(
            board.AnnotationQuery()
            .name("Annotations & Alerts")
            .datasource(DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .enable(True)
            .hide(True)
            .icon_color("rgba(0, 211, 255, 1)")
            .type("dashboard")
            .built_in(1)
        )
        .link(
            board.DashboardLink("ptrack boards")
            .type(DashboardLinkType.DASHBOARDS)
            .tags(["ptrack"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )


def business_board(title: str, uid: str, description: str) -> board.Dashboard:
    # Business figures change when a fact is recorded or the day turns, so a slow refresh is
    # enough; the dates on these boards are business dates at midnight UTC, hence UTC.
    return (
        new_board(title, uid, description)
        .timezone("utc")
        .time("now-30d", "now")
        .refresh("5m")
        .with_variable(project_variable())
    )


# --- Project status ---------------------------------------------------------------------------

LATEST_BASELINE = """
    SELECT baseline, content FROM baselines
    WHERE project_id = '$project' ORDER BY baseline DESC LIMIT 1
"""

MILESTONE_TIMELINE = f"""
    -- Each milestone's due date in the first and in the latest baseline, against the dates
    -- reported: the last of reached/reopened by business date decides, as in the service.
    WITH latest AS ({LATEST_BASELINE}),
    first AS (
        SELECT content FROM baselines WHERE project_id = '$project' AND baseline = 1
    ),
    planned AS (
        SELECT m.value->>'id' AS milestone, m.value->>'title' AS title,
               (m.value->>'due')::date AS due, m.ordinality
        FROM latest, jsonb_array_elements(latest.content->'milestones') WITH ORDINALITY m
    ),
    first_due AS (
        SELECT m->>'id' AS milestone, (m->>'due')::date AS due
        FROM first, jsonb_array_elements(first.content->'milestones') m
    ),
    reached AS (
        SELECT DISTINCT ON (milestone) milestone, kind, on_date FROM milestone_log
        WHERE project_id = '$project' AND kind IN ('reached', 'reopened')
        ORDER BY milestone, on_date DESC, position DESC
    ),
    forecast AS (
        SELECT DISTINCT ON (milestone) milestone, expected_on FROM milestone_log
        WHERE project_id = '$project' AND kind = 'forecast'
        ORDER BY milestone, on_date DESC, position DESC
    )
    SELECT p.milestone AS "Milestone",
           p.title AS "Title",
           to_char(f.due, 'YYYY-MM-DD') AS "Due (baseline 1)",
           to_char(p.due, 'YYYY-MM-DD') AS "Due (latest baseline)",
           to_char(fc.expected_on, 'YYYY-MM-DD') AS "Forecast",
           to_char(r.on_date, 'YYYY-MM-DD') AS "Reached",
           coalesce(r.on_date, fc.expected_on, p.due) - p.due AS "Days late"
    FROM planned p
    LEFT JOIN first_due f ON f.milestone = p.milestone
    LEFT JOIN reached r ON r.milestone = p.milestone AND r.kind = 'reached'
    LEFT JOIN forecast fc ON fc.milestone = p.milestone
    ORDER BY p.ordinality
"""

DECISION_LOG = f"""
    WITH latest AS ({LATEST_BASELINE}),
    points AS (
        SELECT p->>'id' AS id, p->>'title' AS title
        FROM latest, jsonb_array_elements(latest.content->'decision_points') p
    )
    SELECT to_char(d.decided_on, 'YYYY-MM-DD') AS "Decided on",
           d.decision_point AS "Decision point",
           points.title AS "Title",
           d.outcome AS "Outcome",
           d.minutes_ref AS "Minutes",
           CASE WHEN d.revision THEN 'yes' ELSE 'no' END AS "Revises an earlier decision",
           d.note AS "Note"
    FROM decisions d LEFT JOIN points ON points.id = d.decision_point
    WHERE d.project_id = '$project'
    ORDER BY d.decided_on, d.position
"""

PLAN_BASELINES = """
    SELECT baseline AS "Baseline",
           to_char(effective_on, 'YYYY-MM-DD') AS "In force from",
           coalesce(decision_ref, '') AS "Decision",
           coalesce(reason, 'the plan as approved') AS "Reason"
    FROM baselines WHERE project_id = '$project'
    ORDER BY baseline
"""


def project_status() -> board.Dashboard:
    milestones = {
        "Due": f"max by (milestone) (ptrack_milestone_due_timestamp_seconds{PROJECT}) * 1000",
        "Expected": (
            f"max by (milestone) (ptrack_milestone_forecast_timestamp_seconds{PROJECT}) * 1000"
        ),
        "Reached": (
            f"max by (milestone) (ptrack_milestone_reached_timestamp_seconds{PROJECT}) * 1000"
        ),
        "Slip": f"max by (milestone) (ptrack_milestone_slip_seconds{PROJECT}) / 86400",
        "State": f"max by (milestone, state) (ptrack_milestone_state{PROJECT}) == 1",
    }
    milestone_table = (
        table.Panel()
        .title("Milestones on the status date")
        .description(
            "Due date in the baseline in force, expected date (forecast, else due), the day "
            "reached, slip in days and state. Slip is actual − due once reached; before that "
            "the least slip the milestone can still end with."
        )
        .datasource(PROMETHEUS)
        .targets([promql(e, ref=ref, table=True) for ref, e in milestones.items()])
        .with_transformation(MERGE)
        .with_transformation(
            organize(
                {
                    "milestone": "Milestone",
                    "state": "State",
                    "Value #Due": "Due",
                    "Value #Expected": "Expected",
                    "Value #Reached": "Reached",
                    "Value #Slip": "Slip",
                },
                hide=("Time", "Value #State"),
            )
        )
        .override_by_name(*override("Due", {"unit": DATE}))
        .override_by_name(*override("Expected", {"unit": DATE}))
        .override_by_name(*override("Reached", {"unit": DATE}))
        .override_by_name(
            *override(
                "Slip",
                {
                    "unit": DAYS,
                    "decimals": 0,
                    "thresholds": thresholds(GREEN, (1, ORANGE), (14, RED)).build(),
                    "custom.cellOptions": {"type": "color-text"},
                },
            )
        )
        .span(14)
        .height(9)
    )
    return (
        business_board(
            "ptrack: project status",
            "ptrack-project-status",
            "Goals, milestones, decisions and activities against the plan, as of the services' "
            "status date; the plan's history and decision log from the read models.",
        )
        .with_row(board.Row("Schedule"))
        .with_panel(
            a_stat(
                "Plan baseline in force",
                "Baseline 1 is the plan as approved; each revision by the steering group adds one.",
                promql(f"max(ptrack_plan_baseline{PROJECT})"),
                width=4,
            )
        )
        .with_panel(
            a_stat(
                "Milestones overdue",
                "Past their due date (or later forecast) and not reported reached.",
                promql(f"max(ptrack:milestones_overdue:count{PROJECT})"),
                steps=thresholds(GREEN, (1, RED)),
                width=4,
            )
        )
        .with_panel(
            a_stat(
                "Milestones due within 14 days",
                "Not reached and due within two weeks of the status date.",
                promql(f"max(ptrack:milestones_due_soon:count{PROJECT})"),
                steps=thresholds(GREEN, (1, ORANGE)),
                width=4,
            )
        )
        .with_panel(
            bars(
                "Milestones by state",
                "planned, due_soon, overdue, reached_on_time, reached_late.",
                promql(f"max by (state) (ptrack_milestones{PROJECT})", "{{state}}"),
                decimals=0,
                width=12,
                height=4,
            )
        )
        .with_panel(milestone_table)
        .with_panel(
            sql_table(
                "Plan baselines",
                "Every baseline of the plan: the approved plan and each revision, with the "
                "decision that allowed it (from the read models, by business date).",
                PLAN_BASELINES,
                width=10,
                height=9,
            )
        )
        .with_panel(
            sql_table(
                "Milestone timeline: due against reached",
                "Due in the first and the latest baseline, the last forecast and the day "
                "reached, from the read models by business date. Days late: reached (else "
                "forecast, else due) − due in the latest baseline; the status-date slip is in "
                "the table above.",
                MILESTONE_TIMELINE,
                width=24,
                height=9,
            )
        )
        .with_row(board.Row("Goals and activities"))
        .with_panel(
            bars(
                "Action goals: share complete",
                "The latest reported share complete of each action goal by the status date.",
                promql(f"max by (goal) (ptrack_goal_progress_ratio{PROJECT})", "{{goal}}"),
                unit=RATIO,
                minimum=0,
                maximum=1,
                steps=thresholds(BLUE, (1, GREEN)),
                width=10,
                height=9,
            )
        )
        .with_panel(
            compare(
                "Activities: planned against reported",
                "Share of each activity planned done by the status date (months counted "
                "evenly) against the share reported complete.",
                "activity",
                {
                    "Planned": (
                        f"max by (activity) (ptrack_activity_planned_progress_ratio{PROJECT})"
                    ),
                    "Reported": f"max by (activity) (ptrack_activity_progress_ratio{PROJECT})",
                },
                unit=RATIO,
                maximum=1,
                width=14,
                height=9,
            )
        )
        .with_row(board.Row("Decisions"))
        .with_panel(
            bars(
                "Decision points by state",
                "The steering group's decision points on the status date.",
                promql(f"max by (state) (ptrack_decision_points{PROJECT})", "{{state}}"),
                decimals=0,
                width=8,
                height=8,
            )
        )
        .with_panel(
            sql_table(
                "Decision log",
                "Every decision recorded, by decision date, with its minutes reference.",
                DECISION_LOG,
                width=16,
                height=8,
            )
        )
    )


# --- Finance ----------------------------------------------------------------------------------

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


# --- Networks and surveys ---------------------------------------------------------------------


def networks_and_surveys() -> board.Dashboard:
    scores = f"max by (network, dimension) (ptrack_network_assessment_score{PROJECT})"
    score_steps = thresholds(RED, (2.5, ORANGE), (3.5, GREEN))
    score_table = (
        table.Panel()
        .title("Assessment scores per network")
        .description("Each working network's latest assessment, 1-5 per dimension.")
        .datasource(PROMETHEUS)
        .with_target(promql(scores, ref="A", table=True))
        .with_transformation(matrix("network", "dimension", "Value"))
        .thresholds(score_steps)
        .min(1)
        .max(5)
        .cell_options(
            common.TableColoredBackgroundCellOptions(
                mode=common.TableCellBackgroundDisplayMode.BASIC
            )
        )
        # The network names stay plain; only the scores are coloured.
        .override_by_field_type(*override("string", {"custom.cellOptions": {"type": "auto"}}))
        .span(12)
        .height(9)
    )
    return (
        business_board(
            "ptrack: networks and surveys",
            "ptrack-networks-surveys",
            "The mapping and assessment of information networks, the pilot, the surveys and "
            "the critical success factors, as of the services' status date.",
        )
        .with_row(board.Row("Mapping and the pilot"))
        .with_panel(
            a_stat(
                "Networks mapped",
                "Information networks registered in the region.",
                promql(f"max(ptrack_networks_mapped{PROJECT})"),
            )
        )
        .with_panel(
            a_gauge(
                "Mapped networks assessed (goal HM1)",
                "Share of mapped networks with at least one assessment.",
                promql(f"max(ptrack_networks_assessed_ratio{PROJECT})"),
                steps=thresholds(RED, (0.5, ORANGE), (1, GREEN)),
            )
        )
        .with_panel(
            a_stat(
                "Pilot networks",
                "Networks chosen for the network school pilot; the plan says 3-5.",
                promql(f"max(ptrack_pilot_networks{PROJECT})"),
                steps=thresholds(RED, (3, GREEN), (6, RED)),
            )
        )
        .with_panel(
            bars(
                "Networks by state",
                "active, passive, dormant, retired.",
                promql(f"max by (state) (ptrack_networks{PROJECT})", "{{state}}"),
                decimals=0,
                width=12,
                height=4,
            )
        )
        .with_row(board.Row("Assessments"))
        .with_panel(
            bars(
                "Mean score per dimension",
                "The mean over working networks of their latest assessment, 1-5.",
                promql(f"avg by (dimension) ({scores})", "{{dimension}}"),
                steps=score_steps,
                minimum=1,
                maximum=5,
                decimals=2,
                width=6,
                height=9,
            )
        )
        .with_panel(score_table)
        .with_panel(
            bars(
                "Members per network",
                "Current members of each network.",
                promql(f"max by (network) (ptrack_network_members{PROJECT})", "{{network}}"),
                decimals=0,
                width=6,
                height=9,
            )
        )
        .with_row(board.Row("Surveys"))
        .with_panel(
            bars(
                "Surveys by state",
                "Open surveys take responses; closed ones do not.",
                promql(f"max by (state) (ptrack_surveys{PROJECT})", "{{state}}"),
                decimals=0,
                width=4,
            )
        )
        .with_panel(
            compare(
                "Responses against invited",
                "Responses recorded for each survey against the people invited.",
                "survey",
                {
                    "Invited": f"max by (survey) (ptrack_survey_invited{PROJECT})",
                    "Responses": f"max by (survey) (ptrack_survey_responses{PROJECT})",
                },
                unit="none",
                width=10,
            )
        )
        .with_panel(
            bars(
                "Response rate",
                "Responses per person invited.",
                promql(
                    f"max by (survey) (ptrack_survey_response_rate_ratio{PROJECT})", "{{survey}}"
                ),
                unit=RATIO,
                steps=thresholds(RED, (0.5, ORANGE), (0.7, GREEN)),
                minimum=0,
                maximum=1,
                width=10,
            )
        )
        .with_panel(
            bars(
                "Critical success factors",
                "Each factor's score 0..1 over all surveys: likert answers as (v − 1) / 4, nps "
                "as v / 10. A factor with fewer respondents than the anonymity threshold is "
                "left out, not shown as 0.",
                promql(f"max by (factor) (ptrack_success_factor_score{PROJECT})", "{{factor}}"),
                steps=thresholds(RED, (0.5, ORANGE), (0.75, GREEN)),
                minimum=0,
                maximum=1,
                decimals=2,
                width=24,
                height=6,
            )
        )
    )


# --- Operations -------------------------------------------------------------------------------


def service_variable() -> board.QueryVariable:
    return (
        board.QueryVariable("service")
        .label("Service")
        .datasource(PROMETHEUS)
        .query("label_values(ptrack_events_appended_total, service)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text="All", value="$__all"))
    )


def status_mapping(ok: str, bad: str) -> ValueMap:
    return ValueMap(
        options={
            "0": ValueMappingResult(text=bad, color=RED, index=0),
            "1": ValueMappingResult(text=ok, color=GREEN, index=1),
        }
    )


def quantile(q: float) -> prometheus.Dataquery:
    expr = (
        f"histogram_quantile({q}, sum by (service, le) "
        f"(rate(ptrack_http_request_duration_seconds_bucket{API}[$__rate_interval])))"
    )
    percent = round(q * 100)
    return promql(expr, f"p{percent} {{{{service}}}}", ref=f"p{percent}", instant=False)


def operations() -> board.Dashboard:
    requests = (
        "sum by (service) "
        f"(rate(ptrack_http_request_duration_seconds_count{API}[$__rate_interval]))"
    )
    errors = (
        'sum by (service) (rate(ptrack_http_request_duration_seconds_count{service=~"$service", '
        'route!~"/metrics|/healthz|/readyz", status=~"5.."}[$__rate_interval]))'
    )
    return (
        new_board(
            "ptrack: operations",
            "ptrack-operations",
            "The event pipeline (log, relay, JetStream, projections) and the HTTP APIs of "
            "every ptrack service.",
        )
        .time("now-1h", "now")
        .refresh("30s")
        .with_variable(service_variable())
        .with_row(board.Row("Health"))
        .with_panel(
            a_stat(
                "Scrape targets up",
                "Prometheus reaching each service's /metrics; ServiceDown fires after 3 minutes.",
                promql('up{job="ptrack"}', "{{instance}}"),
                steps=thresholds(RED, (1, GREEN)),
                width=8,
            ).mappings([status_mapping("up", "down")])
        )
        .with_panel(
            a_stat(
                "NATS connected",
                "1 when every replica of the service is connected to NATS (the lowest replica "
                "shows). Writes go on without NATS; read models stop moving.",
                promql(f"min by (service) (ptrack_nats_connected{SERVICE})", "{{service}}"),
                steps=thresholds(RED, (1, GREEN)),
                width=8,
            ).mappings([status_mapping("connected", "disconnected")])
        )
        .with_panel(
            a_stat(
                "Relay leaders",
                "Replicas holding each log's relay: exactly one should. With none, nothing is "
                "published to JetStream.",
                promql(f"sum by (service) (ptrack_relay_leader{SERVICE})", "{{service}}"),
                steps=thresholds(RED, (1, GREEN), (2, RED)),
                width=8,
            )
        )
        .with_row(board.Row("Event pipeline"))
        .with_panel(
            trend(
                "Events recorded per second",
                "Appends to each service's log (5-minute rate of its head position).",
                promql(f"ptrack:events_appended:rate5m{SERVICE}", "{{service}}", instant=False),
                unit=units.EventsPerSecond,
            )
        )
        .with_panel(
            trend(
                "Relay lag",
                "Events in the log not yet published to JetStream; RelayLagGrowing fires when "
                "it keeps growing for 10 minutes.",
                promql(f"ptrack:relay_lag_events:max{SERVICE}", "{{service}}", instant=False),
                unit="none",
            )
        )
        .with_panel(
            trend(
                "Projection lag",
                "Events not yet applied to each read model (a reporting feed against its "
                "source's log).",
                promql(
                    f"ptrack:projection_lag_events:max{SERVICE}",
                    "{{service}} {{projection}}",
                    instant=False,
                ),
                unit="none",
            )
        )
        .with_panel(
            bars(
                "Poison messages set aside",
                "Events a projection could not apply, per read model, kept in its "
                "projection_failures table; any at all means a wrong read model.",
                promql(
                    f"max by (service, projection) "
                    f"(ptrack_projection_poison_messages_total{SERVICE})",
                    "{{service}} {{projection}}",
                ),
                steps=thresholds(GREEN, (1, RED)),
                decimals=0,
                width=24,
                height=6,
            )
        )
        .with_row(board.Row("HTTP API"))
        .with_panel(
            trend(
                "Requests per second",
                "API requests per service, all replicas together (scrapes and probes left out).",
                promql(requests, "{{service}}", instant=False),
                unit=units.RequestsPerSecond,
            )
        )
        .with_panel(
            trend(
                "Server errors",
                "Share of API requests answered with a 5xx status.",
                promql(f"({errors} or {requests} * 0) / {requests}", "{{service}}", instant=False),
                unit=RATIO,
                steps=thresholds(GREEN, (0.01, ORANGE), (0.05, RED)),
            )
        )
        .with_panel(
            trend(
                "Latency",
                "Quantiles of the time to answer an API request, from the histogram.",
                quantile(0.5),
                quantile(0.95),
                quantile(0.99),
                unit=units.Seconds,
            )
        )
    )


# --- Output -----------------------------------------------------------------------------------

BOARDS = {
    "project-status.json": project_status,
    "finance.json": finance,
    "networks-and-surveys.json": networks_and_surveys,
    "operations.json": operations,
}


def _numbered(dashboard: dict[str, Any]) -> dict[str, Any]:
    # The SDK leaves every panel id 0; Grafana needs them unique on a board for links to a
    # panel, the panel editor and repeated panels.
    for number, panel in enumerate(dashboard.get("panels", []), start=1):
        panel["id"] = number
    return dashboard


def build_dashboards() -> dict[str, dict[str, Any]]:
    """Each board's file name and JSON model."""
    found: dict[str, dict[str, Any]] = {}
    for name, make in BOARDS.items():
        model = json.loads(json.dumps(make().build(), cls=JSONEncoder))
        found[name] = _numbered(model)
    return found


def render(dashboard: dict[str, Any]) -> str:
    return json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ptrack dashboards", description="Write the Grafana boards as JSON files."
    )
    parser.add_argument("--out", type=Path, default=OUTPUT, help="folder (default: %(default)s)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the files differ from what this code generates",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    boards = build_dashboards()
    stale = sorted(p.name for p in out.glob("*.json") if p.name not in boards)
    changed = [
        name
        for name, model in boards.items()
        if not (out / name).exists() or (out / name).read_text() != render(model)
    ]
    if args.check:
        for name in [*changed, *stale]:
            print(f"{out / name}: out of date; run `ptrack dashboards`")
        return 1 if changed or stale else 0
    out.mkdir(parents=True, exist_ok=True)
    for name in changed:
        (out / name).write_text(render(boards[name]))
        print(f"wrote {out / name}")
    for name in stale:
        # Left alone: it may be someone's hand-made board. Grafana shows it until it is deleted.
        print(f"{out / name}: not generated here; delete it if its board is gone")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
