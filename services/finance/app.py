"""Wiring: the finance service as a FastAPI app (`uvicorn services.finance.app:app`)."""

from __future__ import annotations

from fastapi import FastAPI

from services.finance.accounts.api import router as accounts_router
from services.finance.api import router
from services.finance.audit_api import router as audit_router
from services.finance.domain import DECIDER
from services.finance.events import EVENT_TYPES
from services.finance.metrics import finance_metrics
from services.finance.readmodels import FinanceProjection
from services.finance.saft.api import PATH as SAFT_PATH
from services.finance.saft.api import router as saft_router
from shared.http.app import create_app
from shared.service import ServiceSpec
from shared.settings import Settings

SPEC = ServiceSpec(
    name="finance",
    title="Cost budget, bookings, in-kind work and funding against the frame",
    description=(
        "Integrations post CostBooked, CostReversed, InKindHoursRecorded and FundingReceived as "
        "CloudEvents; the plan loader posts BudgetApproved, FinancingPlanned and BudgetRevised. "
        "The subject of every event is the project id. Amounts are decimal strings in NOK."
    ),
    event_types=EVENT_TYPES,
    decider=DECIDER,
    projections=(FinanceProjection(),),
    routers=(router, audit_router, accounts_router, saft_router),
    metrics=finance_metrics,
    upload_paths=frozenset({SAFT_PATH}),
    examples={
        "CostBooked": {
            "summary": "A booking from the accounting system",
            "value": {
                "specversion": "1.0",
                "id": "0b9f1e52-4f0e-4d55-9a43-1d5c3c1f6a10",
                "source": "urn:accounting:visma",
                "type": "CostBooked",
                "subject": "kongsbergregionen-2010",
                "data": {
                    "booking_id": "GL-2010-0042",
                    "line": "external-expertise",
                    "amount": "12500.00",
                    "booking_date": "2010-03-15",
                    "voucher": "V-2010-0042",
                    "supplier": "Nettverkskompetanse AS",
                    "text": "Workshop on network logic",
                },
            },
        }
    },
)


def build(settings: Settings | None = None) -> FastAPI:
    return create_app(SPEC, settings)
