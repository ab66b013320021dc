"""The app factory: one FastAPI app per service with the shared endpoints and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from shared.http.admin import router as admin_router
from shared.http.audit import router as audit_router
from shared.http.deps import Reader, RuntimeDep, Writer
from shared.http.events import (
    CLOUDEVENT_BATCH,
    CLOUDEVENT_JSON,
    read_body,
    receipt,
    rejection_problem,
    to_proposals,
)
from shared.http.middleware import RequestContext
from shared.http.problems import PROBLEM_JSON, Problem, install_problem_handlers
from shared.logs import request_id
from shared.metrics import HttpMetrics, exposition, new_registry
from shared.runtime import Runtime
from shared.service import ServiceSpec
from shared.settings import Settings

_PROBLEM = {"description": "Problem details (RFC 9457)", "content": {PROBLEM_JSON: {}}}


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = Runtime(spec, settings)
    registry = new_registry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title=f"ptrack {spec.name}",
        summary=spec.title,
        description=spec.description,
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(
        RequestContext,
        max_body_bytes=settings.max_body_bytes,
        metrics=HttpMetrics(registry, spec.name),
    )
    app.include_router(_operations_router(runtime, registry))
    app.include_router(_events_router(spec))
    app.include_router(audit_router)
    app.include_router(admin_router)
    for router in spec.routers:
        app.include_router(router)
    return app


def _operations_router(runtime: Runtime, registry: Any) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": runtime.spec.name}

    @router.get(
        "/readyz", summary="Readiness: PostgreSQL and NATS reachable", responses={503: _PROBLEM}
    )
    async def readyz() -> dict[str, Any]:
        checks = {"database": await _database_ok(runtime), "nats": runtime.bus.connected}
        if not all(checks.values()):
            failing = ", ".join(name for name, ok in checks.items() if not ok)
            raise Problem(503, "not-ready", f"not ready: {failing} unreachable", checks=checks)
        return {"status": "ready", "checks": checks}

    @router.get(
        "/metrics",
        summary="Prometheus metrics (a manager, auditor or admin key: they hold business figures)",
        response_class=Response,
        responses={401: _PROBLEM, 403: _PROBLEM},
    )
    async def metrics(_: Reader) -> Response:
        gatherers = [runtime.log_metrics()]
        if runtime.spec.metrics is not None:
            gatherers.append(runtime.spec.metrics(runtime))
        body = await exposition(registry, gatherers)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return router


async def _database_ok(runtime: Runtime) -> bool:
    try:
        await runtime.pool.fetchval("SELECT 1", timeout=2)
    except Exception:
        return False
    return True


def _events_router(spec: ServiceSpec) -> APIRouter:
    router = APIRouter(tags=["events"])
    types = ", ".join(f"`{name}`" for name in spec.event_types.names)

    @router.post(
        "/events",
        summary="Record events posted as CloudEvents",
        description=(
            f"One CloudEvent (`{CLOUDEVENT_JSON}`) or a JSON array of them "
            f"(`{CLOUDEVENT_BATCH}`). Types accepted here: {types}. Every event is checked "
            "before any is recorded; a batch is recorded whole or not at all. Posting the same "
            "event id again with the same content answers 200 with the original positions."
        ),
        status_code=201,
        responses={
            200: {"description": "Already recorded: the original receipt"},
            201: {"description": "Recorded"},
            400: _PROBLEM,
            401: _PROBLEM,
            403: _PROBLEM,
            409: _PROBLEM,
            413: _PROBLEM,
            415: _PROBLEM,
            422: _PROBLEM,
            503: _PROBLEM,
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    CLOUDEVENT_JSON: {"schema": {"type": "object"}, "examples": spec.examples},
                    CLOUDEVENT_BATCH: {"schema": {"type": "array", "items": {"type": "object"}}},
                },
            }
        },
    )
    async def post_events(request: Request, runtime: RuntimeDep, key: Writer) -> Response:
        items = read_body(
            request.headers.get("content-type", ""),
            await request.body(),
            runtime.settings.max_batch_events,
        )
        metadata = {"actor": key.actor, "correlation_id": request_id.get()}
        groups = to_proposals(items, spec.event_types, metadata)
        try:
            results = await runtime.recorder.record(groups)
        except Exception as error:
            raise rejection_problem(error) from error
        body = receipt(results)
        headers = {} if body["position"] is None else {"Ptrack-Position": str(body["position"])}
        return Response(
            orjson.dumps(body),
            status_code=200 if body["duplicate"] else 201,
            media_type="application/json",
            headers=headers,
        )

    return router
