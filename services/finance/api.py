"""The finance routes: the budget, in-kind work, funding and cost, as `views` builds them.
Amounts are decimal strings (NOK), ratios numbers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.finance import queries, views
from shared.http.deps import Fresh, ProjectId, Reader, ReadSideDep, not_found
from shared.http.problems import FieldError, Problem, invalid

router = APIRouter(prefix="/projects/{project_id}", tags=["finance"])


async def _project(read: ReadSideDep, project_id: str) -> queries.Project:
    found = await queries.project(read.pool, read.schema, project_id)
    if found is None:
        raise Problem(404, "unknown-project", f"no approved budget for project {project_id!r}")
    return found


_NOT_FOUND = not_found("No such project")


@router.get("/budget", summary="Budget lines against booked cost", responses=_NOT_FOUND)
async def budget(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> views.BudgetView:
    project = await _project(read, project_id)
    return await views.budget(read.pool, read.schema, project)


@router.get(
    "/in-kind", summary="Documented in-kind work by municipality and activity", responses=_NOT_FOUND
)
async def in_kind(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> views.InKindView:
    project = await _project(read, project_id)
    return await views.in_kind(read.pool, read.schema, project)


@router.get(
    "/in-kind/entries",
    summary="In-kind entries as corrected, with their history and attestation, paged",
    responses={**_NOT_FOUND, 422: {"description": "Bad filter or cursor"}},
)
async def in_kind_entries(
    project_id: ProjectId,
    read: ReadSideDep,
    _: Reader,
    __: Fresh,
    municipality: Annotated[
        str | None, Query(max_length=200, description="Only this municipality's entries")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100, description="From `next_cursor`")] = None,
) -> views.InKindEntriesPage:
    project = await _project(read, project_id)
    return await views.in_kind_entries(
        read.pool,
        read.schema,
        project,
        municipality=municipality,
        after=_after(cursor),
        limit=limit,
    )


@router.get("/funding", summary="Funding planned against received", responses=_NOT_FOUND)
async def funding(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> views.FundingView:
    project = await _project(read, project_id)
    return await views.funding(read.pool, read.schema, project)


@router.get(
    "/costs",
    summary="Cost bookings, paged, by booking date",
    responses={**_NOT_FOUND, 422: {"description": "Bad filter or cursor"}},
)
async def costs(
    project_id: ProjectId,
    read: ReadSideDep,
    _: Reader,
    __: Fresh,
    line: Annotated[str | None, Query(max_length=64, description="Only this budget line")] = None,
    from_: Annotated[date | None, Query(alias="from", description="Booked on or after")] = None,
    to: Annotated[date | None, Query(description="Booked on or before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100, description="From `next_cursor`")] = None,
) -> views.CostsPage:
    project = await _project(read, project_id)
    return await views.costs(
        read.pool,
        read.schema,
        project,
        line=line,
        from_date=from_,
        to_date=to,
        after=_after(cursor),
        limit=limit,
    )


@router.get(
    "/costs/by-month", summary="Cost per month, with the running total", responses=_NOT_FOUND
)
async def cost_by_month(
    project_id: ProjectId, read: ReadSideDep, _: Reader, __: Fresh
) -> views.CostByMonthView:
    project = await _project(read, project_id)
    return await views.cost_by_month(read.pool, read.schema, project)


def _after(cursor: str | None) -> tuple[date, int] | None:
    if cursor is None:
        return None
    try:
        return views.decode_cursor(cursor)
    except ValueError:
        raise invalid(
            "the cursor is not one this API gave out",
            [
                FieldError(
                    "/query/cursor", "valid_cursor", "pass next_cursor from the previous page"
                )
            ],
        ) from None
