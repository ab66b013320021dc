"""Survey events: a survey published with its questions, responses to it, and its closing; and
the success factors of a project, from its plan.

The subject of a survey's events is the survey id (the survey names its project); the subject
of a project's success factors is the project id.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from shared.event_types import EventModel, EventType, EventTypes
from shared.privacy.personal import Personal
from shared.text import LongText, NotBlank, Text, Translations, translations

Id = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
]
ProjectId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
]
QuestionText = Annotated[str, StringConstraints(min_length=1, max_length=500), NotBlank]


class SuccessFactor(EventModel):
    """A critical success factor of a project: its id, its name in the plan's language and in
    the others (`names`), and what it is measured by."""

    id: Id
    name: Text
    names: Translations = translations()
    measured_by: LongText | None = None


class SuccessFactorsSet(EventModel):
    """The success factors of a project's plan, in the order they are shown; a later one (a
    revision of the plan) replaces them for surveys published after it."""

    factors: list[SuccessFactor] = Field(min_length=1, max_length=30)
    set_on: date
    reason: Text | None = None
    """Why a revision changes the factors; none for the plan's first."""
    decision_ref: Text | None = None

    def business_date(self) -> date:
        return self.set_on


DEFAULT_FACTORS = (
    SuccessFactor(id="understanding", name="understanding", names={"nb": "forståelse"}),
    SuccessFactor(id="anchoring", name="anchoring", names={"nb": "forankring"}),
    SuccessFactor(id="commitment", name="commitment", names={"nb": "forpliktelse"}),
    SuccessFactor(
        id="small_visible_successes",
        name="small visible successes",
        names={"nb": "små, synlige suksesser"},
    ),
)
"""The success factors of a project whose plan sets none: those every project had before plans
held them, so a log recorded then reads as it did."""
FACTORS = tuple(factor.id for factor in DEFAULT_FACTORS)
"""The success factors of a project without factors of its own."""

QuestionKind = Literal["likert", "nps", "single_choice", "multiple_choice", "free_text"]
CHOICE_KINDS: frozenset[str] = frozenset({"single_choice", "multiple_choice"})
SCALES: dict[str, range] = {"likert": range(1, 6), "nps": range(11)}
"""The numeric kinds and the whole numbers each accepts."""


def _answer(value: Any) -> int | str | list[str]:
    # Checked here only for its JSON shape; whether it fits the question is the decider's job,
    # since only the survey's definition knows the question's kind.
    if isinstance(value, float):
        # Any float is refused (the log holds none); a numeric question is the only place a
        # fraction could be meant, hence the scale rule.
        raise PydanticCustomError("scale", "{value} is not a whole number", {"value": value})
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value]
    raise PydanticCustomError(
        "answer_type", "an answer is a whole number, a text or a list of texts"
    )


Answer = Annotated[
    int | str | list[str],
    PlainValidator(_answer),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer"},
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
            ],
            "description": "likert and nps: an integer; single_choice: an option; "
            "multiple_choice: a list of options; free_text: a text",
        }
    ),
]


FreeText = Annotated[str, StringConstraints(strip_whitespace=True)]
"""Stripped as a text in `answers` is, so a response reads the same in either field."""


def _empty(value: object) -> bool:
    return not value


class Target(EventModel):
    kind: Literal["network", "pilot", "seminar"]
    network: Id | None = None
    """The information network surveyed; required when `kind` is network, else absent."""


class Question(EventModel):
    id: Id
    text: QuestionText
    kind: QuestionKind
    required: bool = False
    options: list[Text] | None = Field(default=None, max_length=50)
    """Choice kinds only, and required there."""
    factor: Id | None = None
    """The success factor (of the survey's project) a likert or nps question measures."""


class SurveyPublished(EventModel):
    project_id: ProjectId
    title: Text
    target: Target
    phase: Literal["before", "after", "single"]
    """before and after surveys of the same network are compared; single stands alone."""
    invited: int = Field(ge=1, le=1_000_000)
    published_on: date
    questions: list[Question] = Field(min_length=1, max_length=200)

    def business_date(self) -> date:
        return self.published_on


class ResponseSubmitted(EventModel):
    response_id: Id
    respondent: Id | None = None
    """A pseudonym from the survey tool, never a name or an e-mail address."""
    network: Id | None = None
    """The pilot network the respondent belongs to, for per-network breakdowns."""
    submitted_on: date
    answers: dict[Id, Answer] = Field(max_length=200)
    """Question id -> answer. A proposal may carry its free texts here, as survey tools send
    them; the decider records them in `free_texts`. A response recorded before that field
    existed holds them here, in the clear."""
    free_texts: dict[Id, FreeText] = Field(default_factory=dict, max_length=200, exclude_if=_empty)
    """The answers to `free_text` questions: sealed under the respondent, since a text may name
    anyone. Left out of the data when there are none, so a response without free texts is
    recorded as before."""

    def business_date(self) -> date:
        return self.submitted_on


class SurveyClosed(EventModel):
    closed_on: date
    reason: Text | None = None

    def business_date(self) -> date:
        return self.closed_on


SurveysEvent = SurveyPublished | ResponseSubmitted | SurveyClosed | SuccessFactorsSet

EVENT_TYPES = EventTypes(
    "surveys",
    [
        EventType("SurveyPublished", SurveyPublished, category="survey"),
        EventType(
            "ResponseSubmitted",
            ResponseSubmitted,
            category="response",
            # An anonymous response (no respondent) names nobody to seal its texts under: they
            # stay as sent, attributable to no one.
            personal=(
                Personal("respondent", "respondent"),
                Personal("free_texts{}", "respondent", by="respondent"),
            ),
        ),
        EventType("SurveyClosed", SurveyClosed, category="survey"),
        EventType("SuccessFactorsSet", SuccessFactorsSet, category="rules"),
    ],
)
