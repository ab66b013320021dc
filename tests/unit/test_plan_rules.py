"""A plan's rules for the register and the surveys (`pilot`, `assessment_dimensions`,
`focus_areas`, `success_factors`) and the register it builds on (`networks_carried_over`):
what `ptrack plan check` says of them, and the events that carry them to the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ptrack.plan.check import check_plan
from ptrack.plan.model import read_plan
from services.registry.events import DIMENSIONS, NetworksCarriedOver, RegisterRulesSet
from services.surveys.events import FACTORS, SuccessFactorsSet
from tests.unit.test_plan_check import DEFAULT_PLAN, TEST_PLANS, line_of, variant


def errors(path: Path) -> list[tuple[str, str, int]]:
    return [(f.rule, f.path, f.line) for f in check_plan(path) if f.level == "error"]


def test_the_default_plan_states_the_seeds_rules_under_todays_ids() -> None:
    plan = read_plan(DEFAULT_PLAN)
    register = plan.register_rules()
    assert register is not None
    assert register["pilot"] == {"min": 3, "max": 5}
    assert tuple(d["id"] for d in register["dimensions"]) == DIMENSIONS
    assert register["dimensions"][4] == {
        "id": "tool_use",
        "name": "bruk av samhandlingsverktøy",
        "names": {"en": "use of collaboration tools"},
    }
    assert "helse-omsorg" in [area["id"] for area in register["focus_areas"]]
    factors = plan.success_factors()
    assert factors is not None
    assert tuple(f["id"] for f in factors["factors"]) == FACTORS
    assert [f["name"] for f in factors["factors"]] == [
        "forståelse", "forankring", "forpliktelse", "små synlige suksesser",
    ]  # fmt: skip
    # What the loader posts is what the services' events take.
    RegisterRulesSet.model_validate({**register, "set_on": "2010-02-01"})
    SuccessFactorsSet.model_validate({**factors, "set_on": "2010-02-01"})


def test_the_second_test_plan_has_other_rules_and_no_findings() -> None:
    path = TEST_PLANS / "other-project.yaml"
    assert check_plan(path) == []
    plan = read_plan(path)
    register, factors = plan.register_rules(), plan.success_factors()
    assert register is not None
    assert factors is not None
    assert register["pilot"] == {"min": 2, "max": 4}
    assert len(register["dimensions"]) == 5
    assert len(factors["factors"]) == 3
    ids = {d["id"] for d in register["dimensions"]} | {f["id"] for f in factors["factors"]}
    assert not ids & (set(DIMENSIONS) | set(FACTORS))


def test_a_plan_without_rules_posts_none(tmp_path: Path) -> None:
    def without_rules(data: dict[str, Any]) -> None:
        for key in ("pilot", "assessment_dimensions", "focus_areas", "success_factors"):
            del data[key]

    path = variant(tmp_path, without_rules)
    assert not errors(path)
    assert read_plan(path).register_rules() is None
    assert read_plan(path).success_factors() is None


def test_a_pilot_whose_least_exceeds_its_most_is_an_error_on_its_line(tmp_path: Path) -> None:
    def reversed_pilot(data: dict[str, Any]) -> None:
        data["pilot"] = {"min": 6, "max": 5}

    path = variant(tmp_path, reversed_pilot)
    assert errors(path) == [("pilot_bounds", "/pilot/min", line_of(path, "min: 6"))]


def test_an_id_used_twice_in_a_rule_list_is_an_error(tmp_path: Path) -> None:
    def twice(data: dict[str, Any]) -> None:
        data["assessment_dimensions"][1]["id"] = "shared_purpose"
        data["focus_areas"][2]["id"] = "helse-omsorg"
        data["success_factors"][3]["id"] = "anchoring"

    found = {(rule, pointer) for rule, pointer, _ in errors(variant(tmp_path, twice))}
    assert found == {
        ("duplicate_id", "/assessment_dimensions/1/id"),
        ("duplicate_id", "/focus_areas/2/id"),
        ("duplicate_id", "/success_factors/3/id"),
    }


def test_the_register_rules_come_together(tmp_path: Path) -> None:
    """A pilot without dimensions (or focus areas without either) is a schema error: the
    registry takes them as one set."""

    def without_dimensions(data: dict[str, Any]) -> None:
        del data["assessment_dimensions"]

    found = [f for f in check_plan(variant(tmp_path, without_dimensions)) if f.level == "error"]
    assert {(f.rule, f.path) for f in found} == {("schema", "")}
    assert sorted(f.message.split(" (at")[0] for f in found) == [
        "'assessment_dimensions' is a dependency of 'focus_areas'",
        "'assessment_dimensions' is a dependency of 'pilot'",
    ]


def test_the_roll_out_plan_builds_on_the_pre_projects_register() -> None:
    path = TEST_PLANS / "rollout-2011.yaml"
    assert check_plan(path) == []
    carried = read_plan(path).networks_carried_over()
    assert carried == {
        "from_project": "kongsbergregionen-2010",
        "networks": [],
        "carried_on": "2011-01-10",
        "reason": "Utrullingen bygger på forprosjektets kartlegging",
    }
    NetworksCarriedOver.model_validate(carried)
    assert read_plan(DEFAULT_PLAN).networks_carried_over() is None


def test_a_plan_building_on_its_own_register_is_an_error(tmp_path: Path) -> None:
    def from_itself(data: dict[str, Any]) -> None:
        data["networks_carried_over"] = {
            "from_project": data["project"]["id"],
            "networks": ["ikt-forum"],
        }

    path = variant(tmp_path, from_itself)
    assert errors(path) == [
        (
            "other_project",
            "/networks_carried_over/from_project",
            line_of(path, "from_project: kongsbergregionen-2010"),
        )
    ]
    assert read_plan(path).networks_carried_over() == {
        "from_project": "kongsbergregionen-2010",
        "networks": ["ikt-forum"],
        "carried_on": "2010-02-01",
    }
