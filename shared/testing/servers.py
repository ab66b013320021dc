"""Servers for tests: an environment URL, else the local default port, else a container where a
Docker engine answers, else an embedded server. Found once per test session.

`PTRACK_TEST_SERVERS=embedded` skips straight to the embedded servers, as on a machine where
nothing else answers (a test uses it to prove that path works)."""

from __future__ import annotations

import atexit
import logging
import os
import tempfile
from pathlib import Path

from shared.servers import (
    DEFAULT_NATS_URL,
    DEFAULT_PG_URL,
    NatsServer,
    env_url,
    port_answers,
    postgres_accepts,
    start_embedded_postgres,
)

log = logging.getLogger(__name__)


def _docker_answers() -> bool:
    if not (os.environ.get("DOCKER_HOST") or Path("/var/run/docker.sock").exists()):
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


def _scratch(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"ptrack-test-{name}-"))


def _embedded_only() -> bool:
    return os.environ.get("PTRACK_TEST_SERVERS", "auto") == "embedded"


def postgres_for_tests() -> str:
    if _embedded_only():
        return start_embedded_postgres(_scratch("pg"))
    if url := env_url("PTRACK_TEST_DATABASE_URL"):
        return url
    if port_answers("127.0.0.1", 5432) and postgres_accepts(DEFAULT_PG_URL):
        return DEFAULT_PG_URL
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None)
        container.start()
        atexit.register(container.stop)
        return str(container.get_connection_url())
    return start_embedded_postgres(_scratch("pg"))


def nats_for_tests() -> str:
    if _embedded_only():
        return _embedded_nats()
    if url := env_url("PTRACK_TEST_NATS_URL"):
        return url
    if port_answers("127.0.0.1", 4222):
        return DEFAULT_NATS_URL
    if _docker_answers():
        from testcontainers.nats import NatsContainer

        container = NatsContainer("nats:2.10-alpine").with_command("-js")
        container.start()
        atexit.register(container.stop)
        return str(container.nats_uri())
    return _embedded_nats()


def _embedded_nats() -> str:
    server = NatsServer(_scratch("nats"))
    server.start()
    atexit.register(server.stop)
    return server.url


def own_nats_server(store_dir: Path | None = None) -> NatsServer:
    """A NATS server this test owns (to stop and restart it); the caller stops it."""
    server = NatsServer(store_dir or _scratch("nats-own"))
    server.start()
    return server


__all__ = ["nats_for_tests", "own_nats_server", "postgres_for_tests"]
