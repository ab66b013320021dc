"""API keys from the command line: those `ptrack keys` makes, lists and revokes, and those
`ptrack up` makes for itself and keeps in files under its home while they stay valid.

Both work on the `auth` schema in the database, not through a service: a key is what a caller
needs before any service lets it in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import asyncpg

from shared.auth import ApiKey, Role, auth_sql, create_key, list_keys, revoke_key
from shared.db import create_pool
from shared.settings import Settings
from shared.store.postgres import migrate


@asynccontextmanager
async def _auth_schema(
    database_url: str, wait_seconds: float = 0.0
) -> AsyncIterator[tuple[asyncpg.Pool[asyncpg.Record], str]]:
    """A small pool with the auth schema in place (made on first use), and the schema's name."""
    schema = Settings().schema_for("auth")
    pool = await create_pool(database_url, min_size=1, max_size=2, wait_seconds=wait_seconds)
    try:
        await migrate(pool, schema, auth_sql(schema))
        yield pool, schema
    finally:
        await pool.close()


async def new_key(
    database_url: str,
    *,
    name: str,
    role: Role,
    services: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, ApiKey]:
    """A new key and its token (the only time the token is known)."""
    async with _auth_schema(database_url) as (pool, schema):
        scope = tuple(services) if services else None
        return await create_key(
            pool, schema, name=name, role=role, services=scope, expires_at=expires_at
        )


async def all_keys(database_url: str) -> list[ApiKey]:
    async with _auth_schema(database_url) as (pool, schema):
        return await list_keys(pool, schema)


async def revoke(database_url: str, key_id: str) -> bool:
    """False when there is no active key of that id."""
    async with _auth_schema(database_url) as (pool, schema):
        return await revoke_key(pool, schema, key_id)


def key_line(key: ApiKey) -> str:
    """One key for `ptrack keys list`: never its secret."""
    state = "revoked" if key.revoked_at else "active"
    scope = ",".join(key.services) if key.services else "all services"
    expiry = key.expires_at.isoformat() if key.expires_at else "never"
    return f"{key.key_id}  {key.role:<11} {state:<8} {expiry:<25} {scope}  {key.name}"


def kept_key(database_url: str, key_file: Path, role: Role, name: str | None = None) -> str:
    """The key in `key_file` from an earlier run if it is still valid, else a new one saved
    there (readable by the owner only), made for `name` (default: the role)."""
    earlier = key_file.read_text().strip() if key_file.exists() else None
    token = asyncio.run(
        _valid_or_new_key(database_url, earlier, role, name or f"{role} (ptrack up)")
    )
    if token != earlier:
        key_file.write_text(token + "\n")
        key_file.chmod(0o600)
    return token


async def _valid_or_new_key(database_url: str, earlier: str | None, role: Role, name: str) -> str:
    # The database may still be starting: `ptrack up` has only just started it.
    async with _auth_schema(database_url, wait_seconds=30) as (pool, schema):
        if earlier is not None:
            key_id = earlier.split("_")[1] if earlier.count("_") >= 2 else ""
            active = {k.key_id for k in await list_keys(pool, schema) if k.revoked_at is None}
            if key_id in active:
                return earlier
        token, _ = await create_key(pool, schema, name=name, role=role)
        return token
