"""Wiring: the registry service as a FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.registry.api import router, rules_router
from services.registry.domain import DECIDER
from services.registry.events import EVENT_TYPES
from services.registry.metrics import registry_metrics
from services.registry.readmodels import RegistryProjection
from shared.http.app import create_app
from shared.service import ServiceSpec
from shared.settings import Settings

SPEC = ServiceSpec(
    name="registry",
    title="The region's information networks: mapping, assessment, the pilot",
    description=(
        "The project group posts NetworkRegistered, NetworkUpdated, MemberJoined, MemberLeft, "
        "NetworkAssessed (a score 1-5 on each of the project's dimensions), "
        "NetworkChosenForPilot and NetworkRetired; `ptrack plan load` posts RegisterRulesSet, "
        "the plan's pilot size, dimensions and focus areas, and NetworksCarriedOver, the "
        "networks a project takes over from another project's register (recorded with one "
        "NetworkCarriedIn per network). The subject of every event is the project id."
    ),
    event_types=EVENT_TYPES,
    decider=DECIDER,
    projections=(RegistryProjection(),),
    routers=(router, rules_router),
    metrics=registry_metrics,
    examples={
        "NetworkAssessed": {
            "summary": "An assessment by the project group",
            "value": {
                "specversion": "1.0",
                "id": "5a1e7b0c-0d2f-4f4e-9a5b-6c7d8e9f0a13",
                "source": "urn:ptrack:project-group",
                "type": "NetworkAssessed",
                "subject": "kongsbergregionen-2010",
                "data": {
                    "network": "ikt-forum",
                    "assessor": "project group",
                    "assessed_on": "2010-03-15",
                    "scores": {
                        "shared_purpose": 4,
                        "activity": 3,
                        "participation": 3,
                        "leadership": 4,
                        "tool_use": 2,
                        "member_benefit": 4,
                    },
                    "works_well": "Clear agenda, regular meetings",
                    "works_less_well": "Little use of the shared workspace",
                },
            },
        }
    },
)


def build(settings: Settings | None = None) -> FastAPI:
    return create_app(SPEC, settings)
