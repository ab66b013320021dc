"""Loading a plan into the running services through their public HTTP APIs.

Idempotent: every event has an id fixed by its content, so loading the same plan twice records
nothing new. A changed plan becomes a revision: a new milestones baseline (`PlanRevised`), a
`BudgetRevised` for changed budget lines, a new `FinancingPlanned`, and new rules for the
register (`RegisterRulesSet`) and the surveys (`SuccessFactorsSet`), each carrying the decision
that allowed it. A plan that builds on another project's register carries its networks over
(`NetworksCarriedOver`) once the register's rules are loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ptrack.plan.model import Plan
from services.finance.events import InKindRules
from services.milestones.events import PlanContent
from services.milestones.readmodels import plan_fingerprint
from shared.canonical import canonical_json
from shared.client import ApiError, ServiceClient
from shared.money import format_ore, parse_ore


@dataclass(frozen=True)
class Revision:
    """Why a changed plan may replace the loaded one."""

    reason: str
    decision_ref: str
    decided_on: date


class NeedsRevision(Exception):
    """The plan differs from what is loaded, and no revision was given."""


def load_plan(
    plan: Plan, urls: Mapping[str, str], key: str, revision: Revision | None = None
) -> list[str]:
    """Post the plan's events; returns what happened, one line each."""
    with ServiceClient(key) as client:
        loader = _Loader(plan, urls, client, revision)
        try:
            return [loader.schedule(), *loader.finance(), *loader.rules(), *loader.carry_over()]
        except ApiError as error:
            message = f"plan {plan.project_id}: a service refused the plan:\n{error}"
            raise SystemExit(message) from None


class _Loader:
    def __init__(
        self,
        plan: Plan,
        urls: Mapping[str, str],
        client: ServiceClient,
        revision: Revision | None,
    ) -> None:
        self.plan, self.urls, self.client, self.revision = plan, urls, client, revision

    def _get(self, service: str, path: str) -> Any | None:
        return self.client.find_json(f"{self.urls[service]}/projects/{self.plan.project_id}{path}")

    def _post(self, service: str, *events: dict[str, Any]) -> dict[str, Any]:
        return self.client.post_events(self.urls[service], events)

    def _require_revision(self, what: str) -> Revision:
        if self.revision is None:
            raise NeedsRevision(
                f"plan {self.plan.project_id}: the {what} differs from what is loaded; a change "
                "is recorded as a revision: give --reason and --decision-ref (and --decided-on)"
            )
        return self.revision

    def schedule(self) -> str:
        schedule = self.plan.schedule()
        fingerprint = plan_fingerprint(PlanContent.model_validate(schedule))
        baselines = self._get("milestones", "/baselines")
        if not baselines:
            first = {
                **schedule,
                "baseline": 1,
                "baselined_on": self.plan.data["budget"]["approved_on"],
            }
            receipt = self._post("milestones", self.plan.event("PlanBaselined", first))
            state = "already loaded" if receipt["duplicate"] else "loaded"
            return f"plan {self.plan.project_id}: schedule baseline 1 {state}"
        latest = baselines[-1]
        if latest["fingerprint"] == fingerprint:
            return (
                f"plan {self.plan.project_id}: schedule unchanged (baseline {latest['baseline']})"
            )
        earlier = [b["baseline"] for b in baselines if b["fingerprint"] == fingerprint]
        if earlier:
            # The file is a plan loaded before and revised since (through the API, as the demo
            # does): loading it again would take the revision back, which needs a decision of
            # its own, not a restart.
            return (
                f"plan {self.plan.project_id}: schedule unchanged (baseline {earlier[-1]}; "
                f"revised since: baseline {latest['baseline']} is in force)"
            )
        revision = self._require_revision("schedule")
        number = latest["baseline"] + 1
        revised = {
            **schedule,
            "baseline": number,
            "reason": revision.reason,
            "decision_ref": revision.decision_ref,
            "revised_on": revision.decided_on.isoformat(),
        }
        self._post("milestones", self.plan.event("PlanRevised", revised, f"/{fingerprint}"))
        return f"plan {self.plan.project_id}: schedule revised as baseline {number}"

    def finance(self) -> list[str]:
        project = self.plan.project_id
        try:
            receipt = self._post(
                "finance",
                self.plan.event("BudgetApproved", self.plan.budget()),
                self.plan.event("FinancingPlanned", self.plan.financing()),
            )
        except ApiError as error:
            if error.status != 409:
                raise
            # The plan's budget or financing is not the one approved first: a revision of
            # what stands now (which may itself have been revised since).
            budget = self._get("finance", "/budget")
            assert budget is not None
            return [self._budget_revision(budget), self._financing_revision()]
        # The same plan as approved first: later revisions (by decision) stand.
        state = "already loaded" if receipt["duplicate"] else "loaded"
        return [f"plan {project}: budget and financing {state}"]

    def _budget_revision(self, loaded: dict[str, Any]) -> str:
        wanted = {line["id"]: line for line in self.plan.data["budget"]["lines"]}
        current = {line["id"]: parse_ore(line["budget"]) for line in loaded["lines"]}
        changes: list[dict[str, Any]] = []
        for line_id in [*wanted, *(i for i in current if i not in wanted)]:
            amount = parse_ore(wanted[line_id]["amount"]) if line_id in wanted else 0
            if amount == current.get(line_id, 0):
                continue
            change: dict[str, Any] = {
                "line": line_id,
                "delta": format_ore(amount - current.get(line_id, 0)),
            }
            if line_id not in current:  # a new line needs its name (and its translations)
                change["name"] = wanted[line_id]["name"]
                if wanted[line_id].get("names"):
                    change["names"] = wanted[line_id]["names"]
            changes.append(change)
        in_kind_delta = parse_ore(self.plan.data["budget"]["in_kind"]) - parse_ore(
            loaded["in_kind"]["budget"]
        )
        rules = self._changed_rules(loaded)
        if not changes and not in_kind_delta and not rules:
            return f"plan {self.plan.project_id}: budget unchanged"
        revision = self._require_revision("budget")
        frame_delta = sum(parse_ore(change["delta"]) for change in changes) + in_kind_delta
        data = {
            "decision_ref": revision.decision_ref,
            "reason": revision.reason,
            "revised_on": revision.decided_on.isoformat(),
            "changes": changes,
            "in_kind_delta": format_ore(in_kind_delta),
            "frame_delta": format_ore(frame_delta),
            **rules,
        }
        self._post("finance", self.plan.event("BudgetRevised", data, f"/{_digest(data)}"))
        what = f"{len(changes)} line(s)" + (", in-kind rules" if rules else "")
        return f"plan {self.plan.project_id}: budget revised ({what})"

    def _changed_rules(self, loaded: dict[str, Any]) -> dict[str, Any]:
        """The plan's in-kind rules and municipalities for a revision, when they differ from
        those that stand (a plan that drops its rules keeps the standing ones)."""
        wanted = self.plan.budget()
        if "in_kind_rules" not in wanted:
            return {}
        rules = InKindRules.model_validate(wanted["in_kind_rules"])
        standing = loaded.get("in_kind_rules")
        same_rules = standing is not None and InKindRules.model_validate(standing) == rules
        if same_rules and sorted(loaded.get("municipalities", [])) == sorted(
            wanted["municipalities"]
        ):
            return {}
        return {
            "in_kind_rules": wanted["in_kind_rules"],
            "municipalities": wanted["municipalities"],
        }

    def _financing_revision(self) -> str:
        loaded = self._get("finance", "/funding") or {"sources": []}
        current = {(s["id"], s["kind"], parse_ore(s["planned"])) for s in loaded["sources"]}
        financing = self.plan.financing()
        wanted = {(s["id"], s["kind"], parse_ore(s["amount"])) for s in financing["sources"]}
        if current == wanted:
            return f"plan {self.plan.project_id}: financing unchanged"
        self._require_revision("financing")
        self._post(
            "finance", self.plan.event("FinancingPlanned", financing, f"/{_digest(financing)}")
        )
        return f"plan {self.plan.project_id}: financing replanned"

    def rules(self) -> list[str]:
        """The plan's rules for the register and the surveys, when it has them."""
        lines = []
        register = self.plan.register_rules()
        if register is not None:
            lines.append(self._rules("registry", "RegisterRulesSet", register, "register rules"))
        factors = self.plan.success_factors()
        if factors is not None:
            lines.append(self._rules("surveys", "SuccessFactorsSet", factors, "success factors"))
        return lines

    def carry_over(self) -> list[str]:
        """The networks the plan takes over from another project's register, when it names
        one. The event's id is fixed by what it carries, so loading the plan again records
        nothing; a changed section carries what it names anew (and the registry refuses a
        network the project has already: 409)."""
        carried = self.plan.networks_carried_over()
        if carried is None:
            return []
        event = self.plan.event("NetworksCarriedOver", carried, f"/{_digest(carried)}")
        receipt = self._post("registry", event)
        count = sum(1 for item in receipt["events"] if item["type"] == "NetworkCarriedIn")
        state = "already carried over" if receipt["duplicate"] else "carried over"
        origin = carried["from_project"]
        return [f"plan {self.plan.project_id}: {count} network(s) {state} from {origin}"]

    def _rules(self, service: str, type_: str, wanted: dict[str, Any], what: str) -> str:
        project = self.plan.project_id
        loaded = self._get(service, "/rules")
        if loaded is None or loaded["source"] == "default":
            first = {**wanted, "set_on": self.plan.data["budget"]["approved_on"]}
            receipt = self._post(service, self.plan.event(type_, first))
            return f"plan {project}: {what} {'already ' if receipt['duplicate'] else ''}loaded"
        if all(_comparable(loaded[key]) == _comparable(value) for key, value in wanted.items()):
            return f"plan {project}: {what} unchanged"
        revision = self._require_revision(what)
        revised = {
            **wanted,
            "set_on": revision.decided_on.isoformat(),
            "reason": revision.reason,
            "decision_ref": revision.decision_ref,
        }
        self._post(service, self.plan.event(type_, revised, f"/{_digest(revised)}"))
        return f"plan {project}: {what} revised"


def _comparable(value: Any) -> Any:
    """A rule as the plan gives it and as a service shows it, alike: a service shows every
    `names` (empty too) and `measured_by` (null too), a plan leaves them out."""
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dict):
        return {
            key: _comparable(item)
            for key, item in value.items()
            if item not in ({}, None) or key not in ("names", "measured_by")
        }
    return value


def _digest(data: Any) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()[:16]
