"""What a service's queries, views and metrics get to read with: its read models' pool and
schema, and the settings that shape answers. Not the whole runtime: a route or a gauge never
needs the log, the relay or NATS, and a test can hand one in without starting a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeAlias

import asyncpg

from shared.settings import Settings

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"


@dataclass(frozen=True)
class ReadSide:
    pool: Pool
    schema: str
    """The service's schema, where its read models live."""
    settings: Settings
    """For the knobs that shape answers: the anonymity threshold, a fixed status date."""

    def status_date(self) -> date:
        """The day gauges show the project as of: the configured one, else today (UTC)."""
        return self.settings.status_date or datetime.now(UTC).date()
