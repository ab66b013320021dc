"""Wiring: the milestones service as a FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.milestones.api import router
from services.milestones.domain import DECIDER
from services.milestones.events import EVENT_TYPES
from services.milestones.metrics import milestones_metrics
from services.milestones.readmodels import MilestonesProjection
from shared.http.app import create_app
from shared.service import ServiceSpec
from shared.settings import Settings

SPEC = ServiceSpec(
    name="milestones",
    title="The plan as baselines, and progress against it",
    description=(
        "The plan loader posts PlanBaselined and PlanRevised; project staff and integrations "
        "post MilestoneReached, MilestoneForecastChanged, MilestoneReopened, "
        "GoalProgressReported, ActivityProgressReported and DecisionRecorded. The subject of "
        "every event is the project id. Every query takes `status_date`."
    ),
    event_types=EVENT_TYPES,
    decider=DECIDER,
    projections=(MilestonesProjection(),),
    routers=(router,),
    metrics=milestones_metrics,
    examples={
        "MilestoneReached": {
            "summary": "A milestone reached, with its evidence",
            "value": {
                "specversion": "1.0",
                "id": "3d6f0a52-2c1e-4b55-8a43-1d5c3c1f6a11",
                "source": "urn:ptrack:project-manager",
                "type": "MilestoneReached",
                "subject": "kongsbergregionen-2010",
                "data": {
                    "milestone": "M2",
                    "reached_on": "2010-04-06",
                    "evidence": "Steering group minutes 2010-04-06, item 3",
                    "reported_by": "project manager",
                },
            },
        }
    },
)


def build(settings: Settings | None = None) -> FastAPI:
    return create_app(SPEC, settings)
