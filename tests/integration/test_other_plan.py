"""A second project, with rules of its own (tests/plans/other-project.yaml: a pilot of 2-4,
five assessment dimensions, three success factors, its own focus areas), through the same
services running as processes, without a change to their code: loaded, networks registered and
assessed on its dimensions, its pilot filled and one network too many refused, surveys on its
factors answered; the register, the status and the board show its rules by their names."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ptrack.plan.load import load_plan
from ptrack.plan.model import read_plan
from ptrack.present.board import board_text
from shared.testing.apps import cloudevent
from tests.integration.conftest import StartServices

PLAN = Path(__file__).resolve().parents[1] / "plans" / "other-project.yaml"
PROJECT = "fjellregionen-2012"
DIMENSIONS = ("purpose", "trust", "rhythm", "knowledge-sharing", "results")
NETWORKS = {  # network: (focus area, score on each dimension)
    "school-leaders": ("schools", (4, 4, 3, 4, 3)),
    "home-nurses": ("elderly-care", (3, 2, 3, 2, 2)),
    "road-crews": ("roads", (2, 3, 2, 3, 4)),
    "teachers": ("schools", (5, 4, 4, 3, 3)),
    "planners": ("roads", (3, 3, 3, 3, 3)),
}


@pytest.fixture
def services(start_services: StartServices) -> dict[str, str]:
    return start_services(("milestones", "finance", "registry", "surveys", "reporting"))


@pytest.fixture
async def client(admin_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {admin_key}"}, timeout=30
    ) as found:
        yield found


class Api:
    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str]) -> None:
        self.client, self.urls = client, urls
        self.heads: dict[str, int] = {}

    async def post(self, service: str, *events: dict[str, Any]) -> httpx.Response:
        one = len(events) == 1
        response = await self.client.post(
            f"{self.urls[service]}/events",
            json=events[0] if one else list(events),
            headers={"Content-Type": f"application/cloudevents{'' if one else '-batch'}+json"},
        )
        if response.status_code == 201:
            self.heads[service] = response.json()["position"]
        return response

    async def get(self, service: str, path: str, **params: str) -> Any:
        if service in self.heads:
            params["min_position"] = str(self.heads[service])
        for _ in range(20):
            response = await self.client.get(f"{self.urls[service]}{path}", params=params)
            if response.status_code != 503:  # the read model is still catching up
                break
        assert response.status_code == 200, response.text
        return response.json()


def refused(response: httpx.Response, status: int = 422) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(error["pointer"], error["rule"]) for error in response.json()["errors"]]


def registry_event(type_: str, **data: Any) -> dict[str, Any]:
    return cloudevent(type_, PROJECT, data)


async def test_another_projects_plan_runs_through_the_same_services(
    services: dict[str, str], admin_key: str, client: httpx.AsyncClient
) -> None:
    loaded = await asyncio.to_thread(load_plan, read_plan(PLAN), services, admin_key)
    assert f"plan {PROJECT}: register rules loaded" in loaded
    assert f"plan {PROJECT}: success factors loaded" in loaded
    api = Api(client, services)

    await _register_and_assess(api)
    await _fill_the_pilot(api)
    await _survey_the_factors(api)

    status = await api.get(
        "reporting", f"/projects/{PROJECT}/status", status_date="2012-12-31", wait="true"
    )
    networks = status["networks"]
    assert (networks["pilot"]["target_min"], networks["pilot"]["target_max"]) == (2, 4)
    assert networks["pilot"]["within_target"]
    assert [s["dimension"] for s in networks["scores"]] == list(DIMENSIONS)
    factors = status["surveys"]["success_factors"]
    assert [f["factor"] for f in factors] == ["ownership", "competence", "quick-wins"]
    english = board_text(status, None, lang="en")
    bokmal = board_text(status, None, lang="nb")
    assert "trust between members" in english
    assert "tillit mellom medlemmene" in bokmal
    assert "quick wins" in english
    assert "raske gevinster" in bokmal


async def _register_and_assess(api: Api) -> None:
    outside = registry_event(
        "NetworkRegistered", network="librarians", name="Librarians", kind="internal",
        focus_area="libraries", registered_on="2012-02-01",
    )  # fmt: skip
    assert refused(await api.post("registry", outside)) == [
        ("/data/focus_area", "known_focus_area")
    ]
    registered = [
        registry_event(
            "NetworkRegistered", network=network, name=network.replace("-", " ").title(),
            kind="internal", focus_area=area, registered_on="2012-02-01",
        )
        for network, (area, _) in NETWORKS.items()
    ]  # fmt: skip
    assert (await api.post("registry", *registered)).status_code == 201
    # The default plan's six dimensions are not this plan's five: each one named.
    six = {"shared_purpose": 3, "activity": 3, "participation": 3, "leadership": 3,
           "tool_use": 3, "member_benefit": 3}  # fmt: skip
    wrong = registry_event(
        "NetworkAssessed", network="teachers", assessor="project group",
        assessed_on="2012-03-01", scores=six,
    )  # fmt: skip
    problems = refused(await api.post("registry", wrong))
    assert [p for p in problems if p[1] == "required"] == [
        (f"/data/scores/{d}", "required") for d in DIMENSIONS
    ]
    assert len([p for p in problems if p[1] == "known_dimension"]) == 6
    assessed = [
        registry_event(
            "NetworkAssessed", network=network, assessor="project group",
            assessed_on="2012-03-01", scores=dict(zip(DIMENSIONS, scores, strict=True)),
        )
        for network, (_, scores) in NETWORKS.items()
    ]  # fmt: skip
    assert (await api.post("registry", *assessed)).status_code == 201
    register = await api.get("registry", f"/projects/{PROJECT}/networks", status_date="2012-03-31")
    areas = {n["id"]: (n["focus_area_name"], n["focus_area_names"]) for n in register["networks"]}
    assert areas["home-nurses"] == ("care for the elderly", {"nb": "eldreomsorg"})
    scores = await api.get(
        "registry", f"/projects/{PROJECT}/networks/scores", status_date="2012-03-31"
    )
    means = {d["dimension"]: (d["name"], d["mean"]) for d in scores["dimensions"]}
    assert means == {
        "purpose": ("clear purpose", 3.4),  # (4 + 3 + 2 + 5 + 3) / 5
        "trust": ("trust between members", 3.2),
        "rhythm": ("meeting rhythm", 3.0),
        "knowledge-sharing": ("knowledge sharing", 3.0),
        "results": ("results for residents", 3.0),
    }


async def _fill_the_pilot(api: Api) -> None:
    chosen = [
        registry_event(
            "NetworkChosenForPilot", network=network, chosen_on="2012-04-16", reason="active"
        )
        for network in NETWORKS
    ]
    assert (await api.post("registry", *chosen[:4])).status_code == 201
    assert refused(await api.post("registry", chosen[4]), 409) == [("/data/network", "pilot_limit")]
    pilot = await api.get(
        "registry", f"/projects/{PROJECT}/networks/pilot", status_date="2012-05-01"
    )
    assert (pilot["count"], pilot["target_min"], pilot["target_max"]) == (4, 2, 4)
    assert pilot["within_target"]


async def _survey_the_factors(api: Api) -> None:
    def published(survey: str, *factors: str) -> dict[str, Any]:
        questions = [
            {"id": f"q{n}", "text": f"Question {n}", "kind": "likert", "required": True,
             "factor": factor}
            for n, factor in enumerate(factors, start=1)
        ]  # fmt: skip
        return cloudevent("SurveyPublished", survey, {
            "project_id": PROJECT, "title": "The pilot", "target": {"kind": "pilot"},
            "phase": "single", "invited": 8, "published_on": "2012-10-01", "questions": questions,
        })  # fmt: skip

    default = published("pilot-old-factors", "understanding")
    assert refused(await api.post("surveys", default)) == [
        ("/data/questions/0/factor", "known_factor")
    ]
    factors = ("ownership", "competence", "quick-wins")
    assert (await api.post("surveys", published("pilot", *factors))).status_code == 201
    answers = ((5, 4, 3), (4, 4, 2), (5, 3, 3), (3, 4, 1), (4, 5, 2))  # q1, q2, q3 each
    responses = [
        cloudevent("ResponseSubmitted", "pilot", {
            "response_id": f"r{n}", "respondent": f"p{n}", "submitted_on": "2012-10-05",
            "answers": {"q1": q1, "q2": q2, "q3": q3},
        })
        for n, (q1, q2, q3) in enumerate(answers)
    ]  # fmt: skip
    assert (await api.post("surveys", *responses)).status_code == 201
    found = await api.get("surveys", f"/projects/{PROJECT}/success-factors")
    scores = {f["factor"]: (f["names"]["nb"], f["score"]) for f in found["factors"]}
    assert scores == {  # likert (v - 1) / 4, the mean of five answers
        "ownership": ("eierskap", 0.8),  # (4 + 3 + 4 + 2 + 3) / 20
        "competence": ("kompetanse", 0.75),  # (3 + 3 + 2 + 3 + 4) / 20
        "quick-wins": ("raske gevinster", 0.3),  # (2 + 1 + 2 + 0 + 1) / 20
    }
