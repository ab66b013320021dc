"""What a read model is to the machinery that feeds it: its tables, their DDL, and how one
event changes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from shared.db import Conn
from shared.event_types import EventModel
from shared.store.base import StoredEvent


class Projection(Protocol):
    name: str
    tables: Sequence[str]
    """Tables the projection owns (emptied on rebuild), without schema. Each keeps its history
    (`shared.projection.versioning`) unless the projection names it in an optional
    `unversioned_tables`."""

    def schema_sql(self, schema: str) -> str:
        """Idempotent DDL for the read model tables."""
        ...

    async def apply(
        self, conn: Conn, schema: str, event: StoredEvent, model: EventModel
    ) -> None: ...


Statement = tuple[str, tuple[Any, ...]]
"""SQL text and its arguments."""


@runtime_checkable
class StatementProjection(Projection, Protocol):
    """A projection that says what to write instead of writing it: the writer then sends the
    statements of many events together (consecutive identical statements as one `executemany`),
    which is what makes replaying a long log fast.

    A projection may also set `commutes_across_tables = True` when no statement depends on
    what another table holds (no reads of other tables, no foreign keys between them): the
    writer then keeps the order per table only, and batches far more."""

    def statements(self, schema: str, event: StoredEvent, model: EventModel) -> list[Statement]: ...
