"""Wiring: the surveys service as a FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from services.surveys.api import projects, surveys
from services.surveys.domain import DECIDER
from services.surveys.events import EVENT_TYPES
from services.surveys.metrics import surveys_metrics
from services.surveys.readmodels import SurveysProjection
from services.surveys.webhooks import router as webhooks
from shared.http.app import create_app
from shared.service import ServiceSpec
from shared.settings import Settings

SPEC = ServiceSpec(
    name="surveys",
    title="Surveys of the network school pilot and the project's critical success factors",
    description=(
        "The project office posts SurveyPublished and SurveyClosed; the survey tool posts "
        "ResponseSubmitted as CloudEvents, or Formbricks calls `POST /webhooks/formbricks`. "
        "The subject of a survey's events is the survey id. `ptrack plan load` posts "
        "SuccessFactorsSet, the plan's success factors, with the project id as its subject; "
        "a question measures one of them. Groups with fewer respondents than the anonymity "
        "threshold (default 5) are shown without figures."
    ),
    event_types=EVENT_TYPES,
    decider=DECIDER,
    projections=(SurveysProjection(),),
    routers=(projects, surveys, webhooks),
    metrics=surveys_metrics,
    examples={
        "SurveyPublished": {
            "summary": "A before survey for one pilot network",
            "value": {
                "specversion": "1.0",
                "id": "7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c41",
                "source": "urn:ptrack:project-office",
                "type": "SurveyPublished",
                "subject": "oppvekst-before",
                "data": {
                    "project_id": "kongsbergregionen-2010",
                    "title": "Network school pilot: before (oppvekst)",
                    "target": {"kind": "network", "network": "oppvekst"},
                    "phase": "before",
                    "invited": 12,
                    "published_on": "2010-08-16",
                    "questions": [
                        {
                            "id": "q1",
                            "text": "I understand what the network school is meant to achieve",
                            "kind": "likert",
                            "required": True,
                            "factor": "understanding",
                        },
                        {
                            "id": "q2",
                            "text": "How often does your network meet?",
                            "kind": "single_choice",
                            "required": False,
                            "options": ["weekly", "monthly", "rarely"],
                        },
                    ],
                },
            },
        },
        "ResponseSubmitted": {
            "summary": "One response from the survey tool",
            "value": {
                "specversion": "1.0",
                "id": "7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c42",
                "source": "urn:survey-tool",
                "type": "ResponseSubmitted",
                "subject": "oppvekst-before",
                "data": {
                    "response_id": "r-0001",
                    "respondent": "p-7f3a",
                    "submitted_on": "2010-08-20",
                    "answers": {"q1": 4, "q2": "monthly"},
                },
            },
        },
    },
)


def build(settings: Settings | None = None) -> FastAPI:
    return create_app(SPEC, settings)
