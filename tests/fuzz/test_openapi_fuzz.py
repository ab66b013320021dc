"""Every operation of every service fuzzed from its own OpenAPI schema with schemathesis:
valid and invalid requests, each sent with a key whose role may call the route. No answer may
be a server error, and every answer must be as documented: status, content type and body.

The services hold the demo's history, and part of the valid requests name its project, survey,
network and baseline, so the fuzzer reaches answers with data as well as 404s. The apps run
in-process in an event loop of their own (a blocking portal), since hypothesis drives the
examples synchronously; their pools and NATS connections live in that loop."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response, openapi
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup

from ptrack.catalog import SERVICES
from ptrack.demo import DEFAULT_PLAN, _steps, _tell
from ptrack.plan import read_plan
from shared.auth import _ALLOWED, ROLES, Role
from shared.settings import Settings
from shared.testing.apps import RunningService, running
from tests.integration.test_access_matrix import action_of, api_routes

KNOWN = {
    "project_id": "kongsbergregionen-2010",
    "survey_id": "oppvekst-before-2010",
    "network": "oppvekst",
    "baseline": "1",
}
"""Path parameters the demo's history has data for."""
EXAMPLES = fuzz_settings(
    # Cases per operation; raise it for a deeper run than CI's.
    max_examples=int(os.environ.get("PTRACK_FUZZ_EXAMPLES", "20")),
    deadline=None,
    derandomize=True,  # the same cases on every run, so CI is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def no_server_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """No 5xx but the documented 503 for a `min_position` past what the read model holds:
    that one means "retry later" by design (the fuzzer asks for positions far ahead)."""
    if response.status_code == 503 and "read-model-behind" in response.text:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_answers_as_documented(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    # No rate limit (thousands of requests a run) and no waiting for read models.
    fuzzing = settings.model_copy(update={"rate_limit_per_second": 0, "read_wait_seconds": 0})
    with start_blocking_portal() as portal, ExitStack() as stack:
        services = {
            name: stack.enter_context(
                portal.wrap_async_context_manager(running(entry.build(fuzzing)))
            )
            for name, entry in SERVICES.items()
        }
        portal.call(_seed, services)
        answers: Counter[int] = Counter()
        failures = [
            f"{name} {label}: {failure}"
            for name, service in services.items()
            for label, failure in _fuzz_service(portal, service, answers)
        ]
        operations = sum(
            len(item)
            for service in services.values()
            for item in service.app.openapi()["paths"].values()
        )
    print(f"\nfuzzed {operations} operations with {sum(answers.values())} requests: {answers}")
    assert not failures, "\n\n".join(failures)
    # The fuzzer reached real answers, not only refusals of what it made up.
    assert sum(n for status, n in answers.items() if status < 300) > 100, answers
    assert sum(n for status, n in answers.items() if 400 <= status < 500) > 100, answers


async def _seed(services: Mapping[str, RunningService]) -> None:
    """The default plan and the demo's history, posted as `ptrack plan load` and `ptrack
    demo` do; then every read model and feed caught up."""
    plan = read_plan(DEFAULT_PLAN)
    schedule = {**plan.schedule(), "baseline": 1, "baselined_on": "2010-02-01"}
    budget = [plan.event("BudgetApproved", plan.budget())]
    budget.append(plan.event("FinancingPlanned", plan.financing()))
    await _posted(services["milestones"].post(plan.event("PlanBaselined", schedule)))
    await _posted(services["finance"].post(*budget))
    for step in _steps(_tell(plan, seed=2010).posts):
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


def _fuzz_service(
    portal: BlockingPortal, service: RunningService, answers: Counter[int]
) -> Iterator[tuple[str, str]]:
    """(operation, what failed) for each operation whose answers are not as documented."""
    roles = {
        (method, route.path): _least_role(action_of(route))
        for route in api_routes(service.app.routes)
        for method in route.methods or ()
    }
    for result in openapi.from_dict(service.app.openapi()).get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()
        role = roles[(operation.method.upper(), operation.path)]
        auth = {} if role is None else service.auth(role)

        def send(case: Case, auth: dict[str, str] = auth) -> httpx.Response:
            response = _send(portal, service, case, auth)
            answers[response.status_code] += 1
            return response

        try:
            _fuzz(operation, send)
        except (Exception, FailureGroup) as failure:
            yield operation.label, str(failure)


def _fuzz(operation: APIOperation, send: Callable[[Case], httpx.Response]) -> None:
    known = {name: value for name, value in KNOWN.items() if name in operation.path_parameters}
    cases = [operation.as_strategy(mode) for mode in GenerationMode]
    if known:
        cases.append(operation.as_strategy(path_parameters=known))

    @EXAMPLES
    @given(case=st.one_of(cases))
    def fuzz(case: Case) -> None:
        case.validate_response(send(case), checks=CHECKS)

    fuzz()


def _least_role(action: str | None) -> Role | None:
    """The least of the roles that may call a route (None: an open route)."""
    if action is None:
        return None
    return min(_ALLOWED[action], key=ROLES.index)  # type: ignore[index]


def _send(
    portal: BlockingPortal, service: RunningService, case: Case, auth: dict[str, str]
) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=str(service.client.base_url), headers=auth)
    if "data" in kwargs:  # schemathesis' raw bodies are httpx's content
        kwargs["content"] = kwargs.pop("data")
    if not kwargs["cookies"]:  # httpx deprecates cookies per request; ours has none
        del kwargs["cookies"]
    response: httpx.Response = portal.call(lambda: service.client.request(**kwargs))
    return response
