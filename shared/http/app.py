"""The app factory: one FastAPI app per service with the shared endpoints and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import Access
from shared.http.admin import me_router
from shared.http.admin import router as admin_router
from shared.http.audit import router as audit_router
from shared.http.deps import Reader, checked_parameters
from shared.http.events import EventsEndpoint, events_operation
from shared.http.middleware import RequestContext
from shared.http.privacy import router as privacy_router
from shared.http.problems import (
    PROBLEM_JSON,
    PROBLEM_SCHEMA,
    Problem,
    install_problem_handlers,
)
from shared.log_metrics import log_metrics
from shared.metrics import HttpMetrics, exposition, new_registry
from shared.runtime import Runtime
from shared.service import ServiceSpec
from shared.settings import Settings

_PROBLEM = {"description": "Problem details (RFC 9457)", "content": {PROBLEM_JSON: {}}}
_KEYED = {
    "401": "No valid API key",
    "403": "The key may not do this",
    "429": "Over the key's request rate: retry after `Retry-After` seconds",
}
"""The answers of every operation that needs a key."""
_WAITING = {"min_position", "wait"}
"""Query parameters that wait for read models, answering 503 when they do not catch up."""


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = Runtime(spec, settings)
    registry = new_registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        app.state.access = await Access.open(runtime.pool, settings)
        if spec.on_start is not None:
            await spec.on_start(app)
        try:
            yield
        finally:
            await runtime.stop()

    app = _App(
        title=f"ptrack {spec.name}",
        summary=spec.title,
        description=spec.description,
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(checked_parameters)],
        # Metrics are Prometheus's; FastAPI's OpenTelemetry checks its providers per request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    metrics = HttpMetrics(registry, spec.name)
    app.add_middleware(
        RequestContext,
        max_body_bytes=settings.max_body_bytes,
        metrics=metrics,
        upload_paths=spec.upload_paths,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.events = EventsEndpoint(spec)
    app.events_lane = RequestContext(
        app.events, max_body_bytes=settings.max_body_bytes, metrics=metrics
    )
    app.include_router(_operations_router(runtime, registry))
    app.include_router(audit_router)
    app.include_router(admin_router)
    app.include_router(me_router)
    app.include_router(privacy_router)
    for router in spec.routers:
        app.include_router(router)
    _document(app, spec)
    return app


def _document(app: FastAPI, spec: ServiceSpec) -> None:
    """The OpenAPI document as the app answers: `POST /events` (not a FastAPI route), and every
    error answer as problem details, also for invalid input (not FastAPI's own 422 body), on
    every operation that can give it (a refused key, the body limit, a read model behind),
    whatever its route declares."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema["paths"] = {"/events": {"post": events_operation(spec)}, **schema["paths"]}
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for operation in (op for item in schema["paths"].values() for op in item.values()):
            responses: dict[str, dict[str, Any]] = operation["responses"]
            parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
            if "security" in operation:
                for code, description in _KEYED.items():
                    responses.setdefault(code, {"description": description})
                # Checking the key reads the database, so any such operation can meet it down.
                responses.setdefault("503", {"description": "The database cannot be reached"})
            if parameters or "requestBody" in operation:
                responses.setdefault("422", {"description": "Invalid input"})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": "The body cannot be read"})
                responses.setdefault("413", {"description": "The body is too large"})
            if parameters & _WAITING:
                responses["503"] = {
                    "description": "The read model is behind, or the database "
                    "cannot be reached: retry after `Retry-After` seconds"
                }
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = problem
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations_router(runtime: Runtime, registry: Any) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.spec.name}

    @router.get(
        "/readyz",
        summary="Readiness: PostgreSQL reachable (NATS reported, not required)",
        responses={503: _PROBLEM},
    )
    async def readyz() -> dict[str, Any]:
        # Only the database decides: with NATS down the log still takes writes (it is the
        # outbox; the relay catches up), so taking every replica out of service would turn a
        # NATS outage into an API outage.
        checks = {"database": await _database_ok(runtime), "nats": runtime.bus.connected}
        if not checks["database"]:
            raise Problem(503, "not-ready", "not ready: the database is unreachable", checks=checks)
        return {"status": "ready", "checks": checks}

    @router.get(
        "/metrics",
        summary="Prometheus metrics (a manager, auditor or admin key: they hold business figures)",
        response_class=Response,
        responses={401: _PROBLEM, 403: _PROBLEM},
    )
    async def metrics(_: Reader) -> Response:
        families = list(await log_metrics(runtime))
        if runtime.spec.metrics is not None:
            families.extend(await runtime.spec.metrics(runtime.read_side))
        body = exposition(registry, families)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return router


async def _database_ok(runtime: Runtime) -> bool:
    try:
        await runtime.pool.fetchval("SELECT 1", timeout=2)
    except Exception:
        return False
    return True


class _App(FastAPI):
    """FastAPI, with `/events` answered before its middleware stack is entered (see
    `shared.http.events`): `RequestContext` (request id, body limit, timing, as for every
    request) around `EventsEndpoint`."""

    events_lane: ASGIApp | None = None
    events: EventsEndpoint | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.events_lane
        if lane is not None and scope["type"] == "http" and scope["path"] == "/events":
            scope["app"] = self
            await lane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
