"""Bad register input: a problem naming the field and the rule, and nothing appended."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.registry.app import build
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from tests.integration.test_registry_scripted import event, member

SCORES = {"shared_purpose": 4, "activity": 3, "participation": 3, "leadership": 4, "tool_use": 2,
          "member_benefit": 4}  # fmt: skip


@pytest.fixture
async def registry(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        setup = [
            event("NetworkRegistered", network="ikt", name="IKT forum", kind="internal",
                  focus_area="knowledge development", registered_on="2010-02-15"),
            event("MemberJoined", network="ikt", member=member("kari"), joined_on="2010-02-16"),
        ]  # fmt: skip
        assert (await service.post(*setup, role="admin")).status_code == 201
        yield service


CASES = [
    ("score above 5", event("NetworkAssessed", network="ikt", assessor="pg",
     assessed_on="2010-03-01", scores={**SCORES, "activity": 6}), 422, "/data/scores/activity",
     "less_than_equal"),
    ("score as text", event("NetworkAssessed", network="ikt", assessor="pg",
     assessed_on="2010-03-01", scores={**SCORES, "activity": "3"}), 422, "/data/scores/activity",
     "int_type"),
    ("dimension missing", event("NetworkAssessed", network="ikt", assessor="pg",
     assessed_on="2010-03-01", scores={k: v for k, v in SCORES.items() if k != "leadership"}),
     422, "/data/scores/leadership", "required"),
    ("unknown network", event("MemberJoined", network="nope", member=member("ola"),
     joined_on="2010-03-01"), 422, "/data/network", "known_network"),
    ("member twice", event("MemberJoined", network="ikt", member=member("kari"),
     joined_on="2010-03-01"), 409, "/data/member/id", "already_member"),
    ("pilot before assessment", event("NetworkChosenForPilot", network="ikt",
     chosen_on="2010-04-01", reason="x"), 422, "/data/network", "assessed"),
    ("unknown kind", event("NetworkRegistered", network="x2", name="X", kind="global",
     focus_area="f", registered_on="2010-02-15"), 422, "/data/kind", "one_of"),
    ("registered twice", event("NetworkRegistered", network="ikt", name="IKT", kind="internal",
     focus_area="f", registered_on="2010-02-15"), 409, "/data/network", "unique"),
    ("NUL in coordinator", event("NetworkUpdated", network="ikt", coordinator="Kari\x00",
     updated_on="2010-03-01"), 422, "/data/coordinator", "no_nul_character"),
    ("NUL in a list item", event("NetworkUpdated", network="ikt", tools=["Teams", "\x00"],
     updated_on="2010-03-01"), 422, "/data/tools/1", "no_nul_character"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "pointer", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_register_input_is_refused(
    registry: RunningService, body: dict[str, Any], status: int, pointer: str, rule: str
) -> None:
    before = await registry.log_head()
    response = await registry.post(body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = [{"pointer": e["pointer"], "rule": e["rule"]} for e in response.json()["errors"]]
    assert {"pointer": pointer, "rule": rule} in errors, errors
    assert await registry.log_head() == before
