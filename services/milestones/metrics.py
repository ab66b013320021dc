"""Schedule gauges, computed from the read model at scrape time as of the status date
(`PTRACK_STATUS_DATE`, default today)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time

from prometheus_client.core import Metric

from services.milestones import queries, views
from services.milestones.schedule import GOAL_STATES, MILESTONE_STATES
from shared.metrics import Samples, gauge
from shared.readside import ReadSide

_MILESTONE = ["project", "milestone"]
GAUGES: dict[str, tuple[str, list[str]]] = {
    "ptrack_plan_baseline": ("The plan baseline in force", ["project"]),
    "ptrack_milestone_due_timestamp_seconds": ("Baseline due date, midnight UTC", _MILESTONE),
    "ptrack_milestone_forecast_timestamp_seconds": (
        "Expected date: the forecast, else the due date",
        _MILESTONE,
    ),
    "ptrack_milestone_reached_timestamp_seconds": ("Day the milestone was reached", _MILESTONE),
    # Seconds, Prometheus's base unit for time; boards show it as days.
    "ptrack_milestone_slip_seconds": ("Time late against the baseline", _MILESTONE),
    "ptrack_milestone_state": (
        "1 for the state a milestone is in on the status date, 0 for the others",
        ["project", "milestone", "state"],
    ),
    "ptrack_milestones": ("Milestones by state on the status date", ["project", "state"]),
    "ptrack_goal_progress_ratio": ("Reported share complete of a goal", ["project", "goal"]),
    "ptrack_goal_deadline_timestamp_seconds": ("Deadline of an action goal", ["project", "goal"]),
    "ptrack_goal_state": (
        "1 for the state an action goal is in on the status date, 0 for the others",
        ["project", "goal", "state"],
    ),
    "ptrack_activity_progress_ratio": (
        "Reported share complete of an activity",
        ["project", "activity"],
    ),
    "ptrack_activity_planned_progress_ratio": (
        "Share of an activity planned done by the status date",
        ["project", "activity"],
    ),
    "ptrack_decision_points": ("Decision points by state on the status date", ["project", "state"]),
}


def _timestamp(day: date) -> float:
    return datetime.combine(day, time(0), tzinfo=UTC).timestamp()


async def milestones_metrics(read: ReadSide) -> list[Metric]:
    db, s = read.pool, read.schema
    day = read.status_date()
    samples: dict[str, list[tuple[tuple[str, ...], float]]] = defaultdict(list)
    for project in await queries.projects(db, s):
        baseline = await views.baseline_on(db, s, project, day)
        assert baseline is not None
        plan = baseline.plan
        samples["ptrack_plan_baseline"].append(((project,), float(baseline.baseline)))
        milestones = await views.milestones(db, s, project, plan, day)
        for m in milestones:
            key = (project, m.id)
            samples["ptrack_milestone_due_timestamp_seconds"].append((key, _timestamp(m.due)))
            expected = _timestamp(m.forecast or m.due)
            samples["ptrack_milestone_forecast_timestamp_seconds"].append((key, expected))
            if m.actual is not None:
                reached = _timestamp(m.actual)
                samples["ptrack_milestone_reached_timestamp_seconds"].append((key, reached))
            slip = float(m.slip_days * 86400)
            samples["ptrack_milestone_slip_seconds"].append((key, slip))
            for state in MILESTONE_STATES:
                is_state = 1.0 if m.state == state else 0.0
                samples["ptrack_milestone_state"].append(((project, m.id, state), is_state))
        for counted, count in views.milestones_by_state(milestones).items():
            samples["ptrack_milestones"].append(((project, counted), count))
        for g in await views.goals(db, s, project, plan, day):
            samples["ptrack_goal_progress_ratio"].append(((project, g.id), float(g.share_complete)))
            deadline = _timestamp(g.deadline)
            samples["ptrack_goal_deadline_timestamp_seconds"].append(((project, g.id), deadline))
            for goal_state in GOAL_STATES:
                in_it = 1.0 if g.state == goal_state else 0.0
                samples["ptrack_goal_state"].append(((project, g.id, goal_state), in_it))
        for a in await views.activities(db, s, project, plan, day):
            key = (project, a.id)
            samples["ptrack_activity_progress_ratio"].append((key, float(a.reported_share)))
            samples["ptrack_activity_planned_progress_ratio"].append((key, float(a.planned_share)))
        points = await views.decision_points(db, s, project, plan, day)
        for counted, count in views.decisions_by_state(points).items():
            samples["ptrack_decision_points"].append(((project, counted), count))
    return [_gauge(name, samples[name]) for name in GAUGES]


def _gauge(name: str, samples: Samples) -> Metric:
    documentation, labels = GAUGES[name]
    return gauge(name, documentation, labels, samples)
