"""How a test keeps to itself on shared servers: settings with a schema prefix and a stream of
its own, and the clean-up of both. Every prefix given out is remembered, so the session can drop
whatever a test that ran services as processes left behind."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import nats
from nats.js.errors import NotFoundError

from shared.db import Queryable
from shared.settings import Settings

PREFIXES: list[str] = []
"""Every schema prefix given out in this session."""


def isolated_settings(pg_url: str, nats_url: str, tag: str) -> Settings:
    """Settings whose schemas, stream and subjects are the test's own (`tag` in each name)."""
    PREFIXES.append(f"t{tag}_")
    return Settings(
        database_url=pg_url,
        nats_url=nats_url,
        schema_prefix=f"t{tag}_",
        nats_stream=f"T{tag}",
        subject_prefix=f"t{tag}",
        signing_key_dir=Path(tempfile.mkdtemp(prefix="ptrack-keys-")),
        log_json=False,
    )


async def drop_schemas(db: Queryable, prefix: str) -> None:
    """Every schema whose name starts with `prefix`, with what it holds."""
    for row in await db.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", prefix + "%"
    ):
        await db.execute(f'DROP SCHEMA IF EXISTS "{row["nspname"]}" CASCADE')


async def drop_stream(nats_url: str, name: str) -> None:
    connection = await nats.connect(nats_url)
    with contextlib.suppress(NotFoundError):
        await connection.jetstream().delete_stream(name)
    await connection.close()
