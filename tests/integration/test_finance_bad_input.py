"""Bad input gets a 4xx problem+json naming the field and the rule; the log stays as it was."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.finance.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.finance_fixtures import PROJECT, booking, plan_events

CE = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        response = await service.post(*plan_events(), role="admin")
        assert response.status_code == 201
        response = await service.post(booking("GL-1", "1000.00"))
        assert response.status_code == 201
        yield service


def with_data(**changes: Any) -> dict[str, Any]:
    event = booking("GL-2")
    event["data"].update(changes)
    return dict(event.items())


def without(field: str) -> dict[str, Any]:
    event = booking("GL-2")
    del event["data"][field]
    return event


def reversal(booking_id: str, amount: str) -> dict[str, Any]:
    return cloudevent(
        "CostReversed",
        PROJECT,
        {"booking_id": booking_id, "amount": amount, "reversal_date": "2010-05-01", "reason": "x"},
    )


# (case, body as JSON-able or raw bytes, content type, status, pointer, rule)
CASES: list[tuple[str, Any, str, int, str | None, str | None]] = [
    ("unknown line", with_data(line="catering"), CE, 422, "/data/line", "known_line"),
    ("unknown booking", reversal("GL-404", "1.00"), CE, 422, "/data/booking_id", "known_booking"),
    (
        "reversal above remaining",
        reversal("GL-1", "1000.01"),
        CE,
        422,
        "/data/amount",
        "within_remaining",
    ),
    ("zero amount", with_data(amount="0.00"), CE, 422, "/data/amount", "positive"),
    ("negative amount", with_data(amount="-10.00"), CE, 422, "/data/amount", "positive"),
    ("three decimals", with_data(amount="10.001"), CE, 422, "/data/amount", "max_two_decimals"),
    ("float amount", with_data(amount=12500.5), CE, 422, "/data/amount", "decimal_string"),
    ("number amount", with_data(amount=12500), CE, 422, "/data/amount", "decimal_string"),
    ("unknown data field", with_data(colour="red"), CE, 422, "/data/colour", "unknown_field"),
    ("missing data field", without("voucher"), CE, 422, "/data/voucher", "required"),
    (
        "unknown attribute",
        {**booking("GL-2"), "colour": "red"},
        CE,
        422,
        "/colour",
        "unknown_field",
    ),
    (
        "missing subject",
        {k: v for k, v in booking("GL-2").items() if k != "subject"},
        CE,
        422,
        "/subject",
        "required",
    ),
    (
        "wrong specversion",
        {**booking("GL-2"), "specversion": "0.3"},
        CE,
        422,
        "/specversion",
        "one_of",
    ),
    ("unknown type", {**booking("GL-2"), "type": "CostBookd"}, CE, 422, "/type", "registered_type"),
    (
        "bad date",
        with_data(booking_date="2010-02-30"),
        CE,
        422,
        "/data/booking_date",
        "date_from_datetime_parsing",
    ),
    ("too long text", with_data(text="x" * 2001), CE, 422, "/data/text", "string_too_long"),
    (
        "unsupported schema version",
        {**booking("GL-2"), "schemaversion": 9},
        CE,
        422,
        "/schemaversion",
        "supported_version",
    ),
    ("array sent as one event", [booking("GL-2")], CE, 422, "", "object"),
    ("empty batch", [], BATCH, 422, "", "non_empty_array"),
    (
        "one bad event in a batch",
        [booking("GL-2"), with_data(line="nope")],
        BATCH,
        422,
        "/1/data/line",
        "known_line",
    ),
    (
        "invalid second event in a batch",
        [booking("GL-2"), with_data(amount=1.5)],
        BATCH,
        422,
        "/1/data/amount",
        "decimal_string",
    ),
    ("malformed JSON", b'{"specversion": "1.0", ', CE, 400, None, None),
    ("wrong content type", booking("GL-2"), "text/plain", 415, None, None),
    ("oversized body", b'{"x": "' + b"a" * (10 * 1024 * 1024) + b'"}', CE, 413, None, None),
    ("5000-event batch", [booking(f"B{n}") for n in range(5000)], BATCH, 413, None, None),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "pointer", "rule"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_bad_input_is_refused_with_a_problem_naming_the_field(
    finance: RunningService,
    body: Any,
    content_type: str,
    status: int,
    pointer: str | None,
    rule: str | None,
) -> None:
    before = await finance.log_head()
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await finance.client.post(
        "/events",
        content=content,
        headers={**finance.auth("integration"), "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    assert problem["type"].startswith("/problems/")
    if pointer is not None:
        assert {"pointer": pointer, "rule": rule} in [
            {"pointer": e["pointer"], "rule": e["rule"]} for e in problem["errors"]
        ], problem["errors"]
        named = next(e for e in problem["errors"] if e["pointer"] == pointer)
        assert named["field"] == ".".join(p for p in pointer.split("/") if p)
    assert await finance.log_head() == before


async def test_a_chunked_body_over_the_limit_is_refused(finance: RunningService) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    response = await finance.client.post(
        "/events",
        content=chunks(),
        headers={**finance.auth("integration"), "Content-Type": CE},
    )
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/body-too-large"
