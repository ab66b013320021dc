"""Plan files: YAML validated against `plans/plan.schema.json`, turned into the events that
load them into the services."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "plans" / "plan.schema.json"
_PLAN_NAMESPACE = uuid.UUID("8d0b5c1a-3f7e-4c1e-b6a2-2a7f4f9c0d11")


class _StringDates(yaml.SafeLoader):
    """YAML with dates left as strings, so the JSON Schema sees what the author wrote."""


_StringDates.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class PlanError(ValueError):
    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Plan:
    path: Path
    data: dict[str, Any]

    @property
    def project_id(self) -> str:
        return str(self.data["project"]["id"])

    def budget(self) -> dict[str, Any]:
        """`BudgetApproved` data (each line with its `names`, when the plan gives them; the
        municipalities and the in-kind rules, when the plan has an `in_kind` section)."""
        project, budget = self.data["project"], self.data["budget"]
        approved = {
            "project_name": project["name"],
            "currency": project["currency"],
            "period_start": project["period"]["start"],
            "period_end": project["period"]["end"],
            "frame": budget["frame"],
            "in_kind": budget["in_kind"],
            "lines": budget["lines"],
            "approved_on": budget["approved_on"],
        }
        if budget.get("decision_ref"):
            approved["decision_ref"] = budget["decision_ref"]
        rules = self.data.get("in_kind")
        if rules:
            approved["municipalities"] = list(self.data.get("municipalities", []))
            ceilings = rules["rate_ceilings"]
            approved["in_kind_rules"] = {
                "activities": rules["activities"],
                "default_rate_ceiling": ceilings["default"],
                "rate_ceilings": dict(ceilings.get("roles", {})),
                "max_hours_per_day": rules["max_hours_per_day"],
            }
            attesters = self.attesters()
            if attesters:
                approved["in_kind_rules"]["attesters"] = attesters
        return approved

    def attesters(self) -> dict[str, str]:
        """Who attests each municipality's in-kind work: its member of the project group."""
        group = self.data.get("organisation", {}).get("project_group", [])
        return {member["municipality"]: member["name"] for member in group}

    def financing(self) -> dict[str, Any]:
        """`FinancingPlanned` data (each source with its `names`, when the plan gives them)."""
        financing = self.data["financing"]
        return {"sources": financing["sources"], "planned_on": financing["planned_on"]}

    def register_rules(self) -> dict[str, Any] | None:
        """`RegisterRulesSet` data but its date and decision: the pilot's size, the assessment
        dimensions and the focus areas; None for a plan without them."""
        if "pilot" not in self.data:
            return None
        pilot = self.data["pilot"]
        return {
            "pilot": {"min": pilot["min"], "max": pilot["max"]},
            "dimensions": [_named(item) for item in self.data["assessment_dimensions"]],
            "focus_areas": [_named(item) for item in self.data.get("focus_areas", [])],
        }

    def networks_carried_over(self) -> dict[str, Any] | None:
        """`NetworksCarriedOver` data, dated the budget's approval: the networks the project
        takes over from another project's register; None for a plan that builds on none."""
        section = self.data.get("networks_carried_over")
        if section is None:
            return None
        carried = {
            "from_project": section["from_project"],
            "networks": list(section.get("networks", [])),
            "carried_on": self.data["budget"]["approved_on"],
        }
        if section.get("reason"):
            carried["reason"] = section["reason"]
        return carried

    def success_factors(self) -> dict[str, Any] | None:
        """`SuccessFactorsSet` data but its date and decision; None for a plan without them."""
        if "success_factors" not in self.data:
            return None
        factors = []
        for item in self.data["success_factors"]:
            factor = _named(item)
            if item.get("measured_by"):
                factor["measured_by"] = item["measured_by"]
            factors.append(factor)
        return {"factors": factors}

    def imports(self, kind: str) -> dict[str, Any] | None:
        """The plan's default mapping for `ptrack import <kind>` (`saft`, `timesheet`)."""
        found: dict[str, Any] | None = self.data.get("imports", {}).get(kind)
        return found

    def schedule(self) -> dict[str, Any]:
        """The schedule a milestones baseline holds (`PlanContent` data): the plan's `language`
        and every item with its `titles`, as the plan gives them."""
        project = self.data["project"]

        def without_source(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{k: v for k, v in item.items() if k != "source"} for item in items]

        schedule = {
            "project_name": project["name"],
            "period_start": project["period"]["start"],
            "period_end": project["period"]["end"],
            "goals": without_source(self.data["goals"]),
            "milestones": without_source(self.data["milestones"]),
            "decision_points": without_source(self.data["decision_points"]),
            "activities": without_source(self.data["activities"]),
        }
        if self.data.get("language"):
            schedule["language"] = self.data["language"]
        for optional in ("main_goal", "organisation"):
            if self.data.get(optional):
                schedule[optional] = self.data[optional]
        return schedule

    def event(self, type_: str, data: dict[str, Any], key: str = "") -> dict[str, Any]:
        """A CloudEvent whose id is fixed by project, type and `key`, so posting it twice
        records it once."""
        return {
            "specversion": "1.0",
            "id": str(uuid.uuid5(_PLAN_NAMESPACE, f"{self.project_id}/{type_}{key}")),
            "source": "urn:ptrack:plan",
            "type": type_,
            "subject": self.project_id,
            "data": data,
        }


def _named(item: dict[str, Any]) -> dict[str, Any]:
    """An id and name, with the `names` the plan gives (none left out, as events leave them)."""
    named = {"id": item["id"], "name": item["name"]}
    if item.get("names"):
        named["names"] = dict(item["names"])
    return named


def read_plan(path: Path) -> Plan:
    """Parse and validate against the JSON Schema; raises PlanError listing every problem."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StringDates)
    except yaml.YAMLError as error:
        raise PlanError(path, [f"not valid YAML: {error}"]) from None
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        raise PlanError(path, problems)
    return Plan(path, data)
