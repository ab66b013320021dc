"""`POST /events`: one CloudEvent (`application/cloudevents+json`) or a batch
(`application/cloudevents-batch+json`). Every event is validated before any is appended; a batch
is recorded atomically (all or nothing).

It is the busiest route by far, and the layers between uvicorn and a FastAPI handler (Starlette's
error and exception middleware with their send wrappers, FastAPI's exit stack, router matching,
the route's own wrapper) cost more CPU than recording an event. So it is not a FastAPI route:
`EventsEndpoint` is a plain ASGI endpoint the app calls before its middleware stack, with the
same key check and problem answers as every route, and `events_operation` documents it in the
app's OpenAPI document. One code path: what the document describes is what runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from shared.auth import Action, ApiKey
from shared.canonical import NotCanonical, canonical_json, nul_pointers
from shared.decider import Conflict, Rejected
from shared.envelope import CloudEventIn
from shared.event_types import EventTypes, UnknownEventType, UnsupportedSchemaVersion, as_datetime
from shared.http.deps import authorized
from shared.http.problems import (
    PROBLEM_JSON,
    FieldError,
    Problem,
    field_errors,
    invalid,
    problem_response,
    unexpected,
)
from shared.logs import request_id
from shared.recorder import Proposal, StreamProposals
from shared.store.base import (
    AppendRequest,
    AppendResult,
    EventIdReused,
    EventRefused,
    StoreUnavailable,
    WrongExpectedVersion,
)

if TYPE_CHECKING:
    from shared.runtime import Runtime
    from shared.service import ServiceSpec

CLOUDEVENT_JSON = "application/cloudevents+json"
CLOUDEVENT_BATCH = "application/cloudevents-batch+json"
SINGLE_TYPES = (CLOUDEVENT_JSON, "application/json")


def read_body(content_type: str, body: bytes, max_batch_events: int) -> list[tuple[str, Any]]:
    """The posted events with the JSON pointer of each, or a Problem for the body as a whole."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in (*SINGLE_TYPES, CLOUDEVENT_BATCH):
        raise Problem(
            415,
            "unsupported-media-type",
            f"content type {media or '(none)'!r} is not accepted; send one event as "
            f"{CLOUDEVENT_JSON} or a JSON array of events as {CLOUDEVENT_BATCH}",
            accepted=[CLOUDEVENT_JSON, CLOUDEVENT_BATCH, "application/json"],
        )
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Problem(400, "malformed-json", f"the body is not valid JSON: {error}") from None
    if media != CLOUDEVENT_BATCH:
        if not isinstance(payload, dict):
            raise invalid(
                "one event is a JSON object",
                [FieldError("", "object", f"send arrays of events as {CLOUDEVENT_BATCH}")],
            )
        return [("", payload)]
    if not isinstance(payload, list) or not payload:
        raise invalid(
            "a batch is a non-empty JSON array of events",
            [FieldError("", "non_empty_array", "must be a non-empty JSON array of CloudEvents")],
        )
    if len(payload) > max_batch_events:
        raise Problem(
            413,
            "batch-too-large",
            f"a batch holds at most {max_batch_events} events, this one {len(payload)}",
            max_batch_events=max_batch_events,
        )
    return [(f"/{index}", item) for index, item in enumerate(payload)]


def to_proposals(
    items: Sequence[tuple[str, Any]],
    event_types: EventTypes,
    metadata: Mapping[str, Any],
) -> list[StreamProposals]:
    """Validate every item; raise one Problem listing every broken rule, or return the groups."""
    errors: list[FieldError] = []
    groups: dict[str, list[Proposal]] = {}
    expected: dict[str, int | None] = {}
    for pointer, item in items:
        parsed = _parse_one(pointer, item, event_types, metadata, errors)
        if parsed is None:
            continue
        envelope, proposal = parsed
        if envelope.subject in groups and envelope.expectedversion is not None:
            errors.append(
                FieldError(
                    f"{pointer}/expectedversion",
                    "first_of_subject",
                    "only the first event of a subject in a batch may state expectedversion",
                )
            )
        groups.setdefault(envelope.subject, []).append(proposal)
        expected.setdefault(envelope.subject, envelope.expectedversion)
    if errors:
        raise invalid(
            f"{len(errors)} problem(s) in the posted events; nothing was recorded", errors
        )
    return [
        StreamProposals(stream, proposals, expected[stream]) for stream, proposals in groups.items()
    ]


def _parse_one(
    pointer: str,
    item: Any,
    event_types: EventTypes,
    metadata: Mapping[str, Any],
    errors: list[FieldError],
) -> tuple[CloudEventIn, Proposal] | None:
    if not isinstance(item, dict):
        errors.append(FieldError(pointer, "object", "each event is a JSON object"))
        return None
    if holding_nul := nul_pointers(item, pointer):
        errors.extend(
            FieldError(
                at, "no_nul_character", "must not contain U+0000 (NUL): the log cannot hold it"
            )
            for at in holding_nul
        )
        return None
    try:
        envelope = CloudEventIn.model_validate(item)
    except ValidationError as error:
        errors.extend(field_errors(error, pointer))
        return None
    try:
        event_type = event_types.get(envelope.type)
        model = event_types.to_model(
            envelope.type, envelope.schemaversion or event_type.schema_version, envelope.data
        )
        canonical_json(envelope.data)
    except UnknownEventType as error:
        errors.append(
            FieldError(f"{pointer}/type", "registered_type", f"{error}"),
        )
        return None
    except UnsupportedSchemaVersion as error:
        errors.append(FieldError(f"{pointer}/schemaversion", "supported_version", str(error)))
        return None
    except ValidationError as error:
        errors.extend(field_errors(error, f"{pointer}/data"))
        return None
    except NotCanonical as error:
        errors.append(FieldError(f"{pointer}/data", "no_floats", str(error)))
        return None
    if envelope.time is not None:
        occurred_at = envelope.time
    elif (business := model.business_date()) is not None:
        occurred_at = as_datetime(business)
    else:
        errors.append(FieldError(f"{pointer}/time", "required", f"is required for {envelope.type}"))
        return None
    try:
        occurred_at = occurred_at.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+00:01 is a valid time whose UTC day is year 0
        errors.append(FieldError(f"{pointer}/time", "in_range", "must fall in years 1 to 9999 UTC"))
        return None
    meta = {**metadata, "source": envelope.source}
    event_id = envelope.event_id()
    if envelope.id != str(event_id):
        meta["cloudevent_id"] = envelope.id
    proposal = Proposal(
        event=model,
        event_id=event_id,
        occurred_at=occurred_at,
        metadata=meta,
        pointer=pointer,
    )
    return envelope, proposal


def rejection_problem(error: Exception) -> Problem:
    """The HTTP answer for what recording can raise."""
    if isinstance(error, Rejected):
        errors = [
            FieldError(
                f"{error.pointer}/data" + "".join(f"/{p}" for p in broken.field.split(".") if p),
                broken.rule,
                broken.detail,
            )
            for broken in (error, *error.more)
        ]
        if isinstance(error, Conflict):
            return Problem(
                409,
                "conflict",
                f"the event clashes with what is recorded: {error.detail}; nothing was recorded",
                title="Conflict",
                errors=errors,
            )
        details = "; ".join(broken.detail for broken in (error, *error.more))
        rules = "rules" if error.more else "a rule"
        return invalid(f"the event breaks {rules}: {details}; nothing was recorded", errors)
    if isinstance(error, WrongExpectedVersion):
        return Problem(
            409,
            "wrong-expected-version",
            str(error),
            title="Conflict",
            subject=error.stream_id,
            expected_version=error.expected,
            current_version=error.current,
        )
    if isinstance(error, EventIdReused):
        return Problem(
            409,
            "event-id-reused",
            f"{error}; a retry must repeat the original event exactly",
            event_ids=[str(event_id) for event_id in error.event_ids],
        )
    if isinstance(error, EventRefused):
        return invalid(
            f"the event log refused the content: {error}; nothing was recorded",
            [FieldError("", "storable", str(error))],
        )
    if isinstance(error, StoreUnavailable):
        return Problem(
            503,
            "store-unavailable",
            "the event log cannot be reached; retry with the same event ids",
            headers={"Retry-After": "1"},
        )
    raise error


def receipt(results: Sequence[AppendResult]) -> dict[str, Any]:
    stamps: dict[datetime, str] = {}  # a group commit gives its events one recorded_at
    events: list[dict[str, Any]] = []
    for result in results:
        for event in result.events:
            stamp = stamps.get(event.recorded_at)
            if stamp is None:
                stamp = stamps[event.recorded_at] = (
                    event.recorded_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
                )
            events.append(
                {
                    "id": str(event.event_id),
                    "subject": event.stream_id,
                    "type": event.type,
                    "position": event.position,
                    "stream_version": event.stream_version,
                    "hash": event.hash.hex(),
                    "recorded_at": stamp,
                }
            )
    return {
        "duplicate": all(result.duplicate for result in results),
        # None when every proposal was already true of the stream and nothing was appended.
        "position": max((event["position"] for event in events), default=None),
        "events": events,
    }


def receipt_response(results: Sequence[AppendResult]) -> Response:
    """The answer to a post: 201 with the receipt, 200 when everything was recorded before."""
    body = receipt(results)
    headers = {} if body["position"] is None else {"Ptrack-Position": str(body["position"])}
    return Response(
        orjson.dumps(body),
        status_code=200 if body["duplicate"] else 201,
        media_type="application/json",
        headers=headers,
    )


class EventsEndpoint:
    """`POST /events` as an ASGI endpoint: the key check, recording, and every error answered
    as problem details, as a FastAPI route would."""

    path = "/events"
    methods = ("POST",)
    action: Action = "write"
    """What the caller's key must allow (the access-control test reads it, as on routes)."""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self  # the request timing labels requests with `self.path`
        request = Request(scope, receive, send)
        try:
            if request.method not in self.methods:
                raise Problem(
                    405, "method-not-allowed", "Method Not Allowed", headers={"Allow": "POST"}
                )
            response = await self._record(request, await authorized(request, self.action))
        except Problem as problem:
            response = problem_response(problem, self.path)
        except Exception as error:
            response = problem_response(unexpected(error, request.method, self.path), self.path)
        await response(scope, receive, send)

    async def _record(self, request: Request, key: ApiKey) -> Response:
        runtime: Runtime = request.app.state.runtime
        dry_run = _dry_run(request)
        items = read_body(
            request.headers.get("content-type", ""),
            await request.body(),
            runtime.settings.max_batch_events,
        )
        metadata = {"actor": key.actor, "correlation_id": request_id.get()}
        groups = to_proposals(items, self.spec.event_types, metadata)
        if dry_run:
            try:
                would = await runtime.recorder.check(groups)
            except Exception as error:
                raise rejection_problem(error) from error
            return _dry_run_answer(would)
        try:
            results = await runtime.recorder.record(groups)
        except Exception as error:
            raise rejection_problem(error) from error
        return receipt_response(results)


def _dry_run(request: Request) -> bool:
    """The one query parameter `POST /events` takes; any other is refused, as on every route."""
    if not request.scope.get("query_string"):
        return False  # nearly every post: no query string to parse
    errors = [
        FieldError(f"/query/{name}", "unknown_parameter", "is not a parameter; it takes: dry_run")
        for name in request.query_params
        if name != "dry_run"
    ]
    value = request.query_params.get("dry_run", "false")
    if value not in ("true", "false"):
        errors.append(FieldError("/query/dry_run", "bool", "must be true or false"))
    if errors:
        raise invalid("the query is not one this route takes", errors)
    return value == "true"


def _dry_run_answer(would: Sequence[AppendRequest]) -> Response:
    body = {
        "dry_run": True,
        "events": [
            {"id": str(event.event_id), "subject": request.stream_id, "type": event.type}
            for request in would
            for event in request.events
        ],
    }
    return Response(orjson.dumps(body), status_code=200, media_type="application/json")


def events_operation(spec: ServiceSpec) -> dict[str, Any]:
    """The OpenAPI operation of `POST /events` (the app adds the answers every keyed operation
    can give)."""
    types = ", ".join(f"`{name}`" for name in spec.event_types.names)
    problem = {"description": "Problem details (RFC 9457)", "content": {PROBLEM_JSON: {}}}
    return {
        "tags": ["events"],
        "summary": "Record events posted as CloudEvents",
        "description": (
            f"One CloudEvent (`{CLOUDEVENT_JSON}`) or a JSON array of them "
            f"(`{CLOUDEVENT_BATCH}`). Types accepted here: {types}. Every event is checked "
            "before any is recorded; a batch is recorded whole or not at all. Posting the same "
            "event id again with the same content answers 200 with the original positions."
        ),
        "operationId": "post_events_events_post",
        "security": [{"HTTPBearer": []}],
        "parameters": [
            {
                "name": "dry_run",
                "in": "query",
                "required": False,
                "schema": {"type": "boolean", "default": False},
                "description": (
                    "Check every event as if recording it (the same 4xx answers) and record "
                    "nothing: 200 with the events that would be appended."
                ),
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                CLOUDEVENT_JSON: {"schema": {"type": "object"}, "examples": spec.examples},
                CLOUDEVENT_BATCH: {"schema": {"type": "array", "items": {"type": "object"}}},
            },
        },
        "responses": {
            "201": {
                "description": "Recorded",
                "content": {"application/json": {"schema": {}}},
            },
            "200": {"description": "Already recorded: the original receipt (or a dry run)"},
            **{status: {**problem} for status in ("400", "409", "413", "415", "422", "503")},
        },
    }
