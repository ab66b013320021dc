"""Earned value gauges per project and scope, as of `PTRACK_STATUS_DATE` (default today).
A ratio that is undefined on the day (nothing booked, nothing planned yet) is left out rather
than reported as 0 or infinity. Beside them, the in-kind work planned by the status date, which
the InKindBehindPlan alert holds finance's documented in-kind value against."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from prometheus_client.core import Metric

from services.finance import queries as finance
from services.milestones import queries as milestones
from services.milestones import views as schedule
from services.reporting.consistency import differences, planned_by_line
from services.reporting.evm import figures_by_scope, planned_in_kind
from services.reporting.inputs import evm_inputs
from shared.metrics import gauge
from shared.money import ORE_PER_KRONE
from shared.readside import ReadSide

_LABELS = ["project", "scope"]
MONEY = {
    "ptrack_evm_bac_nok": ("bac", "Budget at completion"),
    "ptrack_evm_pv_nok": ("pv", "Planned value by the status date"),
    "ptrack_evm_ev_nok": ("ev", "Earned value: planned budget of the work done"),
    "ptrack_evm_ac_nok": ("ac", "Actual cost (booked, and in-kind value in scope total)"),
    "ptrack_evm_eac_nok": ("eac_cpi", "Estimate at completion, BAC / CPI"),
    "ptrack_evm_vac_nok": ("vac", "Variance at completion, BAC - EAC"),
}
RATIOS = {
    "ptrack_evm_cpi_ratio": ("cpi", "Cost performance index, EV / AC"),
    "ptrack_evm_spi_ratio": ("spi", "Schedule performance index, EV / PV"),
    "ptrack_evm_spi_t_ratio": ("spi_t", "Earned-schedule performance index, ES / AT"),
    "ptrack_evm_tcpi_ratio": ("tcpi", "To-complete performance index"),
}
DAYS = {"ptrack_evm_sv_t_seconds": ("sv_t_days", "Earned-schedule variance, ES - AT")}
"""In seconds (Prometheus's base unit for time), from the figures' days."""
PLAN_DIFFERENCE = "ptrack_budget_plan_difference_nok"
"""Per project and budget line (`in-kind` for the in-kind budget): the budget on the status date
less what the baseline in force plans for the line month by month; 0 where they agree."""
IN_KIND_PLANNED = "ptrack_in_kind_planned_nok"
"""Per project, no scope: in-kind work is only in scope total. Reported here rather than by
finance because the time-phased plan is the milestones' baseline, which reporting already
joins with finance's figures."""


async def reporting_metrics(read: ReadSide) -> list[Metric]:
    db, s = read.pool, read.schema
    day = read.status_date()
    samples: dict[str, list[tuple[tuple[str, ...], float]]] = defaultdict(list)
    for project in await milestones.projects(db, s):
        inputs = await evm_inputs(db, s, project, day)
        if inputs is None:
            continue
        # 0 while nothing is planned yet (or the plan has no in-kind), so a board shows 0 and the
        # alert can tell "nothing expected" from "no figure".
        in_kind = planned_in_kind(inputs.planned, day)
        samples[IN_KIND_PLANNED].append(((project,), in_kind / ORE_PER_KRONE))
        baseline = await schedule.baseline_on(db, s, project, day)
        if baseline is not None and await finance.project(db, s, project) is not None:
            budget = await finance.budget_on(db, s, project, day)
            for line, difference in differences(budget, planned_by_line(baseline.plan)).items():
                samples[PLAN_DIFFERENCE].append(((project, line), difference / ORE_PER_KRONE))
        for scope, figures in figures_by_scope(inputs, day).items():
            key = (project, scope)
            for name, (field, _) in MONEY.items():
                value = getattr(figures, field)
                if value is not None:
                    samples[name].append((key, value / ORE_PER_KRONE))
            for name, (field, _) in RATIOS.items():
                value = getattr(figures, field)
                if isinstance(value, Decimal):
                    samples[name].append((key, float(value)))
            for name, (field, _) in DAYS.items():
                value = getattr(figures, field)
                if isinstance(value, Decimal):
                    samples[name].append((key, float(value) * 86400))
    return [
        *(
            gauge(name, documentation, _LABELS, samples[name])
            for name, (_, documentation) in {**MONEY, **RATIOS, **DAYS}.items()
        ),
        gauge(
            PLAN_DIFFERENCE,
            "Budget on the status date less what the plan baseline in force plans, per line",
            ["project", "line"],
            samples[PLAN_DIFFERENCE],
        ),
        gauge(
            IN_KIND_PLANNED,
            "In-kind work the baseline in force plans by the status date, cumulative",
            ["project"],
            samples[IN_KIND_PLANNED],
        ),
    ]
