"""Every survey rule as given / when / then on the pure decider, then the pure figures and the
Formbricks mapping."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from pydantic import ValidationError

from services.surveys import formbricks, stats
from services.surveys.domain import DECIDER
from services.surveys.events import (
    Question,
    ResponseSubmitted,
    SuccessFactor,
    SuccessFactorsSet,
    SurveyClosed,
    SurveyPublished,
    Target,
)
from shared.decider import Conflict, Rejected
from shared.http.problems import Problem
from shared.testing.deciders import given

QUESTIONS = [
    Question(
        id="q1",
        text="I understand what the network school is for",
        kind="likert",
        required=True,
        factor="understanding",
    ),
    Question(id="q2", text="Would you recommend it?", kind="nps", factor="commitment"),
    Question(
        id="q3",
        text="How often does your network meet?",
        kind="single_choice",
        options=["weekly", "monthly", "rarely"],
    ),
    Question(
        id="q4",
        text="Which results have you seen?",
        kind="multiple_choice",
        options=["new routines", "shared material", "joint courses"],
    ),
    Question(id="q5", text="What would help your network?", kind="free_text"),
]


def published(**changes: Any) -> SurveyPublished:
    fields: dict[str, Any] = {
        "project_id": "kongsbergregionen-2010",
        "title": "Network school pilot: before",
        "target": Target(kind="network", network="oppvekst"),
        "phase": "before",
        "invited": 12,
        "published_on": date(2010, 8, 16),
        "questions": QUESTIONS,
    }
    return SurveyPublished(**{**fields, **changes})


def response(
    answers: dict[str, Any] | None = None,
    response_id: str = "r1",
    on: date = date(2010, 8, 20),
    **changes: Any,
) -> ResponseSubmitted:
    return ResponseSubmitted(
        response_id=response_id,
        respondent=changes.pop("respondent", "p-1"),
        submitted_on=on,
        answers={"q1": 4} if answers is None else answers,
        **changes,
    )


def closed(on: date = date(2010, 9, 30)) -> SurveyClosed:
    return SurveyClosed(closed_on=on, reason="pilot phase over")


def with_question(**fields: Any) -> SurveyPublished:
    """The survey with one more question, q9, made of `fields`."""
    extra = Question(**{"id": "q9", "text": "One more", **fields})
    return published(questions=[*QUESTIONS, extra])


# Publishing


def test_a_survey_that_hangs_together_is_published() -> None:
    given(DECIDER).when(published()).then(published())
    state = DECIDER.fold([published()])
    assert state.definition == published()
    assert state.closed_on is None


def test_a_survey_is_published_once() -> None:
    rejected = given(DECIDER, published()).when(published()).then_rejected("published_on", "once")
    assert isinstance(rejected, Conflict)


@pytest.mark.parametrize(
    ("survey", "field", "rule"),
    [
        pytest.param(
            published(questions=[*QUESTIONS, QUESTIONS[0]]), "questions.5.id", "unique",
            id="question ids repeat",
        ),
        pytest.param(
            with_question(kind="single_choice"), "questions.5.options", "required",
            id="single choice without options",
        ),
        pytest.param(
            with_question(kind="multiple_choice", options=[]), "questions.5.options", "required",
            id="multiple choice with no options",
        ),
        pytest.param(
            with_question(kind="single_choice", options=["yes", "no", "yes"]),
            "questions.5.options.2", "unique", id="an option twice",
        ),
        pytest.param(
            with_question(kind="likert", options=["1", "2"]), "questions.5.options",
            "choice_only", id="options on a likert question",
        ),
        pytest.param(
            with_question(kind="free_text", options=["a"]), "questions.5.options",
            "choice_only", id="options on a free-text question",
        ),
        pytest.param(
            with_question(kind="free_text", factor="anchoring"), "questions.5.factor",
            "numeric_only", id="factor on free text",
        ),
        pytest.param(
            with_question(kind="single_choice", options=["a"], factor="commitment"),
            "questions.5.factor", "numeric_only", id="factor on a choice",
        ),
        pytest.param(
            published(target=Target(kind="network")), "target.network", "required",
            id="network survey without a network",
        ),
        pytest.param(
            published(target=Target(kind="seminar", network="oppvekst")), "target.network",
            "network_only", id="seminar survey naming a network",
        ),
    ],
)  # fmt: skip
def test_a_survey_that_does_not_hang_together_is_rejected(
    survey: SurveyPublished, field: str, rule: str
) -> None:
    rejected = given(DECIDER).when(survey).then_rejected(field, rule)
    assert not isinstance(rejected, Conflict)


def test_factors_on_likert_and_nps_and_pilot_surveys_without_a_network_are_fine() -> None:
    pilot = published(target=Target(kind="pilot"), phase="single")
    given(DECIDER).when(pilot).then(pilot)
    nps = with_question(kind="nps", factor="small_visible_successes")
    given(DECIDER).when(nps).then(nps)


def factors_set(*ids: str) -> SuccessFactorsSet:
    return SuccessFactorsSet(
        factors=[SuccessFactor(id=factor, name=factor.title()) for factor in ids],
        set_on=date(2010, 2, 1),
    )


def test_questions_measure_the_success_factors_of_the_project() -> None:
    # Without factors of its plan, a project has the four every project had.
    unknown = published(
        questions=[Question(id="q1", text="I trust the others", kind="likert", factor="trust")]
    )
    rejected = given(DECIDER).when(unknown).then_rejected("questions.0.factor", "known_factor")
    assert "understanding, anchoring, commitment, small_visible_successes" in rejected.detail
    # A survey's stream is decided with its project's factors merged in (the recorder reads
    # the project's stream; `Reads` says which, and how).
    reads = DECIDER.reads
    assert reads is not None
    assert reads.stream(unknown) == "kongsbergregionen-2010"
    project = DECIDER.fold([factors_set("trust", "ownership")])
    survey = reads.merge(DECIDER.initial, project)
    assert DECIDER.decide(unknown, survey) == [unknown]
    old = published()  # tagged with understanding and commitment, which this plan lacks
    with pytest.raises(Rejected) as refused:
        DECIDER.decide(old, survey)
    found = [(refused.value.field, refused.value.rule)]
    found += [(more.field, more.rule) for more in refused.value.more]
    assert found == [("questions.0.factor", "known_factor"), ("questions.1.factor", "known_factor")]
    assert reads.stream(response()) is None, "only publishing reads the project"


def test_a_projects_factors_are_set_replaced_and_not_repeated() -> None:
    given(DECIDER).when(factors_set("a", "b")).then(factors_set("a", "b"))
    given(DECIDER, factors_set("a", "b")).when(factors_set("a", "b")).then()
    given(DECIDER, factors_set("a", "b")).when(factors_set("c")).then(factors_set("c"))
    assert DECIDER.fold([factors_set("a", "b"), factors_set("c")]).factors_in_force == (
        SuccessFactor(id="c", name="C"),
    )
    given(DECIDER).when(factors_set("a", "a")).then_rejected("factors.1.id", "unique")


# Responses: to what, and when


def test_a_response_that_fits_the_survey_is_recorded() -> None:
    full = response({"q1": 5, "q2": 0, "q3": "weekly", "q4": ["joint courses"], "q5": "More."})
    # the free text recorded apart, to be sealed under the respondent
    recorded = response(
        {"q1": 5, "q2": 0, "q3": "weekly", "q4": ["joint courses"]}, free_texts={"q5": "More."}
    )
    given(DECIDER, published()).when(full).then(recorded)
    assert set(DECIDER.fold([published(), full]).responses) == {"r1"}


def test_a_response_to_a_survey_not_published_is_rejected() -> None:
    rejected = given(DECIDER).when(response()).then_rejected("", "published")
    assert not isinstance(rejected, Conflict)


def test_a_response_to_a_closed_survey_is_a_conflict() -> None:
    rejected = given(DECIDER, published(), closed()).when(response()).then_rejected("", "open")
    assert isinstance(rejected, Conflict)


def test_a_response_before_the_survey_was_published_is_rejected() -> None:
    early = response(on=date(2010, 8, 15))
    given(DECIDER, published()).when(early).then_rejected("submitted_on", "not_before_published")
    on_the_day = response(on=date(2010, 8, 16))
    given(DECIDER, published()).when(on_the_day).then(on_the_day)


def test_a_response_from_another_network_than_the_survey_is_for_is_rejected() -> None:
    elsewhere = response(network="helse")
    given(DECIDER, published()).when(elsewhere).then_rejected("network", "survey_network")
    same = response(network="oppvekst")
    given(DECIDER, published()).when(same).then(same)


def test_a_pilot_survey_takes_responses_from_any_network() -> None:
    pilot = published(target=Target(kind="pilot"), phase="single")
    for network in ("oppvekst", "helse"):
        tagged = response(network=network)
        given(DECIDER, pilot).when(tagged).then(tagged)


# Responses: answers against the definition


@pytest.mark.parametrize(
    ("answers", "field", "rule"),
    [
        pytest.param({"q1": 4, "q9": 1}, "answers.q9", "unknown_question", id="unknown question"),
        pytest.param({"q2": 7}, "answers.q1", "required", id="required answer missing"),
        pytest.param({"q1": ""}, "answers.q1", "required", id="required answer empty"),
        pytest.param({"q1": 6}, "answers.q1", "scale", id="6 on 1-5"),
        pytest.param({"q1": 0}, "answers.q1", "scale", id="0 on 1-5"),
        pytest.param({"q1": "4"}, "answers.q1", "scale", id="likert as a text"),
        pytest.param({"q1": 4, "q2": 11}, "answers.q2", "scale", id="11 on 0-10"),
        pytest.param({"q1": 4, "q2": -1}, "answers.q2", "scale", id="-1 on 0-10"),
        pytest.param({"q1": 4, "q2": ["9"]}, "answers.q2", "scale", id="nps as a list"),
        pytest.param({"q1": 4, "q3": "daily"}, "answers.q3", "option", id="unknown option"),
        pytest.param({"q1": 4, "q3": 2}, "answers.q3", "option", id="option as a number"),
        pytest.param({"q1": 4, "q3": ["weekly"]}, "answers.q3", "single", id="list for single"),
        pytest.param({"q1": 4, "q4": "new routines"}, "answers.q4", "list", id="text for multiple"),
        pytest.param(
            {"q1": 4, "q4": ["new routines", "a party"]}, "answers.q4.1", "option",
            id="unknown option among several",
        ),
        pytest.param(
            {"q1": 4, "q4": ["new routines", "new routines"]}, "answers.q4", "unique",
            id="an option twice",
        ),
        pytest.param({"q1": 4, "q5": 3}, "answers.q5", "text", id="number for free text"),
        pytest.param({"q1": 4, "q5": "x" * 2001}, "answers.q5", "text_length", id="long text"),
    ],
)  # fmt: skip
def test_answers_that_break_the_definition_name_the_question(
    answers: dict[str, Any], field: str, rule: str
) -> None:
    rejected = given(DECIDER, published()).when(response(answers)).then_rejected(field, rule)
    assert not isinstance(rejected, Conflict)


def test_the_bounds_of_each_scale_and_the_longest_text_are_accepted() -> None:
    for answers in ({"q1": 1, "q2": 0}, {"q1": 5, "q2": 10}):
        given(DECIDER, published()).when(response(answers)).then(response(answers))
    longest = response({"q1": 3, "q5": "x" * 2000})
    given(DECIDER, published()).when(longest).then(
        response({"q1": 3}, free_texts={"q5": "x" * 2000})
    )


def test_optional_questions_may_be_left_out_or_empty() -> None:
    empty = response({"q1": 2, "q3": "", "q4": [], "q5": ""})
    recorded = response({"q1": 2, "q3": "", "q4": []}, free_texts={"q5": ""})
    given(DECIDER, published()).when(empty).then(recorded)


@pytest.mark.parametrize(
    ("value", "rule"),
    [(4.5, "scale"), (4.0, "scale"), (True, "answer_type"), (None, "answer_type"),
     ({"a": 1}, "answer_type"), ([1, 2], "answer_type")],
)  # fmt: skip
def test_an_answer_of_no_json_shape_an_answer_can_have_is_refused_by_the_event(
    value: Any, rule: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        ResponseSubmitted.model_validate(
            {"response_id": "r1", "submitted_on": "2010-08-20", "answers": {"q1": value}}
        )
    (error,) = raised.value.errors()
    assert (error["loc"], error["type"]) == (("answers", "q1"), rule)


# Responses: repeats


def test_the_same_response_again_records_nothing() -> None:
    first = response({"q1": 4, "q4": ["shared material"]})
    again = response({"q1": 4, "q4": ["shared material"]}, on=date(2010, 8, 21))
    given(DECIDER, published(), first).when(again).then()


def test_the_same_response_id_with_other_answers_is_a_conflict() -> None:
    rejected = (
        given(DECIDER, published(), response({"q1": 4}))
        .when(response({"q1": 2}))
        .then_rejected("response_id", "already_submitted")
    )
    assert isinstance(rejected, Conflict)


def test_a_repeat_after_the_survey_closed_still_records_nothing() -> None:
    given(DECIDER, published(), response(), closed()).when(response()).then()


def test_another_response_from_the_same_respondent_is_recorded() -> None:
    second = response({"q1": 3}, response_id="r2")
    given(DECIDER, published(), response()).when(second).then(second)


# Closing


def test_a_survey_is_closed() -> None:
    given(DECIDER, published()).when(closed()).then(closed())
    assert DECIDER.fold([published(), closed()]).closed_on == date(2010, 9, 30)


def test_a_survey_not_published_cannot_be_closed() -> None:
    given(DECIDER).when(closed()).then_rejected("", "published")


def test_a_survey_is_not_closed_before_it_was_published() -> None:
    early = closed(date(2010, 8, 1))
    given(DECIDER, published()).when(early).then_rejected("closed_on", "not_before_published")


def test_closing_again_on_the_same_day_changes_nothing_and_on_another_is_a_conflict() -> None:
    given(DECIDER, published(), closed()).when(closed()).then()
    rejected = (
        given(DECIDER, published(), closed())
        .when(closed(date(2010, 10, 1)))
        .then_rejected("closed_on", "already_closed")
    )
    assert isinstance(rejected, Conflict)


# Figures


def test_the_net_promoter_score_is_promoters_minus_detractors_in_percent() -> None:
    # 9, 10, 10 promote; 7, 8 are passive; 0, 6 detract: (3 − 2) / 7 = 14.29 %
    counts = {9: 1, 10: 2, 7: 1, 8: 1, 0: 1, 6: 1}
    assert stats.net_promoter_score(counts) == Fraction(100, 7)
    assert stats.rounded(stats.net_promoter_score(counts), 2) == 14.29
    assert stats.net_promoter_score({}) is None


def test_answers_are_normalised_to_0_to_1_per_kind() -> None:
    assert [stats.normalised("likert", v) for v in (1, 3, 5)] == [0, Fraction(1, 2), 1]
    assert [stats.normalised("nps", v) for v in (0, 7, 10)] == [0, Fraction(7, 10), 1]
    # likert 4 → 3/4, nps 8 → 8/10: the mean is (0.75 + 0.8) / 2 = 0.775
    assert stats.factor_score([("likert", 4), ("nps", 8)]) == Fraction(31, 40)
    assert stats.factor_score([]) is None
    with pytest.raises(ValueError, match="no score"):
        stats.normalised("free_text", 1)


def test_a_group_below_the_threshold_is_suppressed_and_says_why() -> None:
    assert stats.suppressed_reason(4, 5) == "fewer than 5 respondents"
    assert stats.suppressed_reason(5, 5) is None


def test_figures_round_half_up() -> None:
    assert stats.rounded(Fraction(5, 8), 2) == 0.63
    assert stats.mean({1: 1, 2: 1}) == Fraction(3, 2)
    assert stats.distribution("likert", {2: 3}) == {"1": 0, "2": 3, "3": 0, "4": 0, "5": 0}


# Formbricks


def delivery(**data: Any) -> dict[str, Any]:
    response_data = {
        "id": "clx0resp0001",
        "surveyId": "oppvekst-before",
        "finished": True,
        "createdAt": "2010-08-19T21:50:00.000Z",
        "updatedAt": "2010-08-19T22:30:00.000Z",
        "data": {"q1": 4.0, "q2": 9, "q5": "More time together"},
        "contact": {"id": "clx0contact01", "attributes": {"network": "oppvekst"}},
        "meta": {"url": "https://example.org/s/1", "userAgent": {"browser": "Firefox"}},
        "ttc": {"q1": 1200},
        **data,
    }
    return {"webhookId": "wh1", "event": "responseFinished", "data": response_data}


def test_a_finished_formbricks_response_becomes_a_response_cloudevent() -> None:
    parsed = formbricks.parse(delivery())
    assert isinstance(parsed, formbricks.Delivery)
    assert parsed.webhook_id == "wh1"
    event = formbricks.cloudevent(parsed.response)
    assert event["id"] == "clx0resp0001"
    assert event["source"] == "urn:formbricks"
    assert event["subject"] == "oppvekst-before"
    assert event["time"] == "2010-08-19T22:30:00+00:00"
    assert event["data"] == {
        "response_id": "clx0resp0001",
        "respondent": "clx0contact01",
        "submitted_on": "2010-08-19",
        "answers": {"q1": 4, "q2": 9, "q5": "More time together"},
    }
    assert type(event["data"]["answers"]["q1"]) is int


def test_without_updated_at_the_day_is_that_of_created_at_and_no_contact_no_respondent() -> None:
    parsed = formbricks.parse(delivery(updatedAt=None, contact=None))
    assert isinstance(parsed, formbricks.Delivery)
    data = formbricks.cloudevent(parsed.response)["data"]
    assert data["submitted_on"] == "2010-08-19"
    assert "respondent" not in data


def test_a_fraction_is_left_for_the_event_to_refuse() -> None:
    parsed = formbricks.parse(delivery(data={"q1": 3.5}))
    assert isinstance(parsed, formbricks.Delivery)
    assert formbricks.cloudevent(parsed.response)["data"]["answers"] == {"q1": 3.5}


def test_other_events_and_unfinished_responses_are_ignored() -> None:
    assert isinstance(
        formbricks.parse({**delivery(), "event": "responseCreated"}), formbricks.Ignored
    )
    assert isinstance(formbricks.parse(delivery(finished=False)), formbricks.Ignored)


def test_a_body_that_is_not_a_delivery_is_a_problem_pointing_into_it() -> None:
    with pytest.raises(Problem) as raised:
        formbricks.parse(delivery(surveyId=None))
    assert [e.pointer for e in raised.value.errors] == ["/data/surveyId"]
    assert raised.value.status == 422


@pytest.mark.parametrize(
    ("event_pointer", "body_pointer"),
    [
        ("/data/answers/q3", "/data/data/q3"),
        ("/data/answers/q4/1", "/data/data/q4/1"),
        ("/data/respondent", "/data/contact/id"),
        ("/data/response_id", "/data/id"),
        ("/data/submitted_on", "/data/updatedAt"),
        ("/subject", "/data/surveyId"),
        ("/data", "/data/surveyId"),
    ],
)
def test_errors_point_at_what_formbricks_sent(event_pointer: str, body_pointer: str) -> None:
    assert formbricks.body_pointer(event_pointer) == body_pointer


def test_a_rejection_is_restated_against_the_body_and_keeps_its_kind() -> None:
    restated = formbricks.rejected_in_body(Conflict("answers.q3", "scale", "6 is not 1..5"))
    assert isinstance(restated, Conflict)
    assert (restated.field, restated.rule) == ("data.q3", "scale")
    survey_wide = formbricks.rejected_in_body(Rejected("", "published", "not published"))
    assert survey_wide.field == "surveyId"
