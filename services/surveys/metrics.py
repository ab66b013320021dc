"""Survey gauges, computed from the read model at scrape time. A suppressed success factor is
left out rather than shown as 0, which a board would read as a score."""

from __future__ import annotations

from collections import Counter

from prometheus_client.core import Metric

from services.surveys import queries, views
from shared.i18n import LANGUAGES
from shared.metrics import gauge
from shared.readside import ReadSide

_SURVEY = ["project", "survey"]


async def surveys_metrics(read: ReadSide) -> list[Metric]:
    db, s = read.pool, read.schema
    threshold = read.settings.anonymity_threshold
    surveys = await queries.surveys(db, s)
    scores: list[tuple[tuple[str, str], float]] = []
    names: list[tuple[tuple[str, str, str, str], float]] = []
    for project in await queries.projects(db, s):
        found = await views.success_factors(db, s, project, threshold)
        scores += [((project, f.factor), f.score) for f in found.factors if f.score is not None]
        for factor in (await views.factor_rules(db, s, project)).factors:
            for lang in LANGUAGES:
                names.append(((project, factor.id, lang, factor.names.get(lang) or factor.name), 1))
    states = Counter((row.project_id, "closed" if row.closed_on else "open") for row in surveys)
    projects = sorted({row.project_id for row in surveys})
    return [
        gauge(
            "ptrack_survey_responses",
            "Responses recorded for a survey",
            _SURVEY,
            [((r.project_id, r.survey_id), r.responses) for r in surveys],
        ),
        gauge(
            "ptrack_survey_invited",
            "People invited to answer a survey",
            _SURVEY,
            [((r.project_id, r.survey_id), r.invited) for r in surveys],
        ),
        gauge(
            "ptrack_survey_response_rate_ratio",
            "Responses per person invited",
            _SURVEY,
            [((r.project_id, r.survey_id), views.response_rate(r)) for r in surveys],
        ),
        gauge(
            "ptrack_success_factor_score",
            "A critical success factor's score, 0..1, from the questions tagged with it "
            "(absent while it has fewer respondents than the anonymity threshold)",
            ["project", "factor"],
            scores,
        ),
        gauge(
            "ptrack_success_factor",
            "A critical success factor of the project's plan, named in a language (always 1): a "
            "board joins it to the scores to show the plan's names",
            ["project", "factor", "lang", "name"],
            names,
        ),
        gauge(
            "ptrack_surveys",
            "Surveys by state",
            ["project", "state"],
            [
                ((project, state), states[(project, state)])
                for project in projects
                for state in ("open", "closed")
            ],
        ),
    ]
