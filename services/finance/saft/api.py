"""`POST /imports/saft`: a SAF-T Financial file imported as the project's cost bookings.

The request is `multipart/form-data` with two parts: `mapping` (the mapping as JSON or YAML, see
`services.finance.saft.mapping`) and `file` (the SAF-T XML). The upload is spooled to disk as it
arrives (the body limit of this route is `max_upload_bytes`), and the file is read from there in
a worker thread, streaming, so neither the size of the file nor the time it takes holds up the
service's other requests. Every answer is the import report; see docs/imports.md."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.finance.saft.importer import import_saft
from services.finance.saft.mapping import SaftMapping
from shared.http.deps import RuntimeDep, Writer
from shared.http.problems import PROBLEM_JSON, FieldError, field_errors, invalid
from shared.logs import request_id

PATH = "/imports/saft"
router = APIRouter(tags=["imports"])
_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.post(
    PATH,
    summary="Import a SAF-T Financial file as the project's cost bookings",
    description=(
        "Multipart: `mapping` (JSON or YAML: `analysis` {type, id}, `accounts` {budget line: "
        "[account or range, ...]}, `vat_accounts`), then `file` (SAF-T Financial XML, v1.10 "
        "or v1.30). The file is validated against the official schema of its version; every "
        "ledger line tagged with the project's analysis on a mapped account becomes a "
        "CostBooked (debit) or a CostReversed of the booking it credits, with an id fixed by "
        "its place in the accounting system, so the same file again records nothing twice. "
        "All or nothing: the new events are recorded in one append."
    ),
    status_code=201,
    responses={
        200: {"description": "Nothing new to record, or a dry run: the report"},
        201: {"description": "Recorded: the report, with the log position"},
        404: {"description": "No approved budget for the project", **_PROBLEM},
        409: {"description": "Lines imported before with other content: both versions", **_PROBLEM},
        422: {"description": "The mapping, or the file (its schema errors by line)", **_PROBLEM},
    },
)
async def import_saft_file(
    runtime: RuntimeDep,
    key: Writer,
    project: Annotated[
        str,
        Query(
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
            max_length=200,
            description="The project the lines are imported into",
        ),
    ],
    mapping: Annotated[str, Form(max_length=200_000, description="The mapping, JSON or YAML")],
    file: Annotated[UploadFile, File(description="The SAF-T Financial XML file")],
    dry_run: Annotated[
        bool, Query(description="Report what would be recorded; record nothing")
    ] = False,
) -> JSONResponse:
    parsed = parse_mapping(mapping)
    metadata = {"actor": key.actor, "correlation_id": request_id.get()}
    outcome = await import_saft(
        runtime, project, parsed, file.file, dry_run=dry_run, metadata=metadata
    )
    return JSONResponse(outcome.report, status_code=outcome.status)


def parse_mapping(text: str) -> SaftMapping:
    """The mapping part as a SaftMapping, or a 422 naming each broken rule under `/mapping`."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise invalid(
            "the mapping is neither JSON nor YAML",
            [FieldError("/mapping", "yaml", str(error).replace("\n", " "))],
        ) from None
    try:
        return SaftMapping.model_validate(data)
    except ValidationError as error:
        raise invalid(
            "the mapping breaks a rule; nothing was recorded", field_errors(error, "/mapping")
        ) from None
