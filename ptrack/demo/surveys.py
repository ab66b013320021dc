"""The surveys as the survey tool runs them: a before and an after survey in each pilot network,
answered by the same people more or less as they feel and better after the pilot, and the
seminar survey, every third answer of which comes through the Formbricks webhook."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from ptrack.demo.calendar import SEMINAR, workdays
from ptrack.demo.history import History, System
from ptrack.demo.register import Network, Person, Register, scale

_SURVEY_TOOL = System("surveys", "survey-tool")
_FEW_AFTER = "folkehelse"
"""The small pilot network whose after survey gets 4 answers, too few to show."""

_CHANNELS = ["E-post", "Felles nettområde", "Videomøter", "Fysiske møter"]
_PILOT_QUESTIONS: list[dict[str, Any]] = [
    {"id": "q1", "kind": "likert", "required": True, "factor": "understanding",
     "text": "Jeg forstår hva nettverket skal oppnå og hvordan det arbeider."},
    {"id": "q2", "kind": "likert", "required": True, "factor": "anchoring",
     "text": "Ledelsen i min kommune støtter at jeg bruker tid på nettverket."},
    {"id": "q3", "kind": "likert", "required": True, "factor": "commitment",
     "text": "Jeg bidrar aktivt og prioriterer nettverkets arbeid."},
    {"id": "q4", "kind": "likert", "required": True, "factor": "small_visible_successes",
     "text": "Nettverket har fått til konkrete resultater som er synlige for andre."},
    {"id": "q5", "kind": "nps", "required": True, "factor": "commitment",
     "text": "Hvor sannsynlig er det at du vil anbefale en kollega å delta i nettverket?"},
    {"id": "q6", "kind": "single_choice", "required": True, "options": _CHANNELS,
     "text": "Hvilken samhandlingsform bruker nettverket mest?"},
    {"id": "q7", "kind": "free_text", "required": False,
     "text": "Hva bør nettverket gjøre annerledes?"},
]  # fmt: skip
_PILOT_BASE = {
    # question: (before, after) centre of the answers
    "q1": (2.8, 3.8), "q2": (2.4, 3.1), "q3": (3.0, 3.7), "q4": (2.2, 3.5), "q5": (5.5, 7.8),
}  # fmt: skip
_CHANNEL_WEIGHTS = {"before": (5, 1, 1, 3), "after": (2, 5, 2, 2)}
_PILOT_TEXTS = {
    "before": (
        "Vi trenger et tydeligere mandat fra rådmennene.",
        "Mer arbeid mellom møtene, ikke bare informasjon.",
        "Bedre verktøy for å dele dokumenter.",
        "Det er vanskelig å prioritere nettverket i en travel hverdag.",
        "Flere konkrete oppgaver vi kan løse sammen.",
        "Møtene bør gå på omgang mellom kommunene.",
    ),
    "after": (
        "Felles nettområde har gjort det lettere å følge med.",
        "Nettverksskolen ga oss et felles språk.",
        "Vi bør fortsette med korte videomøter.",
        "Ledelsen må følge opp det vi har fått til.",
        "Vi har fått til mer på et halvt år enn på flere år før.",
        "Fortsatt for lite tid satt av til nettverksarbeid.",
    ),
}
_PHASES: dict[Literal["before", "after"], tuple[date, date, date]] = {
    # phase: (published, last answer, closed)
    "before": (date(2010, 8, 23), date(2010, 9, 3), date(2010, 9, 6)),
    "after": (date(2010, 12, 1), date(2010, 12, 14), date(2010, 12, 17)),
}
_SEMINAR_QUESTIONS: list[dict[str, Any]] = [
    {"id": "s1", "kind": "likert", "required": True, "factor": "understanding",
     "text": "Seminaret ga meg en bedre forståelse av nettverk som arbeidsform."},
    {"id": "s2", "kind": "likert", "required": True, "factor": "small_visible_successes",
     "text": "Jeg har fått eksempler på resultater jeg kan vise til i min kommune."},
    {"id": "s3", "kind": "likert", "required": True, "factor": "anchoring",
     "text": "Min leder er opptatt av at vi samarbeider i nettverk."},
    {"id": "s4", "kind": "nps", "required": True,
     "text": "Hvor sannsynlig er det at du vil anbefale et slikt seminar til en kollega?"},
    {"id": "s5", "kind": "multiple_choice", "required": False,
     "text": "Hvilke deler av programmet var mest nyttige?",
     "options": ["Foredrag om nettverkslogikk", "Erfaringer fra andre regioner", "Gruppearbeid",
                 "Presentasjon av pilotnettverkene"]},
    {"id": "s6", "kind": "single_choice", "required": True, "text": "Hvilken rolle har du?",
     "options": ["Leder", "Nettverksrepresentant", "Folkevalgt", "Annet"]},
    {"id": "s7", "kind": "free_text", "required": False, "text": "Andre kommentarer"},
]  # fmt: skip
_SEMINAR_TEXTS = (
    "Inspirerende foredrag, men for lite tid til gruppearbeid.",
    "Nyttig å møte kolleger fra de andre kommunene.",
    "Gjerne et nytt seminar neste høst.",
    "Eksemplene fra andre regioner var det beste.",
    "Lokalet ble for lite.",
)
_SEMINAR_INVITED = 52
_SEMINAR_CLOSED = date(2010, 12, 3)
_BY_FORMBRICKS = 3
"""Every third seminar answer comes through the Formbricks webhook."""


@dataclass(frozen=True)
class _Survey:
    id: str
    title: str
    target: dict[str, Any]
    phase: Literal["before", "after", "single"]
    invited: int
    published_on: date
    questions: list[dict[str, Any]]


def tell_surveys(history: History, rng: random.Random, register: Register) -> None:
    for network in register.networks:
        if network.pilot is not None:
            _pilot_surveys(history, rng, network, register.members[network.id])
    _seminar(history, rng)


def _survey_event(
    history: History, survey: str, type_: str, data: dict[str, Any], day: date, key: str
) -> None:
    history.event(_SURVEY_TOOL, type_, data, day, f"{survey}/{key}", subject=survey)


def _pilot_surveys(
    history: History, rng: random.Random, network: Network, people: Sequence[Person]
) -> None:
    """A before and an after survey of the network; the same people answer both more or less
    as they feel (their attitude), and better after the pilot."""
    attitude = {person.id: rng.gauss(0, 0.5) for person in people}
    for phase, (published, last, closed) in _PHASES.items():
        survey = _Survey(
            id=f"{network.id}-{phase}-2010",
            title=f"{'Før' if phase == 'before' else 'Etter'} piloten: {network.name}",
            target={"kind": "network", "network": network.id},
            phase=phase,
            invited=len(people),
            published_on=published,
            questions=_PILOT_QUESTIONS,
        )
        _publish(history, survey)
        count = rng.randint(5, min(9, len(people)))
        if phase == "after" and network.id == _FEW_AFTER:
            count = 4
        for number, person in enumerate(rng.sample(list(people), count), start=1):
            respondent = history.pseudonym("resp", f"respondent/{person.id}")
            answers = _pilot_answers(rng, phase, attitude[person.id])
            day = rng.choice(workdays(published, last))
            _respond(history, survey, number, respondent, day, answers, network.id)
        _close(history, survey, closed)


def _publish(history: History, survey: _Survey) -> None:
    data = {
        "project_id": history.project,
        "title": survey.title,
        "target": survey.target,
        "phase": survey.phase,
        "invited": survey.invited,
        "published_on": survey.published_on.isoformat(),
        "questions": survey.questions,
    }
    _survey_event(history, survey.id, "SurveyPublished", data, survey.published_on, "published")


def _respond(
    history: History,
    survey: _Survey,
    number: int,
    respondent: str,
    day: date,
    answers: dict[str, Any],
    network: str | None = None,
) -> None:
    data: dict[str, Any] = {
        "response_id": f"{survey.id}-{number:02d}",
        "respondent": respondent,
        "submitted_on": day.isoformat(),
        "answers": answers,
    }
    if network is not None:
        data["network"] = network
    _survey_event(history, survey.id, "ResponseSubmitted", data, day, f"{number}")


def _close(history: History, survey: _Survey, day: date) -> None:
    data = {"closed_on": day.isoformat(), "reason": "Svarfristen er ute"}
    _survey_event(history, survey.id, "SurveyClosed", data, day, "closed")


def _pilot_answers(rng: random.Random, phase: str, attitude: float) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question, (before, after) in _PILOT_BASE.items():
        centre = before if phase == "before" else after
        if question == "q5":  # nps: on the wider scale a person's attitude weighs double
            answers[question] = scale(rng, centre + 2 * attitude, 0, 10)
        else:
            answers[question] = scale(rng, centre + attitude, 1, 5)
    answers["q6"] = rng.choices(_CHANNELS, weights=_CHANNEL_WEIGHTS[phase])[0]
    if rng.random() < 0.6:
        answers["q7"] = rng.choice(_PILOT_TEXTS[phase])
    return answers


def _seminar(history: History, rng: random.Random) -> None:
    survey = _Survey(
        id=f"seminar-{SEMINAR.isoformat()}",
        title="Inspirasjonsseminaret 18. november 2010",
        target={"kind": "seminar"},
        phase="single",
        invited=_SEMINAR_INVITED,
        published_on=SEMINAR,
        questions=_SEMINAR_QUESTIONS,
    )
    _publish(history, survey)
    days = workdays(SEMINAR, SEMINAR + timedelta(days=8))
    for number in range(1, rng.randint(23, 27) + 1):
        # Half answer on the day, the rest after the reminder.
        day = SEMINAR if rng.random() < 0.5 else rng.choice(days)
        answers = _seminar_answers(rng)
        if number % _BY_FORMBRICKS == 0:
            history.webhook(day, _formbricks(history, rng, survey.id, number, day, answers))
        else:
            respondent = history.pseudonym("resp", f"{survey.id}/{number}")
            _respond(history, survey, number, respondent, day, answers)
    _close(history, survey, _SEMINAR_CLOSED)


def _seminar_answers(rng: random.Random) -> dict[str, Any]:
    options: list[str] = _SEMINAR_QUESTIONS[4]["options"]
    answers: dict[str, Any] = {
        "s1": scale(rng, 4.1, 1, 5),
        "s2": scale(rng, 3.6, 1, 5),
        "s3": scale(rng, 3.2, 1, 5),
        "s4": scale(rng, 8.2, 0, 10),
        "s5": rng.sample(options, rng.randint(1, 2)),
        "s6": rng.choices(_SEMINAR_QUESTIONS[5]["options"], weights=(4, 6, 2, 1))[0],
    }
    if rng.random() < 0.4:
        answers["s7"] = rng.choice(_SEMINAR_TEXTS)
    return answers


def _formbricks(
    history: History,
    rng: random.Random,
    survey: str,
    number: int,
    day: date,
    answers: dict[str, Any],
) -> dict[str, Any]:
    """The body Formbricks posts when a response is finished; it sends ratings as numbers
    such as 4.0."""
    started = f"{day.isoformat()}T{rng.randint(8, 20):02d}:{rng.randint(0, 59):02d}"
    data = {k: float(v) if isinstance(v, int) else v for k, v in answers.items()}
    return {
        "webhookId": "demo-formbricks-webhook",
        "event": "responseFinished",
        "data": {
            "id": history.pseudonym("demo-fb", f"{survey}/{number}"),
            "surveyId": survey,
            "finished": True,
            "createdAt": f"{started}:05.000Z",
            "updatedAt": f"{started}:58.000Z",
            "data": data,
            "contact": {"id": history.pseudonym("demo-contact", f"{survey}/{number}")},
            "meta": {"source": "link", "country": "NO"},
            "tags": [],
        },
    }
