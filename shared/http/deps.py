"""FastAPI dependencies shared by every service: the runtime, API keys, fresh reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import Access, Action, ApiKey, authorize
from shared.http.problems import FieldError, Problem, invalid
from shared.ratelimit import retry_after
from shared.readside import ReadSide
from shared.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API key: `ptk_<id>_<secret>`")
_ANONYMOUS = ApiKey("anonymous", "auth disabled", "admin", None, None, None)


async def get_runtime(request: Request) -> Runtime:
    # Every dependency is async, however trivial: FastAPI runs a plain `def` one in a thread
    # pool, a thread hand-off per request (tests/unit/test_dependencies.py keeps it so).
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_read_side(request: Request) -> ReadSide:
    read: ReadSide = request.app.state.runtime.read_side
    return read


ReadSideDep = Annotated[ReadSide, Depends(get_read_side)]


async def get_access(request: Request) -> Access:
    access: Access = request.app.state.access
    return access


AccessDep = Annotated[Access, Depends(get_access)]
"""The service's API keys and rate limits (for the key management routes)."""
"""What a read route needs: the service's read models (see `shared.readside`)."""


async def authorized(request: Request, action: Action) -> ApiKey:
    """The caller's key, if it may do `action` within its request rate; else the problem
    (401, 403 or 429) to answer with."""
    # The runtime from the app, not as a sub-dependency: FastAPI solves each dependency per
    # request, and this runs on every request there is.
    runtime: Runtime = request.app.state.runtime
    if not runtime.settings.require_auth:
        return _ANONYMOUS
    access: Access = request.app.state.access
    key = await access.keys.authenticate(request.headers.get("authorization"))
    authorize(key, action, runtime.spec.name)
    wait = access.limiter.take(key.key_id)
    if wait:
        raise Problem(
            429,
            "too-many-requests",
            f"this key may make {runtime.settings.rate_limit_per_second:g} requests a "
            "second (with bursts); retry after the time given",
            headers={"Retry-After": retry_after(wait)},
        )
    return key


def require(action: Action):  # type: ignore[no-untyped-def]
    """A dependency that lets a request through only with a valid key allowed to `action`,
    within the key's request rate. The access-control test finds routes by `check.action`."""

    async def check(
        request: Request,
        _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> ApiKey:
        return await authorized(request, action)

    check.action = action  # type: ignore[attr-defined]
    return check


Anyone = Annotated[ApiKey, Depends(require("identify"))]
"""Any valid key, whatever its role (to ask who it belongs to)."""
Reader = Annotated[ApiKey, Depends(require("read"))]
Writer = Annotated[ApiKey, Depends(require("write"))]
Auditor = Annotated[ApiKey, Depends(require("audit"))]
Admin = Annotated[ApiKey, Depends(require("admin"))]


async def checked_parameters(request: Request) -> None:
    """Every route's parameters, before its own validation: a query parameter the route does
    not take is refused (a typo such as `status_dat=` would otherwise answer about today,
    silently), and so is U+0000 (NUL) anywhere, which no lookup can match and PostgreSQL
    cannot take as a query argument."""
    known = _query_names(request.scope.get("route"))
    errors = [
        FieldError(f"/path/{name}", "no_nul_character", "must not contain U+0000 (NUL)")
        for name, value in request.path_params.items()
        if "\x00" in str(value)
    ]
    for name, value in request.query_params.multi_items():
        if name not in known:
            detail = f"is not a parameter of this route; it takes: {', '.join(sorted(known))}"
            errors.append(FieldError(f"/query/{name}", "unknown_parameter", detail))
        elif "\x00" in value:
            errors.append(
                FieldError(f"/query/{name}", "no_nul_character", "must not contain U+0000 (NUL)")
            )
    if errors:
        raise invalid("the request's parameters cannot be read", errors)


_QUERY_NAMES: dict[int, frozenset[str]] = {}


def _query_names(route: Any) -> frozenset[str]:
    """The query parameters a route takes, its dependencies' included (worked out once)."""
    names = _QUERY_NAMES.get(id(route))
    if names is None:
        names = _QUERY_NAMES[id(route)] = frozenset(_taken(getattr(route, "dependant", None)))
    return names


def _taken(dependant: Any) -> Iterator[str]:
    if dependant is None:
        return
    yield from (param.alias for param in dependant.query_params)
    for dependency in dependant.dependencies:
        yield from _taken(dependency)


async def _fresh(
    runtime: RuntimeDep,
    response: Response,
    min_position: Annotated[
        int | None,
        Query(
            ge=0,
            description="Wait until the read model includes this log position (the `position` "
            "a POST /events answered), for read-your-writes.",
        ),
    ] = None,
) -> int:
    if min_position is not None and min_position > runtime.read_position:
        head = (await runtime.store.head()).position
        if min_position > head:
            # Not a position a receipt gave out: waiting would not bring it, so say so now
            # rather than hold the connection and invite retries.
            detail = f"the log's head is at position {head}; pass a position a receipt gave"
            raise invalid(
                f"position {min_position} is not in the log",
                [FieldError("/query/min_position", "within_log", detail)],
            )
        wait = runtime.settings.read_wait_seconds
        if not await runtime.read_models_reach(min_position, wait):
            raise Problem(
                503,
                "read-model-behind",
                f"the read model has not reached position {min_position} within {wait}s",
                headers={"Retry-After": "1"},
                read_position=runtime.read_position,
            )
    response.headers["Ptrack-Position"] = str(runtime.read_position)
    return runtime.read_position


Fresh = Annotated[int, Depends(_fresh)]
"""Add to a read-model route: honours `min_position` and reports the position served."""


async def _status_date(
    status_date: Annotated[
        date | None,
        Query(description="See the project as it stood on this day (default: today, UTC)."),
    ] = None,
) -> date:
    return status_date or datetime.now(UTC).date()


StatusDate = Annotated[date, Depends(_status_date)]
"""Add to a read-model route that can answer as of any business day."""


ProjectId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", max_length=200, description="Project id")
]
"""The `{project_id}` path parameter every project-scoped route takes."""


def not_found(description: str) -> dict[int | str, dict[str, Any]]:
    """An OpenAPI `responses` entry for a 404 problem."""
    return {404: {"description": description, "content": {"application/problem+json": {}}}}
