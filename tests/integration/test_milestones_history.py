"""A scripted 2010 history through the milestones API: states and slips as of three status
dates, the same after a rebuild from the log, and on /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ptrack.plan.model import read_plan
from services.milestones.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running

PROJECT = "kongsbergregionen-2010"
PLAN = read_plan(Path(__file__).resolve().parents[2] / "plans" / "kongsbergregionen-2010.yaml")


def event(type_: str, **data: Any) -> dict[str, Any]:
    return cloudevent(type_, PROJECT, data)


def revised_schedule() -> dict[str, Any]:
    """Baseline 2: the roll-out plan (M5, HM4) moved a month later by the steering group."""
    schedule = PLAN.schedule()
    for milestone in schedule["milestones"]:
        if milestone["id"] == "M5":
            milestone["due"] = "2010-10-01"
    for goal in schedule["goals"]:
        if goal["id"] == "HM4":
            goal["deadline"] = "2010-10-01"
    return schedule


HISTORY = [
    event("PlanBaselined", **PLAN.schedule(), baseline=1, baselined_on="2010-02-01"),
    event("DecisionRecorded", decision_point="BP1", outcome="approved", minutes_ref="RU 1/2010",
          decided_on="2010-02-01"),
    event("MilestoneReached", milestone="M1", reached_on="2010-02-01", reported_by="PL"),
    event("ActivityProgressReported", activity="mapping", share_complete="1",
          reported_on="2010-03-31"),
    event("MilestoneReached", milestone="M2", reached_on="2010-04-10", reported_by="PL",
          evidence="Mapping report v1.0"),
    event("GoalProgressReported", goal="HM1", share_complete="1", status="done",
          reported_on="2010-04-10"),
    event("GoalProgressReported", goal="HM2", share_complete="0.5", status="at_risk",
          reported_on="2010-04-20", comment="focus areas unclear"),
    event("MilestoneForecastChanged", milestone="M4", expected_on="2010-09-20",
          reason="expert hired late", changed_on="2010-06-15"),
    event("ActivityProgressReported", activity="design-school", share_complete="0.25",
          reported_on="2010-06-15"),
    event("PlanRevised", **revised_schedule(), baseline=2, reason="roll-out plan needs the pilot",
          decision_ref="RU 14/2010", revised_on="2010-07-01"),
    event("DecisionRecorded", decision_point="BP2", outcome="deferred", minutes_ref="RU 20/2010",
          decided_on="2010-09-10"),
    event("MilestoneReached", milestone="M4", reached_on="2010-09-15", reported_by="PL"),
    event("DecisionRecorded", decision_point="BP2", outcome="approved", minutes_ref="RU 22/2010",
          decided_on="2010-09-30"),
]  # fmt: skip

# status date -> milestone -> (state, slip days, baseline due)
EXPECTED = {
    "2010-03-25": {
        "M1": ("reached_on_time", 0, "2010-02-01"),
        "M2": ("due_soon", 0, "2010-04-01"),  # 7 days ahead
        "M3": ("planned", 0, "2010-05-01"),
        "M4": ("planned", 0, "2010-09-01"),
        "M5": ("planned", 0, "2010-09-01"),
    },
    "2010-05-15": {
        "M2": ("reached_late", 9, "2010-04-01"),  # reached 04-10
        "M3": ("overdue", 14, "2010-05-01"),  # 05-15 minus 05-01
        "M4": ("planned", 0, "2010-09-01"),  # the forecast comes in June
    },
    "2010-09-25": {
        "M3": ("overdue", 147, "2010-05-01"),  # 30 + 31 + 30 + 31 + 31 + 24 days
        "M4": ("reached_late", 14, "2010-09-01"),  # reached 09-15
        "M5": ("due_soon", 0, "2010-10-01"),  # moved by baseline 2, 6 days ahead
        "M7": ("planned", 0, "2010-12-20"),
    },
}


@pytest.fixture
async def milestones(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        for item in HISTORY:
            response = await service.post(item, role="admin")
            assert response.status_code == 201, response.text
        # Read models follow the log: reads below expect all of it applied.
        assert await service.runtime.read_models_reach(await service.log_head(), 10)
        yield service


async def snapshot(service: RunningService, position: int | None = None) -> dict[str, Any]:
    views: dict[str, Any] = {}
    for day in EXPECTED:
        for view in ("milestones", "goals", "decisions", "activities"):
            params: dict[str, Any] = {"status_date": day}
            if position is not None:
                params["min_position"] = position
            response = await service.get(f"/projects/{PROJECT}/{view}", **params)
            assert response.status_code == 200, response.text
            views[f"{day}/{view}"] = response.json()
    return views


async def test_states_and_slips_as_of_three_days_and_after_a_rebuild(
    milestones: RunningService,
) -> None:
    head = await milestones.log_head()
    before = await snapshot(milestones, head)
    for day, expected in EXPECTED.items():
        found = {m["id"]: m for m in before[f"{day}/milestones"]["milestones"]}
        for milestone, (state, slip, due) in expected.items():
            got = found[milestone]
            assert (got["state"], got["slip_days"], got["due"]) == (state, slip, due), (day, got)

    assert before["2010-03-25/milestones"]["baseline"] == 1
    assert before["2010-09-25/milestones"]["baseline"] == 2
    assert before["2010-09-25/milestones"]["worst_slip_days"] == 147
    assert before["2010-05-15/milestones"]["by_state"] == {
        "planned": 5, "due_soon": 0, "overdue": 1, "reached_on_time": 1, "reached_late": 1,
    }  # fmt: skip
    m4_june = next(
        m for m in (await snapshot_day(milestones, "2010-06-30"))["milestones"] if m["id"] == "M4"
    )
    assert (m4_june["forecast"], m4_june["slip_days"]) == ("2010-09-20", 19)

    goals = {g["id"]: g for g in before["2010-05-15/goals"]["goals"]}
    assert (goals["HM1"]["state"], goals["HM2"]["state"]) == ("done", "overdue")
    assert goals["HM2"]["share_complete"] == "0.5"
    assert goals["HM1"]["milestones"] == ["M2"]
    early = {g["id"]: g["state"] for g in before["2010-03-25/goals"]["goals"]}
    assert early["HM1"] == "not_started"

    points = {p["id"]: p for p in before["2010-09-25/decisions"]["decision_points"]}
    assert (points["BP1"]["state"], points["BP2"]["state"]) == ("approved", "deferred")
    assert points["BP3"]["state"] == "pending"
    october = await milestones.get(f"/projects/{PROJECT}/decisions", status_date="2010-10-15")
    later = {p["id"]: p for p in october.json()["decision_points"]}
    assert [d["outcome"] for d in later["BP2"]["decisions"]] == ["deferred", "approved"]
    assert october.json()["by_state"]["approved"] == 2
    january = await milestones.get(f"/projects/{PROJECT}/decisions", status_date="2011-01-05")
    assert {p["id"]: p["state"] for p in january.json()["decision_points"]}["BP3"] == "overdue"

    activities = {a["id"]: a for a in before["2010-03-25/activities"]["activities"]}
    # mapping runs Feb and Mar: by 25 March, 1 + 25/31 of 2 months = 0.9032
    assert activities["mapping"]["planned_share"] == "0.9032"
    assert activities["mapping"]["reported_share"] == "0"

    writer = milestones.runtime.writers["milestones"]
    assert await writer.rebuild() == head
    assert await snapshot(milestones) == before


async def snapshot_day(service: RunningService, day: str) -> Any:
    response = await service.get(f"/projects/{PROJECT}/milestones", status_date=day)
    return response.json()


async def test_baselines_are_kept_and_compared(milestones: RunningService) -> None:
    listed = (await milestones.get(f"/projects/{PROJECT}/baselines")).json()
    assert [(b["baseline"], b["effective_on"]) for b in listed] == [
        (1, "2010-02-01"),
        (2, "2010-07-01"),
    ]
    assert listed[1]["decision_ref"] == "RU 14/2010"
    first = (await milestones.get(f"/projects/{PROJECT}/baselines/1")).json()
    assert next(m for m in first["plan"]["milestones"] if m["id"] == "M5")["due"] == "2010-09-01"
    diff = (
        await milestones.client.get(
            f"/projects/{PROJECT}/baselines/compare",
            params={"from": 1},
            headers=milestones.auth("manager"),
        )
    ).json()
    assert diff["to_baseline"] == 2
    assert [(c["kind"], c["id"], c["change"], c["shift_days"]) for c in diff["changes"]] == [
        ("milestone", "M5", "changed", 30),
        ("goal", "HM4", "changed", 30),
    ]
    missing = await milestones.get(f"/projects/{PROJECT}/baselines/9")
    assert missing.status_code == 404


async def test_schedule_metrics_come_from_the_read_model(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    dated = settings.model_copy(update={"status_date": date(2010, 5, 15)})
    async with running(build(dated)) as service:
        for item in HISTORY:
            await service.post(item, role="admin")
        assert await service.runtime.read_models_reach(await service.log_head(), 10)
        text = await service.metrics()
    labels = f'milestone="M3",project="{PROJECT}"'
    assert f"ptrack_milestone_slip_seconds{{{labels}}} 1.2096e+06" in text  # 14 days
    assert f'ptrack_milestones{{project="{PROJECT}",state="overdue"}} 1.0' in text
    # M2 reached 2010-04-10 = 1270857600 seconds
    reached = f'ptrack_milestone_reached_timestamp_seconds{{milestone="M2",project="{PROJECT}"}}'
    assert f"{reached} 1.2708576e+09" in text
    assert f'ptrack_goal_progress_ratio{{goal="HM2",project="{PROJECT}"}} 0.5' in text
    # HM2's deadline (1 May) has passed half done: the state the GoalOverdue alert reads.
    hm2 = f'ptrack_goal_state{{goal="HM2",project="{PROJECT}"'
    assert f'{hm2},state="overdue"}} 1.0' in text
    assert f'{hm2},state="done"}} 0.0' in text
    assert f'ptrack_plan_baseline{{project="{PROJECT}"}} 1.0' in text
