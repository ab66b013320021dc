"""Reading what the logs hold in a test: personal fields are sealed there (and in the audit
exports and the stream), so a test that checks a person's name in an event opens it first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.privacy.keyring import open_keyring
from shared.privacy.sealing import open_data
from shared.settings import Settings


async def opened_events(
    pool: asyncpg.Pool[asyncpg.Record], settings: Settings, events: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Exported events (CloudEvents as `/audit/events` gives them) with their data opened."""
    keyring = await open_keyring(pool, settings)
    return [{**event, "data": dict(await open_data(keyring, event["data"]))} for event in events]
