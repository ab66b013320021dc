"""Fixtures: real PostgreSQL and NATS (found or started once per session), and per-test
isolation by schema prefix and stream name, so tests never see each other's data."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js.errors import NotFoundError

from shared.db import create_pool
from shared.settings import Settings
from shared.testing.servers import nats_for_tests, postgres_for_tests


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


_PREFIXES: list[str] = []
"""Every schema prefix this session gave out, for `_leave_no_schemas`."""


@pytest.fixture(scope="session", autouse=True)
def _leave_no_schemas(pg_url: str) -> Iterator[None]:
    """At the end, drop every schema this session's tests made. The `pool` fixture drops its
    test's own; tests that run services as processes (without it) would otherwise leave theirs
    in a server that outlives the run, and the next run's catalogue would be the larger."""
    yield
    if _PREFIXES:
        asyncio.run(_drop_schemas(pg_url, _PREFIXES))


async def _drop_schemas(pg_url: str, prefixes: list[str]) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        for prefix in prefixes:
            for row in await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", prefix + "%"
            ):
                await conn.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
def test_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def settings(pg_url: str, nats_url: str, test_id: str) -> Settings:
    _PREFIXES.append(f"t{test_id}_")
    return Settings(
        database_url=pg_url,
        nats_url=nats_url,
        schema_prefix=f"t{test_id}_",
        nats_stream=f"T{test_id}",
        subject_prefix=f"t{test_id}",
        signing_key_dir=Path(tempfile.mkdtemp(prefix="ptrack-keys-")),
        log_json=False,
    )


@pytest.fixture
async def pool(pg_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool[asyncpg.Record]]:
    pool = await create_pool(pg_url, max_size=40)
    yield pool
    schemas = await pool.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", settings.schema_prefix + "%"
    )
    for row in schemas:
        await pool.execute(f"DROP SCHEMA IF EXISTS {row['nspname']} CASCADE")
    await pool.close()


@pytest.fixture
async def drop_stream(nats_url: str, settings: Settings) -> AsyncIterator[None]:
    yield
    nc = await nats.connect(nats_url)
    with contextlib.suppress(NotFoundError):
        await nc.jetstream().delete_stream(settings.nats_stream)
    await nc.close()
