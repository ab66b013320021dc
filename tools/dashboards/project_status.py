"""The project status board: goals, milestones, decisions and activities against the plan, and
the plan's history and decision log from the read models."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import (
    table,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardSpecialValueMapOptions,
    SpecialValueMap,
    SpecialValueMatch,
    ValueMappingResult,
)

from tools.dashboards import codes
from tools.dashboards.panels import (
    BLUE,
    DATE,
    GREEN,
    MERGE,
    ORANGE,
    PROJECT,
    PROMETHEUS,
    RATIO,
    RED,
    TEXT,
    Language,
    a_stat,
    bars,
    business_board,
    compare,
    days,
    named,
    organize,
    override,
    promql,
    sql_table,
    thresholds,
    value_names,
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
    SELECT p.milestone,
           p.title,
           to_char(f.due, 'YYYY-MM-DD') AS due_first,
           to_char(p.due, 'YYYY-MM-DD') AS due_latest,
           to_char(fc.expected_on, 'YYYY-MM-DD') AS forecast,
           to_char(r.on_date, 'YYYY-MM-DD') AS reached,
           coalesce(r.on_date, fc.expected_on, p.due) - p.due AS days_late
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
    SELECT to_char(d.decided_on, 'YYYY-MM-DD') AS decided_on,
           d.decision_point,
           points.title,
           d.outcome,
           d.minutes_ref AS minutes,
           d.revision,
           d.note
    FROM decisions d LEFT JOIN points ON points.id = d.decision_point
    WHERE d.project_id = '$project'
    ORDER BY d.decided_on, d.position
"""

PLAN_BASELINES = """
    SELECT baseline,
           to_char(effective_on, 'YYYY-MM-DD') AS in_force_from,
           coalesce(decision_ref, '') AS decision,
           reason
    FROM baselines WHERE project_id = '$project'
    ORDER BY baseline
"""
"""The SQL names its columns in plain identifiers, and answers codes and nulls rather than words:
the boards name them in their own language (`sql_table`'s columns, value mappings)."""


def special(match: SpecialValueMatch, text: str, index: int = 0) -> SpecialValueMap:
    """A cell's null, true or false shown as `text`."""
    return SpecialValueMap(
        options=DashboardSpecialValueMapOptions(
            match=match, result=ValueMappingResult(text=text, index=index)
        )
    )


def project_status(lang: Language) -> board.Dashboard:
    _ = lang.gettext
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
    due, expected, reached, slip, state = (
        # Translators: columns of the milestone table (expected: the forecast, else the due date).
        _("Due"),
        _("Expected"),
        _("Reached"),
        _("Slip"),
        _("State"),
    )
    milestone_table = (
        table.Panel()
        .title(_("Milestones on the status date"))
        .description(
            _(
                "Due date in the baseline in force, expected date (forecast, else due), the day "
                "reached, slip in days and state. Slip is actual − due once reached; before that "
                "the least slip the milestone can still end with."
            )
        )
        .datasource(PROMETHEUS)
        .targets([promql(e, ref=ref, table=True) for ref, e in milestones.items()])
        .with_transformation(MERGE)
        .with_transformation(
            organize(
                {
                    "milestone": _("Milestone"),
                    "state": state,
                    "Value #Due": due,
                    "Value #Expected": expected,
                    "Value #Reached": reached,
                    "Value #Slip": slip,
                },
                hide=("Time", "Value #State"),
            )
        )
        .override_by_name(*override(due, {"unit": DATE}))
        .override_by_name(*override(expected, {"unit": DATE}))
        .override_by_name(*override(reached, {"unit": DATE}))
        .override_by_name(
            *override(state, {"mappings": value_names(named(lang, codes.MILESTONE_STATES))})
        )
        .override_by_name(
            *override(
                slip,
                {
                    "unit": days(lang),
                    "decimals": 0,
                    "thresholds": thresholds(GREEN, (1, ORANGE), (14, RED)).build(),
                    "custom.cellOptions": {"type": "color-text"},
                },
            )
        )
        .span(14)
        .height(9)
    )
    goals = {
        "Deadline": f"max by (goal) (ptrack_goal_deadline_timestamp_seconds{PROJECT}) * 1000",
        "Share": f"max by (goal) (ptrack_goal_progress_ratio{PROJECT})",
        "State": f"max by (goal, state) (ptrack_goal_state{PROJECT}) == 1",
    }
    # Translators: a column of the action goal table.
    deadline = _("Deadline")
    goal_states = value_names(named(lang, codes.GOAL_STATES))
    # Only overdue stands out, in red: the state GoalOverdue raises; the others read as text.
    goal_states[0].options["overdue"].color = RED
    goal_table = (
        table.Panel()
        .title(_("Action goals on the status date"))
        .description(
            _(
                "Each action goal's deadline, the latest share reported complete and its state; "
                "overdue: past the deadline and not reported done (raises GoalOverdue)."
            )
        )
        .datasource(PROMETHEUS)
        .targets([promql(e, ref=ref, table=True) for ref, e in goals.items()])
        .with_transformation(MERGE)
        .with_transformation(
            organize(
                {
                    "goal": _("Goal"),
                    "state": state,
                    "Value #Deadline": deadline,
                    "Value #Share": _("Share complete"),
                },
                hide=("Time", "Value #State"),
            )
        )
        .override_by_name(*override(deadline, {"unit": DATE}))
        .override_by_name(*override(_("Share complete"), {"unit": RATIO}))
        .override_by_name(
            *override(
                state,
                {
                    "mappings": goal_states,
                    "custom.cellOptions": {"type": "color-text"},
                    "color": {"mode": "fixed", "fixedColor": TEXT},
                },
            )
        )
        .span(10)
        .height(9)
    )
    return (
        business_board(
            lang,
            _("ptrack: project status"),
            "ptrack-project-status",
            _(
                "Goals, milestones, decisions and activities against the plan, as of the "
                "services' status date; the plan's history and decision log from the read models."
            ),
        )
        .with_row(board.Row(_("Schedule")))
        .with_panel(
            a_stat(
                _("Plan baseline in force"),
                _(
                    "Baseline 1 is the plan as approved; each revision by the steering group "
                    "adds one."
                ),
                promql(f"max(ptrack_plan_baseline{PROJECT})"),
                width=4,
            )
        )
        .with_panel(
            a_stat(
                _("Milestones overdue"),
                _("Past their due date (or later forecast) and not reported reached."),
                promql(f"max(ptrack:milestones_overdue:count{PROJECT})"),
                steps=thresholds(GREEN, (1, RED)),
                width=4,
            )
        )
        .with_panel(
            a_stat(
                _("Milestones due within 14 days"),
                _("Not reached and due within two weeks of the status date."),
                promql(f"max(ptrack:milestones_due_soon:count{PROJECT})"),
                steps=thresholds(GREEN, (1, ORANGE)),
                width=4,
            )
        )
        .with_panel(
            bars(
                _("Milestones by state"),
                _(
                    "How many milestones are planned, due soon, overdue, reached on time and "
                    "reached late on the status date."
                ),
                promql(f"max by (state) (ptrack_milestones{PROJECT})", "{{state}}"),
                decimals=0,
                width=12,
                height=4,
                names=named(lang, codes.MILESTONE_STATES),
            )
        )
        .with_panel(milestone_table)
        .with_panel(
            sql_table(
                _("Plan baselines"),
                _(
                    "Every baseline of the plan: the approved plan and each revision, with the "
                    "decision that allowed it (from the read models, by business date)."
                ),
                PLAN_BASELINES,
                {
                    "baseline": _("Baseline"),
                    "in_force_from": _("In force from"),
                    "decision": _("Decision"),
                    "reason": _("Reason"),
                },
                width=10,
                height=9,
                properties={
                    "reason": {
                        "mappings": [
                            special(
                                SpecialValueMatch.NULL,
                                # Translators: the reason of baseline 1, which no revision made.
                                _("the plan as approved"),
                            )
                        ]
                    }
                },
            )
        )
        .with_panel(
            sql_table(
                _("Milestone timeline: due against reached"),
                _(
                    "Due in the first and the latest baseline, the last forecast and the day "
                    "reached, from the read models by business date. Days late: reached (else "
                    "forecast, else due) − due in the latest baseline; the status-date slip is "
                    "in the table above."
                ),
                MILESTONE_TIMELINE,
                {
                    "milestone": _("Milestone"),
                    "title": _("Title"),
                    "due_first": _("Due (baseline 1)"),
                    "due_latest": _("Due (latest baseline)"),
                    "forecast": _("Forecast"),
                    "reached": reached,
                    "days_late": _("Days late"),
                },
                width=24,
                height=9,
            )
        )
        .with_row(board.Row(_("Goals and activities")))
        .with_panel(
            a_stat(
                _("Action goals past their deadline"),
                _("Past their deadline and not reported done; each raises GoalOverdue."),
                promql(f"max(ptrack:goals_overdue:count{PROJECT})"),
                steps=thresholds(GREEN, (1, RED)),
                width=4,
                height=9,
            )
        )
        .with_panel(goal_table)
        .with_panel(
            bars(
                _("Action goals: share complete"),
                _("The latest reported share complete of each action goal by the status date."),
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
                _("Activities: planned against reported"),
                _(
                    "Share of each activity planned done by the status date (months counted "
                    "evenly) against the share reported complete."
                ),
                ("activity", _("Activity")),
                [
                    (
                        "Planned",
                        _("Planned"),
                        f"max by (activity) (ptrack_activity_planned_progress_ratio{PROJECT})",
                    ),
                    (
                        "Reported",
                        _("Reported"),
                        f"max by (activity) (ptrack_activity_progress_ratio{PROJECT})",
                    ),
                ],
                unit=RATIO,
                maximum=1,
                width=24,
                height=9,
            )
        )
        .with_row(board.Row(_("Decisions")))
        .with_panel(
            a_stat(
                _("Decision points overdue"),
                _(
                    "Past the month they were due to be decided in, without a decision; they "
                    "raise DecisionPointOverdue."
                ),
                promql('max(ptrack_decision_points{project="$project", state="overdue"})'),
                steps=thresholds(GREEN, (1, RED)),
                width=4,
                height=8,
            )
        )
        .with_panel(
            bars(
                _("Decision points by state"),
                _("The steering group's decision points on the status date."),
                promql(f"max by (state) (ptrack_decision_points{PROJECT})", "{{state}}"),
                decimals=0,
                width=6,
                height=8,
                names=named(lang, codes.DECISION_STATES),
            )
        )
        .with_panel(
            sql_table(
                _("Decision log"),
                _("Every decision recorded, by decision date, with its minutes reference."),
                DECISION_LOG,
                {
                    "decided_on": _("Decided on"),
                    "decision_point": _("Decision point"),
                    "title": _("Title"),
                    "outcome": _("Outcome"),
                    "minutes": _("Minutes"),
                    "revision": _("Revises an earlier decision"),
                    "note": _("Note"),
                },
                width=14,
                height=8,
                properties={
                    "outcome": {"mappings": value_names(named(lang, codes.OUTCOMES))},
                    "revision": {
                        "mappings": [
                            special(SpecialValueMatch.TRUE, _("yes")),
                            special(SpecialValueMatch.FALSE, _("no"), index=1),
                        ]
                    },
                },
            )
        )
    )
