"""The PostgreSQL and NATS a run uses, and a database of its own that is dropped afterwards.

Same order of preference as the test fixtures, under the bench's own variables: a URL from
`PTRACK_BENCH_DATABASE_URL` / `PTRACK_BENCH_NATS_URL`, else a server on the local default port,
else an embedded server from the Python environment. Every run makes a fresh database (or, where
the login may not create databases, fresh schemas) so one run never measures another's tables.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import asyncpg
import nats
from nats.js.errors import NotFoundError

from bench.console import say, warn
from shared.servers import (
    DEFAULT_NATS_URL,
    DEFAULT_PG_URL,
    NatsServer,
    env_url,
    port_answers,
    postgres_accepts,
    start_embedded_postgres,
)


def find_postgres() -> str:
    if url := env_url("PTRACK_BENCH_DATABASE_URL"):
        return url
    if port_answers("127.0.0.1", 5432) and postgres_accepts(DEFAULT_PG_URL):
        return DEFAULT_PG_URL
    say("no PostgreSQL on the default port; starting an embedded one")
    return start_embedded_postgres(Path(tempfile.mkdtemp(prefix="ptrack-bench-pg-")))


@contextlib.contextmanager
def find_nats() -> Iterator[str]:
    if url := env_url("PTRACK_BENCH_NATS_URL"):
        yield url
    elif port_answers("127.0.0.1", 4222):
        yield DEFAULT_NATS_URL
    else:
        say("no NATS on the default port; starting an embedded one")
        server = NatsServer(Path(tempfile.mkdtemp(prefix="ptrack-bench-nats-")))
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


@dataclass(frozen=True)
class PgParams:
    """A URL taken apart, for clients configured by fields (the eventsourcing library)."""

    host: str
    port: str
    user: str
    password: str
    dbname: str


def pg_params(url: str) -> PgParams:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or query.get("host", ["127.0.0.1"])[0]  # a socket directory, too
    port = str(parts.port or query.get("port", ["5432"])[0])
    return PgParams(
        host=host,
        port=port,
        user=parts.username or query.get("user", ["postgres"])[0],
        password=parts.password or "",
        dbname=parts.path.lstrip("/") or "postgres",
    )


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    prefix: str
    """Every schema the run makes starts with this, so cleanup can find them."""
    own_database: str | None


def _with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@contextlib.asynccontextmanager
async def bench_database(server_url: str, run_id: str) -> AsyncIterator[BenchDatabase]:
    prefix = f"bench_{run_id}_"
    name = f"ptrack_bench_{run_id}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
        database = BenchDatabase(_with_database(server_url, name), prefix, name)
    except asyncpg.InsufficientPrivilegeError:
        warn("may not create a database; using fresh schemas in the given one")
        database = BenchDatabase(server_url, prefix, None)
    finally:
        await conn.close()
    try:
        yield database
    finally:
        await _drop(server_url, database)


async def _drop(server_url: str, database: BenchDatabase) -> None:
    conn = await asyncpg.connect(server_url if database.own_database else database.url)
    try:
        if database.own_database:
            await conn.execute(f"DROP DATABASE IF EXISTS {database.own_database} WITH (FORCE)")
            return
        schemas = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", database.prefix
        )
        for row in schemas:
            await conn.execute(f"DROP SCHEMA {row['nspname']} CASCADE")
    finally:
        await conn.close()


def without_password(url: str) -> str:
    """The URL as progress lines may show it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def new_run_id() -> str:
    return secrets.token_hex(4)


async def delete_stream(nats_url: str, stream: str) -> None:
    """The service creates its JetStream stream on start; the run removes it at the end."""
    client = await nats.connect(nats_url, connect_timeout=3, max_reconnect_attempts=0)
    try:
        with contextlib.suppress(NotFoundError):
            await client.jetstream().delete_stream(stream)
    finally:
        await client.close()
