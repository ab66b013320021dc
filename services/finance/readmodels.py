"""The finance read model: budget lines, bookings and reversals, in-kind work, funding.

Tables live in the service's schema, keyed by project. Amounts are integer øre. Bookings and the
other frequent facts are only ever inserted (totals such as what is booked on a line are summed
when read): a replay of a long log then never updates one hot row over and over inside its single
transaction. Those inserts name `sys_from` (see `shared.projection.versioning`), so a run of them
stays one `executemany`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from services.finance.domain import in_kind_value
from services.finance.events import (
    BudgetApproved,
    BudgetRevised,
    CostBooked,
    CostReversed,
    FinancingPlanned,
    FundingReceived,
    FundingRepaid,
    InKindAttested,
    InKindCorrected,
    InKindHoursRecorded,
    InKindRules,
    InKindWithdrawn,
)
from shared.db import Conn
from shared.event_types import EventModel
from shared.projection import Statement
from shared.store.base import StoredEvent

_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.projects (
    project_id       text    PRIMARY KEY,
    name             text    NOT NULL,
    currency         text    NOT NULL,
    period_start     date    NOT NULL,
    period_end       date    NOT NULL,
    frame_ore        bigint  NOT NULL,
    in_kind_ore      bigint  NOT NULL,
    approved_on      date    NOT NULL,
    decision_ref     text,
    revisions        integer NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS {s}.budget_lines (
    project_id   text    NOT NULL,
    line_id      text    NOT NULL,
    name         text    NOT NULL,
    ordinal      integer NOT NULL,
    budget_ore   bigint  NOT NULL,
    PRIMARY KEY (project_id, line_id)
);
CREATE TABLE IF NOT EXISTS {s}.bookings (
    project_id   text    NOT NULL,
    booking_id   text    NOT NULL,
    event_id     uuid    NOT NULL,
    position     bigint  NOT NULL,
    line_id      text    NOT NULL,
    amount_ore   bigint  NOT NULL,
    booking_date date    NOT NULL,
    voucher      text    NOT NULL,
    supplier     text,
    text         text,
    PRIMARY KEY (project_id, booking_id)
);
CREATE TABLE IF NOT EXISTS {s}.reversals (
    event_id      uuid   PRIMARY KEY,
    project_id    text   NOT NULL,
    booking_id    text   NOT NULL,
    position      bigint NOT NULL,
    line_id       text   NOT NULL,
    amount_ore    bigint NOT NULL,
    reversal_date date   NOT NULL,
    reason        text   NOT NULL,
    voucher       text
);
CREATE INDEX IF NOT EXISTS reversals_by_project ON {s}.reversals (project_id, reversal_date);
CREATE INDEX IF NOT EXISTS reversals_by_booking ON {s}.reversals (project_id, booking_id);
CREATE INDEX IF NOT EXISTS reversals_by_line ON {s}.reversals (project_id, line_id);
CREATE TABLE IF NOT EXISTS {s}.in_kind (
    event_id     uuid    PRIMARY KEY,
    project_id   text    NOT NULL,
    position     bigint  NOT NULL,
    municipality text    NOT NULL,
    person       text    NOT NULL,
    role         text,
    activity     text    NOT NULL,
    work_date    date    NOT NULL,
    hours        numeric NOT NULL,
    rate_ore     bigint  NOT NULL,
    value_ore    bigint  NOT NULL,
    description  text
);
CREATE INDEX IF NOT EXISTS in_kind_by_project ON {s}.in_kind (project_id, work_date);
CREATE TABLE IF NOT EXISTS {s}.funding_sources (
    project_id   text    NOT NULL,
    source_id    text    NOT NULL,
    name         text    NOT NULL,
    kind         text    NOT NULL,
    ordinal      integer NOT NULL,
    planned_ore  bigint  NOT NULL,
    PRIMARY KEY (project_id, source_id)
);
CREATE TABLE IF NOT EXISTS {s}.funding_receipts (
    event_id      uuid   PRIMARY KEY,
    project_id    text   NOT NULL,
    position      bigint NOT NULL,
    source_id     text   NOT NULL,
    amount_ore    bigint NOT NULL,
    received_date date   NOT NULL,
    reference     text
);
CREATE TABLE IF NOT EXISTS {s}.budget_revisions (
    event_id         uuid   PRIMARY KEY,
    project_id       text   NOT NULL,
    position         bigint NOT NULL,
    decision_ref     text   NOT NULL,
    reason           text   NOT NULL,
    revised_on       date   NOT NULL,
    changes          jsonb  NOT NULL,
    in_kind_delta_ore bigint NOT NULL,
    frame_delta_ore  bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.in_kind_changes (
    event_id       uuid    PRIMARY KEY,
    project_id     text    NOT NULL,
    entry_id       uuid    NOT NULL,
    position       bigint  NOT NULL,
    kind           text    NOT NULL,  -- corrected | withdrawn
    changed_on     date    NOT NULL,
    reason         text    NOT NULL,
    hours_before   numeric NOT NULL,
    rate_before    bigint  NOT NULL,
    activity_before text   NOT NULL,
    work_date_before date  NOT NULL,
    value_before   bigint  NOT NULL,
    hours_after    numeric NOT NULL,
    rate_after     bigint  NOT NULL,
    activity_after text    NOT NULL,
    work_date_after date   NOT NULL,
    value_after    bigint  NOT NULL,
    lost_attestation boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS in_kind_changes_by_entry ON {s}.in_kind_changes (entry_id, position);
CREATE INDEX IF NOT EXISTS in_kind_changes_by_project ON {s}.in_kind_changes (project_id);
CREATE TABLE IF NOT EXISTS {s}.in_kind_attestations (
    event_id     uuid    PRIMARY KEY,
    project_id   text    NOT NULL,
    position     bigint  NOT NULL,
    municipality text    NOT NULL,
    period_start date    NOT NULL,
    period_end   date    NOT NULL,
    attested_by  text    NOT NULL,
    attested_on  date    NOT NULL,
    entries      integer NOT NULL,
    hours        numeric NOT NULL,
    value_ore    bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS in_kind_attestations_by_project
    ON {s}.in_kind_attestations (project_id, position);
CREATE TABLE IF NOT EXISTS {s}.funding_repayments (
    event_id     uuid   PRIMARY KEY,
    project_id   text   NOT NULL,
    position     bigint NOT NULL,
    source_id    text   NOT NULL,
    amount_ore   bigint NOT NULL,
    repaid_date  date   NOT NULL,
    reference    text   NOT NULL,
    reason       text   NOT NULL
);
-- Columns added since the tables were first made: a model made before them gains them here,
-- and what they hold there is what a rebuild would give (no earlier event carried them).
ALTER TABLE {s}.budget_lines ADD COLUMN IF NOT EXISTS names jsonb NOT NULL DEFAULT '{{}}';
ALTER TABLE {s}.funding_sources ADD COLUMN IF NOT EXISTS names jsonb NOT NULL DEFAULT '{{}}';
-- An entry's figures are as corrected; a withdrawn one is worth nothing (0 hours, 0 øre), so
-- every sum is right without knowing about withdrawals. `attestation` is the attesting event.
ALTER TABLE {s}.in_kind ADD COLUMN IF NOT EXISTS withdrawn boolean NOT NULL DEFAULT false;
ALTER TABLE {s}.in_kind ADD COLUMN IF NOT EXISTS corrections integer NOT NULL DEFAULT 0;
ALTER TABLE {s}.in_kind ADD COLUMN IF NOT EXISTS attestation uuid;
CREATE INDEX IF NOT EXISTS in_kind_by_attestation ON {s}.in_kind (attestation);
-- Sums of a project's bookings per line and per day read the index alone (what a status needs
-- of a project with many bookings); `sys_from` is there for the same sums as of a position.
ALTER TABLE {s}.bookings ADD COLUMN IF NOT EXISTS sys_from bigint;
DROP INDEX IF EXISTS {s}.bookings_by_line;
DROP INDEX IF EXISTS {s}.bookings_by_date;
CREATE INDEX IF NOT EXISTS bookings_line_sums ON {s}.bookings
    (project_id, line_id, booking_date) INCLUDE (amount_ore, sys_from);
CREATE INDEX IF NOT EXISTS bookings_by_day ON {s}.bookings
    (project_id, booking_date, position) INCLUDE (amount_ore, sys_from);
-- The plan's rules for in-kind work as they stand (approved, or replaced by a revision).
ALTER TABLE {s}.projects ADD COLUMN IF NOT EXISTS municipalities jsonb NOT NULL DEFAULT '[]';
ALTER TABLE {s}.projects ADD COLUMN IF NOT EXISTS in_kind_rules jsonb;
"""


class FinanceProjection:
    name = "finance"
    commutes_across_tables = True
    """No foreign keys between the tables; statements that read (a reversal reads its booking)
    are kept in log order by the runner."""
    tables: Sequence[str] = (
        "projects",
        "budget_lines",
        "bookings",
        "reversals",
        "in_kind",
        "funding_sources",
        "funding_receipts",
        "budget_revisions",
        "in_kind_changes",
        "in_kind_attestations",
        "funding_repayments",
    )

    def schema_sql(self, schema: str) -> str:
        return _TABLES_SQL.format(s=schema)

    async def apply(self, conn: Conn, schema: str, event: StoredEvent, model: EventModel) -> None:
        for sql, args in self.statements(schema, event, model):
            await conn.execute(sql, *args)

    def statements(self, schema: str, event: StoredEvent, model: EventModel) -> list[Statement]:
        """What an event writes, as statements the runner may send with others (many bookings
        in a row go as one `executemany`)."""
        project, s = event.stream_id, schema
        match model:
            case BudgetApproved():
                return [
                    (
                        f"INSERT INTO {s}.projects (project_id, name, currency, period_start, "
                        "period_end, frame_ore, in_kind_ore, approved_on, decision_ref, "
                        "municipalities, in_kind_rules) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        (project, model.project_name, model.currency, model.period_start,
                         model.period_end, model.frame, model.in_kind, model.approved_on,
                         model.decision_ref, model.municipalities, _rules(model.in_kind_rules)),
                    ),
                    *(
                        (
                            f"INSERT INTO {s}.budget_lines (project_id, line_id, name, names, "
                            "ordinal, budget_ore) VALUES ($1, $2, $3, $4, $5, $6)",
                            (project, line.id, line.name, line.names, index, line.amount),
                        )
                        for index, line in enumerate(model.lines)
                    ),
                ]  # fmt: skip
            case FinancingPlanned():
                return [
                    (
                        f"DELETE FROM {s}.funding_sources WHERE project_id = $1 "
                        "AND NOT source_id = ANY($2::text[])",
                        (project, [source.id for source in model.sources]),
                    ),
                    *(
                        (
                            f"INSERT INTO {s}.funding_sources (project_id, source_id, name, "
                            "names, kind, ordinal, planned_ore) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7) "
                            "ON CONFLICT (project_id, source_id) DO UPDATE SET "
                            "name = EXCLUDED.name, names = EXCLUDED.names, kind = EXCLUDED.kind, "
                            "ordinal = EXCLUDED.ordinal, planned_ore = EXCLUDED.planned_ore",
                            (
                                project,
                                source.id,
                                source.name,
                                source.names,
                                source.kind,
                                index,
                                source.amount,
                            ),
                        )
                        for index, source in enumerate(model.sources)
                    ),
                ]
            case CostBooked():
                return [
                    (
                        f"INSERT INTO {s}.bookings (project_id, booking_id, event_id, position, "
                        "line_id, amount_ore, booking_date, voucher, supplier, text, sys_from) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $4)",
                        (project, model.booking_id, event.event_id, event.position, model.line,
                         model.amount, model.booking_date, model.voucher, model.supplier,
                         model.text),
                    )
                ]  # fmt: skip
            case CostReversed():
                # The line comes from the booking, in the same statement: no round trip to ask.
                return [
                    (
                        f"INSERT INTO {s}.reversals (event_id, project_id, booking_id, position, "
                        "line_id, amount_ore, reversal_date, reason, voucher, sys_from) "
                        "SELECT $1, $2, $3, $4, b.line_id, $5, $6, $7, $8, $4 "
                        f"FROM {s}.bookings b WHERE b.project_id = $2 AND b.booking_id = $3",
                        (event.event_id, project, model.booking_id, event.position,
                         model.amount, model.reversal_date, model.reason, model.voucher),
                    )
                ]  # fmt: skip
            case InKindHoursRecorded():
                return [
                    (
                        f"INSERT INTO {s}.in_kind (event_id, project_id, position, municipality, "
                        "person, role, activity, work_date, hours, rate_ore, value_ore, "
                        "description, sys_from) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $3)",
                        (event.event_id, project, event.position, model.municipality,
                         model.person, model.role, model.activity, model.work_date, model.hours,
                         model.hourly_rate, in_kind_value(model.hours, model.hourly_rate),
                         model.description),
                    )
                ]  # fmt: skip
            case FundingReceived():
                return [
                    (
                        f"INSERT INTO {s}.funding_receipts (event_id, project_id, position, "
                        "source_id, amount_ore, received_date, reference, sys_from) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $3)",
                        (event.event_id, project, event.position, model.source, model.amount,
                         model.received_date, model.reference),
                    )
                ]  # fmt: skip
            case InKindCorrected() | InKindWithdrawn():
                return _in_kind_change(s, project, event, model)
            case InKindAttested():
                return _attestation(s, project, event, model)
            case FundingRepaid():
                return [
                    (
                        f"INSERT INTO {s}.funding_repayments (event_id, project_id, position, "
                        "source_id, amount_ore, repaid_date, reference, reason, sys_from) "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $3)",
                        (event.event_id, project, event.position, model.source, model.amount,
                         model.repaid_date, model.reference, model.reason),
                    )
                ]  # fmt: skip
            case BudgetRevised():
                return self._revision(s, project, event, model)
        return []

    def _revision(
        self, s: str, project: str, event: StoredEvent, model: BudgetRevised
    ) -> list[Statement]:
        # A new line goes after the others: its ordinal is worked out when it is inserted.
        lines: list[Statement] = [
            (
                f"INSERT INTO {s}.budget_lines (project_id, line_id, name, names, ordinal, "
                f"budget_ore) VALUES ($1, $2, $3, coalesce($6::jsonb, '{{}}'), (SELECT coalesce("
                f"max(ordinal) + 1, 0) FROM {s}.budget_lines WHERE project_id = $1), $4) "
                "ON CONFLICT (project_id, line_id) DO UPDATE "
                "SET budget_ore = budget_lines.budget_ore + EXCLUDED.budget_ore, "
                "name = coalesce($5, budget_lines.name), "
                "names = coalesce($6::jsonb, budget_lines.names)",
                (
                    project,
                    change.line,
                    change.name or change.line,
                    change.delta,
                    change.name,
                    change.names or None,
                ),
            )
            for change in model.changes
        ]
        return [
            *lines,
            (
                f"UPDATE {s}.projects SET frame_ore = frame_ore + $2, "
                "in_kind_ore = in_kind_ore + $3, revisions = revisions + 1, "
                "municipalities = coalesce($4::jsonb, municipalities), "
                "in_kind_rules = coalesce($5::jsonb, in_kind_rules) WHERE project_id = $1",
                (project, model.frame_delta, model.in_kind_delta, model.municipalities,
                 _rules(model.in_kind_rules)),
            ),
            (
                f"INSERT INTO {s}.budget_revisions (event_id, project_id, position, decision_ref, "
                "reason, revised_on, changes, in_kind_delta_ore, frame_delta_ore) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                (event.event_id, project, event.position, model.decision_ref, model.reason,
                 model.revised_on, [c.model_dump(mode="json") for c in model.changes],
                 model.in_kind_delta, model.frame_delta),
            ),
        ]  # fmt: skip


def _rules(rules: InKindRules | None) -> dict[str, Any] | None:
    return None if rules is None else rules.model_dump(mode="json")


def _in_kind_change(
    s: str, project: str, event: StoredEvent, model: InKindCorrected | InKindWithdrawn
) -> list[Statement]:
    """A correction or withdrawal: the entry's figures before and after go into the history
    (read from the entry, so the projection needs no state), then the entry takes the new ones
    and loses its attestation. Figures a correction leaves out stay; a withdrawal leaves the
    entry worth nothing (0 hours, 0 øre)."""
    if isinstance(model, InKindCorrected):
        kind, changed_on, withdrawn = "corrected", model.corrected_on, False
        figures = (model.hours, model.hourly_rate, model.activity, model.work_date)
    else:
        kind, changed_on, withdrawn = "withdrawn", model.withdrawn_on, True
        figures = (Decimal(0), None, None, None)
    # The value is hours × rate rounded half up to the øre, as `in_kind_value` computes it
    # (round() of a positive numeric rounds half away from zero: the same).
    value = (
        "0" if withdrawn else "round(coalesce($2::numeric, hours) * coalesce($3::bigint, rate_ore))"
    )
    return [
        (
            f"INSERT INTO {s}.in_kind_changes (event_id, project_id, entry_id, position, kind, "
            "changed_on, reason, hours_before, rate_before, activity_before, work_date_before, "
            "value_before, hours_after, rate_after, activity_after, work_date_after, "
            "value_after, lost_attestation) "
            "SELECT $7, project_id, event_id, $8, $9, $10, $11, hours, rate_ore, activity, "
            "work_date, value_ore, coalesce($2::numeric, hours), coalesce($3::bigint, rate_ore), "
            f"coalesce($4, activity), coalesce($5::date, work_date), {value}::bigint, "
            f"attestation IS NOT NULL FROM {s}.in_kind WHERE event_id = $1 AND project_id = $6",
            (model.entry, *figures, project, event.event_id, event.position, kind, changed_on,
             model.reason),
        ),
        (
            f"UPDATE {s}.in_kind SET hours = coalesce($2::numeric, hours), "
            "rate_ore = coalesce($3::bigint, rate_ore), activity = coalesce($4, activity), "
            f"work_date = coalesce($5::date, work_date), value_ore = {value}::bigint, "
            "withdrawn = $7, corrections = corrections + (NOT $7)::int, attestation = NULL "
            "WHERE event_id = $1 AND project_id = $6",
            (model.entry, *figures, project, withdrawn),
        ),
    ]  # fmt: skip


def _attestation(
    s: str, project: str, event: StoredEvent, model: InKindAttested
) -> list[Statement]:
    """The entries the attestation covers (those of the municipality in the period that stand
    unattested, as the decider found them) take its id; then its row sums them."""
    return [
        (
            f"UPDATE {s}.in_kind SET attestation = $1 WHERE project_id = $2 "
            "AND municipality = $3 AND work_date BETWEEN $4 AND $5 AND attestation IS NULL "
            "AND NOT withdrawn",
            (event.event_id, project, model.municipality, model.period_start, model.period_end),
        ),
        (
            f"INSERT INTO {s}.in_kind_attestations (event_id, project_id, position, "
            "municipality, period_start, period_end, attested_by, attested_on, entries, hours, "
            "value_ore) SELECT $1, $2, $3, $4, $5, $6, $7, $8, count(*), coalesce(sum(hours), 0), "
            f"coalesce(sum(value_ore), 0) FROM {s}.in_kind WHERE attestation = $1",
            (event.event_id, project, event.position, model.municipality, model.period_start,
             model.period_end, model.attested_by, model.attested_on),
        ),
    ]  # fmt: skip
