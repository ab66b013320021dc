"""All five services as deployed, for the memory and freshness scenarios: `ptrack serve <name>`
each in a process of its own, sharing one set of settings (schema prefix, JetStream stream and
subject prefix), so the reporting service's feeds follow the other services' logs through
JetStream exactly as in production.

The stack is the run's second one: its schemas (`<prefix>stack_*`) and stream are its own, so
the HTTP scenarios' finance log does not have to be caught up by the reporting service first.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from bench.console import say, warn
from bench.servers import BenchDatabase, delete_stream
from bench.service import RunningService
from ptrack.plan.load import load_plan
from ptrack.plan.model import read_plan
from ptrack.stack.catalog import SERVICES
from ptrack.stack.processes import ServiceProcess, settings_env
from shared.auth import auth_sql, create_key
from shared.db import create_pool
from shared.settings import Settings
from shared.store.postgres import migrate

PLAN = Path(__file__).resolve().parent.parent / "plans" / "kongsbergregionen-2010.yaml"
NAMES = ("registry", "milestones", "finance", "surveys", "reporting")


@dataclass
class Stack:
    settings: Settings
    processes: dict[str, ServiceProcess]
    token: str
    pool: asyncpg.Pool[asyncpg.Record]
    project: str = ""

    def pid(self, name: str) -> int:
        process = self.processes[name].process
        assert process is not None, f"{name} is not running"
        return process.pid

    def schema(self, name: str) -> str:
        return self.settings.schema_for(name)

    def finance(self) -> RunningService:
        """The finance service in the form the HTTP helpers take (wrk, the log check)."""
        return RunningService(
            base_url=self.processes["finance"].url,
            token=self.token,
            schema=self.schema("finance"),
            project=self.project,
            pool=self.pool,
            pid=self.pid("finance"),
        )

    async def load_plan(self) -> list[str]:
        """The project's plan through the public APIs, as `ptrack up --plan` loads it."""
        plan = read_plan(PLAN)
        self.project = plan.project_id
        urls = {name: process.url for name, process in self.processes.items()}
        return await asyncio.to_thread(load_plan, plan, urls, self.token)

    async def settled(self, limit: float = 60.0) -> dict[str, int]:
        """Wait until every read model (each service's own, and the reporting service's copy of
        each source) has applied its log's head; returns the heads."""
        deadline = time.monotonic() + limit
        while True:
            heads, behind = await self._lag()
            if not behind:
                return heads
            if time.monotonic() > deadline:
                raise TimeoutError(f"read models still behind after {limit:.0f} s: {behind}")
            await asyncio.sleep(0.1)

    async def _lag(self) -> tuple[dict[str, int], dict[str, int]]:
        heads: dict[str, int] = {}
        for name in NAMES:
            heads[name] = int(
                await self.pool.fetchval(
                    f"SELECT coalesce(max(position), 0) FROM {self.schema(name)}.events"
                )
            )
        behind: dict[str, int] = {}
        for name in NAMES:
            spec = SERVICES[name].spec()
            # (checkpoint row, the log it follows): own projections, then feeds of other logs.
            followed = [(p.name, name) for p in spec.projections]
            followed += [(feed.projection.name, feed.source.service) for feed in spec.feeds]
            for projection, source in followed:
                position = await self.pool.fetchval(
                    f"SELECT position FROM {self.schema(name)}.checkpoints WHERE name = $1",
                    f"projection:{projection}",
                )
                if int(position or 0) < heads[source]:
                    behind[f"{name}/{projection}"] = heads[source] - int(position or 0)
        return heads, behind


@contextlib.asynccontextmanager
async def services(database: BenchDatabase, nats_url: str, run_id: str) -> AsyncIterator[Stack]:
    directory = Path(tempfile.mkdtemp(prefix="ptrack-bench-stack-"))
    settings = Settings(
        database_url=database.url,
        nats_url=nats_url,
        schema_prefix=f"{database.prefix}stack_",
        nats_stream=stream_name(run_id),
        subject_prefix=f"ptrack-bench-{run_id}-stack",
        # Keys in the run's own directory, not .ptrack/ in the working tree.
        signing_key_dir=directory / "keys",
        # One key drives every request: the per-key limit would measure the limiter.
        rate_limit_per_second=0,
    )
    pool = await create_pool(database.url, min_size=1, max_size=2)
    auth_schema = settings.schema_for("auth")
    await migrate(pool, auth_schema, auth_sql(auth_schema))
    token, _ = await create_key(pool, auth_schema, name="bench-stack", role="admin")
    env = settings_env(settings)
    processes = {name: ServiceProcess(name, env, directory) for name in NAMES}
    keep_logs = True  # until the scenarios got through: then the logs explain nothing
    try:
        for process in processes.values():
            process.start(wait=False)  # all at once: start-up is mostly imports, in parallel
        for process in processes.values():
            await asyncio.to_thread(process.wait_ready)
        stack = Stack(settings, processes, token, pool)
        say("stack ready: " + ", ".join(f"{name} (pid {stack.pid(name)})" for name in NAMES))
        yield stack
        keep_logs = False
    finally:
        for process in processes.values():
            await asyncio.to_thread(process.stop)
        await pool.close()
        try:
            await delete_stream(nats_url, stream_name(run_id))
        except Exception as error:  # cleanup must not hide the run's own outcome
            warn(f"could not delete JetStream stream {stream_name(run_id)}: {error!r}")
        if keep_logs:
            warn(f"the stack's logs are kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def stream_name(run_id: str) -> str:
    return f"PTRACK_BENCH_{run_id}_STACK"
