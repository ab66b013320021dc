"""Fixtures for tests that run services as real processes and reach them over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path

import asyncpg
import pytest

from ptrack.stack.processes import ServiceProcess, settings_env
from shared.auth import auth_sql, create_key
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore, migrate

StartServices = Callable[[Sequence[str]], dict[str, str]]


@pytest.fixture
def start_services(
    settings: Settings, tmp_path: Path, drop_stream: None
) -> Iterator[StartServices]:
    """Start services as `ptrack serve` processes on free ports; they stop with the test.
    Returns their URLs by name."""
    started: list[ServiceProcess] = []

    def start(names: Sequence[str]) -> dict[str, str]:
        batch = [ServiceProcess(name, settings_env(settings), tmp_path) for name in names]
        started.extend(batch)
        for service in batch:
            service.start(wait=False)
        for service in batch:
            service.wait_ready()
        return {service.service: service.url for service in batch}

    try:
        yield start
    finally:
        for service in started:
            service.stop()


@pytest.fixture
async def admin_key(pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> str:
    """An admin API key for the test's services (in their auth schema)."""
    schema = settings.schema_for("auth")
    await migrate(pool, schema, auth_sql(schema))
    token, _ = await create_key(pool, schema, name="test admin", role="admin")
    return token


@pytest.fixture
async def log_store(
    pool: asyncpg.Pool[asyncpg.Record], test_id: str
) -> AsyncIterator[PostgresEventStore]:
    """An empty PostgreSQL log of the test's own."""
    store = PostgresEventStore(pool, f"t{test_id}_log")
    await store.migrate()
    yield store
    await store.close()
