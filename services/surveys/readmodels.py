"""The surveys read model.

Privacy shapes the tables: respondent pseudonyms live only in `responses`, and free texts live
in `free_texts`, aggregated per distinct text with neither respondent, response id, position nor
time, so no join or ordering can tie a text back to the person who wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.surveys.events import (
    ResponseSubmitted,
    SuccessFactorsSet,
    SurveyClosed,
    SurveyPublished,
)
from shared.db import Conn
from shared.event_types import EventModel
from shared.privacy.personal import is_erased
from shared.store.base import StoredEvent

_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.surveys (
    survey_id      text    PRIMARY KEY,
    project_id     text    NOT NULL,
    title          text    NOT NULL,
    target_kind    text    NOT NULL,
    target_network text,
    phase          text    NOT NULL,
    invited        integer NOT NULL,
    published_on   date    NOT NULL,
    closed_on      date,
    close_reason   text,
    position       bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS surveys_by_project ON {s}.surveys (project_id);
CREATE TABLE IF NOT EXISTS {s}.questions (
    survey_id   text    NOT NULL,
    question_id text    NOT NULL,
    ordinal     integer NOT NULL,
    text        text    NOT NULL,
    kind        text    NOT NULL,
    required    boolean NOT NULL,
    options     jsonb,
    factor      text,
    PRIMARY KEY (survey_id, question_id)
);
CREATE TABLE IF NOT EXISTS {s}.responses (
    survey_id      text   NOT NULL,
    response_id    text   NOT NULL,
    respondent_key text   NOT NULL,
    network        text,
    submitted_on   date   NOT NULL,
    position       bigint NOT NULL,
    PRIMARY KEY (survey_id, response_id)
);
CREATE TABLE IF NOT EXISTS {s}.answers (
    survey_id   text    NOT NULL,
    response_id text    NOT NULL,
    question_id text    NOT NULL,
    network     text,
    value       integer,
    choice      text
);
CREATE INDEX IF NOT EXISTS answers_by_question ON {s}.answers (survey_id, question_id);
CREATE TABLE IF NOT EXISTS {s}.factor_rules (
    position     bigint PRIMARY KEY,
    project_id   text   NOT NULL,
    set_on       date   NOT NULL,
    factors      jsonb  NOT NULL,
    reason       text,
    decision_ref text
);
CREATE TABLE IF NOT EXISTS {s}.free_texts (
    survey_id   text    NOT NULL,
    question_id text    NOT NULL,
    text_hash   text    NOT NULL,
    text        text    NOT NULL,
    occurrences integer NOT NULL,
    PRIMARY KEY (survey_id, question_id, text_hash)
);
"""


def respondent_key(response: ResponseSubmitted) -> str:
    """Who answered, for counting respondents: the pseudonym, else the response itself. Ids
    cannot hold a colon, so the two never collide."""
    return response.respondent or f"response:{response.response_id}"


AnswerRow = tuple[str, str, str, str | None, int | None, str | None]
"""survey_id, response_id, question_id, network, value, choice."""
TextRow = tuple[str, str, str]
"""survey_id, question_id, text."""


def answer_rows(
    survey: str, response: ResponseSubmitted, network: str | None, kinds: Mapping[str, str]
) -> tuple[list[AnswerRow], list[TextRow]]:
    """A response's rows of `answers`, and the texts it adds to `free_texts` (`kinds`: the
    survey's question kinds by id)."""
    rows: list[AnswerRow] = []
    texts: list[TextRow] = []
    # Free texts sit in `answers` in a response recorded before they had a field of their own.
    for question_id, answer in {**response.answers, **response.free_texts}.items():
        row = (survey, response.response_id, question_id, network)
        if isinstance(answer, int):
            rows.append((*row, answer, None))
        elif isinstance(answer, list):
            rows.extend((*row, None, choice) for choice in answer)
        elif kinds[question_id] == "free_text":
            if answer:
                # The answers row says that this response answered, for counting; the text goes
                # where nothing ties it to the response. An erased respondent's text reads
                # `erased-…`: the answer still counts, but there is no text to show.
                rows.append((*row, None, None))
                if not is_erased(answer):
                    texts.append((survey, question_id, answer))
        elif answer:
            rows.append((*row, None, answer))
    return rows, texts


class SurveysProjection:
    name = "surveys"
    tables: Sequence[str] = (
        "surveys",
        "questions",
        "responses",
        "answers",
        "free_texts",
        "factor_rules",
    )
    unversioned_tables: Sequence[str] = ("free_texts",)
    """A version of a text's row would carry the position of the response that wrote it, and
    so who wrote it: its history is not kept, and any moment shows the texts as they stand."""

    def schema_sql(self, schema: str) -> str:
        return _TABLES_SQL.format(s=schema)

    async def apply(self, conn: Conn, schema: str, event: StoredEvent, model: EventModel) -> None:
        match model:
            case SurveyPublished():
                await self._published(conn, schema, event, model)
            case ResponseSubmitted():
                await self._response(conn, schema, event, model)
            case SurveyClosed():
                await conn.execute(
                    f"UPDATE {schema}.surveys SET closed_on = $2, close_reason = $3 "
                    "WHERE survey_id = $1",
                    event.stream_id,
                    model.closed_on,
                    model.reason,
                )
            case SuccessFactorsSet():
                factors = [
                    {
                        "id": factor.id,
                        "name": factor.name,
                        "names": dict(factor.names),
                        "measured_by": factor.measured_by,
                    }
                    for factor in model.factors
                ]
                await conn.execute(
                    f"INSERT INTO {schema}.factor_rules (position, project_id, set_on, factors, "
                    "reason, decision_ref) VALUES ($1, $2, $3, $4, $5, $6)",
                    event.position, event.stream_id, model.set_on, factors, model.reason,
                    model.decision_ref,
                )  # fmt: skip

    async def _published(
        self, conn: Conn, s: str, event: StoredEvent, model: SurveyPublished
    ) -> None:
        await conn.execute(
            f"INSERT INTO {s}.surveys (survey_id, project_id, title, target_kind, "
            "target_network, phase, invited, published_on, position) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            event.stream_id, model.project_id, model.title, model.target.kind,
            model.target.network, model.phase, model.invited, model.published_on, event.position,
        )  # fmt: skip
        await conn.executemany(
            f"INSERT INTO {s}.questions (survey_id, question_id, ordinal, text, kind, required, "
            "options, factor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                (event.stream_id, q.id, ordinal, q.text, q.kind, q.required, q.options, q.factor)
                for ordinal, q in enumerate(model.questions)
            ],
        )

    async def _response(
        self, conn: Conn, s: str, event: StoredEvent, model: ResponseSubmitted
    ) -> None:
        survey = event.stream_id
        target = await conn.fetchval(
            f"SELECT target_network FROM {s}.surveys WHERE survey_id = $1", survey
        )
        network = model.network or target
        await conn.execute(
            f"INSERT INTO {s}.responses (survey_id, response_id, respondent_key, network, "
            "submitted_on, position) VALUES ($1, $2, $3, $4, $5, $6)",
            survey, model.response_id, respondent_key(model), network, model.submitted_on,
            event.position,
        )  # fmt: skip
        kinds = {
            row["question_id"]: row["kind"]
            for row in await conn.fetch(
                f"SELECT question_id, kind FROM {s}.questions WHERE survey_id = $1", survey
            )
        }
        rows, texts = answer_rows(survey, model, network, kinds)
        await conn.executemany(
            f"INSERT INTO {s}.answers (survey_id, response_id, question_id, network, value, "
            "choice) VALUES ($1, $2, $3, $4, $5, $6)",
            rows,
        )
        await conn.executemany(
            f"INSERT INTO {s}.free_texts (survey_id, question_id, text_hash, text, occurrences) "
            "VALUES ($1, $2, md5($3), $3, 1) ON CONFLICT (survey_id, question_id, text_hash) "
            "DO UPDATE SET occurrences = free_texts.occurrences + 1",
            texts,
        )
