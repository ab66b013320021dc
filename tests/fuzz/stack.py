"""The five services in-process, holding the demo's history, for the fuzz tests.

Hypothesis drives examples synchronously, so the apps run in an event loop of their own (a
blocking portal); their pools and NATS connections live in that loop, and requests are sent
through it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from ptrack.demo.posting import steps_of
from ptrack.demo.story import DEFAULT_PLAN, tell
from ptrack.plan.model import Plan, read_plan
from ptrack.stack.catalog import SERVICES
from shared.settings import Settings
from shared.testing.apps import RunningService, running

KNOWN = {
    "project_id": "kongsbergregionen-2010",
    "survey_id": "oppvekst-before-2010",
    "network": "oppvekst",
    "baseline": "1",
}
"""Path parameters the demo's history has data for."""


@contextmanager
def demo_stack(settings: Settings) -> Iterator[tuple[BlockingPortal, dict[str, RunningService]]]:
    """Every service, seeded with the default plan and the demo's history, read models and
    feeds caught up. No rate limit (thousands of requests a run) and no waiting for read
    models."""
    fuzzing = settings.model_copy(update={"rate_limit_per_second": 0, "read_wait_seconds": 0})
    with start_blocking_portal() as portal, ExitStack() as stack:
        services = {
            name: stack.enter_context(
                portal.wrap_async_context_manager(running(entry.build(fuzzing)))
            )
            for name, entry in SERVICES.items()
        }
        portal.call(_seed, services)
        yield portal, services


def demo_posts() -> Iterator[tuple[str, bool, dict[str, Any]]]:
    """(service, webhook?, body) of every post that loads the plan and tells the demo."""
    plan = read_plan(DEFAULT_PLAN)
    for service, body in plan_posts(plan):
        yield service, False, body
    for step in steps_of(tell(plan, seed=2010).posts):
        for post in step.posts:
            yield step.service, step.webhook, post.body


def plan_posts(plan: Plan) -> list[tuple[str, dict[str, Any]]]:
    """The posts that load `plan`, as `ptrack plan load` makes them."""
    schedule = {**plan.schedule(), "baseline": 1, "baselined_on": "2010-02-01"}
    posts = [
        ("milestones", plan.event("PlanBaselined", schedule)),
        ("finance", plan.event("BudgetApproved", plan.budget())),
        ("finance", plan.event("FinancingPlanned", plan.financing())),
    ]
    approved_on = plan.data["budget"]["approved_on"]
    if (register := plan.register_rules()) is not None:
        rules = {**register, "set_on": approved_on}
        posts.append(("registry", plan.event("RegisterRulesSet", rules)))
    if (factors := plan.success_factors()) is not None:
        factors_set = {**factors, "set_on": approved_on}
        posts.append(("surveys", plan.event("SuccessFactorsSet", factors_set)))
    return posts


async def _seed(services: Mapping[str, RunningService]) -> None:
    plan = read_plan(DEFAULT_PLAN)
    for name, body in plan_posts(plan):
        await _posted(services[name].post(body))
    for step in steps_of(tell(plan, seed=2010).posts):
        service = services[step.service]
        if not step.webhook:
            await _posted(service.post(*(post.body for post in step.posts)))
            continue
        for post in step.posts:  # Formbricks deliveries, one at a time
            headers = service.auth("integration")
            await _posted(
                service.client.post("/webhooks/formbricks", json=post.body, headers=headers)
            )
    for service in services.values():
        head = await service.log_head()
        assert await service.runtime.read_models_reach(head, 30)
    assert await services["reporting"].runtime.feeds_reach_sources(30)


async def _posted(sending: Any) -> None:
    response: httpx.Response = await sending
    assert response.status_code in (200, 201, 202), response.text
