"""Every page of the office tested from its own OpenAPI document with schemathesis, signed in
as a manager, against the five services holding the demo's history: schemathesis' coverage
phase (each parameter at its bounds and past them, left out, of the wrong type) and its
fuzzing phase. No answer may be a server error, and every page answers HTML (or sends the
browser on with a redirect).

The checks of the services' fuzz test that compare answers with a JSON schema do not apply:
the office answers pages, not documents, and its refusals are pages too (a 403 for a form
without its token, a 422 page for a value it cannot read), which its OpenAPI document does not
list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal
from fastapi import FastAPI
from schemathesis import Case, CheckContext, Response, openapi
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup

from ptrack.stack.catalog import SERVICES
from services.office.app import build
from services.office.session import COOKIE, Session, SessionSealer
from shared.settings import Settings
from shared.testing.apps import RunningService
from tests.fuzz.stack import demo_stack
from tests.fuzz.test_openapi_fuzz import _coverage_phase, _fuzzing_phase

SECRET = "office fuzz secret"


def answers_a_page(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A page, a redirect, or (health) JSON; never a server error."""
    not_a_server_error(ctx, response, case)
    kind = response.headers.get("content-type", [""])[0]
    if response.status_code in (303, 307) or case.path in ("/healthz", "/readyz"):
        return None
    if not kind.startswith("text/html"):
        raise AssertionError(f"{case.method} {case.path}: {response.status_code} {kind}")
    return None


def test_every_page_answers_a_page_whatever_it_is_sent(
    settings: Settings, pool: object, drop_stream: None
) -> None:
    with demo_stack(settings) as (portal, services), ExitStack() as stack:
        office = _office(settings, services)
        stack.enter_context(
            portal.wrap_async_context_manager(office.router.lifespan_context(office))
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=office), base_url="http://office"
        )
        stack.callback(portal.call, client.aclose)
        cookie = _session_cookie(services["reporting"])
        answers: Counter[int | str] = Counter()
        failures = list(_fuzz_office(portal, office, client, cookie, answers))
    print(f"\nfuzzed the office with {sum(answers.values())} requests: {answers}")
    assert not failures, "\n\n".join(failures)
    statuses = {status: n for status, n in answers.items() if isinstance(status, int)}
    assert sum(n for status, n in statuses.items() if status == 200) > 50, answers
    assert sum(n for status, n in statuses.items() if 400 <= status < 500) > 20, answers


def _office(settings: Settings, services: dict[str, RunningService]) -> FastAPI:
    """The office, reaching the in-process services through a client routed to them."""
    mounts = {
        f"http://{name}": httpx.ASGITransport(app=service.app) for name, service in services.items()
    }
    urls = {name: f"http://{name}" for name in SERVICES}
    return build(
        settings.model_copy(update={"office_secret": SECRET, "office_service_urls": urls}),
        http=httpx.AsyncClient(mounts=mounts),
    )


def _session_cookie(service: RunningService) -> str:
    key = service.keys["manager"]
    session = Session(key, key.split("_")[1], "fuzz manager", "manager", "token", "nb")
    return SessionSealer(SECRET, 3600).seal(session)


def _fuzz_office(
    portal: BlockingPortal,
    office: FastAPI,
    client: httpx.AsyncClient,
    cookie: str,
    answers: Counter[int | str],
) -> Iterator[str]:
    for result in openapi.from_dict(office.openapi()).get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operation = result.ok()

        def send(case: Case) -> httpx.Response:
            kwargs = case.as_transport_kwargs(
                base_url=str(client.base_url), headers={"Cookie": f"{COOKIE}={cookie}"}
            )
            if isinstance(kwargs.get("data"), bytes | str):  # a raw body is httpx's content
                kwargs["content"] = kwargs.pop("data")
            if not kwargs["cookies"]:
                del kwargs["cookies"]
            if "files" in kwargs:
                kwargs["files"] = _as_bytes(kwargs["files"])
            request = client.build_request(**kwargs)
            request.read()  # a multipart body is built as a stream; the transport wants bytes
            response: httpx.Response = portal.call(lambda: client.send(request))
            answers[response.status_code] += 1
            return response

        try:
            _fuzz(operation, send)
        except (Exception, FailureGroup) as failure:
            yield f"{operation.label}: {failure}"


def _as_bytes(files: Any) -> Any:
    """Generated file parts whose content is a number or null, as the text a browser sends."""

    def content(value: Any) -> Any:
        return value if isinstance(value, bytes | str) else str(value).encode()

    if files is None:
        return []
    if isinstance(files, dict):
        files = list(files.items())
    return [
        (name, (part[0], content(part[1]), *part[2:]) if isinstance(part, tuple) else content(part))
        for name, part in files
    ]


def _fuzz(operation: object, send: Callable[[Case], httpx.Response]) -> None:
    _coverage_phase(operation, send, checks=[answers_a_page])  # type: ignore[arg-type]
    _fuzzing_phase(operation, send, checks=[answers_a_page])  # type: ignore[arg-type]
