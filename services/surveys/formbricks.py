"""Formbricks webhook bodies as ResponseSubmitted CloudEvents, and errors pointed back into the
body Formbricks sent. Pure: no I/O, clock or id generation.

The event is the CloudEvent Formbricks would post if it spoke CloudEvents: source
`urn:formbricks`, id = the Formbricks response id. Its event id is therefore derived from the
response id alone, so a redelivered webhook lands on the event already recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.decider import Rejected
from shared.http.problems import FieldError, Problem, field_errors, invalid

SOURCE = "urn:formbricks"
FINISHED = "responseFinished"

# Where each part of the event came from in the webhook body: errors point there.
_EVENT_TO_BODY = (
    ("/data/answers", "/data/data"),
    ("/data/response_id", "/data/id"),
    ("/data/respondent", "/data/contact/id"),
    ("/data/submitted_on", "/data/updatedAt"),
    ("/subject", "/data/surveyId"),
    ("/time", "/data/updatedAt"),
    ("/id", "/data/id"),
)


class _Lenient(BaseModel):
    # Formbricks adds fields to its payloads from release to release (ttc, variables, tags,
    # language, ...); refusing what we do not read would drop real responses after an upgrade.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Contact(_Lenient):
    id: str


class FormbricksResponse(_Lenient):
    id: str
    surveyId: str  # noqa: N815 - Formbricks' spelling
    finished: bool
    createdAt: datetime  # noqa: N815
    updatedAt: datetime | None = None  # noqa: N815
    data: dict[str, Any]
    contact: Contact | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    """Formbricks' own context (url, user agent, country): not read."""


class Webhook(_Lenient):
    webhookId: str  # noqa: N815
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Ignored:
    """A delivery that records nothing: another event, or a response not finished."""

    reason: str


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    response: FormbricksResponse


def parse(body: Any) -> Delivery | Ignored:
    """The delivery, Ignored, or a Problem pointing into the body."""
    try:
        webhook = Webhook.model_validate(body)
    except ValidationError as error:
        raise _invalid(field_errors(error)) from None
    if webhook.event != FINISHED:
        return Ignored(f"{webhook.event!r} is not recorded; only {FINISHED} is")
    try:
        response = FormbricksResponse.model_validate(webhook.data)
    except ValidationError as error:
        raise _invalid(field_errors(error, "/data")) from None
    if not response.finished:
        return Ignored("the response is not finished")
    return Delivery(webhook.webhookId, response)


def cloudevent(response: FormbricksResponse) -> dict[str, Any]:
    when = response.updatedAt or response.createdAt
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    data: dict[str, Any] = {
        "response_id": response.id,
        "submitted_on": when.astimezone(UTC).date().isoformat(),
        "answers": {question: _whole(answer) for question, answer in response.data.items()},
    }
    if response.contact is not None:
        data["respondent"] = response.contact.id
    return {
        "specversion": "1.0",
        "id": response.id,
        "source": SOURCE,
        "type": "ResponseSubmitted",
        "subject": response.surveyId,
        "time": when.isoformat(),
        "data": data,
    }


def _whole(answer: Any) -> Any:
    # Formbricks sends ratings as JSON numbers, which may be spelled 4.0; the log holds no
    # floats. A fraction is left as it is, for the event's rules to refuse.
    if isinstance(answer, float) and answer.is_integer():
        return int(answer)
    return answer


def body_pointer(event_pointer: str) -> str:
    """Where in the webhook body the part of the CloudEvent at `event_pointer` came from."""
    for event_part, body_part in _EVENT_TO_BODY:
        if event_pointer == event_part or event_pointer.startswith(event_part + "/"):
            return body_part + event_pointer[len(event_part) :]
    if event_pointer == "/data":  # the survey as a whole: not published, or closed
        return "/data/surveyId"
    return event_pointer


def in_body(problem: Problem) -> Problem:
    """A problem with the CloudEvent, restated against the webhook body."""
    if not problem.errors:
        return problem
    errors = [FieldError(body_pointer(e.pointer), e.rule, e.detail) for e in problem.errors]
    return invalid(problem.detail, errors)


def rejected_in_body(error: Rejected) -> Rejected:
    """A rejection whose field, under the body's `data`, names what Formbricks sent."""
    pointer = body_pointer("/data" + "".join(f"/{part}" for part in error.field.split(".") if part))
    field = ".".join(part for part in pointer.removeprefix("/data").split("/") if part)
    return type(error)(field, error.rule, error.detail)


def _invalid(errors: list[FieldError]) -> Problem:
    return invalid("the webhook body is not a Formbricks delivery; nothing was recorded", errors)
