"""The milestones read model keeps dated history, not just the latest state, so every query
can answer as of any status date."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from services.milestones.events import (
    ActivityProgressReported,
    DecisionRecorded,
    GoalProgressReported,
    MilestoneForecastChanged,
    MilestoneReached,
    MilestoneReopened,
    PlanBaselined,
    PlanContent,
    PlanRevised,
)
from shared.canonical import canonical_json
from shared.db import Conn
from shared.event_types import EventModel
from shared.store.base import StoredEvent

_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.baselines (
    project_id   text    NOT NULL,
    baseline     integer NOT NULL,
    effective_on date    NOT NULL,
    reason       text,
    decision_ref text,
    content      jsonb   NOT NULL,
    fingerprint  text    NOT NULL,
    position     bigint  NOT NULL,
    PRIMARY KEY (project_id, baseline)
);
CREATE TABLE IF NOT EXISTS {s}.milestone_log (
    position     bigint PRIMARY KEY,
    project_id   text   NOT NULL,
    milestone    text   NOT NULL,
    kind         text   NOT NULL CHECK (kind IN ('reached', 'forecast', 'reopened')),
    on_date      date   NOT NULL,
    expected_on  date,
    evidence     text,
    reported_by  text,
    reason       text
);
CREATE INDEX IF NOT EXISTS milestone_log_by_day ON {s}.milestone_log (project_id, on_date);
CREATE TABLE IF NOT EXISTS {s}.goal_reports (
    position    bigint  PRIMARY KEY,
    project_id  text    NOT NULL,
    goal        text    NOT NULL,
    reported_on date    NOT NULL,
    share       numeric NOT NULL,
    status      text    NOT NULL,
    comment     text
);
CREATE TABLE IF NOT EXISTS {s}.activity_reports (
    position    bigint  PRIMARY KEY,
    project_id  text    NOT NULL,
    activity    text    NOT NULL,
    reported_on date    NOT NULL,
    share       numeric NOT NULL,
    comment     text
);
CREATE TABLE IF NOT EXISTS {s}.decisions (
    position       bigint  PRIMARY KEY,
    project_id     text    NOT NULL,
    decision_point text    NOT NULL,
    decided_on     date    NOT NULL,
    outcome        text    NOT NULL,
    minutes_ref    text    NOT NULL,
    revision       boolean NOT NULL,
    note           text
);
"""

_CONTENT_FIELDS = set(PlanContent.model_fields)


def plan_fingerprint(plan: PlanContent) -> str:
    """Identifies a plan's content whatever baseline or date it carries: `ptrack plan load`
    compares it to decide whether a plan file changed."""
    content = plan.model_dump(mode="json", include=_CONTENT_FIELDS)
    return hashlib.sha256(canonical_json(content)).hexdigest()


class MilestonesProjection:
    name = "milestones"
    tables: Sequence[str] = (
        "baselines",
        "milestone_log",
        "goal_reports",
        "activity_reports",
        "decisions",
    )

    def schema_sql(self, schema: str) -> str:
        return _TABLES_SQL.format(s=schema)

    async def apply(self, conn: Conn, schema: str, event: StoredEvent, model: EventModel) -> None:
        project, s, position = event.stream_id, schema, event.position
        match model:
            case PlanBaselined() | PlanRevised():
                revision = model if isinstance(model, PlanRevised) else None
                await conn.execute(
                    f"INSERT INTO {s}.baselines (project_id, baseline, effective_on, reason, "
                    "decision_ref, content, fingerprint, position) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    project,
                    model.baseline,
                    model.business_date(),
                    revision.reason if revision else None,
                    revision.decision_ref if revision else None,
                    model.model_dump(mode="json", include=_CONTENT_FIELDS),
                    plan_fingerprint(model),
                    position,
                )
            case MilestoneReached():
                await self._log(conn, s, event, model.milestone, "reached", model.reached_on,
                                evidence=model.evidence, reported_by=model.reported_by)  # fmt: skip
            case MilestoneForecastChanged():
                await self._log(conn, s, event, model.milestone, "forecast", model.changed_on,
                                expected_on=model.expected_on, reason=model.reason)  # fmt: skip
            case MilestoneReopened():
                await self._log(conn, s, event, model.milestone, "reopened", model.reopened_on,
                                reason=model.reason)  # fmt: skip
            case GoalProgressReported():
                await conn.execute(
                    f"INSERT INTO {s}.goal_reports (position, project_id, goal, reported_on, "
                    "share, status, comment) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    position, project, model.goal, model.reported_on, model.share_complete,
                    model.status, model.comment,
                )  # fmt: skip
            case ActivityProgressReported():
                await conn.execute(
                    f"INSERT INTO {s}.activity_reports (position, project_id, activity, "
                    "reported_on, share, comment) VALUES ($1, $2, $3, $4, $5, $6)",
                    position, project, model.activity, model.reported_on, model.share_complete,
                    model.comment,
                )  # fmt: skip
            case DecisionRecorded():
                await conn.execute(
                    f"INSERT INTO {s}.decisions (position, project_id, decision_point, "
                    "decided_on, outcome, minutes_ref, revision, note) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    position, project, model.decision_point, model.decided_on, model.outcome,
                    model.minutes_ref, model.revision, model.note,
                )  # fmt: skip

    async def _log(
        self,
        conn: Conn,
        s: str,
        event: StoredEvent,
        milestone: str,
        kind: str,
        on_date: object,
        *,
        expected_on: object = None,
        evidence: str | None = None,
        reported_by: str | None = None,
        reason: str | None = None,
    ) -> None:
        await conn.execute(
            f"INSERT INTO {s}.milestone_log (position, project_id, milestone, kind, on_date, "
            "expected_on, evidence, reported_by, reason) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            event.position, event.stream_id, milestone, kind, on_date, expected_on, evidence,
            reported_by, reason,
        )  # fmt: skip
