"""Statements of many events sent in as few round trips as their order allows."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from typing import Any

from shared.db import Conn
from shared.projection.protocol import Statement

_WRITTEN_TABLE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([\w.\"]+)", re.IGNORECASE
)
_READS = re.compile(r"\b(?:SELECT|FROM|JOIN)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)  # a projection has a few statements, sent many times
def _commuting_table(sql: str) -> str | None:
    """The one table a statement writes without reading any: such statements on different
    tables may swap places. None for anything else (it then keeps its place in log order)."""
    match = _WRITTEN_TABLE.match(sql)
    if match is None or _READS.search(sql, match.end()):
        return None
    return match.group(1)


class StatementBatch:
    """Statements in log order, sent in as few round trips as that order allows. A run of
    statements is written while the caller goes on decoding the next events, so PostgreSQL
    and Python work at the same time; the connection still runs one statement at a time.

    For a projection whose writes to different tables commute (`commutes_across_tables`),
    the order is kept per table only: interleaved events of two kinds (bookings and hours)
    then go as one `executemany` per kind instead of a round trip per short run."""

    def __init__(self, conn: Conn, *, commutes_across_tables: bool = False) -> None:
        self.conn = conn
        self.commutes = commutes_across_tables
        self.runs: dict[str, list[tuple[Any, ...]]] = {}
        """Pending statements by SQL, in the order each SQL first came."""
        self.current: dict[str, str] = {}
        """The table each pending run writes, and its SQL."""
        self._sending: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StatementBatch:
        return self

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        if error is None:
            await self.flush()
        elif self._sending is not None:
            # Failing anyway: let the write in flight end before the transaction rolls back.
            with contextlib.suppress(Exception):
                await self._sending

    async def add(self, statements: list[Statement]) -> None:
        for sql, args in statements:
            if self.commutes and (table := _commuting_table(sql)) is not None:
                # A different statement on a table with one pending must come after it.
                if self.current.get(table, sql) != sql:
                    await self._send()
                self.current[table] = sql
            elif sql not in self.runs or len(self.runs) > 1:
                await self._send()  # in log order: after everything pending
            self.runs.setdefault(sql, []).append(args)

    async def flush(self) -> None:
        """Write everything added so far, and wait until it is written."""
        await self._send()
        await self._written()

    async def _send(self) -> None:
        if not self.runs:
            return
        await self._written()
        runs = list(self.runs.items())
        self.runs, self.current = {}, {}
        self._sending = asyncio.create_task(self._write(runs))

    async def _write(self, runs: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        for sql, args in runs:
            await self.conn.executemany(sql, args)

    async def _written(self) -> None:
        sending, self._sending = self._sending, None
        if sending is not None:
            await sending
