"""Survey rules as pure functions over one survey's stream: its definition, whether it is open,
and which responses it already holds; and, over a project's stream, its success factors, which
a survey's questions are tagged with (the decision to publish reads the project's stream too)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from immutables import Map

from services.surveys.answers import check_answers
from services.surveys.events import (
    CHOICE_KINDS,
    DEFAULT_FACTORS,
    SCALES,
    ResponseSubmitted,
    SuccessFactor,
    SuccessFactorsSet,
    SurveyClosed,
    SurveyPublished,
    SurveysEvent,
)
from shared.canonical import canonical_json
from shared.decider import Conflict, Decider, Reads, Rejected


@dataclass(frozen=True, slots=True)
class Survey:
    definition: SurveyPublished | None = None
    closed_on: date | None = None
    responses: Map[str, str] = field(default_factory=Map)
    """Response id -> fingerprint of its answers: enough to tell a repeat from a change."""
    factors: tuple[SuccessFactor, ...] | None = None
    """A project's stream: the success factors its plan set last; None: the plan sets none.
    A survey's stream, while its publication is decided: those of its project."""

    @property
    def factors_in_force(self) -> tuple[SuccessFactor, ...]:
        return DEFAULT_FACTORS if self.factors is None else self.factors


def decide(proposal: SurveysEvent, state: Survey) -> list[SurveysEvent]:
    match proposal:
        case SuccessFactorsSet():
            _check_factors_set(proposal)
            if tuple(proposal.factors) == state.factors:
                return []  # the factors in force already: nothing new
        case SurveyPublished():
            if state.definition is not None:
                raise Conflict(
                    "published_on",
                    "once",
                    f"the survey was published on {state.definition.published_on}; "
                    "a survey is published once",
                )
            _check_definition(proposal, state.factors_in_force)
        case ResponseSubmitted():
            definition = _published(state)
            _check_free_texts(definition, proposal)
            answers = all_answers(proposal)
            recorded = state.responses.get(proposal.response_id)
            if recorded is not None:
                if recorded == fingerprint(answers):
                    return []  # a repeat, perhaps from a redelivered webhook: counted once
                raise Conflict(
                    "response_id",
                    "already_submitted",
                    f"response {proposal.response_id!r} is recorded with other answers",
                )
            if state.closed_on is not None:
                raise Conflict("", "open", f"the survey was closed on {state.closed_on}")
            _not_before_published(definition, proposal.submitted_on, "submitted_on")
            target = definition.target.network
            if target is not None and proposal.network not in (None, target):
                raise Rejected(
                    "network",
                    "survey_network",
                    f"the survey is for network {target!r}, not {proposal.network!r}",
                )
            try:
                check_answers(definition.questions, answers)
            except Rejected as rejected:
                raise _where_sent(rejected, proposal) from None
            return [with_free_texts_apart(proposal, definition)]
        case SurveyClosed():
            definition = _published(state)
            if state.closed_on == proposal.closed_on:
                return []  # said before: nothing new
            if state.closed_on is not None:
                raise Conflict(
                    "closed_on", "already_closed", f"the survey was closed on {state.closed_on}"
                )
            _not_before_published(definition, proposal.closed_on, "closed_on")
    return [proposal]


def evolve(state: Survey, event: SurveysEvent) -> Survey:
    match event:
        case SuccessFactorsSet():
            return replace(state, factors=tuple(event.factors))
        case SurveyPublished():
            return replace(state, definition=event)
        case ResponseSubmitted():
            responses = state.responses.set(event.response_id, fingerprint(all_answers(event)))
            return replace(state, responses=responses)
        case SurveyClosed():
            return replace(state, closed_on=event.closed_on)
    return state


def _project_of(proposal: SurveysEvent) -> str | None:
    return proposal.project_id if isinstance(proposal, SurveyPublished) else None


def _with_project(survey: Survey, project: Survey) -> Survey:
    return replace(survey, factors=project.factors)


def recorded_as(proposal: SurveysEvent, state: Survey) -> SurveysEvent:
    """What `decide` records of a proposal it accepts: a response with its free texts apart."""
    if isinstance(proposal, ResponseSubmitted) and state.definition is not None:
        return with_free_texts_apart(proposal, state.definition)
    return proposal


DECIDER: Decider[Survey, SurveysEvent] = Decider(
    Survey(), decide, evolve, reads=Reads(_project_of, _with_project), recorded_as=recorded_as
)


def fingerprint(answers: Mapping[str, object]) -> str:
    return hashlib.sha256(canonical_json(dict(answers))).hexdigest()


def all_answers(response: ResponseSubmitted) -> dict[str, int | str | list[str]]:
    """Every answer of a response, its free texts among them, wherever they were sent or
    recorded: a response recorded before free texts had a field of their own holds them in
    `answers`."""
    return {**response.answers, **response.free_texts}


def with_free_texts_apart(
    response: ResponseSubmitted, definition: SurveyPublished
) -> ResponseSubmitted:
    """The response as it is recorded: each answer to a free-text question in `free_texts`,
    where it is sealed under the respondent, and only there. Choices and scores stay in
    `answers` in the clear, so the survey's figures stay exact when a respondent is erased."""
    free = {q.id for q in definition.questions if q.kind == "free_text"}
    # Only texts: an empty list is taken as no answer to any question, and stays as sent.
    moved = {
        qid: answer
        for qid, answer in response.answers.items()
        if qid in free and isinstance(answer, str)
    }
    if not moved:
        return response
    kept = {qid: answer for qid, answer in response.answers.items() if qid not in moved}
    return response.model_copy(
        update={"answers": kept, "free_texts": {**response.free_texts, **moved}}
    )


def _check_free_texts(definition: SurveyPublished, response: ResponseSubmitted) -> None:
    kinds = {question.id: question.kind for question in definition.questions}
    for question_id in response.free_texts:
        where = f"free_texts.{question_id}"
        kind = kinds.get(question_id)
        if kind is None:
            raise Rejected(
                where,
                "unknown_question",
                f"the survey has no question {question_id!r}; its questions: "
                f"{', '.join(sorted(kinds))}",
            )
        if kind != "free_text":
            raise Rejected(
                where,
                "free_text_only",
                f"{question_id!r} is a {kind} question; its answer goes in `answers`",
            )
        if question_id in response.answers:
            raise Rejected(
                where,
                "one_answer",
                f"{question_id!r} is answered in both `answers` and `free_texts`; send it once",
            )


def _where_sent(rejected: Rejected, response: ResponseSubmitted) -> Rejected:
    """A rejected answer named where the proposal had it: `free_texts.q7` for a text sent
    there (the answers are checked together, as `answers.q7`)."""
    within = rejected.field.removeprefix("answers.")
    if within == rejected.field or within.split(".")[0] not in response.free_texts:
        return rejected
    return type(rejected)(f"free_texts.{within}", rejected.rule, rejected.detail)


def _check_factors_set(factors: SuccessFactorsSet) -> None:
    seen: set[str] = set()
    for index, factor in enumerate(factors.factors):
        if factor.id in seen:
            raise Rejected(f"factors.{index}.id", "unique", f"{factor.id!r} appears twice")
        seen.add(factor.id)


def _check_definition(survey: SurveyPublished, factors: tuple[SuccessFactor, ...]) -> None:
    if survey.target.kind == "network" and survey.target.network is None:
        raise Rejected("target.network", "required", "a network survey names its network")
    if survey.target.kind != "network" and survey.target.network is not None:
        raise Rejected(
            "target.network",
            "network_only",
            f"only a network survey names a network; use respondents' `network` for a "
            f"{survey.target.kind} survey",
        )
    seen: set[str] = set()
    for index, question in enumerate(survey.questions):
        where = f"questions.{index}"
        if question.id in seen:
            raise Rejected(f"{where}.id", "unique", f"{question.id!r} appears twice")
        seen.add(question.id)
        if question.kind in CHOICE_KINDS:
            if not question.options:
                raise Rejected(f"{where}.options", "required", f"a {question.kind} needs options")
            options: set[str] = set()
            for number, option in enumerate(question.options):
                if option in options:
                    raise Rejected(
                        f"{where}.options.{number}", "unique", f"{option!r} appears twice"
                    )
                options.add(option)
        elif question.options is not None:
            raise Rejected(
                f"{where}.options", "choice_only", f"a {question.kind} question has no options"
            )
        if question.factor is not None and question.kind not in SCALES:
            raise Rejected(
                f"{where}.factor",
                "numeric_only",
                "only likert and nps questions measure a success factor",
            )
    known = [factor.id for factor in factors]
    unknown = [
        Rejected(
            f"questions.{index}.factor",
            "known_factor",
            f"{question.factor!r} is not a success factor of project {survey.project_id!r}; "
            f"its factors: {', '.join(known)}",
        )
        for index, question in enumerate(survey.questions)
        if question.factor is not None and question.factor not in known
    ]
    if unknown:
        first, *more = unknown
        raise Rejected(first.field, first.rule, first.detail, more=more)


def _published(state: Survey) -> SurveyPublished:
    if state.definition is None:
        raise Rejected("", "published", "the survey is not published")
    return state.definition


def _not_before_published(survey: SurveyPublished, day: date, field_name: str) -> None:
    if day < survey.published_on:
        raise Rejected(
            field_name,
            "not_before_published",
            f"{day} is before the survey was published ({survey.published_on})",
        )
