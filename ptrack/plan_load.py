"""Loading a plan into the running services, through their public HTTP APIs."""

from __future__ import annotations

from collections.abc import Mapping

from ptrack.client import ApiError, post_events
from ptrack.plan import Plan


def load_plan(plan: Plan, service_urls: Mapping[str, str], key: str) -> list[str]:
    """Post the plan's events; returns what happened, one line each. Idempotent."""
    try:
        receipt = post_events(service_urls["finance"], key, plan.finance_events())
    except ApiError as error:
        if error.status == 409:
            raise SystemExit(
                f"plan {plan.project_id}: the budget or financing differs from what was loaded "
                "before. An approved budget changes by a steering-group decision, posted as a "
                f"BudgetRevised event.\n{error}"
            ) from None
        raise SystemExit(f"plan {plan.project_id}: finance refused the plan:\n{error}") from None
    state = "already loaded" if receipt["duplicate"] else "loaded"
    return [
        f"plan {plan.project_id}: budget and financing {state} (log position {receipt['position']})"
    ]
