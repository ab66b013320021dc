"""Every operation of every service tested from its own OpenAPI schema with schemathesis, each
request sent with a key whose role may call the route: its coverage phase (boundary values,
missing and malformed parameters, methods the path does not serve, OPTIONS) and its fuzzing
phase (valid and invalid requests drawn by hypothesis). No answer may be a server error, and
every answer must be as documented: status, content type, headers and body; invalid data must
be refused; a 405 and an OPTIONS answer name exactly the methods served.

Checks that do not apply here: `positive_data_acceptance` (a schema-valid request may break a
rule the schema cannot state: an unknown budget line, a milestone reached twice, a key that
expires in the past), `ignored_auth` (it sends probes of its own; every route's key check is
proved by tests/integration/test_access_matrix.py), the stateful checks (the API declares no
links) and `max_response_time` (tests never assert on wall-clock time).

The services hold the demo's history, and part of the valid requests name its project, survey,
network and baseline, so the fuzzer reaches answers with data as well as 404s."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response, openapi
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup

from shared.auth import _ALLOWED, ROLES, Role
from shared.settings import Settings
from shared.testing.apps import RunningService
from tests.fuzz.stack import KNOWN, demo_stack
from tests.integration.test_access_matrix import operations

EXAMPLES = fuzz_settings(
    # Cases per operation; raise it for a deeper run than CI's.
    max_examples=int(os.environ.get("PTRACK_FUZZ_EXAMPLES", "30")),
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
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    allow_header_conformance,
    unsupported_method,
    missing_required_header,
]


def test_every_operation_answers_as_documented(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    with demo_stack(settings) as (portal, services):
        answers: Counter[int | str] = Counter()  # by status, and by method
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
    statuses = {status: n for status, n in answers.items() if isinstance(status, int)}
    # The fuzzer reached real answers, not only refusals of what it made up, and asked every
    # path which methods it serves.
    assert sum(n for status, n in statuses.items() if status < 300) > 100, answers
    assert sum(n for status, n in statuses.items() if 400 <= status < 500) > 100, answers
    assert answers["OPTIONS"] >= operations / 2, answers


def _fuzz_service(
    portal: BlockingPortal, service: RunningService, answers: Counter[int | str]
) -> Iterator[tuple[str, str]]:
    """(operation, what failed) for each operation whose answers are not as documented."""
    roles = {
        (method, path): _least_role(action) for method, path, action in operations(service.app)
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
            answers[case.method] += 1
            return response

        try:
            _fuzz(operation, send)
        except (Exception, FailureGroup) as failure:
            yield operation.label, str(failure)


def _fuzz(operation: APIOperation, send: Callable[[Case], httpx.Response]) -> None:
    _coverage_phase(operation, send)
    _fuzzing_phase(operation, send)


def _coverage_phase(
    operation: APIOperation,
    send: Callable[[Case], httpx.Response],
    checks: list[Callable[..., bool | None]] = CHECKS,
) -> None:
    """Schemathesis' deterministic cases: each parameter at its bounds and past them, left
    out, of the wrong type; every method the path does not serve, OPTIONS among them."""
    schema = operation.schema
    failures = []
    for case in schema.iter_coverage_cases(
        operation,
        generation_modes=list(GenerationMode),
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    ):
        try:
            case.validate_response(send(case), checks=checks)
        except (Exception, FailureGroup) as failure:
            failures.append(f"{case.method} {case.formatted_path} {case.query}: {failure}")
    if failures:
        raise AssertionError("\n".join(failures[:10]))


def _fuzzing_phase(
    operation: APIOperation,
    send: Callable[[Case], httpx.Response],
    checks: list[Callable[..., bool | None]] = CHECKS,
) -> None:
    known = {name: value for name, value in KNOWN.items() if name in operation.path_parameters}
    cases = [operation.as_strategy(mode) for mode in GenerationMode]
    if known:
        cases.append(operation.as_strategy(path_parameters=known))

    @EXAMPLES
    @given(case=st.one_of(cases))
    def fuzz(case: Case) -> None:
        case.validate_response(send(case), checks=checks)

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
    if "data" in kwargs and not isinstance(kwargs["data"], dict):
        kwargs["content"] = kwargs.pop("data")  # schemathesis' raw bodies are httpx's content
    # (a dict beside `files` is a multipart form's fields: `POST /imports/saft`)
    if not kwargs["cookies"]:  # httpx deprecates cookies per request; ours has none
        del kwargs["cookies"]
    if "files" in kwargs:
        kwargs["files"] = _sendable_files(kwargs["files"])
    request = service.client.build_request(**kwargs)
    # A multipart body is a stream; read it first, so the checks can look at what was sent.
    request.read()
    response: httpx.Response = portal.call(lambda: service.client.send(request))
    return response


def _sendable_files(files: Any) -> list[tuple[str, Any]]:
    """A multipart form's file parts as httpx sends them: schemathesis draws a part of a
    negative case as any JSON value (a number for a file), which httpx cannot encode, so such a
    value is sent as its text, which the service must then refuse like any other bad file."""

    def content(value: Any) -> Any:
        return value if isinstance(value, (bytes, str)) or hasattr(value, "read") else str(value)

    parts = files.items() if isinstance(files, dict) else files
    sendable: list[tuple[str, Any]] = []
    for name, value in parts:
        if isinstance(value, tuple):
            sendable.append((name, (value[0], content(value[1]), *value[2:])))
        else:
            sendable.append((name, content(value)))
    return sendable
