"""The status of a project on a day: earned value, schedule, money against the frame, networks
and surveys, in one answer. Shared by the API, the terminal board and the HTML report."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from services.finance import queries as finance
from services.finance.views import Usage, frame_usage, line_used, usage
from services.milestones import views as schedule
from services.milestones.events import MainGoal, Organisation
from services.registry import views as registry
from services.reporting.consistency import disagreements, planned_by_line
from services.reporting.evm import figures_by_scope
from services.reporting.inputs import evm_inputs
from services.surveys import queries as survey_queries
from services.surveys import views as survey_views
from shared.db import Queryable
from shared.money import format_ore


class LineStatus(Usage):
    id: str
    name: str
    names: dict[str, str]
    """The name in other languages than the plan's, by language (`{"en": ...}`)."""


class Money(BaseModel):
    frame: str
    lines: list[LineStatus]
    money: Usage
    in_kind: Usage
    total: Usage
    in_kind_by_municipality: dict[str, str]
    funding: list[dict[str, Any]]
    """Each source: id, name, names, kind, planned, received."""


class Schedule(BaseModel):
    baseline: int
    milestones: list[schedule.MilestoneView]
    milestones_by_state: dict[str, int]
    worst_slip_days: int | None
    goals: list[schedule.GoalView]
    decision_points: list[schedule.DecisionPointView]
    decisions_by_state: dict[str, int]
    activities: list[schedule.ActivityView]


class PlanDisagreement(BaseModel):
    line: str
    """A budget line's id, or `in-kind` for the in-kind budget."""
    budget: str
    """The budget on the status date."""
    planned: str
    """What the plan baseline in force spreads over its months."""
    difference: str
    """budget − planned."""


class Networks(BaseModel):
    coverage: registry.Coverage | None
    pilot: registry.Pilot | None
    scores: list[registry.DimensionScore]


class Surveys(BaseModel):
    surveys: list[survey_views.SurveySummary]
    success_factors: list[survey_views.FactorScore]


class ProjectStatus(BaseModel):
    project: str
    name: str | None
    language: str | None
    """The language of the plan baseline in force (`nb`, `en`): the one the plan's titles and
    names are written in (`titles` and `names` hold the others), and what its readers are
    shown by default; null when the plan names none."""
    status_date: date
    main_goal: MainGoal | None
    """The plan's main goal and its targets, as the baseline in force states them."""
    organisation: Organisation | None
    """Who owns, steers, leads and works in the project, as the baseline in force names them."""
    period_start: date | None
    period_end: date | None
    evm: dict[str, dict[str, Any]]
    """Earned value per scope: `money` (the cost budget) and `total` (with in-kind work)."""
    schedule: Schedule | None
    money: Money | None
    budget_against_plan: list[PlanDisagreement]
    """Each line whose budget on the status date differs from what the plan baseline in force
    plans month by month (a budget revised without its plan): empty when they agree, or when
    the project lacks one of them. Earned value then measures against the plan's amounts."""
    networks: Networks
    surveys: Surveys


async def project_status(
    db: Queryable, s: str, project: str, day: date, threshold: int
) -> ProjectStatus | None:
    """None when nothing at all is known about the project."""
    baseline = await schedule.baseline_on(db, s, project, day)
    budget = await finance.project(db, s, project)
    if baseline is None and budget is None:
        return None
    evm: dict[str, dict[str, Any]] = {}
    inputs = await evm_inputs(db, s, project, day)
    if inputs is not None:
        evm = {scope: f.to_dict() for scope, f in figures_by_scope(inputs, day).items()}
    found_networks = await registry.networks(db, s, project, day)
    register_rules = await registry.rules(db, s, project, day)
    return ProjectStatus(
        project=project,
        name=baseline.plan.project_name if baseline else budget.name if budget else None,
        language=baseline.plan.language if baseline else None,
        status_date=day,
        main_goal=baseline.plan.main_goal if baseline else None,
        organisation=baseline.plan.organisation if baseline else None,
        period_start=baseline.plan.period_start if baseline else None,
        period_end=baseline.plan.period_end if baseline else None,
        evm=evm,
        schedule=await _schedule(db, s, project, day, baseline) if baseline else None,
        money=await _money(db, s, project, day, budget) if budget else None,
        budget_against_plan=(
            await _budget_against_plan(db, s, project, day, baseline) if budget and baseline else []
        ),
        networks=Networks(
            coverage=registry.coverage(found_networks) if found_networks else None,
            pilot=registry.pilot(found_networks, register_rules) if found_networks else None,
            scores=registry.dimension_scores(found_networks, register_rules),
        ),
        surveys=Surveys(
            surveys=[
                survey_views.summary(row) for row in await survey_queries.surveys(db, s, project)
            ],
            success_factors=(await survey_views.success_factors(db, s, project, threshold)).factors,
        ),
    )


async def _schedule(
    db: Queryable, s: str, project: str, day: date, baseline: schedule.Baseline
) -> Schedule:
    plan = baseline.plan
    milestones = await schedule.milestones(db, s, project, plan, day)
    points = await schedule.decision_points(db, s, project, plan, day)
    return Schedule(
        baseline=baseline.baseline,
        milestones=milestones,
        milestones_by_state=schedule.milestones_by_state(milestones),
        worst_slip_days=schedule.worst_slip_days(milestones),
        goals=await schedule.goals(db, s, project, plan, day),
        decision_points=points,
        decisions_by_state=schedule.decisions_by_state(points),
        activities=await schedule.activities(db, s, project, plan, day),
    )


async def _budget_against_plan(
    db: Queryable, s: str, project: str, day: date, baseline: schedule.Baseline
) -> list[PlanDisagreement]:
    planned = planned_by_line(baseline.plan)
    return [
        PlanDisagreement(
            line=found.line,
            budget=format_ore(found.budget),
            planned=format_ore(found.planned),
            difference=format_ore(found.difference),
        )
        for found in disagreements(await finance.budget_on(db, s, project, day), planned)
    ]


async def _money(db: Queryable, s: str, project: str, day: date, budget: finance.Project) -> Money:
    lines = await finance.budget_lines(db, s, project, until=day)
    in_kind = await finance.in_kind_totals(db, s, project, "municipality", until=day)
    totals = frame_usage(budget, lines, in_kind)
    return Money(
        frame=format_ore(budget.frame),
        lines=[
            LineStatus(
                id=line["line_id"],
                name=line["name"],
                names=line["names"],
                **usage(line["budget_ore"], line_used(line)).model_dump(),
            )
            for line in lines
        ],
        money=totals.money,
        in_kind=totals.in_kind,
        total=totals.frame,
        in_kind_by_municipality={row["key"]: format_ore(row["value_ore"]) for row in in_kind},
        funding=[
            {
                "id": row["source_id"],
                "name": row["name"],
                "names": row["names"],
                "kind": row["kind"],
                "planned": format_ore(row["planned_ore"]),
                "received": format_ore(row["received_ore"]),
            }
            for row in await finance.funding_sources(db, s, project, until=day)
        ],
    )
