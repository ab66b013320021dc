"""The system under test, owned by the test: its own PostgreSQL and NATS (so they can be crashed
and restarted without touching anything else on the machine) and the services as processes.

Finance runs as two processes: an API process (HTTP, recorder, projections; no relay) and a
relay worker (relay only). Killing the worker kills the relay alone, at any point of its work
(between publish and checkpoint included), while the API keeps taking writes; killing the API
process is a separate fault. The other services run as one process each; the reporting service
records nothing, but its feeds project every other log into copies of their read models, which
must hold each event once too."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import orjson

from ptrack.stack.processes import ServiceProcess, settings_env
from shared.auth import auth_sql, create_key
from shared.db import create_pool
from shared.http.events import CLOUDEVENT_BATCH
from shared.servers import NatsServer, PostgresServer
from shared.settings import Settings
from shared.store.postgres import migrate
from tests.reliability.workload import Post

FINANCE_RELAY = "finance-relay"
PROCESSES = ("registry", "milestones", "finance", FINANCE_RELAY, "surveys", "reporting")


@dataclass
class Stack:
    root: Path
    postgres: PostgresServer
    nats: NatsServer
    settings: Settings
    processes: dict[str, ServiceProcess]
    integration_key: str
    admin_key: str
    workers: ThreadPoolExecutor = field(default_factory=ThreadPoolExecutor)

    async def off_loop(self, work: Callable[[], None]) -> None:
        """Run blocking work (starting a server, waiting for it) without stopping the load.
        The stack's own threads, not the loop's: `stop` waits for them, so a test cut short
        cannot start a process after everything was stopped."""
        await asyncio.get_running_loop().run_in_executor(self.workers, work)

    def url(self, service: str) -> str:
        return self.processes[service].url

    def schema(self, service: str) -> str:
        return self.settings.schema_for(service)

    def ensure_running(self) -> None:
        """Bring back whatever a failed test left down, so the next test starts whole."""
        if not self.postgres.running:
            self.postgres.start()
        if self.nats.process is None or self.nats.process.poll() is not None:
            self.nats.stop()
            self.nats.start()
        down = [p for p in self.processes.values() if p.process is None or p.exited()]
        for process in down:
            process.stop()
            process.start(wait=False)
        for process in down:
            process.wait_ready()

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.process is None or process.exited():
                raise AssertionError(f"{name} is not running:\n{process.log_tail()}")

    def stop(self) -> None:
        self.workers.shutdown(wait=True, cancel_futures=True)
        for process in self.processes.values():
            with contextlib.suppress(Exception):
                process.stop()
        with contextlib.suppress(Exception):
            self.nats.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop()


def _process(name: str, settings: Settings, root: Path) -> ServiceProcess:
    env = settings_env(settings)
    service = name
    if name == "finance":
        env["PTRACK_RUN_RELAY"] = "false"
    elif name == FINANCE_RELAY:
        service = "finance"
        env["PTRACK_RUN_RELAY"] = "true"
        env["PTRACK_RUN_PROJECTIONS"] = "false"
    log_dir = root / "logs" / name
    log_dir.mkdir(parents=True, exist_ok=True)
    return ServiceProcess(service, env, log_dir)


async def _make_keys(url: str, settings: Settings) -> tuple[str, str]:
    pool = await create_pool(url, max_size=2)
    try:
        schema = settings.schema_for("auth")
        await migrate(pool, schema, auth_sql(schema))
        integration, _ = await create_key(pool, schema, name="integration", role="integration")
        admin, _ = await create_key(pool, schema, name="checks", role="admin")
        return integration, admin
    finally:
        await pool.close()


@contextlib.contextmanager
def running_stack(root: Path) -> Iterator[Stack]:
    """Start everything; stop everything on the way out, whatever happened in between. The
    services' logs stay in `root/logs` (pytest keeps it for a post-mortem); the servers' data
    lives in a directory of its own, deleted at the end (PostgreSQL, run as another user when
    we are root, needs a path that user may traverse, which pytest's directories are not)."""
    data = Path(tempfile.mkdtemp(prefix="ptrack-reliability-"))
    postgres = PostgresServer(data / "pg")
    nats = NatsServer(data / "nats")
    processes: dict[str, ServiceProcess] = {}
    stack: Stack | None = None
    try:
        postgres.start()
        nats.start()
        settings = Settings(
            database_url=postgres.url,
            nats_url=nats.url,
            schema_prefix="rel_",
            nats_stream="PTRACK",
            subject_prefix="ptrack",
            signing_key_dir=data / "keys",
            log_json=False,
        )
        integration, admin = asyncio.run(_make_keys(postgres.url, settings))
        for name in PROCESSES:
            processes[name] = _process(name, settings, root)
        stack = Stack(root, postgres, nats, settings, processes, integration, admin)
        # All at once, the finance API and its relay worker too: migrations serialise.
        for process in processes.values():
            process.start(wait=False)
        for process in processes.values():
            process.wait_ready()
        yield stack
    finally:
        if stack is not None:
            stack.stop()
        else:
            for process in processes.values():
                with contextlib.suppress(Exception):
                    process.stop()
            with contextlib.suppress(Exception):
                nats.stop()
            with contextlib.suppress(Exception):
                postgres.stop()
        shutil.rmtree(data, ignore_errors=True)


def post_setup(stack: Stack, posts: list[Post]) -> None:
    """The setup goes in as an admin would load it, before any fault."""
    with httpx.Client(timeout=30) as client:
        for post in posts:
            post.first_sent = time.monotonic()
            response = client.post(
                f"{stack.url(post.service)}/events",
                content=orjson.dumps(post.events),
                headers={
                    "Authorization": f"Bearer {stack.admin_key}",
                    "Content-Type": CLOUDEVENT_BATCH,
                },
            )
            post.answered_at = time.monotonic()
            assert response.status_code == 201, response.text
            post.statuses.append(response.status_code)
            post.final = response.status_code
            post.positions = {e["id"]: e["position"] for e in response.json()["events"]}


async def connect(stack: Stack) -> asyncpg.Pool[asyncpg.Record]:
    return await create_pool(stack.settings.database_url, max_size=4, wait_seconds=60)
