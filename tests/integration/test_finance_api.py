"""The finance service in-process on real PostgreSQL and NATS: posting, reading, refusing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.finance.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.finance_fixtures import PROJECT, booking, plan_events


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        yield service


async def planned(finance: RunningService) -> int:
    response = await finance.post(*plan_events(), role="admin")
    assert response.status_code == 201, response.text
    return int(response.json()["position"])


async def test_a_booking_shows_in_the_budget_and_on_metrics(finance: RunningService) -> None:
    await planned(finance)
    response = await finance.post(booking("GL-1", "12500.00"))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["duplicate"] is False
    assert receipt["position"] == 3
    assert response.headers["Ptrack-Position"] == "3"

    budget = await finance.get(f"/projects/{PROJECT}/budget", min_position=receipt["position"])
    assert budget.status_code == 200, budget.text
    view = budget.json()
    line = next(line for line in view["lines"] if line["id"] == "external-expertise")
    assert (line["budget"], line["used"], line["remaining"]) == ("50000.00", "12500.00", "37500.00")
    assert line["share_used"] == 0.25
    assert view["money"] == {
        "budget": "240000.00",
        "used": "12500.00",
        "remaining": "227500.00",
        "share_used": 0.0521,
    }
    assert view["frame"]["budget"] == "440000.00"

    metrics = await finance.metrics()
    assert (
        f'ptrack_cost_booked_nok{{line="external-expertise",project="{PROJECT}"}} 12500.0'
        in metrics
    )
    assert f'ptrack_budget_nok{{line="project-management",project="{PROJECT}"}} 120000.0' in metrics
    assert 'ptrack_events_appended_total{service="finance"} 3.0' in metrics
    # POST /events takes a lane of its own past the router; it is still timed under its route,
    # and its log transactions were sealed in the database.
    assert (
        'ptrack_http_request_duration_seconds_count{method="POST",route="/events",'
        'service="finance",status="201"} 2.0'
    ) in metrics
    assert 'ptrack_store_group_commits_total{path="sealed",service="finance"} 2.0' in metrics


async def test_reversals_in_kind_and_funding_add_up(finance: RunningService) -> None:
    await planned(finance)
    await finance.post(booking("GL-1", "10000.00"))
    reversal = cloudevent(
        "CostReversed",
        PROJECT,
        {
            "booking_id": "GL-1",
            "amount": "4000.00",
            "reversal_date": "2010-04-02",
            "reason": "split",
        },
    )
    hours = cloudevent(
        "InKindHoursRecorded",
        PROJECT,
        {
            "municipality": "Flesberg",
            "person": "Ola Nordmann",
            "activity": "mapping",
            "work_date": "2010-03-03",
            "hours": "7.5",
            "hourly_rate": "550.00",
        },
    )
    grant = cloudevent(
        "FundingReceived",
        PROJECT,
        {"source": "grant", "amount": "120000.00", "received_date": "2010-03-01"},
    )
    last = await finance.post(reversal, hours, grant)
    assert last.status_code == 201, last.text
    position = last.json()["position"]

    budget = (await finance.get(f"/projects/{PROJECT}/budget", min_position=position)).json()
    assert budget["money"]["used"] == "6000.00"
    assert budget["in_kind"]["used"] == "4125.00"
    assert budget["frame"]["used"] == "10125.00"
    in_kind = (await finance.get(f"/projects/{PROJECT}/in-kind")).json()
    assert in_kind["by_municipality"] == [
        {"key": "Flesberg", "hours": "7.5", "value": "4125.00", "entries": 1, "attested": "0.00"}
    ]
    funding = (await finance.get(f"/projects/{PROJECT}/funding")).json()
    # The grant's first part, and for the in-kind source the in-kind work documented so far.
    assert funding["received"] == "124125.00"
    assert funding["planned_matches_frame"] is True
    assert funding["sources"][0]["outstanding"] == "120000.00"
    assert funding["sources"][1]["received"] == "4125.00"
    months = (await finance.get(f"/projects/{PROJECT}/costs/by-month")).json()["months"]
    assert [(m["month"], m["net"], m["cumulative"]) for m in months] == [
        ("2010-03", "10000.00", "10000.00"),
        ("2010-04", "-4000.00", "6000.00"),
    ]


async def test_costs_are_paged_and_filtered(finance: RunningService) -> None:
    await planned(finance)
    events = [booking(f"GL-{n}", "100.00", day=f"2010-03-{n + 1:02d}") for n in range(25)]
    events.append(booking("LATE", "1.00", line="contingency", day="2011-01-15"))
    position = (await finance.post(*events)).json()["position"]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 10, "min_position": position}
        if cursor:
            params["cursor"] = cursor
        page = (await finance.get(f"/projects/{PROJECT}/costs", **params)).json()
        seen += [item["booking_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"GL-{n}" for n in range(25)] + ["LATE"]
    only = (await finance.get(f"/projects/{PROJECT}/costs", line="contingency")).json()["items"]
    assert [(i["booking_id"], i["outside_period"]) for i in only] == [("LATE", True)]
    window = await finance.client.get(
        f"/projects/{PROJECT}/costs",
        params={"from": "2010-03-05", "to": "2010-03-06"},
        headers=finance.auth("manager"),
    )
    assert [i["booking_id"] for i in window.json()["items"]] == ["GL-4", "GL-5"]
    budget = (await finance.get(f"/projects/{PROJECT}/budget")).json()
    assert budget["outside_period"] == {"bookings": 1, "reversals": 0, "in_kind": 0}


async def test_the_same_event_twice_is_one_event_with_the_same_answer(
    finance: RunningService,
) -> None:
    await planned(finance)
    event = booking("GL-1")
    first = await finance.post(event)
    second = await finance.post(event)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["events"] == first.json()["events"]
    assert second.json()["duplicate"] is True
    assert await finance.log_head() == 3

    changed = {**event, "data": {**event["data"], "amount": "999.00"}}
    conflict = await finance.post(changed)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["type"] == "/problems/event-id-reused"
    assert await finance.log_head() == 3


async def test_a_retried_reversal_is_idempotent_even_though_nothing_remains(
    finance: RunningService,
) -> None:
    await planned(finance)
    await finance.post(booking("GL-1", "100.00"))
    reversal = cloudevent(
        "CostReversed",
        PROJECT,
        {"booking_id": "GL-1", "amount": "100.00", "reversal_date": "2010-04-02", "reason": "x"},
    )
    first = await finance.post(reversal)
    again = await finance.post(reversal)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["events"] == first.json()["events"]


async def test_non_uuid_ids_are_keyed_by_source(finance: RunningService) -> None:
    await planned(finance)
    first = await finance.post(booking("GL-1", id_="voucher-42", source="urn:accounting:a"))
    again = await finance.post(booking("GL-1", id_="voucher-42", source="urn:accounting:a"))
    other = await finance.post(booking("GL-2", id_="voucher-42", source="urn:accounting:b"))
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)


async def test_an_expected_version_that_is_stale_is_a_conflict(finance: RunningService) -> None:
    await planned(finance)
    ok = await finance.post(booking("GL-1", expectedversion=2))
    assert ok.status_code == 201, ok.text
    stale = await finance.post(booking("GL-2", expectedversion=2))
    assert stale.status_code == 409
    problem = stale.json()
    assert (problem["expected_version"], problem["current_version"]) == (2, 3)
    assert problem["subject"] == PROJECT


async def test_concurrent_posts_to_one_project_all_land(finance: RunningService) -> None:
    import asyncio

    await planned(finance)
    responses = await asyncio.gather(
        *(finance.post(booking(f"GL-{n}", "10.00")) for n in range(64))
    )
    assert {r.status_code for r in responses} == {201}
    assert sorted(r.json()["position"] for r in responses) == list(range(3, 67))
    budget = (await finance.get(f"/projects/{PROJECT}/budget", min_position=66)).json()
    assert budget["money"]["used"] == "640.00"


async def test_unknown_project_is_404_and_health_answers(finance: RunningService) -> None:
    missing = await finance.get("/projects/nowhere/budget")
    assert missing.status_code == 404
    assert missing.json()["type"] == "/problems/unknown-project"
    assert (await finance.client.get("/healthz")).json()["status"] == "ok"
    ready = await finance.client.get("/readyz")
    assert ready.status_code == 200, ready.text


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        (None, "POST", "/events", 401),
        ("auditor", "POST", "/events", 403),
        ("integration", "GET", f"/projects/{PROJECT}/budget", 403),
        ("wrong", "GET", f"/projects/{PROJECT}/budget", 401),
    ],
)
async def test_keys_are_required_and_roles_respected(
    finance: RunningService, role: str | None, method: str, path: str, status: int
) -> None:
    headers = {"Content-Type": "application/cloudevents+json"}
    if role == "wrong":
        headers["Authorization"] = "Bearer ptk_000000000000_nope"
    elif role is not None:
        headers.update(finance.auth(role))  # type: ignore[arg-type]
    response = await finance.client.request(
        method, path, headers=headers, content=json.dumps(booking("GL-1"))
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert await finance.log_head() == 0


async def test_interleaved_kinds_in_one_batch_apply_in_a_safe_order(
    finance: RunningService,
) -> None:
    """The runner batches writes to different tables out of log order (the finance projection
    allows it), but a reversal reads its booking: it must still find the booking, live and in
    a rebuild, also when both come in one batch between other kinds."""
    await planned(finance)

    def hours(day: str) -> dict[str, Any]:
        data = {
            "municipality": "Rollag",
            "person": "Kari",
            "activity": "mapping",
            "work_date": day,
            "hours": "2",
            "hourly_rate": "500.00",
        }
        return cloudevent("InKindHoursRecorded", PROJECT, data)

    def reversal(booking_id: str, amount: str) -> dict[str, Any]:
        data = {
            "booking_id": booking_id,
            "amount": amount,
            "reversal_date": "2010-04-02",
            "reason": "split",
        }
        return cloudevent("CostReversed", PROJECT, data)

    last = await finance.post(
        booking("GL-1", "1000.00"),
        hours("2010-03-01"),
        booking("GL-2", "2000.00"),
        reversal("GL-2", "500.00"),
        hours("2010-03-02"),
        booking("GL-3", "3000.00"),
        reversal("GL-1", "1000.00"),
        booking("GL-4", "4000.00"),
    )
    assert last.status_code == 201, last.text
    position = last.json()["position"]

    async def used() -> tuple[str, str]:
        budget = (await finance.get(f"/projects/{PROJECT}/budget", min_position=position)).json()
        return budget["money"]["used"], budget["in_kind"]["used"]

    assert await used() == ("8500.00", "2000.00")
    assert await finance.runtime.writers["finance"].rebuild() == position
    assert await used() == ("8500.00", "2000.00")
