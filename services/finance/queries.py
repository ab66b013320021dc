"""Reads over the finance read model, for the views, the metrics and the reporting service (which
reads its copy of these tables as of a status date). Amounts in øre."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.db import Queryable


@dataclass(frozen=True)
class Project:
    project_id: str
    name: str
    currency: str
    period_start: date
    period_end: date
    frame: int
    in_kind: int
    revisions: int


async def projects(db: Queryable, s: str) -> list[Project]:
    """Every project with an approved budget, by id."""
    rows = await db.fetch(
        f"SELECT project_id, name, currency, period_start, period_end, frame_ore, in_kind_ore, "
        f"revisions FROM {s}.projects ORDER BY project_id"
    )
    return [Project(*row.values()) for row in rows]


async def project(db: Queryable, s: str, project_id: str) -> Project | None:
    row = await db.fetchrow(
        f"SELECT project_id, name, currency, period_start, period_end, frame_ore, in_kind_ore, "
        f"revisions FROM {s}.projects WHERE project_id = $1",
        project_id,
    )
    return None if row is None else Project(*row.values())


_UNTIL = "coalesce($2::date, 'infinity')"
"""The `until` of a read taking its day (or null, for no limit) as `$2`."""


def line_totals_sql(s: str, until: str | None = None) -> str:
    """`booked_ore` and `reversed_ore` of a budget line `l`, summed from the booking tables.
    `until` is an SQL expression limiting both to a day (reversals by their own date)."""
    booked_until = f" AND b.booking_date <= {until}" if until else ""
    reversed_until = f" AND r.reversal_date <= {until}" if until else ""
    return (
        f"coalesce((SELECT sum(b.amount_ore) FROM {s}.bookings b WHERE b.project_id = "
        f"l.project_id AND b.line_id = l.line_id{booked_until}), 0)::bigint AS booked_ore, "
        f"coalesce((SELECT sum(r.amount_ore) FROM {s}.reversals r WHERE r.project_id = "
        f"l.project_id AND r.line_id = l.line_id{reversed_until}), 0)::bigint AS reversed_ore"
    )


def reversed_sql(s: str) -> str:
    """What was reversed of a booking `b`."""
    return (
        f"coalesce((SELECT sum(r.amount_ore) FROM {s}.reversals r WHERE r.project_id = "
        "b.project_id AND r.booking_id = b.booking_id), 0)::bigint AS reversed_ore"
    )


async def budget_lines(
    db: Queryable, s: str, project_id: str, until: date | None = None
) -> list[dict[str, Any]]:
    """Each budget line with what was booked on it and reversed, by `until` when given."""
    rows = await db.fetch(
        f"SELECT l.line_id, l.name, l.names, l.budget_ore, {line_totals_sql(s, _UNTIL)} "
        f"FROM {s}.budget_lines l WHERE l.project_id = $1 ORDER BY l.ordinal",
        project_id,
        until,
    )
    return [dict(row) for row in rows]


async def in_kind_totals(
    db: Queryable, s: str, project_id: str, by: str, until: date | None = None
) -> list[dict[str, Any]]:
    """In-kind work per municipality or activity (`key`), done by `until` when given: the
    standing entries, their hours and value as corrected, and the value attested."""
    column = {"municipality": "municipality", "activity": "activity"}[by]
    rows = await db.fetch(
        f"SELECT {column} AS key, sum(hours) AS hours, sum(value_ore)::bigint AS value_ore, "
        "count(*) FILTER (WHERE NOT withdrawn) AS entries, coalesce(sum(value_ore) FILTER "
        "(WHERE attestation IS NOT NULL), 0)::bigint AS attested_ore "
        f"FROM {s}.in_kind WHERE project_id = $1 AND work_date <= {_UNTIL} "
        f"GROUP BY {column} HAVING count(*) FILTER (WHERE NOT withdrawn) > 0 ORDER BY {column}",
        project_id,
        until,
    )
    return [dict(row) for row in rows]


async def outside_period(db: Queryable, s: str, project: Project) -> dict[str, int]:
    """How many bookings and in-kind entries carry a date outside the project period."""
    row = await db.fetchrow(
        f"SELECT (SELECT count(*) FROM {s}.bookings WHERE project_id = $1 "
        "AND booking_date NOT BETWEEN $2 AND $3) AS bookings, "
        f"(SELECT count(*) FROM {s}.in_kind WHERE project_id = $1 "
        "AND work_date NOT BETWEEN $2 AND $3 AND NOT withdrawn) AS in_kind, "
        f"(SELECT count(*) FROM {s}.reversals WHERE project_id = $1 "
        "AND reversal_date NOT BETWEEN $2 AND $3) AS reversals",
        project.project_id,
        project.period_start,
        project.period_end,
    )
    assert row is not None
    return dict(row)


def received_sql(s: str, until: str | None = None) -> str:
    """What a source has brought in: money received net of what was paid back, or for the
    project's one in-kind source, the value of the in-kind work documented (nobody posts
    in-kind work as "received"). `until` is an SQL expression limiting them to a day."""
    money_until = f"AND r.received_date <= {until}" if until else ""
    repaid_until = f"AND p.repaid_date <= {until}" if until else ""
    work_until = f"AND i.work_date <= {until}" if until else ""
    return f"""
        CASE WHEN f.kind = 'in_kind' AND (SELECT count(*) FROM {s}.funding_sources o
                 WHERE o.project_id = f.project_id AND o.kind = 'in_kind') = 1
             THEN (SELECT coalesce(sum(i.value_ore), 0) FROM {s}.in_kind i
                   WHERE i.project_id = f.project_id {work_until})
             ELSE (SELECT coalesce(sum(r.amount_ore), 0) FROM {s}.funding_receipts r
                   WHERE r.project_id = f.project_id AND r.source_id = f.source_id {money_until})
                - (SELECT coalesce(sum(p.amount_ore), 0) FROM {s}.funding_repayments p
                   WHERE p.project_id = f.project_id AND p.source_id = f.source_id {repaid_until})
        END::bigint"""


async def funding_sources(
    db: Queryable, s: str, project_id: str, until: date | None = None
) -> list[dict[str, Any]]:
    """Each source with what it planned and, by `until` when given, brought in."""
    rows = await db.fetch(
        f"SELECT f.source_id, f.name, f.names, f.kind, f.planned_ore, {received_sql(s, _UNTIL)} "
        f"AS received_ore FROM {s}.funding_sources f WHERE f.project_id = $1 ORDER BY f.ordinal",
        project_id,
        until,
    )
    return [dict(row) for row in rows]


async def bookings_page(
    db: Queryable,
    s: str,
    project: Project,
    *,
    line: str | None,
    from_date: date | None,
    to_date: date | None,
    after: tuple[date, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Bookings in (booking_date, position) order, after a keyset cursor."""
    rows = await db.fetch(
        f"SELECT booking_id, event_id, position, line_id, amount_ore, {reversed_sql(s)}, "
        "booking_date, voucher, supplier, text, "
        "booking_date NOT BETWEEN $2 AND $3 AS outside_period "
        f"FROM {s}.bookings b WHERE project_id = $1 "
        "AND ($4::text IS NULL OR line_id = $4) "
        "AND ($5::date IS NULL OR booking_date >= $5) "
        "AND ($6::date IS NULL OR booking_date <= $6) "
        "AND ($7::date IS NULL OR (booking_date, position) > ($7, $8)) "
        "ORDER BY booking_date, position LIMIT $9",
        project.project_id,
        project.period_start,
        project.period_end,
        line,
        from_date,
        to_date,
        after[0] if after else None,
        after[1] if after else 0,
        limit,
    )
    return [dict(row) for row in rows]


async def cost_by_month(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Booked and reversed per calendar month (reversals count in the month of their date)."""
    rows = await db.fetch(
        f"""
        WITH movements AS (
            SELECT date_trunc('month', booking_date)::date AS month, amount_ore AS booked,
                   0::bigint AS reversed
            FROM {s}.bookings WHERE project_id = $1
            UNION ALL
            SELECT date_trunc('month', reversal_date)::date, 0, amount_ore
            FROM {s}.reversals WHERE project_id = $1
        )
        SELECT month, sum(booked)::bigint AS booked_ore, sum(reversed)::bigint AS reversed_ore
        FROM movements GROUP BY month ORDER BY month
        """,
        project_id,
    )
    return [dict(row) for row in rows]


async def dated_costs(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """What cost was incurred on each day, by day: bookings less reversals (on their own dates)
    as `amount` with `in_kind` false, and in-kind work at its value with `in_kind` true. Summed
    per day here, so a project of many bookings sends its days, not its bookings."""
    rows = await db.fetch(
        f"""
        SELECT on_date, sum(amount)::bigint AS amount, in_kind FROM (
            SELECT booking_date AS on_date, amount_ore AS amount, false AS in_kind
                FROM {s}.bookings WHERE project_id = $1
            UNION ALL
            SELECT reversal_date, -amount_ore, false FROM {s}.reversals WHERE project_id = $1
            UNION ALL
            SELECT work_date, value_ore, true FROM {s}.in_kind WHERE project_id = $1
        ) costs GROUP BY on_date, in_kind ORDER BY on_date, in_kind
        """,
        project_id,
    )
    return [dict(row) for row in rows]


async def all_lines(db: Queryable, s: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT l.project_id, l.line_id, l.budget_ore, {line_totals_sql(s)} "
        f"FROM {s}.budget_lines l ORDER BY l.project_id, l.ordinal"
    )
    return [{**row, "net_ore": row["booked_ore"] - row["reversed_ore"]} for row in rows]


async def all_projects(db: Queryable, s: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT project_id, frame_ore, in_kind_ore, "
        f"(SELECT coalesce(sum(value_ore), 0) FROM {s}.in_kind i "
        f" WHERE i.project_id = p.project_id)::bigint AS in_kind_value_ore "
        f"FROM {s}.projects p ORDER BY project_id"
    )
    return [dict(row) for row in rows]


async def all_in_kind(db: Queryable, s: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT project_id, municipality, sum(value_ore)::bigint AS value_ore, "
        f"sum(hours) AS hours FROM {s}.in_kind GROUP BY project_id, municipality "
        "ORDER BY project_id, municipality"
    )
    return [dict(row) for row in rows]


async def all_funding(db: Queryable, s: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT f.project_id, f.source_id, f.planned_ore, {received_sql(s)} AS received_ore "
        f"FROM {s}.funding_sources f ORDER BY f.project_id, f.ordinal"
    )
    return [dict(row) for row in rows]


async def budget_revisions(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Every budget revision of the project, in log order: its decision, reason, day, the
    change per line (`changes`: line, delta as a decimal string), and the event behind it."""
    rows = await db.fetch(
        f"SELECT event_id, position, decision_ref, reason, revised_on, changes, "
        f"in_kind_delta_ore, frame_delta_ore FROM {s}.budget_revisions WHERE project_id = $1 "
        "ORDER BY position",
        project_id,
    )
    return [dict(row) for row in rows]


async def in_kind_entries_page(
    db: Queryable,
    s: str,
    project_id: str,
    *,
    municipality: str | None,
    after: tuple[date, int] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """In-kind entries as corrected (withdrawn ones too), in (work date, position) order after
    a keyset cursor, each with its attestation."""
    rows = await db.fetch(
        f"SELECT i.event_id, i.position, i.municipality, i.person, i.role, i.activity, "
        "i.work_date, i.hours, i.rate_ore, i.value_ore, i.description, i.withdrawn, "
        "i.corrections, a.attested_by, a.attested_on, a.event_id AS attestation_id "
        f"FROM {s}.in_kind i LEFT JOIN {s}.in_kind_attestations a ON a.event_id = i.attestation "
        "WHERE i.project_id = $1 AND ($2::text IS NULL OR i.municipality = $2) "
        "AND ($3::date IS NULL OR (i.work_date, i.position) > ($3, $4)) "
        "ORDER BY i.work_date, i.position LIMIT $5",
        project_id,
        municipality,
        after[0] if after else None,
        after[1] if after else 0,
        limit,
    )
    return [dict(row) for row in rows]


async def in_kind_changes(
    db: Queryable, s: str, project_id: str, entries: list[Any] | None = None
) -> list[dict[str, Any]]:
    """Corrections and withdrawals, in log order: of the given entries, or of the project."""
    rows = await db.fetch(
        f"SELECT event_id, entry_id, position, kind, changed_on, reason, hours_before, "
        "rate_before, activity_before, work_date_before, value_before, hours_after, rate_after, "
        "activity_after, work_date_after, value_after, lost_attestation "
        f"FROM {s}.in_kind_changes WHERE project_id = $1 "
        "AND ($2::uuid[] IS NULL OR entry_id = ANY($2::uuid[])) ORDER BY position",
        project_id,
        entries,
    )
    return [dict(row) for row in rows]


async def in_kind_attestations(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """Every attestation, in log order, with what it covers still attested (an entry
    corrected since is not)."""
    rows = await db.fetch(
        f"SELECT a.event_id, a.position, a.municipality, a.period_start, a.period_end, "
        "a.attested_by, a.attested_on, a.entries, a.hours, a.value_ore, "
        f"(SELECT count(*) FROM {s}.in_kind i WHERE i.attestation = a.event_id) AS standing "
        f"FROM {s}.in_kind_attestations a WHERE a.project_id = $1 ORDER BY a.position",
        project_id,
    )
    return [dict(row) for row in rows]


async def funding_repayments(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT event_id, position, source_id, amount_ore, repaid_date, reference, reason "
        f"FROM {s}.funding_repayments WHERE project_id = $1 ORDER BY position",
        project_id,
    )
    return [dict(row) for row in rows]


async def in_kind_rules(db: Queryable, s: str, project_id: str) -> dict[str, Any]:
    """The project's municipalities and its rules for in-kind work (null when it has none)."""
    row = await db.fetchrow(
        f"SELECT municipalities, in_kind_rules FROM {s}.projects WHERE project_id = $1",
        project_id,
    )
    return {"municipalities": [], "in_kind_rules": None} if row is None else dict(row)


async def budget_on(db: Queryable, s: str, project_id: str, day: date) -> dict[str, int]:
    """Each budget line's budget as it stood on `day` (revisions dated later taken back out),
    and `in-kind` for the in-kind budget, in øre."""
    rows = await db.fetch(
        f"""
        SELECT l.line_id, l.budget_ore - coalesce((
            SELECT sum((c ->> 'delta')::numeric * 100)::bigint
            FROM {s}.budget_revisions r, jsonb_array_elements(r.changes) c
            WHERE r.project_id = l.project_id AND r.revised_on > $2 AND c ->> 'line' = l.line_id
        ), 0) AS budget_ore
        FROM {s}.budget_lines l WHERE l.project_id = $1 ORDER BY l.ordinal
        """,
        project_id,
        day,
    )
    in_kind = await db.fetchval(
        f"SELECT p.in_kind_ore - coalesce((SELECT sum(r.in_kind_delta_ore) FROM "
        f"{s}.budget_revisions r WHERE r.project_id = p.project_id AND r.revised_on > $2), 0) "
        f"FROM {s}.projects p WHERE p.project_id = $1",
        project_id,
        day,
    )
    budget = {row["line_id"]: int(row["budget_ore"]) for row in rows}
    return {**budget, "in-kind": int(in_kind or 0)}


async def in_kind_change_counts(db: Queryable, s: str, project_id: str) -> dict[str, int]:
    """How many in-kind entries were corrected, and withdrawn (`corrected`, `withdrawn`)."""
    rows = await db.fetch(
        f"SELECT kind, count(*) AS n FROM {s}.in_kind_changes WHERE project_id = $1 GROUP BY kind",
        project_id,
    )
    return {"corrected": 0, "withdrawn": 0, **{row["kind"]: row["n"] for row in rows}}
