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
    """Every standing in-kind entry as corrected (a withdrawn one is worth nothing and left
    out), by municipality and work date, then log order; each with how often it was corrected
    and the attestation standing for it (`attestation_id` and `attestation_position`,
    `attested_by`, `attested_on`; null when unattested)."""
    rows = await db.fetch(
        f"SELECT i.event_id, i.position, i.municipality, i.person, i.role, i.activity, "
        "i.work_date, i.hours, i.rate_ore, i.value_ore, i.description, i.corrections, "
        "a.event_id AS attestation_id, a.position AS attestation_position, a.attested_by, "
        f"a.attested_on FROM {s}.in_kind i "
        f"LEFT JOIN {s}.in_kind_attestations a ON a.event_id = i.attestation "
        "WHERE i.project_id = $1 AND NOT i.withdrawn "
        "ORDER BY i.municipality, i.work_date, i.position",
        project_id,
    )
    return [dict(row) for row in rows]


async def in_kind_changes(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Every correction and withdrawal of an in-kind entry, in log order: the figures before
    and after, and who the entry is for, where, and the position of the event recording it
    (none of which a change alters)."""
    rows = await db.fetch(
        f"SELECT c.event_id, c.position, c.entry_id, i.position AS entry_position, i.person, "
        "i.role, i.municipality, c.kind, c.changed_on, c.reason, c.hours_before, "
        "c.rate_before, c.activity_before, c.work_date_before, c.value_before, c.hours_after, "
        "c.rate_after, c.activity_after, c.work_date_after, c.value_after, c.lost_attestation "
        f"FROM {s}.in_kind_changes c JOIN {s}.in_kind i ON i.event_id = c.entry_id "
        "WHERE c.project_id = $1 ORDER BY c.position",
        project_id,
    )
    return [dict(row) for row in rows]


async def in_kind_by_municipality(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Per municipality: distinct persons, entries, hours and value of the standing entries,
    and the value attested."""
    rows = await db.fetch(
        f"SELECT municipality, count(DISTINCT person) AS persons, count(*) AS entries, "
        "sum(hours) AS hours, sum(value_ore)::bigint AS value_ore, coalesce(sum(value_ore) "
        f"FILTER (WHERE attestation IS NOT NULL), 0)::bigint AS attested_ore FROM {s}.in_kind "
        "WHERE project_id = $1 AND NOT withdrawn GROUP BY municipality ORDER BY municipality",
        project_id,
    )
    return [dict(row) for row in rows]
