"""A survey respondent erased: their free text is sealed in the log from the start, and once
their key is gone it is found nowhere (database, stream, API answers), while the survey's
figures are exactly what they were, the other respondents' texts are still shown, and the chain
still verifies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import asyncpg
import pytest

from ptrack.privacy.access import subject_record
from ptrack.privacy.erase import erase
from services.surveys.app import build
from shared.audit.stored import verify_stored
from shared.privacy.personal import SEALED_KEY, Handle
from shared.settings import Settings
from shared.store.postgres import PostgresEventStore
from shared.testing.apps import RunningService, cloudevent, running
from tests.integration.test_privacy_erasure import database_holding, stream_holding

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
PROJECT = "kongsbergregionen-2010"
SURVEY = "seminar-2010-11"
QUESTIONS = [
    {"id": "q1", "text": "Seminaret var nyttig for meg", "kind": "likert", "required": True},
    {"id": "q2", "text": "Kommer du igjen?", "kind": "single_choice", "options": ["ja", "nei"]},
    {"id": "q3", "text": "Hva har hjulpet nettverket?", "kind": "free_text"},
]
ANNA = "resp-anna"
ANNA_TEXT = "Kari Nordmann i kommunen hjalp oss mye"
BO_TEXT = "Faste møter hver måned"
ANONYMOUS_TEXT = "Mer tid til besøk"
TRACES = ("Kari Nordmann", "Nordmann", ANNA)
"""What must be found nowhere once Anna is erased: her text, a part of it, her pseudonym."""


@pytest.fixture
async def surveys(
    settings: Settings, pool: Pool, drop_stream: None
) -> AsyncIterator[RunningService]:
    # Three respondents are below the default anonymity threshold: show every figure.
    shown = settings.model_copy(update={"anonymity_threshold": 1})
    async with running(build(shown)) as service:
        published = {
            "project_id": PROJECT, "title": "Inspirasjonsseminaret", "target": {"kind": "seminar"},
            "phase": "single", "invited": 30, "published_on": "2010-11-01", "questions": QUESTIONS,
        }  # fmt: skip
        responses = [
            ("r-anna", ANNA, {"q1": 4, "q2": "ja", "q3": ANNA_TEXT}),
            ("r-bo", "resp-bo", {"q1": 2, "q2": "nei", "q3": BO_TEXT}),
            ("r-anonymous", None, {"q1": 5, "q2": "ja", "q3": ANONYMOUS_TEXT}),
        ]
        events = [cloudevent("SurveyPublished", SURVEY, published)]
        for response_id, respondent, answers in responses:
            data: dict[str, Any] = {
                "response_id": response_id,
                "submitted_on": "2010-11-03",
                "answers": answers,  # as survey tools send them: the text among the answers
            }
            if respondent is not None:
                data["respondent"] = respondent
            events.append(cloudevent("ResponseSubmitted", SURVEY, data))
        answer = await service.post(*events, role="admin")
        assert answer.status_code == 201, answer.text
        yield service


async def answers(surveys: RunningService) -> dict[str, Any]:
    """What the API says of the survey, as people and programs read it."""
    head = await surveys.log_head()
    found = {}
    for path in (f"/surveys/{SURVEY}/results", f"/surveys/{SURVEY}/free-text"):
        response = await surveys.get(path, min_position=head)
        assert response.status_code == 200, (path, response.text)
        found[path] = response.json()
    listed = await surveys.get(f"/projects/{PROJECT}/surveys", min_position=head)
    assert listed.status_code == 200, listed.text
    found["surveys"] = listed.json()
    return found


async def stream_caught_up(settings: Settings, events: int) -> None:
    """Wait until the relay has published every event of the log to the stream."""
    deadline = asyncio.get_running_loop().time() + 30
    while (await stream_holding(settings, "-"))[0] < events:
        assert asyncio.get_running_loop().time() < deadline, "the relay did not catch up"
        await asyncio.sleep(0.1)


async def test_an_erased_respondents_free_text_is_gone_and_the_results_stay(
    surveys: RunningService, pool: Pool, settings: Settings
) -> None:
    log = PostgresEventStore(pool, settings.schema_for("surveys"))
    rows = await pool.fetch(
        f"SELECT data FROM {log.schema}.events WHERE type = 'ResponseSubmitted' ORDER BY position"
    )
    anna, bo, anonymous = (row["data"] for row in rows)
    # Sealed from the start: the log (and so the stream) never held the text, only the
    # ciphertext; the choices and scores stay in the clear, where every figure is computed from.
    assert SEALED_KEY in anna["free_texts"]["q3"]
    assert "Kari" not in str(anna)
    assert anna["answers"] == {"q1": 4, "q2": "ja"}
    assert SEALED_KEY in bo["free_texts"]["q3"]
    assert bo["answers"] == {"q1": 2, "q2": "nei"}
    # An anonymous response names nobody to seal its text under: kept as sent.
    assert anonymous["free_texts"] == {"q3": ANONYMOUS_TEXT}

    # Anna's own copy shows her text opened, and nothing of Bo's.
    record = await subject_record(pool, settings, Handle("respondent", ANNA))
    [event] = record.events
    assert (event.data["respondent"], event.data["free_texts"]) == (ANNA, {"q3": ANNA_TEXT})
    assert BO_TEXT not in str(record.to_dict())

    before = await answers(surveys)
    [texts] = before[f"/surveys/{SURVEY}/free-text"]["questions"]
    assert texts["texts"] == sorted([ANNA_TEXT, BO_TEXT, ANONYMOUS_TEXT])
    assert await database_holding(pool, settings.schema_prefix, ANNA), "the search finds her"
    head = await surveys.log_head()
    await stream_caught_up(settings, head)

    await erase(
        pool,
        settings,
        Handle("respondent", ANNA),
        basis="request",
        requested_by="the data subject (case 2026/21)",
        reason="GDPR art. 17 request",
    )

    after = await answers(surveys)
    for path, answer in after.items():
        for trace in TRACES:
            assert trace.lower() not in str(answer).lower(), (path, trace)
    for trace in TRACES:
        assert await database_holding(pool, settings.schema_prefix, trace) == [], trace
        messages, holding = await stream_holding(settings, trace)
        assert (messages, holding) == (head, 0), trace
    # Every figure as before: respondents, n per question, means, distributions, choices.
    results = f"/surveys/{SURVEY}/results"
    assert after[results] == before[results]
    assert after["surveys"] == before["surveys"]
    # Her answer still counts; only its text is gone. The others' texts are still shown.
    [texts_after] = after[f"/surveys/{SURVEY}/free-text"]["questions"]
    assert texts_after["n"] == texts["n"] == 3
    assert texts_after["texts"] == sorted([BO_TEXT, ANONYMOUS_TEXT])
    # The chain covers the ciphertext, which did not change.
    assert (await verify_stored(log)).ok
    assert await surveys.log_head() == head


async def test_a_response_with_a_free_text_retried_under_its_id_is_recorded_once(
    surveys: RunningService,
) -> None:
    """Recorded with its text moved apart and sealed, the response is still the one sent: the
    same CloudEvent again answers as the first time did, not as an id reused."""
    data = {
        "response_id": "r-cim",
        "respondent": "resp-cim",
        "submitted_on": "2010-11-04",
        "answers": {"q1": 3, "q3": "Mindre reising"},
    }
    sent = cloudevent("ResponseSubmitted", SURVEY, data)
    first = await surveys.post(sent)
    assert first.status_code == 201, first.text
    head = await surveys.log_head()
    again = await surveys.post(sent)
    assert again.status_code == 200, again.text
    assert (again.json()["duplicate"], again.json()["position"]) == (True, head)
    changed = {**sent, "data": {**data, "answers": {"q1": 3, "q3": "Mer reising"}}}
    reused = await surveys.post(changed)
    assert reused.status_code == 409, reused.text
    assert reused.json()["type"] == "/problems/event-id-reused"
    assert await surveys.log_head() == head
