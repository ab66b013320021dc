"""Bad schedule input: a problem naming the field and the rule, and nothing appended."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.milestones.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from tests.integration.test_milestones_history import HISTORY, event


@pytest.fixture
async def milestones(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        for item in HISTORY[:3]:  # baseline, BP1 approved, M1 reached on 2010-02-01
            assert (await service.post(item, role="admin")).status_code == 201
        yield service


CASES = [
    ("unknown milestone", event("MilestoneReached", milestone="M9", reached_on="2010-03-01",
     reported_by="PL"), 422, "/data/milestone", "known_milestone"),
    ("reached again on another day", event("MilestoneReached", milestone="M1",
     reached_on="2010-02-02", reported_by="PL"), 409, "/data/reached_on", "already_reached"),
    ("before the project starts", event("MilestoneReached", milestone="M2",
     reached_on="2010-01-31", reported_by="PL"), 422, "/data/reached_on", "not_before_start"),
    ("progress above 1", event("GoalProgressReported", goal="HM1", share_complete="1.5",
     status="on_track", reported_on="2010-03-01"), 422, "/data/share_complete", "between_0_and_1"),
    ("progress as a float", event("ActivityProgressReported", activity="mapping",
     share_complete=0.5, reported_on="2010-03-01"), 422, "/data/share_complete", "decimal_string"),
    ("unknown status", event("GoalProgressReported", goal="HM1", share_complete="0.5",
     status="fine", reported_on="2010-03-01"), 422, "/data/status", "one_of"),
    ("decided point without revision", event("DecisionRecorded", decision_point="BP1",
     outcome="rejected", minutes_ref="RU 2/2010", decided_on="2010-02-15"), 409,
     "/data/revision", "explicit_revision"),
    ("unknown field", event("MilestoneReopened", milestone="M1", reason="x",
     reopened_on="2010-03-01", colour="red"), 422, "/data/colour", "unknown_field"),
    ("missing field", event("MilestoneForecastChanged", milestone="M2", expected_on="2010-04-10",
     changed_on="2010-03-01"), 422, "/data/reason", "required"),
    ("second baseline", HISTORY[0], 409, "/data/baseline", "once"),
    ("NUL in a comment", event("GoalProgressReported", goal="HM1", share_complete="0.5",
     status="on_track", reported_on="2010-03-01", comment="ok\x00"), 422, "/data/comment",
     "no_nul_character"),
    ("blank reason", event("MilestoneReopened", milestone="M1", reason=" \t ",
     reopened_on="2010-03-01"), 422, "/data/reason", "not_blank"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "pointer", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_schedule_input_is_refused(
    milestones: RunningService, body: dict[str, Any], status: int, pointer: str, rule: str
) -> None:
    if body is HISTORY[0]:
        body = {**body, "id": "2e6f0a52-2c1e-4b55-8a43-1d5c3c1f6a99"}  # a new event, same plan
    before = await milestones.log_head()
    response = await milestones.post(body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {"pointer": pointer, "rule": rule} in [
        {"pointer": e["pointer"], "rule": e["rule"]} for e in problem["errors"]
    ], problem
    assert await milestones.log_head() == before


async def test_reaching_a_reached_milestone_on_the_same_day_changes_nothing(
    milestones: RunningService,
) -> None:
    before = await milestones.log_head()
    again = event("MilestoneReached", milestone="M1", reached_on="2010-02-01", reported_by="PL")
    response = await milestones.post(again)
    assert response.status_code == 200, response.text
    assert response.json() == {"duplicate": True, "position": None, "events": []}
    assert await milestones.log_head() == before
