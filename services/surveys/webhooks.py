"""`POST /webhooks/formbricks`: a finished Formbricks response recorded as ResponseSubmitted,
by the same path and with the same answers as `POST /events`."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.surveys import formbricks
from services.surveys.events import EVENT_TYPES
from shared.decider import Rejected
from shared.http.deps import RuntimeDep, Writer
from shared.http.events import read_body, receipt_response, rejection_problem, to_proposals
from shared.http.problems import PROBLEM_JSON, FieldError, Problem, invalid
from shared.logs import request_id

router = APIRouter(tags=["webhooks"])
_PROBLEM = {"description": "Problem details (RFC 9457)", "content": {PROBLEM_JSON: {}}}


@router.post(
    "/webhooks/formbricks",
    summary="Record a finished Formbricks response",
    description=(
        "A Formbricks webhook body. `responseFinished` is recorded as ResponseSubmitted: the "
        "subject is `data.surveyId`, the answers `data.data`, the respondent `data.contact.id`, "
        "the day that of `data.updatedAt` (else `createdAt`) in UTC. Whole numbers sent as "
        "4.0 are taken as 4. Other events answer 202 and record nothing. A redelivery records "
        "nothing new: the event id is derived from the response id."
    ),
    status_code=201,
    responses={
        200: {"description": "Already recorded"},
        201: {"description": "Recorded"},
        202: {"description": "Not a finished response: nothing recorded"},
        400: _PROBLEM,
        401: _PROBLEM,
        403: _PROBLEM,
        409: _PROBLEM,
        415: _PROBLEM,
        422: _PROBLEM,
        503: _PROBLEM,
    },
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}
    },
)
async def formbricks_webhook(request: Request, runtime: RuntimeDep, key: Writer) -> Response:
    items = read_body(request.headers.get("content-type", ""), await request.body(), 1)
    pointer, body = items[0]
    if pointer:
        raise invalid(
            "a webhook delivers one JSON object",
            [FieldError("", "object", "send the delivery as one JSON object")],
        )
    delivery = formbricks.parse(body)
    if isinstance(delivery, formbricks.Ignored):
        answer = {"recorded": False, "reason": delivery.reason}
        return Response(orjson.dumps(answer), status_code=202, media_type="application/json")
    metadata = {
        "actor": key.actor,
        "correlation_id": request_id.get(),
        "webhook_id": delivery.webhook_id,
    }
    event = formbricks.cloudevent(delivery.response)
    try:
        groups = to_proposals([("", event)], EVENT_TYPES, metadata)
    except Problem as problem:
        raise formbricks.in_body(problem) from None
    try:
        # Formbricks owns the response id and restates the response when it is touched
        # (a newer updatedAt, the same answers): that is a repeat, not a reused id.
        results = await runtime.recorder.record(groups, changed_repeats=True)
    except Rejected as error:
        raise rejection_problem(formbricks.rejected_in_body(error)) from error
    except Exception as error:
        raise rejection_problem(error) from error
    return receipt_response(results)
