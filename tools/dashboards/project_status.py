"""The project status board: goals, milestones, decisions and activities against the plan, and
the plan's history and decision log from the read models."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import (
    table,
)

from tools.dashboards.panels import (
    BLUE,
    DATE,
    DAYS,
    GREEN,
    MERGE,
    ORANGE,
    PROJECT,
    PROMETHEUS,
    RATIO,
    RED,
    a_stat,
    bars,
    business_board,
    compare,
    organize,
    override,
    promql,
    sql_table,
    thresholds,
)

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
