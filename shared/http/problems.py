"""RFC 9457 problem details for every error a service returns.

Every problem has `type` (a relative URI naming the kind), `title`, `status`, `detail`, and,
for invalid input, `errors`: one entry per broken rule with a JSON `pointer` into the request,
the dotted `field`, the `rule` that was broken and a human `detail`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from shared.db import is_transient
from shared.logs import request_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "Problem details (RFC 9457); some kinds add members of their own.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "The kind, as `/problems/<kind>`"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request's path"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "For invalid input: one entry per broken rule",
            "items": {
                "type": "object",
                "required": ["pointer", "field", "rule", "detail"],
                "properties": {
                    name: {"type": "string"} for name in ("pointer", "field", "rule", "detail")
                },
            },
        },
    },
}

# Friendlier names for pydantic's error types, so clients see the rule, not the library.
_RULES = {"missing": "required", "extra_forbidden": "unknown_field", "literal_error": "one_of"}


@dataclass(frozen=True)
class FieldError:
    pointer: str
    rule: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        field = ".".join(part for part in self.pointer.split("/") if part)
        return {"pointer": self.pointer, "field": field, "rule": self.rule, "detail": self.detail}


class Problem(Exception):
    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        title: str | None = None,
        errors: Iterable[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.kind}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [error.as_dict() for error in self.errors]
        if (current := request_id.get()) is not None:
            body["request_id"] = current
        body.update(self.extra)
        return body


def invalid(detail: str, errors: Sequence[FieldError]) -> Problem:
    return Problem(422, "invalid-input", detail, title="Invalid input", errors=errors)


def field_errors(error: ValidationError, prefix: str = "") -> list[FieldError]:
    """pydantic's errors as field errors; `prefix` is the pointer of the validated object."""
    return [
        FieldError(
            pointer=prefix + "".join(f"/{part}" for part in item["loc"]),
            rule=_RULES.get(item["type"], item["type"]),
            detail=_detail(item),
        )
        for item in error.errors(include_url=False)
    ]


def _detail(item: Mapping[str, Any]) -> str:
    if item["type"] == "extra_forbidden":
        return "is not a known field"
    if item["type"] == "missing":
        return "is required"
    return str(item["msg"]).removeprefix("Value error, ")


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    return Response(
        content=orjson.dumps(problem.body(instance)),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on the request's path."""
    methods: set[str] = set()
    for route in every_route(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def every_route(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, also inside included routers (FastAPI wraps the routers it includes)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            yield route
        else:
            yield from every_route(included.routes)


def unexpected(error: Exception, method: str, path: str) -> Problem:
    """The answer to an error no handler expected: a database gone away under the request is a
    503 to retry (nothing was recorded that a retry would double); anything else a logged 500."""
    if is_transient(error):
        log.warning("%s %s: database unavailable: %r", method, path, error)
        return Problem(
            503,
            "store-unavailable",
            "the database cannot be reached; retry the same request",
            headers={"Retry-After": "1"},
        )
    log.exception("unhandled error on %s %s", method, path, exc_info=error)
    return Problem(500, "internal-error", "an unexpected error; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [
            FieldError(
                # FastAPI puts "body" first for body fields; the pointer is into the body itself.
                pointer="".join(
                    f"/{part}" for part in item["loc"][1 if item["loc"][:1] == ("body",) else 0 :]
                ),
                rule=_RULES.get(item["type"], item["type"]),
                detail=_detail(item),
            )
            for item in exc.errors()
        ]
        return problem_response(
            invalid("the request does not match the API", errors), request.url.path
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kind = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route on the path only; GET and POST
            # on /admin/keys are two routes.
            headers["Allow"] = ", ".join(_allowed_methods(request))
        problem = Problem(exc.status_code, kind, detail, headers=headers)
        return problem_response(problem, request.url.path)

    async def on_error(request: Request, exc: Exception) -> Response:
        return problem_response(unexpected(exc, request.method, request.url.path), request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_error)
