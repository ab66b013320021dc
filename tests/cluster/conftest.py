"""Fixtures for tests that run several service processes and NATS nodes and kill some of them.

Everything a test starts is registered with its `Fleet` and stopped when the test ends, passed
or failed, before the schemas and the stream are dropped (a service still running could
otherwise recreate the stream, or hold a lock the schema drop waits for).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from ptrack.stack.processes import ServiceProcess, settings_env
from shared.auth import ROLES, Role, auth_sql, create_key
from shared.servers import NatsServer, free_port
from shared.settings import Settings
from shared.store.postgres import migrate


class Fleet:
    """The processes and servers one test started."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.services: list[ServiceProcess] = []
        self.nodes: list[NatsServer] = []

    def service(self, name: str, settings: Settings, label: str | None = None) -> ServiceProcess:
        """A `ptrack serve NAME` process, not started yet. Each gets its own log folder, so two
        replicas of one service do not write into one file."""
        log_dir = self.root / (label or name)
        log_dir.mkdir(parents=True, exist_ok=True)
        process = ServiceProcess(name, settings_env(settings), log_dir)
        self.services.append(process)
        return process

    async def start(self, *services: ServiceProcess) -> None:
        """Start them together and wait until each is ready (off the event loop: waiting for
        readiness blocks)."""
        for service in services:
            service.start(wait=False)
        for service in services:
            await asyncio.to_thread(service.wait_ready)

    def nats_cluster(self, cluster: str, size: int = 3) -> list[NatsServer]:
        """Nodes of one JetStream cluster on loopback, each routed to all the others; not
        started yet. A node keeps its ports and store, so it can be killed and started again."""
        cluster_ports = [free_port() for _ in range(size)]
        routes = [f"nats-route://127.0.0.1:{port}" for port in cluster_ports]
        nodes = [
            NatsServer(
                self.root / f"nats-{index + 1}",
                cluster=cluster,
                cluster_port=cluster_ports[index],
                routes=[route for other, route in enumerate(routes) if other != index],
                name=f"{cluster}-n{index + 1}",
            )
            for index in range(size)
        ]
        self.nodes.extend(nodes)
        return nodes

    def stop_all(self) -> None:
        # Services first, gracefully (they close their database sessions); any that does not
        # stop is killed by `stop` itself. Then the NATS nodes, whose data is scratch.
        for service in self.services:
            with contextlib.suppress(Exception):
                service.stop()
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.kill()


@pytest.fixture
def fleet(tmp_path: Path, pool: asyncpg.Pool[asyncpg.Record], drop_stream: None) -> Iterator[Fleet]:
    # Asking for `pool` and `drop_stream` makes this fixture end first: the processes are gone
    # before the schemas and the stream are dropped.
    fleet = Fleet(tmp_path)
    try:
        yield fleet
    finally:
        fleet.stop_all()


@pytest.fixture
async def keys(pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> dict[Role, str]:
    """An API key per role, in the test's auth schema (shared by every process of the test)."""
    schema = settings.schema_for("auth")
    await migrate(pool, schema, auth_sql(schema))
    tokens: dict[Role, str] = {}
    for role in ROLES:
        token, _ = await create_key(pool, schema, name=f"test {role}", role=role)
        tokens[role] = token
    return tokens
