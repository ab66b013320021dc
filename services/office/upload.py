"""In-kind hours from a spreadsheet: upload a CSV or XLSX file, see a preview that marks every
row's errors (the file's own, and what the finance service would refuse, asked row by row
with a dry run) before anything is recorded, then record the good rows as one batch.

Each good row gets its event id in the preview, and the preview carries them to the recording:
sent twice, the batch is recorded once."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.datastructures import UploadFile as StarletteUpload

from services.office.forms import N_
from services.office.gateway import Answer, cloudevent
from services.office.record import ProjectId
from services.office.session import Session
from services.office.sheets import (
    MAX_BYTES,
    SheetError,
    SheetRow,
    finance_findings,
    read_sheet,
)
from services.office.web import Office, OfficeDep, SessionDep, check_token, render

router = APIRouter(prefix="/projects/{project_id}/in-kind", tags=["office"])
EVENT_TYPE = "InKindHoursRecorded"
_CHECKS_AT_ONCE = 8
SHEET_PROBLEMS = {
    "unsupported_type": N_("Only CSV and Excel (XLSX) files can be read."),
    "too_large": N_("The file is too large: at most 5 MB and 1000 rows."),
    "not_csv": N_("The file is not a CSV file, though its name says so."),
    "not_xlsx": N_("The file is not an Excel workbook (XLSX); save it as .xlsx and try again."),
    "unreadable": N_("The file cannot be read."),
    "empty": N_("The file holds no rows; the first row should name the columns."),
    "missing_columns": N_("These columns are missing"),
    "duplicate_columns": N_("More than one column holds"),
    "too_many_rows": N_("The file has more than 1000 rows; split it and upload each part."),
}
"""What a person is told of a file that cannot be read as a whole, by the sheet's code."""


@router.get("/upload", summary="Upload a sheet of in-kind hours")
async def upload_page(
    request: Request, project_id: ProjectId, office: OfficeDep, session: SessionDep
) -> Response:
    return render(request, office, "upload.html", session, project=project_id, error=None)


@router.post("/upload", summary="Preview a sheet of in-kind hours, row by row")
async def preview(
    request: Request,
    project_id: ProjectId,
    office: OfficeDep,
    session: SessionDep,
    sheet: UploadFile,
    csrf: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    check_token(session, csrf)
    gettext = office.gettext(session.lang)
    if not isinstance(sheet, StarletteUpload):  # a form field sent as text, not as a file
        return render(
            request, office, "upload.html", session, status_code=422, project=project_id,
            error=gettext("Choose a file to upload."),
        )  # fmt: skip
    content = await sheet.read(MAX_BYTES + 1)
    try:
        rows = read_sheet(sheet.filename or "", content)
    except SheetError as error:
        message = gettext(SHEET_PROBLEMS.get(error.code, N_("The file cannot be read.")))
        if error.columns:
            message = f"{message}: {', '.join(gettext(column) for column in error.columns)}"
        return render(
            request, office, "upload.html", session, status_code=422, project=project_id,
            error=message,
        )  # fmt: skip
    ids = {row.line: uuid.uuid4() for row in rows.rows}
    await _check_with_finance(office, session, project_id, rows.rows, ids)
    good = [row for row in rows.rows if row.data is not None and not row.errors]
    carried = [[row.line, str(ids[row.line]), row.data] for row in good]
    return render(
        request,
        office,
        "preview.html",
        session,
        project=project_id,
        filename=sheet.filename,
        rows=rows.rows,
        ignored=rows.ignored_columns,
        good=len(good),
        carried=orjson.dumps(carried).decode(),
    )


@router.post("/record", summary="Record the good rows of a previewed sheet as one batch")
async def record_rows(
    request: Request,
    project_id: ProjectId,
    office: OfficeDep,
    session: SessionDep,
    rows: Annotated[str, Form(max_length=2_000_000)],
    csrf: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    check_token(session, csrf)
    try:
        carried: list[list[Any]] = orjson.loads(rows)
        events = [cloudevent(uuid.UUID(i), EVENT_TYPE, project_id, d) for _, i, d in carried]
    except (ValueError, TypeError):
        return render(
            request, office, "upload.html", session, status_code=422, project=project_id,
            error=office.gettext(session.lang)(N_("The preview was damaged; please upload again.")),
        )  # fmt: skip
    answer = await office.gateway.post_events(session.key, "finance", events)
    problems = [] if answer.ok else _problems_by_line(answer, [line for line, _, _ in carried])
    return render(
        request,
        office,
        "recorded_rows.html",
        session,
        status_code=200 if answer.ok else (answer.status if answer.status < 500 else 502),
        project=project_id,
        answer=answer,
        count=len(events),
        problems=problems,
    )


async def _check_with_finance(
    office: Office,
    session: Session,
    project: str,
    rows: list[SheetRow],
    ids: dict[int, uuid.UUID],
) -> None:
    """Adds to each readable row what the finance service would refuse in it."""
    limit = asyncio.Semaphore(_CHECKS_AT_ONCE)

    async def check(row: SheetRow) -> None:
        assert row.data is not None
        event = cloudevent(ids[row.line], EVENT_TYPE, project, row.data)
        async with limit:
            answer = await office.gateway.post_events(session.key, "finance", [event], dry_run=True)
        if not answer.ok:
            row.errors.extend(finance_findings(answer.body))
            row.data = None

    await asyncio.gather(*(check(row) for row in rows if row.data is not None and not row.errors))


def _problems_by_line(answer: Answer, lines: list[int]) -> list[tuple[int | None, str]]:
    """A refused batch's problems, each with the spreadsheet line its pointer names."""
    found: list[tuple[int | None, str]] = []
    for error in answer.body.get("errors") or []:
        pointer = str(error.get("pointer") or "")
        index = pointer.split("/")[1] if pointer.count("/") >= 1 else ""
        line = lines[int(index)] if index.isdigit() and int(index) < len(lines) else None
        found.append((line, str(error.get("detail"))))
    return found or [(None, str(answer.body.get("detail") or answer.body.get("title")))]
