"""Wiring: the reporting service. It records nothing itself; its feeds follow the other
services' logs (through JetStream, gaps and rebuilds from their PostgreSQL logs) into copies of
their read models, and its queries combine them."""

from __future__ import annotations

from fastapi import FastAPI

from services.finance.events import EVENT_TYPES as FINANCE
from services.finance.readmodels import FinanceProjection
from services.milestones.events import EVENT_TYPES as MILESTONES
from services.milestones.readmodels import MilestonesProjection
from services.registry.events import EVENT_TYPES as REGISTRY
from services.registry.readmodels import RegistryProjection
from services.reporting.api import projects_router, router
from services.reporting.metrics import reporting_metrics
from services.reporting.timetravel import TimeTravel
from services.surveys.events import EVENT_TYPES as SURVEYS
from services.surveys.readmodels import SurveysProjection
from shared.decider import Decider
from shared.event_types import EventTypes
from shared.http.app import create_app
from shared.service import Feed, ServiceSpec
from shared.settings import Settings


async def _time_travel_ready(app: FastAPI) -> None:
    # Made before the first question, so no question about the past waits for its views.
    app.state.time_travel = await TimeTravel.ready(app.state.runtime)


def _nothing(proposal: object, state: None) -> list[object]:
    return []


SPEC = ServiceSpec(
    name="reporting",
    title="Earned value and the status of a project, across every service",
    description=(
        "Follows the registry, milestones, finance and surveys logs and answers, for any "
        "status date, the project's earned value (PV, EV, AC, CPI, SPI, EAC, earned schedule), "
        "schedule, money against the frame, networks and surveys in one query."
    ),
    # Reporting accepts no events of its own: its log stays empty and POST /events refuses
    # every type.
    event_types=EventTypes("reporting", []),
    decider=Decider(None, _nothing, lambda state, event: state),
    feeds=(
        Feed(FINANCE, FinanceProjection()),
        Feed(MILESTONES, MilestonesProjection()),
        Feed(REGISTRY, RegistryProjection()),
        Feed(SURVEYS, SurveysProjection()),
    ),
    routers=(router, projects_router),
    metrics=reporting_metrics,
    on_start=_time_travel_ready,
)


def build(settings: Settings | None = None) -> FastAPI:
    return create_app(SPEC, settings)
