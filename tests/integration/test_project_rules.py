"""A project's own rules from its plan, checked through the HTTP API: the registry's pilot size,
assessment dimensions and focus areas (`RegisterRulesSet`), the surveys' success factors
(`SuccessFactorsSet`). Each broken rule is a problem naming the field and the rule, and nothing
is recorded; a project whose plan sets no rules keeps those every project had before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from services.registry.app import build as build_registry
from services.registry.events import DIMENSIONS
from services.registry.readmodels import RegistryProjection
from services.surveys.app import build as build_surveys
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running

PROJECT = "fjellregionen-2012"
RULES = {
    "pilot": {"min": 2, "max": 3},
    "dimensions": [
        {"id": "purpose", "name": "clear purpose", "names": {"nb": "tydelig formål"}},
        {"id": "trust", "name": "trust"},
    ],
    "focus_areas": [{"id": "schools", "name": "schools"}, {"id": "roads", "name": "roads"}],
    "set_on": "2012-01-10",
}
SCORES = {"purpose": 4, "trust": 3}
FACTORS = {
    "factors": [
        {"id": "ownership", "name": "ownership", "names": {"nb": "eierskap"}},
        {"id": "quick-wins", "name": "quick wins", "measured_by": "The after survey's NPS"},
    ],
    "set_on": "2012-01-10",
}


def registry_event(type_: str, **data: Any) -> dict[str, Any]:
    return cloudevent(type_, PROJECT, data)


def network(name: str, focus_area: str = "schools", **more: Any) -> dict[str, Any]:
    return registry_event(
        "NetworkRegistered", network=name, name=name.title(), kind="internal",
        focus_area=focus_area, registered_on="2012-02-01", **more,
    )  # fmt: skip


def assessed(name: str, scores: dict[str, Any] | None = None) -> dict[str, Any]:
    return registry_event(
        "NetworkAssessed", network=name, assessor="project group", assessed_on="2012-03-01",
        scores=SCORES if scores is None else scores,
    )  # fmt: skip


def chosen(name: str) -> dict[str, Any]:
    return registry_event(
        "NetworkChosenForPilot", network=name, chosen_on="2012-05-01", reason="active"
    )


def survey(survey_id: str, *factors: str | None) -> dict[str, Any]:
    questions = [
        {"id": f"q{n}", "text": f"Question {n}", "kind": "likert", "factor": factor}
        for n, factor in enumerate(factors, start=1)
    ]
    data = {
        "project_id": PROJECT, "title": "Pilot", "target": {"kind": "pilot"}, "phase": "single",
        "invited": 10, "published_on": "2012-06-01", "questions": questions,
    }  # fmt: skip
    return cloudevent("SurveyPublished", survey_id, data)


def problems(response: Any, status: int = 422) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(error["pointer"], error["rule"]) for error in response.json().get("errors", [])]


@pytest.fixture
async def registry(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build_registry(settings)) as service:
        yield service


@pytest.fixture
async def surveys(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build_surveys(settings)) as service:
        yield service


async def ruled(registry: RunningService) -> RunningService:
    response = await registry.post(registry_event("RegisterRulesSet", **RULES), role="admin")
    assert response.status_code == 201, response.text
    return registry


async def read(service: RunningService, path: str, **params: Any) -> Any:
    response = await service.get(path, min_position=await service.log_head(), **params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_project_without_rules_keeps_those_every_project_had(
    registry: RunningService,
) -> None:
    unknown = await registry.get(f"/projects/{PROJECT}/rules")
    assert problems(unknown, 404) == []
    six = dict.fromkeys(DIMENSIONS, 3)
    free = network("ikt", focus_area="knowledge development")
    response = await registry.post(free, assessed("ikt", six))
    assert response.status_code == 201, response.text
    rules = await read(registry, f"/projects/{PROJECT}/rules")
    assert (rules["source"], rules["set_on"], rules["pilot"]) == (
        "default",
        None,
        {"min": 3, "max": 5},
    )
    assert [d["id"] for d in rules["dimensions"]] == list(six)
    assert rules["focus_areas"] == []
    before = await registry.log_head()
    response = await registry.post(assessed("ikt"))
    assert ("/data/scores/shared_purpose", "required") in problems(response)
    assert await registry.log_head() == before


async def test_the_plans_rules_are_recorded_once_and_shown_in_both_languages(
    registry: RunningService,
) -> None:
    await ruled(registry)
    head = await registry.log_head()
    again = await registry.post(registry_event("RegisterRulesSet", **RULES), role="admin")
    assert again.status_code == 200, again.text
    assert again.json()["position"] is None, "the rules in force already: nothing recorded"
    assert await registry.log_head() == head
    rules = await read(registry, f"/projects/{PROJECT}/rules")
    assert (rules["source"], rules["set_on"], rules["pilot"]) == (
        "plan",
        "2012-01-10",
        {"min": 2, "max": 3},
    )
    assert rules["dimensions"] == [
        {"id": "purpose", "name": "clear purpose", "names": {"nb": "tydelig formål"}},
        {"id": "trust", "name": "trust", "names": {}},
    ]


BROKEN_RULES = [
    ("least above most", {"pilot": {"min": 4, "max": 3}}, "/data/pilot/max", "pilot_bounds"),
    ("a dimension twice", {"dimensions": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]},
     "/data/dimensions/1/id", "unique"),
    ("a focus area twice",
     {"focus_areas": [{"id": "x", "name": "X"}, {"id": "x", "name": "Y"}]},
     "/data/focus_areas/1/id", "unique"),
    ("no dimensions", {"dimensions": []}, "/data/dimensions", "too_short"),
    ("a pilot of none", {"pilot": {"min": 0, "max": 0}}, "/data/pilot/max", "greater_than_equal"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "pointer", "rule"),
    [case[1:] for case in BROKEN_RULES],
    ids=[case[0] for case in BROKEN_RULES],
)
async def test_rules_that_contradict_themselves_are_refused(
    registry: RunningService, changes: dict[str, Any], pointer: str, rule: str
) -> None:
    response = await registry.post(registry_event("RegisterRulesSet", **{**RULES, **changes}))
    assert problems(response) == [(pointer, rule)]
    assert await registry.log_head() == 0


async def test_a_network_works_in_one_of_the_plans_focus_areas(registry: RunningService) -> None:
    await ruled(registry)
    before = await registry.log_head()
    response = await registry.post(network("ikt", focus_area="Schools"))
    assert problems(response) == [("/data/focus_area", "known_focus_area")]
    assert "its focus areas: schools, roads" in response.json()["detail"]
    assert await registry.log_head() == before
    assert (await registry.post(network("ikt"))).status_code == 201
    moved = registry_event(
        "NetworkUpdated", network="ikt", focus_area="health", updated_on="2012-03-01"
    )
    assert problems(await registry.post(moved)) == [("/data/focus_area", "known_focus_area")]
    found = await read(registry, f"/projects/{PROJECT}/networks/ikt")
    assert (found["focus_area"], found["focus_area_name"]) == ("schools", "schools")


async def test_an_assessment_scores_exactly_the_plans_dimensions(registry: RunningService) -> None:
    await ruled(registry)
    assert (await registry.post(network("ikt"))).status_code == 201
    before = await registry.log_head()
    response = await registry.post(assessed("ikt", {"purpose": 4, "tool_use": 2}))
    assert problems(response) == [
        ("/data/scores/trust", "required"),
        ("/data/scores/tool_use", "known_dimension"),
    ]
    assert await registry.log_head() == before
    assert (await registry.post(assessed("ikt"))).status_code == 201
    scores = await read(registry, f"/projects/{PROJECT}/networks/scores", status_date="2012-03-31")
    assert [(d["dimension"], d["name"], d["names"], d["mean"]) for d in scores["dimensions"]] == [
        ("purpose", "clear purpose", {"nb": "tydelig formål"}, 4.0),
        ("trust", "trust", {}, 3.0),
    ]
    metrics = await registry.metrics()
    labels = f'dimension="trust",network="ikt",project="{PROJECT}"'
    assert f"ptrack_network_assessment_score{{{labels}}} 3.0" in metrics


async def test_the_pilot_takes_at_most_the_plans_most(registry: RunningService) -> None:
    await ruled(registry)
    setup = [e for name in "abcd" for e in (network(name), assessed(name))]
    assert (await registry.post(*setup)).status_code == 201
    assert (await registry.post(chosen("a"), chosen("b"), chosen("c"))).status_code == 201
    before = await registry.log_head()
    response = await registry.post(chosen("d"))
    assert problems(response, 409) == [("/data/network", "pilot_limit")]
    assert "takes 2 to 3" in response.json()["detail"]
    assert await registry.log_head() == before
    pilot = await read(registry, f"/projects/{PROJECT}/networks/pilot", status_date="2012-06-01")
    assert (pilot["count"], pilot["target_min"], pilot["target_max"], pilot["within_target"]) == (
        3,
        2,
        3,
        True,
    )
    metrics = await registry.metrics()
    assert f'ptrack_pilot_target_networks{{bound="max",project="{PROJECT}"}} 3.0' in metrics


async def test_a_batch_breaking_a_rule_records_nothing(registry: RunningService) -> None:
    await ruled(registry)
    before = await registry.log_head()
    response = await registry.post(network("ikt"), assessed("ikt", {"purpose": 4}))
    assert problems(response) == [("/1/data/scores/trust", "required")]
    assert await registry.log_head() == before
    assert (
        await registry.get(f"/projects/{PROJECT}/networks", min_position=before)
    ).status_code == 404


async def test_a_revision_of_the_rules_applies_to_what_comes_after(
    registry: RunningService,
) -> None:
    await ruled(registry)
    assert (await registry.post(network("ikt"), assessed("ikt"))).status_code == 201
    revised = {**RULES, "dimensions": [{"id": "trust", "name": "trust"}], "set_on": "2012-06-01",
               "reason": "one dimension is enough", "decision_ref": "RR 4/2012"}  # fmt: skip
    response = await registry.post(registry_event("RegisterRulesSet", **revised), role="admin")
    assert response.status_code == 201, response.text
    assert problems(await registry.post(assessed("ikt"))) == [
        ("/data/scores/purpose", "known_dimension")
    ]
    spring = await read(registry, f"/projects/{PROJECT}/rules", status_date="2012-05-31")
    autumn = await read(registry, f"/projects/{PROJECT}/rules", status_date="2012-06-01")
    assert [len(r["dimensions"]) for r in (spring, autumn)] == [2, 1]
    assert autumn["decision_ref"] == "RR 4/2012"


async def test_questions_measure_the_projects_success_factors(surveys: RunningService) -> None:
    assert problems(await surveys.get(f"/projects/{PROJECT}/rules"), 404) == []
    # Before its plan names factors, a project has the four every project had.
    assert (await surveys.post(survey("s0", "understanding"))).status_code == 201
    defaults = await read(surveys, f"/projects/{PROJECT}/rules")
    assert defaults["source"] == "default"
    assert [f["id"] for f in defaults["factors"]] == [
        "understanding", "anchoring", "commitment", "small_visible_successes"
    ]  # fmt: skip
    # The factors and a survey measuring them in one batch: the survey reads the factors the
    # same request sets.
    factors = cloudevent("SuccessFactorsSet", PROJECT, FACTORS)
    response = await surveys.post(
        factors, survey("s1", "ownership", "quick-wins", None), role="admin"
    )
    assert response.status_code == 201, response.text
    before = await surveys.log_head()
    response = await surveys.post(survey("s2", "ownership", "understanding", "trust"))
    assert problems(response) == [
        ("/data/questions/1/factor", "known_factor"),
        ("/data/questions/2/factor", "known_factor"),
    ]
    assert "its factors: ownership, quick-wins" in response.json()["detail"]
    assert await surveys.log_head() == before
    answers = [
        cloudevent("ResponseSubmitted", "s1", {"response_id": f"r{n}", "respondent": f"p{n}",
                   "submitted_on": "2012-06-02", "answers": {"q1": 5, "q2": 3}})
        for n in range(1, 6)
    ]  # fmt: skip
    assert (await surveys.post(*answers)).status_code == 201
    found = await read(surveys, f"/projects/{PROJECT}/success-factors")
    assert [(f["factor"], f["name"], f["names"], f["score"]) for f in found["factors"]] == [
        ("ownership", "ownership", {"nb": "eierskap"}, 1.0),
        ("quick-wins", "quick wins", {}, 0.5),
    ]
    assert found["factors"][1]["measured_by"] == "The after survey's NPS"


async def test_success_factors_that_repeat_an_id_are_refused(surveys: RunningService) -> None:
    twice = {**FACTORS, "factors": [{"id": "a", "name": "A"}, {"id": "a", "name": "B"}]}
    response = await surveys.post(cloudevent("SuccessFactorsSet", PROJECT, twice))
    assert problems(response) == [("/data/factors/1/id", "unique")]
    assert await surveys.log_head() == 0


async def test_an_assessments_table_of_six_columns_moves_its_scores_into_jsonb(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings
) -> None:
    """A read model made before plans held the dimensions keeps its assessments: the migration
    gives what a rebuild would."""
    schema = settings.schema_for("old_registry")
    await pool.execute(f"CREATE SCHEMA {schema}")
    try:
        await pool.execute(
            f"CREATE TABLE {schema}.assessments (position bigint PRIMARY KEY, project_id text NOT "
            "NULL, network text NOT NULL, assessor text NOT NULL, assessed_on date NOT NULL, "
            "shared_purpose smallint NOT NULL, activity smallint NOT NULL, participation "
            "smallint NOT NULL, leadership smallint NOT NULL, tool_use smallint NOT NULL, "
            "member_benefit smallint NOT NULL, works_well text, works_less_well text)"
        )
        await pool.execute(
            f"INSERT INTO {schema}.assessments VALUES (7, 'p', 'ikt', 'pg', '2010-03-01', "
            "4, 3, 3, 4, 2, 4, 'meets', NULL)"
        )
        sql = RegistryProjection().schema_sql(schema)
        await pool.execute(sql)
        await pool.execute(sql)  # and again, as every start runs it
        row = await pool.fetchrow(f"SELECT * FROM {schema}.assessments")
        assert row is not None
        assert dict(row) == {
            "position": 7, "project_id": "p", "network": "ikt", "assessor": "pg",
            "assessed_on": row["assessed_on"], "works_well": "meets", "works_less_well": None,
            "scores": {"shared_purpose": 4, "activity": 3, "participation": 3, "leadership": 4,
                       "tool_use": 2, "member_benefit": 4},
        }  # fmt: skip
    finally:
        await pool.execute(f"DROP SCHEMA {schema} CASCADE")
