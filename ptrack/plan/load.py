"""Loading a plan into the running services through their public HTTP APIs.

Idempotent: every event has an id fixed by its content, so loading the same plan twice records
nothing new. A changed plan becomes a revision: a new milestones baseline (`PlanRevised`), a
`BudgetRevised` for changed budget lines and a new `FinancingPlanned`, each carrying the
decision that allowed it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ptrack.plan.model import Plan
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
            return [loader.schedule(), *loader.finance()]
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
        if not changes and not in_kind_delta:
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
        }
        self._post("finance", self.plan.event("BudgetRevised", data, f"/{_digest(data)}"))
        return f"plan {self.plan.project_id}: budget revised ({len(changes)} line(s))"

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


def _digest(data: Any) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()[:16]
