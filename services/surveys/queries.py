"""Reads over the surveys read model: rows and counts, no figures (those are `stats`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.db import Queryable

_SURVEY_COLUMNS = (
    "s.survey_id, s.project_id, s.title, s.target_kind, s.target_network, s.phase, s.invited, "
    "s.published_on, s.closed_on, s.close_reason, "
    "(SELECT count(*) FROM {s}.responses r WHERE r.survey_id = s.survey_id) AS responses"
)


@dataclass(frozen=True)
class SurveyRow:
    survey_id: str
    project_id: str
    title: str
    target_kind: str
    target_network: str | None
    phase: str
    invited: int
    published_on: date
    closed_on: date | None
    close_reason: str | None
    responses: int


@dataclass(frozen=True)
class QuestionRow:
    question_id: str
    text: str
    kind: str
    required: bool
    options: list[str] | None
    factor: str | None


@dataclass(frozen=True)
class FactorAnswer:
    """One answer to a question tagged with a success factor, with what groups it."""

    factor: str
    kind: str
    value: int
    respondent: str
    phase: str
    network: str | None


async def surveys(db: Queryable, s: str, project_id: str | None = None) -> list[SurveyRow]:
    """A project's surveys, or every survey without a project."""
    rows = await db.fetch(
        f"SELECT {_SURVEY_COLUMNS.format(s=s)} FROM {s}.surveys s "
        "WHERE $1::text IS NULL OR s.project_id = $1 ORDER BY s.project_id, s.published_on, "
        "s.survey_id",
        project_id,
    )
    return [SurveyRow(*row.values()) for row in rows]


async def survey(db: Queryable, s: str, survey_id: str) -> SurveyRow | None:
    row = await db.fetchrow(
        f"SELECT {_SURVEY_COLUMNS.format(s=s)} FROM {s}.surveys s WHERE s.survey_id = $1",
        survey_id,
    )
    return None if row is None else SurveyRow(*row.values())


async def questions(db: Queryable, s: str, survey_id: str) -> list[QuestionRow]:
    rows = await db.fetch(
        f"SELECT question_id, text, kind, required, options, factor FROM {s}.questions "
        "WHERE survey_id = $1 ORDER BY ordinal",
        survey_id,
    )
    return [QuestionRow(*row.values()) for row in rows]


async def answer_counts(
    db: Queryable, s: str, survey_id: str, network: str | None
) -> dict[str, dict[int | str, int]]:
    """Per question: how often each value (numeric) or option (choice) was given."""
    rows = await db.fetch(
        f"SELECT question_id, value, choice, count(*) AS n FROM {s}.answers "
        "WHERE survey_id = $1 AND ($2::text IS NULL OR network = $2) "
        "AND (value IS NOT NULL OR choice IS NOT NULL) GROUP BY question_id, value, choice",
        survey_id,
        network,
    )
    counts: dict[str, dict[int | str, int]] = {}
    for row in rows:
        answer = row["value"] if row["value"] is not None else row["choice"]
        counts.setdefault(row["question_id"], {})[answer] = row["n"]
    return counts


async def respondents_per_question(
    db: Queryable, s: str, survey_id: str, network: str | None
) -> dict[str, int]:
    rows = await db.fetch(
        f"SELECT a.question_id, count(DISTINCT r.respondent_key) AS n FROM {s}.answers a "
        f"JOIN {s}.responses r USING (survey_id, response_id) "
        "WHERE a.survey_id = $1 AND ($2::text IS NULL OR a.network = $2) GROUP BY a.question_id",
        survey_id,
        network,
    )
    return {row["question_id"]: row["n"] for row in rows}


async def respondents(db: Queryable, s: str, survey_id: str, network: str | None) -> int:
    count = await db.fetchval(
        f"SELECT count(DISTINCT respondent_key) FROM {s}.responses WHERE survey_id = $1 "
        "AND ($2::text IS NULL OR network = $2)",
        survey_id,
        network,
    )
    return int(count)


async def free_texts(db: Queryable, s: str, survey_id: str, question_id: str) -> list[str]:
    """Each text as often as it was written, sorted by text: an order that says nothing about
    when, or by whom."""
    rows = await db.fetch(
        f"SELECT text, occurrences FROM {s}.free_texts WHERE survey_id = $1 AND question_id = $2",
        survey_id,
        question_id,
    )
    return sorted(row["text"] for row in rows for _ in range(row["occurrences"]))


async def factor_answers(db: Queryable, s: str, project_id: str) -> list[FactorAnswer]:
    rows = await db.fetch(
        f"SELECT q.factor, q.kind, a.value, r.respondent_key, s.phase, a.network "
        f"FROM {s}.answers a JOIN {s}.questions q USING (survey_id, question_id) "
        f"JOIN {s}.responses r USING (survey_id, response_id) "
        f"JOIN {s}.surveys s USING (survey_id) "
        "WHERE s.project_id = $1 AND q.factor IS NOT NULL AND a.value IS NOT NULL",
        project_id,
    )
    return [FactorAnswer(*row.values()) for row in rows]


async def factor_questions(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"SELECT q.factor, q.survey_id, q.question_id, q.text, q.kind FROM {s}.questions q "
        f"JOIN {s}.surveys s USING (survey_id) WHERE s.project_id = $1 AND q.factor IS NOT NULL "
        "ORDER BY s.published_on, q.survey_id, q.ordinal",
        project_id,
    )
    return [dict(row) for row in rows]


async def phase_networks(db: Queryable, s: str, project_id: str) -> list[dict[str, Any]]:
    """(phase, network, survey) for before and after surveys: the network a survey targets and
    the networks its respondents said they belong to."""
    rows = await db.fetch(
        f"SELECT DISTINCT s.phase, n.network, s.survey_id FROM {s}.surveys s "
        "CROSS JOIN LATERAL (SELECT s.target_network AS network UNION "
        f"SELECT r.network FROM {s}.responses r WHERE r.survey_id = s.survey_id) n "
        "WHERE s.project_id = $1 AND s.phase IN ('before', 'after') AND n.network IS NOT NULL "
        "ORDER BY n.network, s.phase, s.survey_id",
        project_id,
    )
    return [dict(row) for row in rows]


async def projects(db: Queryable, s: str) -> list[str]:
    rows = await db.fetch(f"SELECT DISTINCT project_id FROM {s}.surveys ORDER BY 1")
    return [row["project_id"] for row in rows]


@dataclass(frozen=True)
class FactorRulesRow:
    set_on: date
    factors: list[dict[str, Any]]
    """Each `{"id", "name", "names", "measured_by"}`, in the plan's order."""
    reason: str | None
    decision_ref: str | None


async def factor_rules(db: Queryable, s: str, project_id: str) -> list[FactorRulesRow]:
    """Every set of success factors the project's plan gave, in the order recorded."""
    rows = await db.fetch(
        f"SELECT set_on, factors, reason, decision_ref FROM {s}.factor_rules "
        "WHERE project_id = $1 ORDER BY position",
        project_id,
    )
    return [FactorRulesRow(*row.values()) for row in rows]


async def known(db: Queryable, s: str, project_id: str) -> bool:
    """Whether the surveys service holds anything of the project: a survey or its factors."""
    found = await db.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM {s}.surveys WHERE project_id = $1) "
        f"OR EXISTS (SELECT 1 FROM {s}.factor_rules WHERE project_id = $1)",
        project_id,
    )
    return bool(found)
