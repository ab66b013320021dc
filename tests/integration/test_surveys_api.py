"""A scripted evaluation of the network school pilot through the surveys API: before and after
surveys for two pilot networks and a pilot-wide survey, with figures worked out by hand; a
third, small network under the anonymity threshold; bad answers; repeats by CloudEvent and by
Formbricks webhook; metrics; and the same answers after a rebuild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.surveys.app import build
from shared.privacy.sealing import open_data
from shared.settings import Settings
from shared.testing.apps import RunningService, cloudevent, running

PROJECT = "kongsbergregionen-2010"

PILOT_QUESTIONS = [
    {"id": "q1", "text": "I understand what the network school is meant to achieve",
     "kind": "likert", "required": True, "factor": "understanding"},
    {"id": "q2", "text": "My manager backs the time I spend in the network",
     "kind": "likert", "required": True, "factor": "anchoring"},
    {"id": "q3", "text": "How likely is it that you would recommend the network to a colleague?",
     "kind": "nps", "required": True, "factor": "commitment"},
    {"id": "q4", "text": "The network has already achieved something I can point to",
     "kind": "likert", "required": False, "factor": "small_visible_successes"},
    {"id": "q5", "text": "How often does your network meet?", "kind": "single_choice",
     "required": False, "options": ["weekly", "monthly", "rarely"]},
    {"id": "q6", "text": "What would help your network most?", "kind": "free_text",
     "required": False},
]  # fmt: skip

# survey -> respondent -> (q1 understanding, q2 anchoring, q3 commitment (nps),
#                          q4 small visible successes)
PILOT_ANSWERS: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "oppvekst-before": {"o1": (2, 1, 6, 1), "o2": (3, 2, 7, 1), "o3": (3, 2, 8, 2),
                        "o4": (2, 1, 5, 1), "o5": (4, 2, 9, 1)},
    "oppvekst-after": {"o1": (4, 3, 9, 3), "o2": (4, 3, 10, 4), "o3": (5, 4, 8, 3),
                       "o4": (3, 2, 9, 4), "o5": (4, 3, 10, 3)},
    "helse-before": {"h1": (3, 2, 5, 1), "h2": (3, 2, 6, 2), "h3": (2, 2, 7, 1),
                     "h4": (4, 2, 6, 1), "h5": (3, 3, 7, 2)},
    "helse-after": {"h1": (4, 3, 8, 2), "h2": (5, 3, 9, 3), "h3": (4, 3, 9, 3),
                    "h4": (4, 3, 10, 2), "h5": (3, 3, 7, 3)},
}  # fmt: skip
# A third pilot network, too small to show: 4 answer before, 5 after.
SMALL_ANSWERS: dict[str, dict[str, tuple[int, int, int, int]]] = {
    "kultur-before": {f"k{n}": (3, 3, 6, 2) for n in range(1, 5)},
    "kultur-after": {f"k{n}": (4, 4, 8, 4) for n in range(1, 6)},
}
PILOT_SURVEYS = {  # survey -> (network, phase, invited, published_on)
    "oppvekst-before": ("oppvekst", "before", 8, "2010-08-16"),
    "oppvekst-after": ("oppvekst", "after", 8, "2010-11-15"),
    "helse-before": ("helse", "before", 6, "2010-08-16"),
    "helse-after": ("helse", "after", 6, "2010-11-15"),
    "kultur-before": ("kultur", "before", 7, "2010-08-16"),
    "kultur-after": ("kultur", "after", 7, "2010-11-15"),
}
WISHES = {  # free text in oppvekst-after, helse-before and kultur-before
    "o1": "More time in the timetable", "o2": "A shared plan", "o3": "Visits between schools",
    "o4": "A shared plan", "o5": "Support from the head teachers",
    "h1": "Fewer meetings", "h2": "A clear mandate", "h3": "Fewer meetings", "h4": "Time",
    "h5": "Time to visit each other",
    "k1": "Rooms", "k2": "Money", "k3": "Rooms", "k4": "A leader",
}  # fmt: skip

MIDWAY_QUESTIONS = [
    {"id": "n1", "text": "How likely is it that you would recommend taking part?",
     "kind": "nps", "required": True},
    {"id": "m1", "text": "Which meetings did you attend?", "kind": "multiple_choice",
     "options": ["kick-off", "network meeting", "seminar"]},
    {"id": "t1", "text": "What has worked well?", "kind": "free_text"},
]  # fmt: skip
# respondent -> (network, n1, m1, t1): 5 from oppvekst, 4 from helse
MIDWAY: dict[str, tuple[str, int, list[str], str]] = {
    "o1": ("oppvekst", 10, ["kick-off", "seminar"], "Meeting the other schools"),
    "o2": ("oppvekst", 9, ["network meeting"], "A shared plan"),
    "o3": ("oppvekst", 7, ["kick-off", "network meeting", "seminar"], "Visits between schools"),
    "o4": ("oppvekst", 6, [], "Less travel"),
    "o5": ("oppvekst", 9, ["seminar"], ""),
    "h1": ("helse", 3, ["kick-off"], "A shared plan"),
    "h2": ("helse", 8, [], "Short meetings"),
    "h3": ("helse", 9, [], ""),
    "h4": ("helse", 10, [], ""),
}
SEMINAR_QUESTIONS = [
    {"id": "q1", "text": "The seminar was useful to me", "kind": "likert", "required": True},
    {"id": "q2", "text": "Would you recommend the next seminar?", "kind": "nps"},
    {"id": "q3", "text": "What should the next seminar take up?", "kind": "free_text"},
]  # fmt: skip
SEMINAR = "seminar-2010-11"


def published(
    survey: str, target: dict[str, Any], phase: str, invited: int, on: str, questions: Any
) -> dict[str, Any]:
    return cloudevent(
        "SurveyPublished",
        survey,
        {"project_id": PROJECT, "title": f"Network school pilot: {survey}", "target": target,
         "phase": phase, "invited": invited, "published_on": on, "questions": questions},
    )  # fmt: skip


def response(
    survey: str, response_id: str, answers: dict[str, Any], on: str, **extra: Any
) -> dict[str, Any]:
    data = {"response_id": response_id, "submitted_on": on, "answers": answers, **extra}
    return cloudevent("ResponseSubmitted", survey, data)


def pilot_history(survey: str) -> list[dict[str, Any]]:
    network, phase, invited, on = PILOT_SURVEYS[survey]
    target = {"kind": "network", "network": network}
    events = [published(survey, target, phase, invited, on, PILOT_QUESTIONS)]
    day = on[:-2] + "20"
    for person, (q1, q2, q3, q4) in {**PILOT_ANSWERS, **SMALL_ANSWERS}[survey].items():
        answers: dict[str, Any] = {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": "monthly"}
        if survey in ("oppvekst-after", "helse-before", "kultur-before"):
            answers["q6"] = WISHES[person]
        events.append(
            response(survey, f"{survey}-{person}", answers, day, respondent=f"p-{person}")
        )
    return events


def midway_history() -> list[dict[str, Any]]:
    events = [published("pilot-midway", {"kind": "pilot"}, "single", 20, "2010-10-01",
                        MIDWAY_QUESTIONS)]  # fmt: skip
    for person, (network, n1, m1, t1) in MIDWAY.items():
        answers = {"n1": n1, "m1": m1, "t1": t1}
        events.append(response("pilot-midway", f"midway-{person}", answers, "2010-10-05",
                               respondent=f"p-{person}", network=network))  # fmt: skip
    return events


HISTORY = [  # one batch per survey
    *[pilot_history(survey) for survey in PILOT_ANSWERS],
    midway_history(),
    [published(SEMINAR, {"kind": "seminar"}, "single", 30, "2010-11-01", SEMINAR_QUESTIONS)],
    [cloudevent("SurveyClosed", "oppvekst-before", {"closed_on": "2010-09-10"})],
]
RESPONDENT_IDS = [f"p-{person}" for person in [*MIDWAY, "h5"]]
SURVEYS = [*PILOT_ANSWERS, "pilot-midway"]


@pytest.fixture
async def surveys(
    settings: Settings, pool: Any, drop_stream: None
) -> AsyncIterator[RunningService]:
    async with running(build(settings)) as service:
        for batch in HISTORY:
            answer = await service.post(*batch, role="admin")
            assert answer.status_code == 201, answer.text
        yield service


async def read(service: RunningService, path: str, **params: Any) -> Any:
    answer = await service.get(path, min_position=await service.log_head(), **params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def by_id(items: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


async def test_each_survey_shows_responses_invited_rate_and_state(
    surveys: RunningService,
) -> None:
    listed = by_id(await read(surveys, f"/projects/{PROJECT}/surveys"))
    # by publication day, then id
    assert list(listed) == [
        "helse-before", "oppvekst-before", "pilot-midway", "seminar-2010-11", "helse-after",
        "oppvekst-after",
    ]  # fmt: skip
    before = listed["oppvekst-before"]
    assert (before["responses"], before["invited"], before["response_rate"]) == (5, 8, 0.625)
    assert (before["state"], before["closed_on"]) == ("closed", "2010-09-10")
    assert before["target"] == {"kind": "network", "network": "oppvekst"}
    # 5 of 6 invited answered: 0.8333
    assert listed["helse-before"]["response_rate"] == 0.8333
    assert listed["helse-before"]["state"] == "open"
    assert listed[SEMINAR]["responses"] == 0
    missing = await surveys.get("/projects/nowhere/surveys")
    assert missing.status_code == 404


async def test_results_show_distribution_mean_and_nps_worked_out_by_hand(
    surveys: RunningService,
) -> None:
    after = by_id((await read(surveys, "/surveys/oppvekst-after/results"))["questions"])
    nps = after["q3"]
    # 9, 10, 8, 9, 10: four promoters (9-10), one passive (8), no detractor:
    # 4/5 − 0/5 = 80 %; mean 46 / 5 = 9.2
    assert (nps["n"], nps["nps"], nps["mean"]) == (5, 80.0, 9.2)
    assert nps["distribution"] == {str(v): {8: 1, 9: 2, 10: 2}.get(v, 0) for v in range(11)}
    assert not nps["suppressed"]
    # likert q1: 4, 4, 5, 3, 4 -> mean 20 / 5 = 4.0; no nps on a likert question
    assert (after["q1"]["mean"], after["q1"]["nps"]) == (4.0, None)
    assert after["q1"]["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 3, "5": 1}
    assert after["q5"]["choices"] == {"weekly": 0, "monthly": 5, "rarely": 0}
    # free text: the count only, never the texts
    free = after["q6"]
    assert (free["n"], free["distribution"], free["choices"]) == (5, None, None)

    before = by_id((await read(surveys, "/surveys/oppvekst-before/results"))["questions"])
    # 6, 7, 8, 5, 9: one promoter (9), two detractors (6, 5): 1/5 − 2/5 = −20 %
    assert before["q3"]["nps"] == -20.0

    midway = await read(surveys, "/surveys/pilot-midway/results")
    questions = by_id(midway["questions"])
    # 10, 9, 7, 6, 9, 3, 8, 9, 10: promoters 10, 9, 9, 9, 10 (5), detractors 6, 3 (2):
    # (5 − 2) / 9 = 33.33 %; mean 71 / 9 = 7.89
    assert (questions["n1"]["nps"], questions["n1"]["mean"]) == (33.33, 7.89)
    assert midway["respondents"] == 9
    # m1 answered by o1, o2, o3, o5, h1: kick-off o1 o3 h1, network meeting o2 o3,
    # seminar o1 o3 o5
    assert questions["m1"]["n"] == 5
    assert questions["m1"]["choices"] == {"kick-off": 3, "network meeting": 2, "seminar": 3}


async def test_a_group_of_4_is_suppressed_and_says_so_a_group_of_5_is_shown(
    surveys: RunningService,
) -> None:
    helse = await read(surveys, "/surveys/pilot-midway/results", network="helse")
    assert (helse["network"], helse["respondents"], helse["suppressed"]) == ("helse", None, True)
    assert helse["suppressed_reason"] == "fewer than 5 respondents"
    for question in helse["questions"]:
        assert question["suppressed"] is True
        assert question["suppressed_reason"] == "fewer than 5 respondents"
        figures = ("n", "distribution", "mean", "nps", "choices")
        assert [question[f] for f in figures] == [None] * 5, question

    oppvekst = await read(surveys, "/surveys/pilot-midway/results", network="oppvekst")
    n1 = by_id(oppvekst["questions"])["n1"]
    # 10, 9, 7, 6, 9: promoters 3, detractors 1: (3 − 1) / 5 = 40 %; mean 41 / 5 = 8.2
    assert (n1["suppressed"], n1["n"], n1["nps"], n1["mean"]) == (False, 5, 40.0, 8.2)
    assert oppvekst["respondents"] == 5
    # m1: o4 chose nothing, so only o1, o2, o3 and o5 of oppvekst answered it: 4
    assert by_id(oppvekst["questions"])["m1"]["suppressed"] is True


async def test_free_text_is_sorted_and_never_carries_who_wrote_it(
    surveys: RunningService,
) -> None:
    answer = await surveys.get(
        "/surveys/pilot-midway/free-text", min_position=await surveys.log_head()
    )
    (worked,) = answer.json()["questions"]
    # six wrote something (o5, h3, h4 left it empty), sorted by text, a repeat kept
    assert worked["texts"] == [
        "A shared plan", "A shared plan", "Less travel", "Meeting the other schools",
        "Short meetings", "Visits between schools",
    ]  # fmt: skip
    assert worked["n"] == 6
    for secret in [*RESPONDENT_IDS, "midway-"]:
        assert secret not in answer.text
    after = await read(surveys, "/surveys/oppvekst-after/free-text")
    assert after["questions"][0]["texts"] == sorted(WISHES[f"o{n}"] for n in range(1, 6))

    columns = await surveys.runtime.pool.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name LIKE 'free\\_texts%'",
        surveys.runtime.schema,
    )
    names = {row["column_name"] for row in columns}
    # Nor the position of the event behind a version (kept history would name the response).
    assert names.isdisjoint(
        {"respondent", "respondent_key", "response_id", "position", "sys_from", "sys_to"}
    )

    not_free_text = await surveys.get("/surveys/pilot-midway/free-text", question="n1")
    assert not_free_text.status_code == 404


async def test_success_factor_scores_worked_out_by_hand(surveys: RunningService) -> None:
    found = await read(surveys, f"/projects/{PROJECT}/success-factors")
    factors = by_id(found["factors"], "factor")
    assert list(factors) == ["understanding", "anchoring", "commitment", "small_visible_successes"]
    # Each factor has one question in each of the 4 pilot surveys: 4 × 5 = 20 answers from
    # 10 respondents (o1-o5 and h1-h5, each twice). Likert counts as (v − 1) / 4, nps as v / 10.
    # understanding, sum of (v − 1): oppvekst before 1+2+2+1+3 = 9, after 3+3+4+2+3 = 15,
    #   helse before 2+2+1+3+2 = 10, after 3+4+3+3+2 = 15: (49 / 4) / 20 = 49/80 = 0.6125
    # anchoring: 0+1+1+0+1 = 3, 2+2+3+1+2 = 10, 1+1+1+1+2 = 6, 2+2+2+2+2 = 10: 29/80 = 0.3625
    # commitment: 6+7+8+5+9 = 35, 9+10+8+9+10 = 46, 5+6+7+6+7 = 31, 8+9+9+10+7 = 43:
    #   (155 / 10) / 20 = 0.775
    # small visible successes: 0+0+1+0+0 = 1, 2+3+2+3+2 = 12, 0+1+0+0+1 = 2, 1+2+2+1+2 = 8:
    #   23/80 = 0.2875
    expected = {
        "understanding": 0.6125,
        "anchoring": 0.3625,
        "commitment": 0.775,
        "small_visible_successes": 0.2875,
    }
    assert {name: f["score"] for name, f in factors.items()} == expected
    assert {f["n"] for f in factors.values()} == {20}
    assert [q["survey"] for q in factors["commitment"]["questions"]] == [
        "helse-before", "oppvekst-before", "helse-after", "oppvekst-after",
    ]  # fmt: skip
    assert {q["question"] for q in factors["commitment"]["questions"]} == {"q3"}


async def test_pilot_comparison_per_network_before_and_after(surveys: RunningService) -> None:
    found = await read(surveys, f"/projects/{PROJECT}/pilot-comparison")
    networks = by_id(found["networks"], "network")
    assert list(networks) == ["helse", "oppvekst"]  # pilot-midway is a single survey
    assert networks["oppvekst"]["before_surveys"] == ["oppvekst-before"]
    assert networks["oppvekst"]["after_surveys"] == ["oppvekst-after"]
    # oppvekst: understanding 9/4 over 5 answers = 0.45 before, 15/4 over 5 = 0.75 after;
    # anchoring 3/20 = 0.15 -> 10/20 = 0.5; commitment 35/50 = 0.7 -> 46/50 = 0.92;
    # small visible successes 1/20 = 0.05 -> 12/20 = 0.6
    assert changes(networks["oppvekst"]) == {
        "understanding": (0.45, 0.75, 0.3),
        "anchoring": (0.15, 0.5, 0.35),
        "commitment": (0.7, 0.92, 0.22),
        "small_visible_successes": (0.05, 0.6, 0.55),
    }
    # helse: understanding 10/20 = 0.5 -> 15/20; anchoring 6/20 = 0.3 -> 10/20;
    # commitment 31/50 = 0.62 -> 43/50 = 0.86; small visible successes 2/20 = 0.1 -> 8/20
    assert changes(networks["helse"]) == {
        "understanding": (0.5, 0.75, 0.25),
        "anchoring": (0.3, 0.5, 0.2),
        "commitment": (0.62, 0.86, 0.24),
        "small_visible_successes": (0.1, 0.4, 0.3),
    }


def changes(network: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    return {
        f["factor"]: (f["before"]["score"], f["after"]["score"], f["change"])
        for f in network["factors"]
    }


async def test_a_network_of_4_shows_no_figures_anywhere_and_says_why(
    settings: Settings, pool: Any, drop_stream: None
) -> None:
    why = "fewer than 5 respondents"
    async with running(build(settings)) as service:
        before = pilot_history("kultur-before")  # 4 respondents
        assert (await service.post(*before, role="admin")).status_code == 201
        results = await read(service, "/surveys/kultur-before/results")
        assert (results["respondents"], results["suppressed_reason"]) == (None, why)
        for question in results["questions"]:
            assert (question["n"], question["suppressed_reason"]) == (None, why), question
        (wishes,) = (await read(service, "/surveys/kultur-before/free-text"))["questions"]
        assert (wishes["texts"], wishes["n"], wishes["suppressed_reason"]) == (None, None, why)
        factors = (await read(service, f"/projects/{PROJECT}/success-factors"))["factors"]
        assert [(f["score"], f["n"], f["suppressed_reason"]) for f in factors] == [
            (None, None, why)
        ] * 4
        text = await service.metrics()
        assert 'survey="kultur-before"} 4.0' in text
        assert "ptrack_success_factor_score{" not in text

        after = pilot_history("kultur-after")  # 5 respondents: k1-k4 again, and k5
        assert (await service.post(*after, role="admin")).status_code == 201
        (kultur,) = (await read(service, f"/projects/{PROJECT}/pilot-comparison"))["networks"]
        for factor in kultur["factors"]:
            assert factor["before"] == {"suppressed": True, "suppressed_reason": why,
                                        "score": None, "n": None}  # fmt: skip
            assert (factor["after"]["suppressed"], factor["change"]) == (False, None)
        # after: understanding (4 − 1) / 4 = 0.75 for all five
        assert kultur["factors"][0]["after"]["score"] == 0.75
        # the factor scores now draw on 5 people: understanding 4 × 2/4 + 5 × 3/4 = 23/4,
        # over 9 answers: 23/36 = 0.6389
        factors = (await read(service, f"/projects/{PROJECT}/success-factors"))["factors"]
        assert (factors[0]["score"], factors[0]["n"]) == (0.6389, 9)


BAD_ANSWERS = [
    ("6 on a 1-5 scale", {"q1": 6, "q2": 3, "q3": 8}, "/data/answers/q1", "scale"),
    ("required answer missing", {"q1": 4, "q3": 8}, "/data/answers/q2", "required"),
    ("unknown question", {"q1": 4, "q2": 3, "q3": 8, "q9": 1}, "/data/answers/q9",
     "unknown_question"),
    ("11 on 0-10", {"q1": 4, "q2": 3, "q3": 11}, "/data/answers/q3", "scale"),
    ("a fraction", {"q1": 3.5, "q2": 3, "q3": 8}, "/data/answers/q1", "scale"),
    ("unknown option", {"q1": 4, "q2": 3, "q3": 8, "q5": "daily"}, "/data/answers/q5", "option"),
    ("a list for one option", {"q1": 4, "q2": 3, "q3": 8, "q5": ["weekly"]}, "/data/answers/q5",
     "single"),
    ("text too long", {"q1": 4, "q2": 3, "q3": 8, "q6": "x" * 2001}, "/data/answers/q6",
     "text_length"),
    ("NUL in free text", {"q1": 4, "q2": 3, "q3": 8, "q6": "more\x00"}, "/data/answers/q6",
     "no_nul_character"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "pointer", "rule"), [c[1:] for c in BAD_ANSWERS], ids=[c[0] for c in BAD_ANSWERS]
)
async def test_answers_that_break_the_definition_are_refused_naming_the_question(
    surveys: RunningService, answers: dict[str, Any], pointer: str, rule: str
) -> None:
    before = await surveys.log_head()
    answer = await surveys.post(response("helse-after", "late-1", answers, "2010-11-25"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    errors = [(e["pointer"], e["rule"]) for e in answer.json()["errors"]]
    assert (pointer, rule) in errors, errors
    assert await surveys.log_head() == before


async def test_clashes_with_what_is_recorded_are_conflicts(surveys: RunningService) -> None:
    before = await surveys.log_head()
    late = response("oppvekst-before", "late-2", {"q1": 4, "q2": 3, "q3": 8}, "2010-09-11")
    closed = await surveys.post(late)
    assert closed.status_code == 409, closed.text
    assert [(e["pointer"], e["rule"]) for e in closed.json()["errors"]] == [("/data", "open")]
    changed = response("helse-after", "helse-after-h1", {"q1": 1, "q2": 1, "q3": 1}, "2010-11-20")
    reused = await surveys.post(changed)
    assert reused.status_code == 409, reused.text
    errors = [(e["pointer"], e["rule"]) for e in reused.json()["errors"]]
    assert errors == [("/data/response_id", "already_submitted")]
    assert await surveys.log_head() == before


async def test_a_response_posted_twice_counts_once(surveys: RunningService) -> None:
    answers = {"q1": 5, "q2": 4, "q3": 10}
    first = await surveys.post(response("helse-after", "h6-paper", answers, "2010-11-26"))
    assert first.status_code == 201, first.text
    head = await surveys.log_head()
    # the same response keyed in again from the paper form: a new CloudEvent id
    again = await surveys.post(response("helse-after", "h6-paper", answers, "2010-11-26"))
    assert again.status_code == 200, again.text
    assert again.json() == {"duplicate": True, "position": None, "events": []}
    assert await surveys.log_head() == head
    listed = by_id(await read(surveys, f"/projects/{PROJECT}/surveys"))
    assert listed["helse-after"]["responses"] == 6


async def test_a_response_id_reused_with_other_content_is_a_conflict(
    surveys: RunningService,
) -> None:
    """The id check comes before the domain's "same answers change nothing": the same event
    id with another respondent is refused, though its answers are those recorded."""
    answers = {"q1": 5, "q2": 4, "q3": 10}
    first = response("helse-after", "h7", answers, "2010-11-26", respondent="p-h7")
    assert (await surveys.post(first)).status_code == 201
    head = await surveys.log_head()
    other = {**first, "data": {**first["data"], "respondent": "p-someone-else"}}
    reused = await surveys.post(other)
    assert reused.status_code == 409, reused.text
    assert reused.json()["type"] == "/problems/event-id-reused"
    assert reused.json()["event_ids"] == [first["id"]]
    retried = await surveys.post(first)
    assert retried.status_code == 200, retried.text
    assert retried.json()["position"] == head
    assert await surveys.log_head() == head


def formbricks(response_id: str, answers: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "webhookId": "clwebhook0001",
        "event": fields.pop("event", "responseFinished"),
        "data": {
            "id": response_id,
            "surveyId": SEMINAR,
            "finished": True,
            "createdAt": "2010-11-03T13:58:10.000Z",
            "updatedAt": "2010-11-03T14:02:41.000Z",
            "data": answers,
            "contact": {"id": "clcontact0042", "userId": None},
            "meta": {"source": "link", "url": "https://forms.example/s/x", "country": "NO"},
            "ttc": {"q1": 3100, "_total": 9000},
            "tags": [],
            **fields,
        },
    }


async def webhook(service: RunningService, body: dict[str, Any]) -> httpx.Response:
    return await service.client.post(
        "/webhooks/formbricks", json=body, headers=service.auth("integration")
    )


async def test_a_formbricks_webhook_is_recorded_once_however_often_it_is_delivered(
    surveys: RunningService,
) -> None:
    body = formbricks("clresp0000001", {"q1": 4.0, "q2": 9, "q3": "Evaluation methods"})
    first = await webhook(surveys, body)
    assert first.status_code == 201, first.text
    head = await surveys.log_head()
    redelivered = await webhook(surveys, body)
    assert redelivered.status_code == 200, redelivered.text
    assert redelivered.json()["duplicate"] is True
    # Formbricks touched the response (updatedAt moved) without changing the answers
    touched = formbricks("clresp0000001", body["data"]["data"], updatedAt="2010-11-04T08:00:00Z")
    assert (await webhook(surveys, touched)).status_code == 200
    assert await surveys.log_head() == head

    (stored,) = await surveys.runtime.store.read_stream(SEMINAR, from_version=2)
    assert stored.type == "ResponseSubmitted"
    assert "$personal" in stored.data["respondent"], "the respondent is sealed in the log"
    assert "$personal" in stored.data["free_texts"]["q3"], "and so is the free text"
    assert await open_data(surveys.runtime.keyring, stored.data) == {
        "response_id": "clresp0000001",
        "respondent": "clcontact0042",
        "submitted_on": "2010-11-03",
        "answers": {"q1": 4, "q2": 9},
        "free_texts": {"q3": "Evaluation methods"},
    }
    assert type(stored.data["answers"]["q1"]) is int  # 4.0 arrived; the log holds no float
    assert stored.metadata["source"] == "urn:formbricks"
    listed = by_id(await read(surveys, f"/projects/{PROJECT}/surveys"))
    assert listed[SEMINAR]["responses"] == 1


@pytest.mark.parametrize(
    ("answers", "pointer", "rule"),
    [
        ({"q1": 6}, "/data/data/q1", "scale"),
        ({"q1": 3.5}, "/data/data/q1", "scale"),
        ({"q2": 9}, "/data/data/q1", "required"),
        ({"q1": 4, "hidden": "x"}, "/data/data/hidden", "unknown_question"),
    ],
)
async def test_bad_answers_by_webhook_point_into_the_formbricks_body(
    surveys: RunningService, answers: dict[str, Any], pointer: str, rule: str
) -> None:
    before = await surveys.log_head()
    answer = await webhook(surveys, formbricks("clresp0000002", answers))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [(e["pointer"], e["rule"]) for e in answer.json()["errors"]] == [(pointer, rule)]
    assert await surveys.log_head() == before


async def test_webhook_events_other_than_a_finished_response_record_nothing(
    surveys: RunningService,
) -> None:
    before = await surveys.log_head()
    created = await webhook(surveys, formbricks("clresp0000003", {}, event="responseCreated"))
    assert created.status_code == 202, created.text
    assert created.json()["recorded"] is False
    unfinished = await webhook(surveys, formbricks("clresp0000003", {"q1": 2}, finished=False))
    assert unfinished.status_code == 202, unfinished.text
    no_survey = await webhook(surveys, formbricks("clresp0000003", {"q1": 2}, surveyId="nope"))
    assert no_survey.status_code == 422, no_survey.text
    pointers = [(e["pointer"], e["rule"]) for e in no_survey.json()["errors"]]
    assert pointers == [("/data/surveyId", "published")]
    unauthorised = await surveys.client.post("/webhooks/formbricks", json=formbricks("x", {}))
    assert unauthorised.status_code == 401
    assert await surveys.log_head() == before


async def test_survey_metrics_come_from_the_read_model(surveys: RunningService) -> None:
    assert await surveys.runtime.read_models_reach(await surveys.log_head(), 10)
    text = await surveys.metrics()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith(("ptrack_survey", "ptrack_success"))
    }

    def value(name: str, **labels: str) -> float | None:
        return samples.get((name, tuple(sorted({"project": PROJECT, **labels}.items()))))

    assert value("ptrack_survey_responses", survey="oppvekst-before") == 5
    assert value("ptrack_survey_invited", survey="oppvekst-before") == 8
    assert value("ptrack_survey_response_rate_ratio", survey="oppvekst-before") == 0.625
    assert value("ptrack_success_factor_score", factor="understanding") == 0.6125
    assert value("ptrack_surveys", state="open") == 5
    assert value("ptrack_surveys", state="closed") == 1


async def snapshot(service: RunningService) -> dict[str, Any]:
    paths = [
        f"/projects/{PROJECT}/surveys",
        f"/projects/{PROJECT}/success-factors",
        f"/projects/{PROJECT}/pilot-comparison",
        *[f"/surveys/{survey}/results" for survey in SURVEYS],
        *[f"/surveys/{survey}/free-text" for survey in SURVEYS],
    ]
    views = {path: await read(service, path) for path in paths}
    for network in ("oppvekst", "helse"):
        path = "/surveys/pilot-midway/results"
        views[f"{path}?{network}"] = await read(service, path, network=network)
    return views


async def test_a_rebuild_gives_the_same_answers(surveys: RunningService) -> None:
    before = await snapshot(surveys)
    head = await surveys.log_head()
    assert await surveys.runtime.writers["surveys"].rebuild() == head
    assert await snapshot(surveys) == before
