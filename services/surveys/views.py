"""Survey answers as the API and the metrics show them, with every small group suppressed.

Shared by the routes and the metrics, so a board never shows a figure a query withholds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel

from services.surveys import queries, stats
from services.surveys.events import CHOICE_KINDS, DEFAULT_FACTORS, SCALES
from shared.db import Queryable


class Suppressible(BaseModel):
    suppressed: bool = False
    """True when the group has fewer respondents than the anonymity threshold: its figures
    are then null."""
    suppressed_reason: str | None = None


class TargetView(BaseModel):
    kind: str
    network: str | None


class SurveySummary(BaseModel):
    id: str
    title: str
    target: TargetView
    phase: str
    published_on: date
    invited: int
    responses: int
    response_rate: float
    """responses / invited."""
    state: Literal["open", "closed"]
    closed_on: date | None


class QuestionResult(Suppressible):
    id: str
    text: str
    kind: str
    factor: str | None
    required: bool
    n: int | None = None
    """Answers given (for free text, the only figure shown here)."""
    distribution: dict[str, int] | None = None
    """likert and nps: answers per point of the scale."""
    mean: float | None = None
    nps: float | None = None
    """nps: % promoters (9-10) − % detractors (0-6)."""
    choices: dict[str, int] | None = None
    """Choice kinds: answers per option, in the survey's order."""


class SurveyResults(Suppressible):
    survey: str
    project: str
    title: str
    network: str | None
    """The network the results are limited to; null for everyone."""
    respondents: int | None
    questions: list[QuestionResult]


class FreeTextAnswers(Suppressible):
    question: str
    text: str
    n: int | None
    texts: list[str] | None
    """Sorted by text, so their order tells nothing about who wrote them or when."""


class FreeTextView(BaseModel):
    survey: str
    questions: list[FreeTextAnswers]


class FactorQuestion(BaseModel):
    survey: str
    question: str
    text: str
    kind: str


class Score(Suppressible):
    score: float | None = None
    """0..1: the mean of likert answers as (v − 1) / 4 and nps answers as v / 10."""
    n: int | None = None
    """Answers the score is the mean of."""


class FactorView(BaseModel):
    id: str
    name: str
    """In the plan's language."""
    names: dict[str, str]
    """In the other languages the plan gives (`{"en": ...}`)."""
    measured_by: str | None


class FactorRules(BaseModel):
    """The project's success factors, as its plan set them last."""

    project: str
    source: Literal["plan", "default"]
    """plan: set by the project's plan (on `set_on`, by `decision_ref` for a revision);
    default: its plan sets none, so the factors every project had before plans held them."""
    set_on: date | None
    reason: str | None
    decision_ref: str | None
    factors: list[FactorView]


class FactorScore(Score):
    factor: str
    name: str
    names: dict[str, str]
    measured_by: str | None
    questions: list[FactorQuestion]


class SuccessFactors(BaseModel):
    project: str
    factors: list[FactorScore]
    """The project's success factors, in its plan's order."""


class FactorChange(BaseModel):
    factor: str
    name: str
    names: dict[str, str]
    before: Score
    after: Score
    change: float | None
    """after − before; null when either is suppressed or missing."""


class NetworkComparison(BaseModel):
    network: str
    before_surveys: list[str]
    after_surveys: list[str]
    factors: list[FactorChange]


class PilotComparison(BaseModel):
    project: str
    networks: list[NetworkComparison]


def summary(row: queries.SurveyRow) -> SurveySummary:
    return SurveySummary(
        id=row.survey_id,
        title=row.title,
        target=TargetView(kind=row.target_kind, network=row.target_network),
        phase=row.phase,
        published_on=row.published_on,
        invited=row.invited,
        responses=row.responses,
        response_rate=response_rate(row),
        state="closed" if row.closed_on is not None else "open",
        closed_on=row.closed_on,
    )


def response_rate(row: queries.SurveyRow) -> float:
    return round(row.responses / row.invited, 4)


async def results(
    db: Queryable, s: str, survey: queries.SurveyRow, network: str | None, threshold: int
) -> SurveyResults:
    survey_id = survey.survey_id
    counts = await queries.answer_counts(db, s, survey_id, network)
    answered = await queries.respondents_per_question(db, s, survey_id, network)
    respondents = await queries.respondents(db, s, survey_id, network)
    reason = stats.suppressed_reason(respondents, threshold)
    questions = await queries.questions(db, s, survey_id)
    return SurveyResults(
        survey=survey_id,
        project=survey.project_id,
        title=survey.title,
        network=network,
        respondents=None if reason else respondents,
        suppressed=reason is not None,
        suppressed_reason=reason,
        questions=[
            question_result(
                q, counts.get(q.question_id, {}), answered.get(q.question_id, 0), threshold
            )
            for q in questions
        ],
    )


def question_result(
    question: queries.QuestionRow, counts: dict[int | str, int], respondents: int, threshold: int
) -> QuestionResult:
    kind = question.kind
    described = QuestionResult(
        id=question.question_id,
        text=question.text,
        kind=kind,
        factor=question.factor,
        required=question.required,
    )
    reason = stats.suppressed_reason(respondents, threshold)
    if reason is not None:
        return described.model_copy(update={"suppressed": True, "suppressed_reason": reason})
    figures: dict[str, object] = {"n": _answers(kind, counts, respondents)}
    numeric = {value: n for value, n in counts.items() if isinstance(value, int)}
    if kind in SCALES:
        figures["distribution"] = stats.distribution(kind, numeric)
        figures["mean"] = stats.rounded(stats.mean(numeric), 2)
    if kind == "nps":
        figures["nps"] = stats.rounded(stats.net_promoter_score(numeric), 2)
    if kind in CHOICE_KINDS:
        figures["choices"] = {option: counts.get(option, 0) for option in question.options or []}
    return described.model_copy(update=figures)


def _answers(kind: str, counts: dict[int | str, int], respondents: int) -> int:
    # A multiple choice answer has a row per option chosen, a free text none with a value:
    # there one answer is one respondent's.
    if kind in ("multiple_choice", "free_text"):
        return respondents
    return sum(counts.values())


async def free_text(
    db: Queryable, s: str, survey_id: str, question_id: str | None, threshold: int
) -> FreeTextView:
    answered = await queries.respondents_per_question(db, s, survey_id, None)
    lists = []
    for question in await queries.questions(db, s, survey_id):
        if question.kind != "free_text" or question_id not in (None, question.question_id):
            continue
        respondents = answered.get(question.question_id, 0)
        reason = stats.suppressed_reason(respondents, threshold)
        texts = None
        if reason is None:
            texts = await queries.free_texts(db, s, survey_id, question.question_id)
        lists.append(
            FreeTextAnswers(
                question=question.question_id,
                text=question.text,
                n=None if reason else respondents,
                texts=texts,
                suppressed=reason is not None,
                suppressed_reason=reason,
            )
        )
    return FreeTextView(survey=survey_id, questions=lists)


def score(answers: Sequence[queries.FactorAnswer], threshold: int) -> Score:
    reason = stats.suppressed_reason(len({a.respondent for a in answers}), threshold)
    if reason is not None:
        return Score(suppressed=True, suppressed_reason=reason)
    value = stats.factor_score((a.kind, a.value) for a in answers)
    return Score(score=stats.rounded(value, 4), n=len(answers))


async def factor_rules(db: Queryable, s: str, project: str) -> FactorRules:
    found = await queries.factor_rules(db, s, project)
    if not found:
        return FactorRules(
            project=project,
            source="default",
            set_on=None,
            reason=None,
            decision_ref=None,
            factors=[
                FactorView(id=f.id, name=f.name, names=dict(f.names), measured_by=f.measured_by)
                for f in DEFAULT_FACTORS
            ],
        )
    latest = found[-1]
    return FactorRules(
        project=project,
        source="plan",
        set_on=latest.set_on,
        reason=latest.reason,
        decision_ref=latest.decision_ref,
        factors=[
            FactorView(
                id=f["id"],
                name=f["name"],
                names=f.get("names") or {},
                measured_by=f.get("measured_by"),
            )
            for f in latest.factors
        ],
    )


async def success_factors(db: Queryable, s: str, project: str, threshold: int) -> SuccessFactors:
    answers = await queries.factor_answers(db, s, project)
    tagged = await queries.factor_questions(db, s, project)
    factors = []
    for factor in (await factor_rules(db, s, project)).factors:
        found = score([a for a in answers if a.factor == factor.id], threshold)
        drawn_on = [
            FactorQuestion(
                survey=q["survey_id"], question=q["question_id"], text=q["text"], kind=q["kind"]
            )
            for q in tagged
            if q["factor"] == factor.id
        ]
        factors.append(
            FactorScore(
                factor=factor.id,
                name=factor.name,
                names=factor.names,
                measured_by=factor.measured_by,
                questions=drawn_on,
                **found.model_dump(),
            )
        )
    return SuccessFactors(project=project, factors=factors)


async def pilot_comparison(db: Queryable, s: str, project: str, threshold: int) -> PilotComparison:
    surveys: dict[str, dict[str, list[str]]] = {}
    for row in await queries.phase_networks(db, s, project):
        phases = surveys.setdefault(row["network"], {"before": [], "after": []})
        phases[row["phase"]].append(row["survey_id"])
    answers = await queries.factor_answers(db, s, project)
    in_force = (await factor_rules(db, s, project)).factors
    networks = []
    for network, phases in surveys.items():
        if not (phases["before"] and phases["after"]):
            continue
        factors = [
            _change(
                factor,
                [a for a in answers if a.network == network and a.factor == factor.id],
                threshold,
            )
            for factor in in_force
        ]
        networks.append(
            NetworkComparison(
                network=network,
                before_surveys=phases["before"],
                after_surveys=phases["after"],
                factors=factors,
            )
        )
    return PilotComparison(project=project, networks=networks)


def _change(
    factor: FactorView, answers: Iterable[queries.FactorAnswer], threshold: int
) -> FactorChange:
    listed = list(answers)
    before = score([a for a in listed if a.phase == "before"], threshold)
    after = score([a for a in listed if a.phase == "after"], threshold)
    change = None
    if before.score is not None and after.score is not None:
        change = round(after.score - before.score, 4)
    return FactorChange(
        factor=factor.id,
        name=factor.name,
        names=factor.names,
        before=before,
        after=after,
        change=change,
    )
