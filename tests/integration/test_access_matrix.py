"""Every route of every service against every kind of caller, generated from the apps' own
routes: a new route without access control fails here.

Health and readiness are open; everything else needs a key allowed to the route's action:
missing, wrong, expired or revoked keys get 401, keys whose role may not get 403 (and an
integration key limited to other services gets 403 on writes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute

from ptrack.stack.catalog import SERVICES
from shared.auth import _ALLOWED, ROLES, create_key, revoke_key
from shared.http.problems import every_route
from shared.settings import Settings
from shared.testing.apps import RunningService, running

OPEN = {"/healthz", "/readyz"}
SAMPLES = {"project_id": "kongsbergregionen-2010", "baseline": "1", "key_id": "000000000000"}


def action_of(route: APIRoute) -> str | None:
    """The action of the access check among the route's dependencies, however deep."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        found = getattr(dependency.call, "action", None)
        if found is not None:
            return str(found)
        pending.extend(dependency.dependencies)
    return None


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every API route, also inside included routers (none of ours is included under an
    extra prefix)."""
    return (route for route in every_route(routes) if isinstance(route, APIRoute))


def operations(app: Any) -> Iterator[tuple[str, str, str | None]]:
    """(method, path template, action) of every operation: the API routes, and the endpoint the
    app answers before its router (POST /events)."""
    for route in api_routes(app.routes):
        for method in sorted((route.methods or set()) - {"HEAD"}):
            yield method, route.path, None if route.path in OPEN else action_of(route)
    for method in app.events.methods:
        yield method, app.events.path, app.events.action


def calls(app: Any) -> Iterator[tuple[str, str, str | None]]:
    for method, template, action in operations(app):
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLES.get(m.group(1), "x1"), template)
        yield method, path, action


async def callers(service: RunningService, name: str) -> dict[str, str | None]:
    runtime = service.runtime
    pool, schema = runtime.pool, service.app.state.access.schema
    expired, _ = await create_key(
        pool, schema, name="expired", role="admin", expires_at=datetime.now(UTC) - timedelta(1)
    )
    revoked, key = await create_key(pool, schema, name="revoked", role="admin")
    await revoke_key(pool, schema, key.key_id)
    elsewhere = next(other for other in SERVICES if other != name)
    scoped, _ = await create_key(
        pool, schema, name="scoped", role="integration", services=(elsewhere,)
    )
    return {
        "none": None,
        "wrong": "ptk_000000000000_not-a-secret",
        "expired": expired,
        "revoked": revoked,
        "integration elsewhere": scoped,
        **{role: service.keys[role] for role in ROLES},
    }


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_every_route_admits_exactly_its_roles(
    name: str, settings: Settings, pool: Any, drop_stream: None
) -> None:
    app = SERVICES[name].build(settings)
    async with running(app) as service:
        who = await callers(service, name)
        checked, failures = 0, []
        for method, path, action in calls(app):
            if path not in OPEN and action is None:
                failures.append(f"{method} {path}: no access control")
                continue
            for caller, token in who.items():
                headers = {"Content-Type": "application/json"}
                if token is not None:
                    headers["Authorization"] = f"Bearer {token}"
                response = await service.client.request(
                    method, path, headers=headers, content=b"{}" if method != "GET" else None
                )
                checked += 1
                expected = _expected(caller, action)
                got = response.status_code
                refused = got in (401, 403)
                wrong = refused if expected in ("open", "allowed") else got != expected
                if wrong:
                    failures.append(f"{method} {path} as {caller}: {got}, expected {expected}")
                if refused:
                    assert response.headers["content-type"] == "application/problem+json"
        assert not failures, "\n".join(failures)
        assert checked > 50
        assert ("GET", "/metrics", "read") in calls(app), "business figures need a key"
        assert ("POST", "/events", "write") in calls(app), "recording needs a key"


def _expected(caller: str, action: str | None) -> int | str:
    if action is None:
        return "open"
    if caller in ("none", "wrong", "expired", "revoked"):
        return 401
    if caller == "integration elsewhere":
        # writes only to its own services; reads never; may still ask who it is
        return "allowed" if action == "identify" else 403
    return "allowed" if caller in _ALLOWED[action] else 403  # type: ignore[index]
