"""What the accounts are made from: the read model's rows in one snapshot, with the position the
model had reached in that snapshot; the plan's events (BudgetApproved, FinancingPlanned) and the
hash at that position from the log; the latest signed checkpoint.

The read model keeps the event position and id of every booking, reversal, receipt,
repayment, in-kind entry, correction, withdrawal, attestation and revision, but not of the
approval and the financing plan (nor their `names` in other languages): those two are read from
the project's stream in the log, up to the snapshot's position, so nothing in the read model has
to change (nor be rebuilt) for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from services.finance import audit_queries, queries
from services.finance.accounts.model import LoggedEvent, Rows
from services.finance.readmodels import FinanceProjection
from shared.audit.signing import SignedCheckpoint, list_checkpoints
from shared.checkpoints import read_checkpoint
from shared.db import Queryable
from shared.readside import Pool
from shared.store.base import EventStore, StoredEvent

CHECKPOINT = f"projection:{FinanceProjection.name}"
"""Where the finance read model keeps its position (written with its rows, in one
transaction)."""


async def read(pool: Pool, s: str, project_id: str) -> Rows | None:
    """The project's rows as of one moment (None for a project without a budget); the plan's
    events are added by `with_plan_events`."""
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        project = await conn.fetchrow(
            f"SELECT project_id, name, currency, period_start, period_end, frame_ore, "
            f"in_kind_ore, approved_on, decision_ref, revisions FROM {s}.projects "
            "WHERE project_id = $1",
            project_id,
        )
        if project is None:
            return None
        return Rows(
            position=await read_checkpoint(conn, s, CHECKPOINT),
            project=dict(project),
            lines=await queries.budget_lines(conn, s, project_id),
            revisions=await queries.budget_revisions(conn, s, project_id),
            ledger=await audit_queries.ledger(conn, s, project_id),
            sources=await queries.funding_sources(conn, s, project_id),
            receipts=await receipts(conn, s, project_id),
            repayments=await queries.funding_repayments(conn, s, project_id),
            in_kind=await audit_queries.in_kind_entries(conn, s, project_id),
            changes=await audit_queries.in_kind_changes(conn, s, project_id),
            attestations=await queries.in_kind_attestations(conn, s, project_id),
            approval=None,
            financing=None,
        )


async def receipts(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Every funding receipt, by source, date and log order."""
    rows = await db.fetch(
        f"SELECT event_id, position, source_id, amount_ore, received_date, reference "
        f"FROM {s}.funding_receipts WHERE project_id = $1 "
        "ORDER BY source_id, received_date, position",
        project_id,
    )
    return [dict(row) for row in rows]


def plan_events(stream: Sequence[StoredEvent], position: int) -> dict[str, LoggedEvent | None]:
    """The approval and the financing plan in force at `position`, from a project's stream."""
    found: dict[str, LoggedEvent | None] = {"BudgetApproved": None, "FinancingPlanned": None}
    for event in stream:
        if event.position <= position and event.type in found:
            # A later plan replaces an earlier one; the approval comes once.
            found[event.type] = LoggedEvent(event.position, str(event.event_id), event.data)
    return found


async def with_plan_events(rows: Rows, store: EventStore, project_id: str) -> Rows:
    events = plan_events(await store.read_stream(project_id), rows.position)
    return replace(rows, approval=events["BudgetApproved"], financing=events["FinancingPlanned"])


async def event_at(store: EventStore, position: int) -> StoredEvent | None:
    found = [event async for event in store.read_all(position, position)]
    return found[0] if found else None


async def latest_checkpoint(db: Queryable, s: str) -> SignedCheckpoint | None:
    signed = await list_checkpoints(db, s)
    return max(signed, key=lambda kept: (kept.position, kept.signed_at), default=None)
