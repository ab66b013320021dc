"""What a project's earned value is computed from, read through the milestones' and finance's
queries from the reporting schema's copies of their read models: the plan's time-phased budget,
the progress reported, booked cost and the value of in-kind work."""

from __future__ import annotations

from datetime import date

from services.finance import queries as finance
from services.milestones import queries as milestones
from services.milestones import views as schedule
from services.milestones.events import IN_KIND
from services.reporting.evm import ActualCost, EvmInputs, PlannedCost, ProgressReport
from shared.db import Queryable


async def evm_inputs(db: Queryable, s: str, project: str, day: date) -> EvmInputs | None:
    """From the baseline in force on `day`; None when the project has no plan baseline yet."""
    baseline = await schedule.baseline_on(db, s, project, day)
    if baseline is None:
        return None
    plan = baseline.plan
    planned = [
        PlannedCost(activity.id, month, amount, line == IN_KIND)
        for activity in plan.activities
        for line, months in activity.planned.items()
        for month, amount in months.items()
    ]
    progress = [
        ProgressReport(report.activity, report.reported_on, report.share)
        for report in await milestones.activity_reports(db, s, project)
    ]
    actual = [
        ActualCost(row["on_date"], row["amount"], row["in_kind"])
        for row in await finance.dated_costs(db, s, project)
    ]
    return EvmInputs(plan.period_start, plan.period_end, planned, progress, actual)
