"""Running the demo: the story told with a seed and posted to the services, once the default
plan is found loaded; what each service recorded, summed up in one line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ptrack.demo.posting import ATTEMPTS, SERVICES, post_all, steps_of
from ptrack.demo.story import DEFAULT_PLAN, STATUS_DATE, tell
from ptrack.plan.model import read_plan
from shared.client import ServiceClient


class DemoError(RuntimeError):
    """The demo cannot start: a service is missing or the plan is not loaded."""


@dataclass(frozen=True)
class ServiceCounts:
    posted: int
    recorded: int
    """Events the service recorded now; 0 when it had every one already."""
    position: int | None
    """The highest log position in the service's receipts: read with `?min_position=` to see
    the whole demo."""


@dataclass(frozen=True)
class DemoSummary:
    project: str
    status_date: date
    services: Mapping[str, ServiceCounts]

    @property
    def posted(self) -> int:
        return sum(counts.posted for counts in self.services.values())

    @property
    def recorded(self) -> int:
        return sum(counts.recorded for counts in self.services.values())

    def report(self) -> str:
        per_service = ", ".join(
            f"{name} {counts.recorded}/{counts.posted}" for name, counts in self.services.items()
        )
        return (
            f"demo {self.project}: {self.posted} events posted, {self.recorded} newly recorded "
            f"({per_service}); look at it as of status_date={self.status_date}"
        )


def run_demo(
    urls: Mapping[str, str], key: str, *, seed: int = 2010, progress: bool = True
) -> DemoSummary:
    """Post the demo history to the services at `urls` (service name -> base URL) with `key`."""
    missing = [service for service in SERVICES if service not in urls]
    if missing:
        raise DemoError(f"the demo needs the URLs of {', '.join(missing)}")
    plan = read_plan(DEFAULT_PLAN)
    steps = steps_of(tell(plan, seed).posts)
    with ServiceClient(key, attempts=ATTEMPTS, timeout=60) as client:
        _require_plan(client, urls, plan.project_id)
        tallies = post_all(client, urls, steps, progress)
    return DemoSummary(
        project=plan.project_id,
        status_date=STATUS_DATE,
        services={
            service: ServiceCounts(tally.posted, tally.recorded, tally.position)
            for service, tally in tallies.items()
        },
    )


def _require_plan(client: ServiceClient, urls: Mapping[str, str], project: str) -> None:
    for service, path in (("finance", "/budget"), ("milestones", "/baselines")):
        if client.find_json(f"{urls[service]}/projects/{project}{path}") is None:
            raise DemoError(
                f"the plan of {project} is not loaded in {service}; load it first: "
                f"ptrack plan load {DEFAULT_PLAN.relative_to(DEFAULT_PLAN.parents[1])}"
            )
