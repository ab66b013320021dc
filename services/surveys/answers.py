"""Whether a response's answers fit the survey's questions: pure, one rejection per call.

Every rejection names the question in its field (`answers.q3`), so a client sees which answer
to fix, not only that one is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.surveys.events import SCALES, Question
from shared.decider import Rejected

MAX_TEXT = 2000


def check_answers(
    questions: Sequence[Question], answers: Mapping[str, int | str | list[str]]
) -> None:
    known = {question.id for question in questions}
    for question_id in answers:
        if question_id not in known:
            listed = ", ".join(sorted(known))
            raise Rejected(
                f"answers.{question_id}",
                "unknown_question",
                f"the survey has no question {question_id!r}; its questions: {listed}",
            )
    for question in questions:
        answer = answers.get(question.id)
        if answer is None or answer in ("", []):
            if question.required:
                raise Rejected(f"answers.{question.id}", "required", "the question is required")
            continue
        _check_one(question, answer)


def _check_one(question: Question, answer: int | str | list[str]) -> None:
    field = f"answers.{question.id}"
    scale = SCALES.get(question.kind)
    if scale is not None:
        if not isinstance(answer, int) or answer not in scale:
            raise Rejected(
                field,
                "scale",
                f"{answer!r} is not a whole number from {scale.start} to {scale.stop - 1}",
            )
    elif question.kind == "single_choice":
        if isinstance(answer, list):
            raise Rejected(field, "single", "the question takes one option, not a list")
        _option(question, answer, field)
    elif question.kind == "multiple_choice":
        if not isinstance(answer, list):
            raise Rejected(field, "list", "the question takes a list of options")
        if len(set(answer)) != len(answer):
            raise Rejected(field, "unique", "an option is chosen twice")
        for index, option in enumerate(answer):
            _option(question, option, f"{field}.{index}")
    elif not isinstance(answer, str):
        raise Rejected(field, "text", "the question takes a text")
    elif len(answer) > MAX_TEXT:
        raise Rejected(
            field, "text_length", f"{len(answer)} characters; at most {MAX_TEXT} are kept"
        )


def _option(question: Question, answer: int | str, field: str) -> None:
    options = question.options or []
    if answer not in options:
        raise Rejected(
            field, "option", f"{answer!r} is not an option; the options: {', '.join(options)}"
        )
