"""The whole stack for browser tests of the office: the five services and the office as
`ptrack serve` processes on free ports, isolated by a schema prefix and a stream name of their
own, the default plan loaded, and a key for each kind of person who signs in.

Started once per test module (a 2-core machine starts six processes in a few seconds, not in
the time of every test); `running_office` stops the processes and drops what they made."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import subprocess
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ptrack.plan.load import load_plan
from ptrack.plan.model import read_plan
from ptrack.stack.catalog import OFFICE, SERVICES
from ptrack.stack.processes import ServiceProcess, settings_env
from shared.auth import Role, auth_sql, create_key
from shared.db import create_pool
from shared.settings import Settings
from shared.store.postgres import migrate
from shared.testing.privacy import opened_events
from tests.isolation import drop_schemas, drop_stream, isolated_settings

REPO = Path(__file__).resolve().parents[2]
PLAN = REPO / "plans" / "kongsbergregionen-2010.yaml"
PROJECT = "kongsbergregionen-2010"
MANAGER = "Kari Nordmann"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_CHROMIUM = REPO / "scripts" / "install-chromium.sh"


def debian_chromium() -> Path:
    """Debian's Chromium, installed by the project's script when missing. Raises with the
    script's output when it cannot be had: a browser test that skipped would prove nothing."""
    if not CHROMIUM.exists():
        result = subprocess.run(
            [str(INSTALL_CHROMIUM)], capture_output=True, text=True, timeout=1800, check=False
        )
        if result.returncode != 0 or not CHROMIUM.exists():
            raise RuntimeError(
                f"{INSTALL_CHROMIUM.name} exited {result.returncode}; Chromium is still missing."
                f"\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
    return CHROMIUM


@dataclass(frozen=True)
class Person:
    """A signed-in person's key: the token typed into the sign-in page, and the actor the
    services write into every event recorded with it."""

    name: str
    role: str
    token: str
    key_id: str

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"  # the key, never the name: a log cannot forget a name


@dataclass(frozen=True)
class OfficeStack:
    settings: Settings
    services: Mapping[str, str]
    """Each service's URL by name."""
    office: str
    """The office's URL."""
    manager: Person
    auditor: Person
    admin: Person
    logs: Path
    """Where each process writes its output (`<name>.log`)."""

    async def opened(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Exported events with their personal fields opened (the log holds them sealed)."""
        pool = await create_pool(self.settings.database_url, min_size=1, max_size=2)
        try:
            return await opened_events(pool, self.settings, events)
        finally:
            await pool.close()

    async def log(self, service: str) -> list[dict[str, Any]]:
        """A service's whole log as CloudEvents, read as an auditor reads it."""
        events: list[dict[str, Any]] = []
        position: int | None = 1
        headers = {"Authorization": f"Bearer {self.auditor.token}"}
        async with httpx.AsyncClient(timeout=30) as http:
            while position is not None:
                answer = await http.get(
                    f"{self.services[service]}/audit/events",
                    params={"from_position": position, "limit": 1000},
                    headers=headers,
                )
                assert answer.status_code == 200, answer.text
                page = answer.json()
                events.extend(page["events"])
                position = page["next_position"]
        return events

    async def status(self, status_date: str) -> dict[str, Any]:
        """The project's status as the reporting service answers it (what the page shows)."""
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.get(
                f"{self.services['reporting']}/projects/{PROJECT}/status",
                params={"status_date": status_date, "wait": "true"},
                headers={"Authorization": f"Bearer {self.auditor.token}"},
            )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def head(self, service: str) -> int:
        """The position of the last event in a service's log (0 when it is empty)."""
        events = await self.log(service)
        return int(events[-1]["position"]) if events else 0

    def log_tails(self) -> str:
        """The end of every process's output, for a failure message."""
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}")
        return "\n".join(parts)


def _settings(pg_url: str, nats_url: str) -> Settings:
    settings = isolated_settings(pg_url, nats_url, uuid.uuid4().hex[:10])
    return settings.model_copy(update={"office_secret": secrets.token_urlsafe(32)})


async def _person(
    settings: Settings, pool: asyncpg.Pool[asyncpg.Record], name: str, role: Role
) -> Person:
    token, key = await create_key(pool, settings.schema_for("auth"), name=name, role=role)
    return Person(name=name, role=role, token=token, key_id=key.key_id)


@contextlib.asynccontextmanager
async def running_office(pg_url: str, nats_url: str, logs: Path) -> AsyncIterator[OfficeStack]:
    settings = _settings(pg_url, nats_url)
    pool = await create_pool(pg_url, max_size=4)
    started: list[ServiceProcess] = []
    try:
        schema = settings.schema_for("auth")
        await migrate(pool, schema, auth_sql(schema))
        manager = await _person(settings, pool, MANAGER, "manager")
        auditor = await _person(settings, pool, "Ola Revisor", "auditor")
        admin = await _person(settings, pool, "Ada Admin", "admin")

        env = settings_env(settings)
        services = [ServiceProcess(name, env, logs) for name in SERVICES]
        started.extend(services)
        for service in services:
            service.start(wait=False)
        for service in services:
            await asyncio.to_thread(service.wait_ready)
        urls = {service.service: service.url for service in services}
        await asyncio.to_thread(load_plan, read_plan(PLAN), urls, admin.token)

        office_env = {
            **env,
            "PTRACK_OFFICE_SERVICE_URLS": json.dumps(urls),
            "PTRACK_OFFICE_SECRET": settings.office_secret,
        }
        office = ServiceProcess(OFFICE.name, office_env, logs)
        started.append(office)
        office.start(wait=False)
        await asyncio.to_thread(office.wait_ready)
        yield OfficeStack(
            settings=settings,
            services=urls,
            office=office.url,
            manager=manager,
            auditor=auditor,
            admin=admin,
            logs=logs,
        )
    finally:
        for process in reversed(started):
            await asyncio.to_thread(process.stop)
        try:
            await drop_schemas(pool, settings.schema_prefix)
        finally:
            await pool.close()
        await drop_stream(nats_url, settings.nats_stream)
