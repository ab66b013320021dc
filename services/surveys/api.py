"""The survey routes, as `views` builds them. Any group with fewer respondents than the anonymity
threshold (`PTRACK_ANONYMITY_THRESHOLD`) shows no figures and says why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.surveys import queries, views
from shared.http.deps import Fresh, ProjectId, Reader, ReadSideDep, not_found
from shared.http.problems import Problem

projects = APIRouter(prefix="/projects/{project_id}", tags=["surveys"])
surveys = APIRouter(prefix="/surveys/{survey_id}", tags=["surveys"])

SurveyId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$", max_length=200, description="Survey id")
]
_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
_NOT_FOUND = not_found("No such project, survey or question")


async def _survey(read: ReadSideDep, survey_id: str) -> queries.SurveyRow:
    found = await queries.survey(read.pool, read.schema, survey_id)
    if found is None:
        raise Problem(404, "unknown-survey", f"no published survey {survey_id!r}")
    return found


async def _known_project(read: ReadSideDep, project_id: str) -> list[queries.SurveyRow]:
    found = await queries.surveys(read.pool, read.schema, project_id)
    if not found:
        raise Problem(404, "unknown-project", f"no survey for project {project_id!r}")
    return found


@projects.get(
    "/surveys",
    summary="The project's surveys with responses and response rate",
    responses=_NOT_FOUND,
)
async def project_surveys(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> list[views.SurveySummary]:
    return [views.summary(row) for row in await _known_project(read, project_id)]


@projects.get(
    "/rules",
    summary="The project's success factors, as its plan sets them, with what measures them",
    responses=_NOT_FOUND,
)
async def factor_rules(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> views.FactorRules:
    if not await queries.known(read.pool, read.schema, project_id):
        raise Problem(404, "unknown-project", f"nothing of project {project_id!r} is recorded")
    return await views.factor_rules(read.pool, read.schema, project_id)


@projects.get(
    "/success-factors",
    summary="A 0..1 score per critical success factor, from the questions tagged with it",
    responses=_NOT_FOUND,
)
async def success_factors(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> views.SuccessFactors:
    await _known_project(read, project_id)
    return await views.success_factors(
        read.pool, read.schema, project_id, read.settings.anonymity_threshold
    )


@projects.get(
    "/pilot-comparison",
    summary="Per pilot network with a before and an after survey: each factor's change",
    responses=_NOT_FOUND,
)
async def pilot_comparison(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> views.PilotComparison:
    await _known_project(read, project_id)
    return await views.pilot_comparison(
        read.pool, read.schema, project_id, read.settings.anonymity_threshold
    )


@surveys.get(
    "/results",
    summary="Per question: answers, distribution, mean, NPS, choice counts",
    responses=_NOT_FOUND,
)
async def results(
    survey_id: SurveyId,
    read: ReadSideDep,
    _: Reader,
    __: Fresh,
    network: Annotated[
        str | None,
        Query(pattern=_ID, max_length=64, description="Only respondents of this network"),
    ] = None,
) -> views.SurveyResults:
    survey = await _survey(read, survey_id)
    return await views.results(
        read.pool, read.schema, survey, network, read.settings.anonymity_threshold
    )


@surveys.get(
    "/free-text",
    summary="Free-text answers, without respondents, sorted by text",
    responses=_NOT_FOUND,
)
async def free_text(
    survey_id: SurveyId,
    read: ReadSideDep,
    _: Reader,
    __: Fresh,
    question: Annotated[
        str | None,
        Query(pattern=_ID, max_length=64, description="One free-text question (default: all)"),
    ] = None,
) -> views.FreeTextView:
    await _survey(read, survey_id)
    found = await views.free_text(
        read.pool, read.schema, survey_id, question, read.settings.anonymity_threshold
    )
    if question is not None and not found.questions:
        raise Problem(
            404, "unknown-question", f"survey {survey_id!r} has no free-text question {question!r}"
        )
    return found
