"""Reads for the auditor's finance exports: every entry, each with the log event behind it.

Unlike `queries`, nothing here is summed away: an auditor ticks entries off against vouchers,
so each row keeps its event id and log position. Amounts in øre.
"""

from __future__ import annotations

from typing import Any

from services.finance.queries import reversed_sql
from shared.db import Queryable


async def ledger(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Every cost booking (`entry` = booking), each followed by its reversals (`entry` =
    reversal, with the booking's date), bookings by date and then log order.

    One statement, so one snapshot: read in two, a reversal recorded in between could show
    without the booking's reversed amount counting it.
    """
    rows = await db.fetch(
        f"""
        SELECT 'booking' AS entry, b.booking_id, b.booking_date, b.line_id, b.voucher,
               b.supplier, b.text, b.amount_ore, {reversed_sql(s)}, NULL::date AS reversal_date,
               NULL::text AS reason, b.event_id, b.position, b.position AS booking_position
        FROM {s}.bookings b WHERE b.project_id = $1
        UNION ALL
        SELECT 'reversal', r.booking_id, b.booking_date, r.line_id, r.voucher, NULL, NULL,
               r.amount_ore, NULL, r.reversal_date, r.reason, r.event_id, r.position, b.position
        FROM {s}.reversals r
        JOIN {s}.bookings b ON b.project_id = r.project_id AND b.booking_id = r.booking_id
        WHERE r.project_id = $1
        -- A booking is always logged before its reversals, so it comes first among them.
        ORDER BY booking_date, booking_position, position
        """,
        project_id,
    )
    return [dict(row) for row in rows]


async def in_kind_entries(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Every documented in-kind entry, by municipality and work date, then log order."""
    rows = await db.fetch(
        f"SELECT event_id, position, municipality, person, role, activity, work_date, hours, "
        f"rate_ore, value_ore, description FROM {s}.in_kind WHERE project_id = $1 "
        "ORDER BY municipality, work_date, position",
        project_id,
    )
    return [dict(row) for row in rows]


async def in_kind_by_municipality(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Per municipality: distinct persons, entries, hours and value."""
    rows = await db.fetch(
        f"SELECT municipality, count(DISTINCT person) AS persons, count(*) AS entries, "
        f"sum(hours) AS hours, sum(value_ore)::bigint AS value_ore FROM {s}.in_kind "
        "WHERE project_id = $1 GROUP BY municipality ORDER BY municipality",
        project_id,
    )
    return [dict(row) for row in rows]
