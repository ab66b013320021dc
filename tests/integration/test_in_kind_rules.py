"""In-kind work is checked against the plan's rules through the HTTP API: each broken rule is a
422 naming the field and the rule, and nothing is recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.finance.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from tests.integration.finance_fixtures import (
    PROJECT,
    in_kind_hours,
    plan_events,
    plan_events_with_rules,
)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def finance(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        yield service


async def ruled(finance: RunningService) -> RunningService:
    response = await finance.post(*plan_events_with_rules(), role="admin")
    assert response.status_code == 201, response.text
    return finance


async def recorded(finance: RunningService) -> tuple[str, str]:
    view = await finance.get(f"/projects/{PROJECT}/in-kind", min_position=await finance.log_head())
    assert view.status_code == 200, view.text
    return view.json()["recorded"], view.json()["hours"]


def named(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(error["pointer"], error["rule"]) for error in response.json()["errors"]]


async def test_a_valid_entry_is_recorded(finance: RunningService) -> None:
    await ruled(finance)
    response = await finance.post(in_kind_hours())
    assert response.status_code == 201, response.text
    assert await recorded(finance) == ("4875.00", "7.5")


BROKEN: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "municipality outside the region",
        {"municipality": "Oslo"},
        "municipality",
        "known_municipality",
    ),
    ("activity unknown", {"activity": "no-such-activity"}, "activity", "in_kind_activity"),
    ("activity without in-kind", {"activity": "design-school"}, "activity", "in_kind_activity"),
    ("rate above the default ceiling", {"hourly_rate": "700.01"}, "hourly_rate", "rate_ceiling"),
    (
        "rate above the role's ceiling",
        {"role": "Rådgiver", "hourly_rate": "650.00"},
        "hourly_rate",
        "rate_ceiling",
    ),
    ("before the period", {"work_date": "2010-01-31"}, "work_date", "within_period"),
    ("after the period", {"work_date": "2011-01-01"}, "work_date", "within_period"),
    ("too many hours in one entry", {"hours": "12.5"}, "hours", "hours_per_day"),
]


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
async def test_each_broken_rule_is_a_422_naming_the_field_and_nothing_is_recorded(
    finance: RunningService, changes: dict[str, Any], field: str, rule: str
) -> None:
    await ruled(finance)
    before = await finance.log_head()
    response = await finance.post(in_kind_hours(**changes))
    assert named(response) == [(f"/data/{field}", rule)]
    assert await finance.log_head() == before
    assert await recorded(finance) == ("0.00", "0")


async def test_the_hours_of_a_day_add_up_across_entries(finance: RunningService) -> None:
    await ruled(finance)
    assert (await finance.post(in_kind_hours(hours="8"))).status_code == 201
    # Another person, another day: each has a day of their own.
    assert (await finance.post(in_kind_hours(hours="8", person="Ola Nordmann"))).status_code == 201
    assert (await finance.post(in_kind_hours(hours="8", work_date="2010-03-03"))).status_code == 201
    before = await finance.log_head()
    response = await finance.post(in_kind_hours(hours="4.5", activity="follow-up"))
    assert named(response) == [("/data/hours", "hours_per_day")]
    assert "12.5 hours on 2010-03-02 (8 recorded already)" in response.json()["detail"]
    assert await finance.log_head() == before
    assert (await finance.post(in_kind_hours(hours="4", activity="follow-up"))).status_code == 201


async def test_the_issues_example_is_refused_naming_all_three_fields(
    finance: RunningService,
) -> None:
    await ruled(finance)
    before = await finance.log_head()
    response = await finance.post(
        in_kind_hours(
            municipality="Oslo", activity="no-such-activity", hours="7.5", hourly_rate="9999.00"
        )
    )
    assert named(response) == [
        ("/data/municipality", "known_municipality"),
        ("/data/activity", "in_kind_activity"),
        ("/data/hourly_rate", "rate_ceiling"),
    ]
    assert await finance.log_head() == before
    assert await recorded(finance) == ("0.00", "0")


async def test_a_batch_with_one_broken_entry_records_none(finance: RunningService) -> None:
    await ruled(finance)
    before = await finance.log_head()
    oslo = in_kind_hours(municipality="Oslo", person="Per Hansen")
    response = await finance.post(in_kind_hours(), oslo)
    assert named(response) == [("/1/data/municipality", "known_municipality")]
    assert await finance.log_head() == before


async def test_a_budget_without_rules_checks_only_the_period(finance: RunningService) -> None:
    response = await finance.post(*plan_events(), role="admin")
    assert response.status_code == 201, response.text
    lax = in_kind_hours(municipality="Oslo", activity="no-such-activity", hourly_rate="9999.00")
    response = await finance.post(lax)
    assert response.status_code == 201, response.text
    assert await recorded(finance) == ("74992.50", "7.5")
    response = await finance.post(in_kind_hours(work_date="2011-01-01"))
    assert named(response) == [("/data/work_date", "within_period")]
