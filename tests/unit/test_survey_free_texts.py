"""Survey free texts are recorded apart from the other answers, to be sealed under the
respondent: the decider moves them out of `answers`, checks them with the rest, and counts a
response sent in either shape once; the read model counts an erased respondent's text as an
answer but shows no text for it. Pure: no store but the in-memory one, no keys but made-up ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.surveys.domain import DECIDER, recorded_as
from services.surveys.events import EVENT_TYPES, Question, ResponseSubmitted, SurveyPublished
from services.surveys.readmodels import answer_rows
from shared.decider import Conflict
from shared.privacy import crypto
from shared.privacy.personal import (
    Handle,
    Personal,
    erased_value,
    is_erased,
    opened,
    personal_values,
    replaced,
    sealed_value,
)
from shared.recorder import Proposal, Recorder, StreamProposals
from shared.store import EventIdReused
from shared.store.memory import InMemoryEventStore
from shared.testing.deciders import given
from tests.unit.test_surveys_domain import QUESTIONS, published, response

# q1 likert (required), q2 nps, q3 single choice, q4 multiple choice, q5 free text
SENT = {"q1": 4, "q3": "weekly", "q4": ["joint courses"], "q5": "Kari Nordmann helped us"}
APART = {"q1": 4, "q3": "weekly", "q4": ["joint courses"]}
TEXTS = {"q5": "Kari Nordmann helped us"}
RESPONSE_FIELDS = EVENT_TYPES.get("ResponseSubmitted").personal


def with_free_text(**fields: Any) -> SurveyPublished:
    """The survey with a second free-text question, q9."""
    extra = Question(**{"id": "q9", "text": "Anything else?", "kind": "free_text", **fields})
    return published(questions=[*QUESTIONS, extra])


# Deciding


def test_free_texts_sent_among_the_answers_are_recorded_apart() -> None:
    given(DECIDER, published()).when(response(SENT)).then(response(APART, free_texts=TEXTS))


def test_free_texts_sent_apart_are_recorded_as_sent() -> None:
    apart = response(APART, free_texts=TEXTS)
    given(DECIDER, published()).when(apart).then(apart)
    plain = response({"q1": 4, "q3": "weekly"})
    given(DECIDER, published()).when(plain).then(plain)


def test_every_free_text_moves_and_only_free_texts() -> None:
    sent = response({"q1": 2, "q5": "one", "q9": "two"})
    recorded = response({"q1": 2}, free_texts={"q5": "one", "q9": "two"})
    given(DECIDER, with_free_text()).when(sent).then(recorded)
    partly = response({"q1": 2, "q9": "two"}, free_texts={"q5": "one"})
    given(DECIDER, with_free_text()).when(partly).then(recorded)


def test_what_the_recorder_compares_a_retry_with_is_what_decide_records() -> None:
    state = DECIDER.fold([published()])
    assert recorded_as(response(SENT), state) == DECIDER.decide(response(SENT), state)[0]
    assert recorded_as(published(), state) == published()


@pytest.mark.parametrize(
    ("sent", "field", "rule"),
    [
        pytest.param(
            response({"q1": 4, "q5": "a"}, free_texts={"q5": "a"}), "free_texts.q5", "one_answer",
            id="in both maps",
        ),
        pytest.param(
            response({"q1": 4}, free_texts={"q3": "weekly"}), "free_texts.q3", "free_text_only",
            id="a choice in free_texts",
        ),
        pytest.param(
            response({"q1": 4}, free_texts={"q9": "x"}), "free_texts.q9", "unknown_question",
            id="unknown question in free_texts",
        ),
        pytest.param(
            response({"q1": 4}, free_texts={"q5": "x" * 2001}), "free_texts.q5", "text_length",
            id="a long text sent apart",
        ),
        pytest.param(
            response({"q1": 4, "q5": "x" * 2001}), "answers.q5", "text_length",
            id="a long text sent among the answers",
        ),
        pytest.param(response({"q1": 4, "q5": 3}), "answers.q5", "text", id="number for text"),
        pytest.param(response({}, free_texts=TEXTS), "answers.q1", "required", id="required"),
    ],
)  # fmt: skip
def test_a_free_text_that_breaks_a_rule_is_named_where_it_was_sent(
    sent: ResponseSubmitted, field: str, rule: str
) -> None:
    rejected = given(DECIDER, published()).when(sent).then_rejected(field, rule)
    assert not isinstance(rejected, Conflict)


def test_a_required_free_text_may_be_sent_in_either_field() -> None:
    survey = with_free_text(required=True)
    given(DECIDER, survey).when(response({"q1": 4})).then_rejected("answers.q9", "required")
    given(DECIDER, survey).when(response({"q1": 4, "q9": "x"})).then(
        response({"q1": 4}, free_texts={"q9": "x"})
    )
    given(DECIDER, survey).when(response({"q1": 4}, free_texts={"q9": "x"})).then(
        response({"q1": 4}, free_texts={"q9": "x"})
    )


# Repeats


@pytest.mark.parametrize(
    "recorded",
    [
        pytest.param(response(APART, free_texts=TEXTS), id="recorded apart"),
        pytest.param(response(SENT), id="recorded before free texts had a field"),
    ],
)
@pytest.mark.parametrize(
    "again",
    [
        pytest.param(response(SENT), id="sent among the answers"),
        pytest.param(response(APART, free_texts=TEXTS), id="sent apart"),
        pytest.param(response(SENT, free_texts={}), id="sent with an empty free_texts"),
    ],
)
def test_a_repeat_records_nothing_in_whichever_shape_it_comes(
    recorded: ResponseSubmitted, again: ResponseSubmitted
) -> None:
    given(DECIDER, published(), recorded).when(again).then()


def test_a_repeat_with_another_text_is_a_conflict() -> None:
    changed = response({**SENT, "q5": "Someone else helped us"})
    rejected = (
        given(DECIDER, published(), response(APART, free_texts=TEXTS))
        .when(changed)
        .then_rejected("response_id", "already_submitted")
    )
    assert isinstance(rejected, Conflict)


async def test_a_retry_of_the_same_cloudevent_answers_as_before() -> None:
    """The recorder compares a retry under a recorded event id with what decide recorded, not
    with what was sent: a response retried as sent is a repeat, not an id reused."""
    recorder = Recorder(InMemoryEventStore(), EVENT_TYPES, DECIDER)
    when = datetime(2010, 8, 20, tzinfo=UTC)

    def record(event: Any, event_id: UUID) -> Any:
        return recorder.record([StreamProposals("s", [Proposal(event, event_id, when)])])

    await record(published(), uuid4())
    sent = uuid4()
    [first] = await record(response(SENT), sent)
    assert first.events[0].data["free_texts"] == TEXTS
    assert "q5" not in first.events[0].data["answers"]
    [again] = await record(response(SENT), sent)
    assert again.duplicate
    assert again.events == first.events
    with pytest.raises(EventIdReused):
        await record(response({**SENT, "q5": "Someone else helped us"}), sent)


# Sealing


def test_free_texts_are_personal_data_of_the_respondent_and_choices_are_not() -> None:
    data = EVENT_TYPES.to_data(response(APART, free_texts=TEXTS, respondent="resp-anna"))
    found = {(item.location, item.handle) for item in personal_values(data, RESPONSE_FIELDS)}
    assert found == {
        (("respondent",), Handle("respondent", "resp-anna")),
        (("free_texts", "q5"), Handle("respondent", "resp-anna")),
    }


def test_an_anonymous_response_names_nobody_to_seal_its_texts_under() -> None:
    data = EVENT_TYPES.to_data(response(APART, free_texts=TEXTS, respondent=None))
    assert personal_values(data, RESPONSE_FIELDS) == []


def test_a_response_without_free_texts_has_the_data_it_had_before() -> None:
    data = EVENT_TYPES.to_data(response({"q1": 4}))
    assert "free_texts" not in data


def test_by_names_a_field_of_the_same_element_or_one_beside_the_mapping() -> None:
    data = {
        "owner": "Ola",
        "notes": {"a": "note a", "b": "note b"},
        "people": [
            {"name": "Per", "phones": {"work": "1"}},
            {"name": "Åse", "phones": {"home": "2"}},
        ],
    }
    fields = (
        Personal("notes{}", "person", by="owner"),
        Personal("people[].phones{}", "person", by="people[].name"),
    )
    found = {(item.location, item.handle.value) for item in personal_values(data, fields)}
    assert found == {
        (("notes", "a"), "Ola"),
        (("notes", "b"), "Ola"),
        (("people", 0, "phones", "work"), "Per"),
        (("people", 1, "phones", "home"), "Åse"),
    }
    with pytest.raises(ValueError, match="runs through a list"):
        personal_values(data, (Personal("owner", "person", by="people[].name"),))


def test_an_erased_value_is_told_from_any_text() -> None:
    assert is_erased(erased_value(uuid4()))
    for value in ("erased-", "erased-0123456789ab and more", "Erased-0123456789ab", 3, None):
        assert not is_erased(value)


# The read model


def kinds() -> dict[str, str]:
    return {question.id: question.kind for question in QUESTIONS}


def test_a_response_gives_the_same_rows_in_either_shape() -> None:
    old = answer_rows("s", response(SENT), "oppvekst", kinds())
    new = answer_rows("s", response(APART, free_texts=TEXTS), "oppvekst", kinds())
    assert old == new
    rows, texts = new
    assert sorted(rows, key=str) == sorted(
        [
            ("s", "r1", "q1", "oppvekst", 4, None),
            ("s", "r1", "q3", "oppvekst", None, "weekly"),
            ("s", "r1", "q4", "oppvekst", None, "joint courses"),
            ("s", "r1", "q5", "oppvekst", None, None),
        ],
        key=str,
    )
    assert texts == [("s", "q5", "Kari Nordmann helped us")]


def test_an_erased_respondents_text_counts_as_an_answer_but_is_not_shown() -> None:
    """The response as a reader opens it once the respondent's key is gone."""
    subject, key = uuid4(), crypto.new_key()
    data = EVENT_TYPES.to_data(response(APART, free_texts=TEXTS, respondent="resp-anna"))
    sealed = replaced(
        data,
        {
            item.location: sealed_value(
                subject, crypto.SubjectKey(subject, key).seal(item.path, item.value)
            )
            for item in personal_values(data, RESPONSE_FIELDS)
        },
    )
    assert "Kari" not in str(sealed)
    shown = opened(sealed, lambda *_: None)
    erased = EVENT_TYPES.to_model("ResponseSubmitted", 1, shown)
    assert isinstance(erased, ResponseSubmitted)
    assert erased.free_texts == {"q5": erased_value(subject)}
    rows, texts = answer_rows("s", erased, None, kinds())
    kept_rows, _ = answer_rows("s", response(APART, free_texts=TEXTS), None, kinds())
    assert rows == kept_rows, "every answer counts as before"
    assert texts == []
