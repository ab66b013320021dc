"""API keys: bearer tokens stored hashed, each with a role and an optional expiry.

A token reads `ptk_<key id>_<secret>`. Only sha256(secret) is stored; the secret is shown once,
when the key is made. The id finds the row; the hash is compared in constant time.

Roles: `integration` posts events (to the services named on the key, or all), `manager` reads,
`auditor` reads and audits, `admin` does everything.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import asyncpg

from shared.db import Queryable
from shared.http.problems import Problem
from shared.privacy.personal import Handle, erased_value
from shared.ratelimit import RateLimiter
from shared.settings import Settings
from shared.store.postgres import migrate

Role = Literal["integration", "manager", "auditor", "admin"]
Action = Literal["identify", "write", "read", "audit", "admin"]
ROLES: tuple[Role, ...] = ("integration", "manager", "auditor", "admin")
_ALLOWED: dict[Action, frozenset[Role]] = {
    "identify": frozenset(ROLES),
    # A manager records what happened (through the office, as a person); an integration
    # records what a system saw.
    "write": frozenset({"integration", "manager", "admin"}),
    "read": frozenset({"manager", "auditor", "admin"}),
    "audit": frozenset({"auditor", "admin"}),
    "admin": frozenset({"admin"}),
}
_CACHE_SECONDS = 5.0
"""How long a looked-up key is trusted before it is read again (so a revocation takes effect
within this time on every replica)."""
_DUMMY_HASH = hashlib.sha256(b"no such key").digest()


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    role: Role
    services: tuple[str, ...] | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def actor(self) -> str:
        """Who recorded an event, as its metadata says: the key, not its holder's name. The
        log cannot forget a name; the key table can (`rename_holder`), and maps the id to one."""
        return f"key:{self.key_id}"


def auth_sql(schema: str) -> str:
    return f"""
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE IF NOT EXISTS {schema}.api_keys (
    key_id      text        PRIMARY KEY,
    secret_hash bytea       NOT NULL,
    name        text        NOT NULL,
    role        text        NOT NULL CHECK (role IN ('integration', 'manager', 'auditor', 'admin')),
    services    text[],
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);
"""


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


async def create_key(
    db: Queryable,
    schema: str,
    *,
    name: str,
    role: Role,
    services: tuple[str, ...] | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, ApiKey]:
    """Make a key; returns the token (shown only now) and the key."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    await db.execute(
        f"INSERT INTO {schema}.api_keys (key_id, secret_hash, name, role, services, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        key_id,
        _hash(secret),
        name,
        role,
        list(services) if services is not None else None,
        expires_at,
    )
    return f"ptk_{key_id}_{secret}", ApiKey(key_id, name, role, services, expires_at, None)


async def revoke_key(db: Queryable, schema: str, key_id: str) -> bool:
    status = await db.execute(
        f"UPDATE {schema}.api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL",
        key_id,
    )
    return status.endswith(" 1")


async def erase_holders(
    db: Queryable, schema: str, erased: Iterable[tuple[Handle, UUID]]
) -> list[str]:
    """Rename every key held by an erased person (their name compared as handles are:
    regardless of case, spacing and composition), revoked or not, to what the person now reads
    as everywhere (`erased-…`); returns the keys' ids. The log's `key:<id>` then names nobody."""
    if await db.fetchval("SELECT to_regclass($1::text)", f"{schema}.api_keys") is None:
        return []
    keys = await list_keys(db, schema)
    renamed = []
    for handle, subject in erased:
        if handle.kind != "person":
            continue
        held = [
            key.key_id for key in keys if Handle("person", key.name).normalised == handle.normalised
        ]
        if held:
            await db.execute(
                f"UPDATE {schema}.api_keys SET name = $1 WHERE key_id = ANY($2)",
                erased_value(subject),
                held,
            )
            renamed.extend(held)
    return renamed


def _key_from_row(row: asyncpg.Record) -> ApiKey:
    services = row["services"]
    return ApiKey(
        key_id=row["key_id"],
        name=row["name"],
        role=row["role"],
        services=tuple(services) if services is not None else None,
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


async def list_keys(db: Queryable, schema: str) -> list[ApiKey]:
    rows = await db.fetch(f"SELECT * FROM {schema}.api_keys ORDER BY created_at")
    return [_key_from_row(row) for row in rows]


class KeyChecker:
    def __init__(self, db: Queryable, schema: str) -> None:
        self.db = db
        self.schema = schema
        self._cache: dict[str, tuple[float, ApiKey, bytes] | tuple[float, None, None]] = {}

    async def authenticate(self, authorization: str | None) -> ApiKey:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("a bearer API key is required")
        prefix, _, rest = token.strip().partition("_")
        key_id, _, secret = rest.partition("_")
        key, stored_hash = await self._lookup(key_id) if prefix == "ptk" else (None, None)
        matches = hmac.compare_digest(_hash(secret), stored_hash or _DUMMY_HASH)
        if key is None or not matches:
            raise _unauthorized("the API key is not valid")
        if key.revoked_at is not None:
            raise _unauthorized("the API key has been revoked")
        if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
            raise _unauthorized("the API key has expired")
        return key

    def forget(self, key_id: str) -> None:
        """Drop a key from this process's cache (after revoking it here)."""
        self._cache.pop(key_id, None)

    async def _lookup(self, key_id: str) -> tuple[ApiKey | None, bytes | None]:
        cached = self._cache.get(key_id)
        if cached is not None and time.monotonic() - cached[0] < _CACHE_SECONDS:
            return cached[1], cached[2]
        if len(self._cache) > 10_000:  # random ids from a scanner must not grow it forever
            self._cache.clear()
        row = await self.db.fetchrow(
            f"SELECT * FROM {self.schema}.api_keys WHERE key_id = $1", key_id
        )
        if row is None:
            self._cache[key_id] = (time.monotonic(), None, None)
            return None, None
        key, digest = _key_from_row(row), bytes(row["secret_hash"])
        self._cache[key_id] = (time.monotonic(), key, digest)
        return key, digest


@dataclass(frozen=True)
class Access:
    """Who may call a service: its API keys (in the shared auth schema, looked up through a
    short cache) and each key's request rate. An HTTP concern, kept apart from the runtime,
    which records and projects events whoever asks."""

    pool: asyncpg.Pool[asyncpg.Record]
    schema: str
    keys: KeyChecker
    limiter: RateLimiter

    @classmethod
    async def open(cls, pool: asyncpg.Pool[asyncpg.Record], settings: Settings) -> Access:
        schema = settings.schema_for("auth")
        await migrate(pool, schema, auth_sql(schema))
        limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        return cls(pool, schema, KeyChecker(pool, schema), limiter)


def authorize(key: ApiKey, action: Action, service: str) -> None:
    if key.role not in _ALLOWED[action]:
        raise Problem(
            403,
            "forbidden",
            f"role {key.role!r} may not {action}; allowed: {', '.join(sorted(_ALLOWED[action]))}",
        )
    if action == "write" and key.services is not None and service not in key.services:
        raise Problem(403, "forbidden", f"this key may not write to the {service} service")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
