"""Fixtures: real PostgreSQL and NATS (found or started once per session), and per-test
isolation by schema prefix and stream name, so tests never see each other's data."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from shared.db import create_pool
from shared.settings import Settings
from shared.testing.servers import nats_for_tests, postgres_for_tests
from tests.isolation import PREFIXES, drop_schemas, isolated_settings
from tests.isolation import drop_stream as remove_stream


def pytest_report_header() -> str:
    return f"test servers: {os.environ.get('PTRACK_TEST_SERVERS', 'auto')}"


@pytest.fixture(scope="session")
def pg_url() -> str:
    return postgres_for_tests()


@pytest.fixture(scope="session")
def nats_url() -> str:
    return nats_for_tests()


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus's tools (the package brings `prometheus` and `promtool` together), installed
    by the project's script where they are missing; a failure to install fails, never skips."""
    found = shutil.which("promtool")
    if found is not None:
        return found
    script = Path(__file__).resolve().parents[1] / "scripts" / "install-prometheus.sh"
    result = subprocess.run(
        ["sh", str(script)], capture_output=True, text=True, check=False, timeout=900
    )
    found = shutil.which("promtool")
    if result.returncode != 0 or found is None:
        pytest.fail(
            f"promtool is not on PATH and {script.name} did not install it "
            f"(exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return found


@pytest.fixture(scope="session", autouse=True)
def _leave_no_schemas(pg_url: str) -> Iterator[None]:
    """At the end, drop every schema this session's tests made. The `pool` fixture drops its
    test's own; tests that run services as processes (without it) would otherwise leave theirs
    in a server that outlives the run, and the next run's catalogue would be the larger."""
    yield
    if PREFIXES:
        asyncio.run(_drop_all(pg_url))


async def _drop_all(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        for prefix in PREFIXES:
            await drop_schemas(conn, prefix)
    finally:
        await conn.close()


@pytest.fixture
def test_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def settings(pg_url: str, nats_url: str, test_id: str) -> Settings:
    return isolated_settings(pg_url, nats_url, test_id)


@pytest.fixture
async def pool(pg_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool[asyncpg.Record]]:
    pool = await create_pool(pg_url, max_size=40)
    yield pool
    await drop_schemas(pool, settings.schema_prefix)
    await pool.close()


@pytest.fixture
async def drop_stream(nats_url: str, settings: Settings) -> AsyncIterator[None]:
    yield
    await remove_stream(nats_url, settings.nats_stream)
