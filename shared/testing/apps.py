"""Run a service app in-process for tests: lifespan started, keys made, an httpx client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from fastapi import FastAPI

from shared.auth import Role, create_key
from shared.http.events import CLOUDEVENT_BATCH, CLOUDEVENT_JSON
from shared.runtime import Runtime


@dataclass
class RunningService:
    app: FastAPI
    client: httpx.AsyncClient
    keys: dict[Role, str]

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    async def post(self, *events: Mapping[str, Any], role: Role = "integration") -> httpx.Response:
        """One event as a CloudEvent, several as a batch."""
        if len(events) == 1:
            body, content_type = events[0], CLOUDEVENT_JSON
        else:
            body, content_type = list(events), CLOUDEVENT_BATCH  # type: ignore[assignment]
        return await self.client.post(
            "/events",
            json=body,
            headers={**self.auth(role), "Content-Type": content_type},
        )

    async def get(self, path: str, role: Role = "manager", **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth(role))

    async def metrics(self) -> str:
        """The /metrics text, scraped as Prometheus does (with a reader's key)."""
        response = await self.client.get("/metrics", headers=self.auth("manager"))
        assert response.status_code == 200, response.text
        return response.text

    async def log_head(self) -> int:
        return (await self.runtime.store.head()).position


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[RunningService]:
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        keys: dict[Role, str] = {}
        for role in ("integration", "manager", "auditor", "admin"):
            token, _ = await create_key(
                runtime.pool, app.state.access.schema, name=f"test {role}", role=role
            )
            keys[role] = token
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield RunningService(app, client, keys)


def cloudevent(
    type_: str,
    subject: str,
    data: Mapping[str, Any],
    *,
    id_: str | None = None,
    source: str = "urn:test",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": id_ or str(uuid.uuid4()),
        "source": source,
        "type": type_,
        "subject": subject,
        "data": dict(data),
        **extra,
    }


def iso(day: date) -> str:
    return day.isoformat()
