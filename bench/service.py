"""A real finance service for the HTTP scenarios: `ptrack serve finance` as a subprocess, with
its own schemas, JetStream stream and subject prefix, an admin key and the project's plan.

It runs as deployed (relay to NATS and projections on), so its figures include that work.
The run keeps count of every event the service accepted (warm-ups too) and at the end checks the
count against the head of the service's own log, so a benchmark that loses events cannot pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.console import say, warn
from bench.servers import BenchDatabase
from shared.auth import auth_sql, create_key
from shared.db import create_pool
from shared.http.events import CLOUDEVENT_BATCH
from shared.servers import free_port
from shared.settings import Settings
from shared.store.postgres import migrate
from tests.integration.finance_fixtures import PROJECT, plan_events

PLAN_EVENTS = 2
"""BudgetApproved and FinancingPlanned: CostBooked is refused before them."""


@dataclass
class RunningService:
    base_url: str
    token: str
    schema: str
    project: str
    pool: asyncpg.Pool[asyncpg.Record]
    pid: int
    accepted: int = 0
    """Events the service answered 201 for, the plan included."""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def head(self) -> int:
        """The last position in the service's log, read from its table."""
        position = await self.pool.fetchval(
            f"SELECT coalesce(max(position), 0) FROM {self.schema}.events"
        )
        return int(position)

    async def settled_head(self, quiet: float = 0.5, limit: float = 10.0) -> int:
        """The head once it stops moving (a request cut off by the client may still commit)."""
        deadline = time.monotonic() + limit
        head = await self.head()
        while time.monotonic() < deadline:
            await asyncio.sleep(quiet)
            now = await self.head()
            if now == head:
                break
            head = now
        return head

    async def verify(self) -> dict[str, Any]:
        head = await self.settled_head()
        return {"log_head": head, "accepted": self.accepted, "ok": head == self.accepted}


def _ptrack_command() -> str:
    beside = Path(sys.executable).parent / "ptrack"
    found = str(beside) if beside.exists() else shutil.which("ptrack")
    if found is None:
        raise FileNotFoundError("the `ptrack` command is not installed (make install)")
    return found


@contextlib.asynccontextmanager
async def finance_service(
    database: BenchDatabase, nats_url: str, run_id: str
) -> AsyncIterator[RunningService]:
    settings = Settings(
        database_url=database.url,
        nats_url=nats_url,
        schema_prefix=f"{database.prefix}svc_",
        nats_stream=stream_name(run_id),
        subject_prefix=f"ptrack-bench-{run_id}",
    )
    pool = await create_pool(database.url, min_size=1, max_size=2)
    auth_schema = settings.schema_for("auth")
    await migrate(pool, auth_schema, auth_sql(auth_schema))
    token, _ = await create_key(pool, auth_schema, name="bench", role="admin")

    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="ptrack-bench-service-")) / "finance.log"
    env = {
        **os.environ,
        "PTRACK_DATABASE_URL": settings.database_url,
        "PTRACK_NATS_URL": settings.nats_url,
        "PTRACK_NATS_STREAM": settings.nats_stream,
        "PTRACK_SUBJECT_PREFIX": settings.subject_prefix,
        "PTRACK_SCHEMA_PREFIX": settings.schema_prefix,
        # One key drives the whole load: the per-key request rate would measure the limiter.
        "PTRACK_RATE_LIMIT_PER_SECOND": "0",
    }
    process = _start([_ptrack_command(), "serve", "finance", "--port", str(port)], env, log_path)
    service = RunningService(
        base_url=f"http://127.0.0.1:{port}",
        token=token,
        schema=settings.schema_for("finance"),
        project=PROJECT,
        pool=pool,
        pid=process.pid,
    )
    keep_log = True  # until the run got through: then the log has nothing to explain
    try:
        await _wait_ready(service.base_url, process, log_path)
        await _post_plan(service)
        say(f"finance service ready on port {port} (pid {process.pid})")
        yield service
        keep_log = False
    finally:
        await asyncio.to_thread(_stop, process)
        await pool.close()
        if keep_log:
            warn(f"the service's log is kept in {log_path}")
        else:
            shutil.rmtree(log_path.parent, ignore_errors=True)


def stream_name(run_id: str) -> str:
    return f"PTRACK_BENCH_{run_id}"


async def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the service exited:\n{_tail(log_path)}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"the service was not ready within 60 s:\n{_tail(log_path)}")


async def _post_plan(service: RunningService) -> None:
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
        answer = await client.post(
            "/events",
            json=plan_events(service.project),
            headers={**service.auth, "Content-Type": CLOUDEVENT_BATCH},
        )
    if answer.status_code != 201:
        raise RuntimeError(f"the plan was refused: {answer.status_code} {answer.text}")
    service.accepted += PLAN_EVENTS


def _start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log_file:  # the child keeps its own handle
        return subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM for a graceful stop (uvicorn runs the lifespan shutdown), SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"
