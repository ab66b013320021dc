"""Bad input gets a 4xx problem+json naming the field and the rule; the log stays as it was."""

from __future__ import annotations

import asyncio
import base64
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
    ("NUL in text", with_data(text="Workshop\x00"), CE, 422, "/data/text", "no_nul_character"),
    (
        "NUL in a key",
        {**booking("GL-2"), "data": {**booking("GL-2")["data"], "te\x00xt": "x"}},
        CE,
        422,
        "/data/te\x00xt",
        "no_nul_character",
    ),
    (
        "NUL in source",
        {**booking("GL-2"), "source": "urn:\x00"},
        CE,
        422,
        "/source",
        "no_nul_character",
    ),
    (
        "NUL in one event of a batch",
        [booking("GL-2"), with_data(supplier="A\x00S")],
        BATCH,
        422,
        "/1/data/supplier",
        "no_nul_character",
    ),
    ("lone surrogate", b'{"text": "\\ud800"}', CE, 400, None, None),
    ("blank voucher", with_data(voucher="   "), CE, 422, "/data/voucher", "not_blank"),
    (
        "time whose UTC day is year 0",
        {**booking("GL-2"), "time": "0001-01-01T00:00:00+00:01"},
        CE,
        422,
        "/time",
        "in_range",
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


async def problem_at(response: Any, pointer: str, rule: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = [(e["pointer"], e["rule"]) for e in response.json()["errors"]]
    assert (pointer, rule) in errors, errors


async def test_a_nul_in_a_query_or_path_parameter_is_named(finance: RunningService) -> None:
    costs = f"/projects/{PROJECT}/costs"
    await problem_at(await finance.get(costs, line="a\x00b"), "/query/line", "no_nul_character")
    raw = await finance.client.get(f"{costs}?line=a%00b", headers=finance.auth("manager"))
    await problem_at(raw, "/query/line", "no_nul_character")
    path = await finance.client.get("/projects/a%00b/budget", headers=finance.auth("manager"))
    assert path.status_code == 422, path.text


async def test_a_cursor_not_given_out_is_named_as_a_query_parameter(
    finance: RunningService,
) -> None:
    costs, head = f"/projects/{PROJECT}/costs", await finance.log_head()
    nonsense = await finance.get(costs, cursor="nonsense", min_position=head)
    await problem_at(nonsense, "/query/cursor", "valid_cursor")
    huge = base64.urlsafe_b64encode(b"2010-03-01|99999999999999999999").decode()
    await problem_at(
        await finance.get(costs, cursor=huge, min_position=head), "/query/cursor", "valid_cursor"
    )


async def test_a_position_beyond_the_log_is_refused_at_once(finance: RunningService) -> None:
    head = await finance.log_head()
    budget = f"/projects/{PROJECT}/budget"
    assert (await finance.get(budget, min_position=head)).status_code == 200
    beyond = await finance.get(budget, min_position=head + 1)
    await problem_at(beyond, "/query/min_position", "within_log")
    assert f"at position {head}" in beyond.json()["errors"][0]["detail"]
    assert "Retry-After" not in beyond.headers


async def test_one_poisoned_post_among_many_costs_no_one_else_a_write(
    finance: RunningService,
) -> None:
    before = await finance.log_head()
    valid = [booking(f"GL-C{n}", "10.00") for n in range(24)]
    poisoned = with_data(text="\x00")
    posts = [finance.post(event) for event in valid]
    posts.insert(11, finance.post(poisoned))
    answers = await asyncio.gather(*posts)
    poisoned_answer = answers.pop(11)
    assert poisoned_answer.status_code == 422, poisoned_answer.text
    assert [answer.status_code for answer in answers] == [201] * 24
    assert await finance.log_head() == before + 24


async def test_text_is_recorded_exactly_as_sent(finance: RunningService) -> None:
    sent = "  Workshop\ton network logic \u2014 \U0001f4ca\x01 "
    event = booking("GL-WS")
    event["data"]["text"] = sent
    event["data"]["supplier"] = " Nettverkskompetanse AS"
    answer = await finance.post(event)
    assert answer.status_code == 201, answer.text
    [stored] = await finance.runtime.store.read_stream(
        PROJECT, from_version=await finance.log_head()
    )
    assert stored.data["text"] == sent
    assert stored.data["supplier"] == " Nettverkskompetanse AS"
