"""`GET /projects/{project_id}/accounts`: the project accounts as JSON, XLSX, PDF or CSV.

The route needs the log as well as the read model (the plan's events, the hash at the accounts'
position, the signed checkpoints), so it takes the runtime, as the audit routes do. It is an
auditor's route: the accounts list vouchers and the people whose in-kind work is documented,
which the service otherwise shows only on the audit exports.

Laying out a PDF takes a CPU for a second or more, so each process keeps the files it made for
the last few sets of figures: accounts that come out the same (same log position, checkpoint
and language) are the same files, stating the moment they were first made, in every format."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.finance.accounts import queries
from services.finance.accounts.model import Accounts, Head, build
from services.finance.accounts.tables import CSV, XLSX, accounts_csv
from shared.http.deps import Auditor, Fresh, ProjectId, RuntimeDep, not_found
from shared.http.problems import Problem
from shared.runtime import Runtime

router = APIRouter(prefix="/projects/{project_id}", tags=["finance"])

PDF = "application/pdf"
JSON = "application/json"
Format = Literal["json", "xlsx", "pdf", "csv"]
_BY_ACCEPT: tuple[tuple[str, Format], ...] = ((XLSX, "xlsx"), (PDF, "pdf"), ("text/csv", "csv"))
_MEDIA: dict[Format, str] = {"json": JSON, "xlsx": XLSX, "pdf": PDF, "csv": CSV}
_PDF_LOCK = threading.Lock()
"""One PDF at a time per process: layout takes a CPU for a second or so, and WeasyPrint's fonts
are not meant to be shared between threads."""
_KEEP = 8
"""Sets of figures whose files a process keeps."""


@dataclass
class _Made:
    made_at: datetime
    files: dict[str, bytes] = field(default_factory=dict)


_MADE: OrderedDict[str, _Made] = OrderedDict()

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The accounts: JSON by default; XLSX, PDF or CSV by `format` or `Accept`",
        "content": {XLSX: {}, PDF: {}, "text/csv": {}},
        "headers": {
            "Ptrack-Position": {
                "description": "The finance log position the accounts were made from",
                "schema": {"type": "integer"},
            }
        },
    },
    **not_found("No such project"),
    409: {
        "description": "The read model holds a position the log does not (a log rewritten "
        "behind the service's back: run `ptrack audit verify`)",
        "content": {"application/problem+json": {}},
    },
}


@router.get(
    "/accounts",
    summary="The project accounts for the funder, traceable to the log",
    description=(
        "Per cost line the original budget, each revision with its decision, the revised "
        "budget, the actual cost (booked net of reversals) by voucher, deviation and share; "
        "per financing source planned against received net of repayments, with each receipt "
        "and repayment (for the in-kind source: documented, by municipality); the in-kind work "
        "as corrected, attested and unattested apart, entry by entry (withdrawn entries left "
        "out); every correction and withdrawal with the figures before and after; the "
        "attestations; and the basis: the finance log position "
        "and hash the accounts were made from and the latest signed checkpoint. Every figure "
        "from an event names its log position and id. `format` (or `Accept`) picks JSON, XLSX, "
        "PDF or CSV; `lang` the language of the words and figures (default: the service's "
        "language setting, else `nb`)."
    ),
    response_model=Accounts,
    responses=_RESPONSES,
)
async def accounts(
    request: Request,
    project_id: ProjectId,
    runtime: RuntimeDep,
    _: Auditor,
    __: Fresh,
    format: Annotated[
        Format | None, Query(description="Or ask with `Accept` (default: JSON)")
    ] = None,
    lang: Annotated[
        Literal["nb", "en"] | None,
        Query(description="Bokmål or English (default: the service's language, else `nb`)"),
    ] = None,
) -> Response:
    wanted = format or _from_accept(request.headers.get("accept", ""))
    language = lang or runtime.settings.language or "nb"
    made, kept = _first_made(await make(runtime, project_id, language))
    body = kept.files.get(wanted)
    if body is None:
        body = await _render(made, wanted, language)
        kept.files[wanted] = body
    headers = {"Ptrack-Position": str(made.basis.position), "Content-Language": language}
    if wanted != "json":
        name = f"prosjektregnskap-{project_id}.{wanted}"
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(body, media_type=_MEDIA[wanted], headers=headers)


async def make(runtime: Runtime, project_id: str, lang: str) -> Accounts:
    """The accounts as the read model and the log hold them now."""
    rows = await queries.read(runtime.pool, runtime.schema, project_id)
    if rows is None:
        raise Problem(404, "unknown-project", f"no approved budget for project {project_id!r}")
    rows = await queries.with_plan_events(rows, runtime.store, project_id)
    at = await queries.event_at(runtime.store, rows.position)
    if at is None:  # the read model is ahead of the log: only a rewritten log does that
        raise Problem(
            409,
            "log-behind-read-model",
            f"the read model holds position {rows.position}, which the log does not",
        )
    checkpoint = await queries.latest_checkpoint(runtime.pool, runtime.schema)
    head = Head(
        hash=at.hash.hex(),
        event_id=str(at.event_id),
        made_at=datetime.now(UTC),
        log_head=(await runtime.store.head()).position,
        checkpoint=None if checkpoint is None else checkpoint.to_dict(),
    )
    return build(rows, head, lang)


def _first_made(made: Accounts) -> tuple[Accounts, _Made]:
    """The accounts as first made with these figures (their `made_at` then), and the files
    made of them so far."""
    unmade = made.model_copy(update={"basis": made.basis.model_copy(update={"made_at": _EPOCH})})
    key = hashlib.sha256(unmade.model_dump_json().encode()).hexdigest()
    kept = _MADE.get(key)
    if kept is None:
        kept = _MADE[key] = _Made(made.basis.made_at)
        while len(_MADE) > _KEEP:
            _MADE.popitem(last=False)
    _MADE.move_to_end(key)
    first = made.model_copy(
        update={"basis": made.basis.model_copy(update={"made_at": kept.made_at})}
    )
    return first, kept


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def _render(made: Accounts, wanted: Format, lang: str) -> bytes:
    if wanted == "json":
        return made.model_dump_json().encode()
    if wanted == "xlsx":
        # Imported when first asked for: openpyxl and Jinja would otherwise cost every finance
        # process some 20 MB it may never use.
        from services.finance.accounts.workbook import render_xlsx

        return await asyncio.to_thread(render_xlsx, made, lang)
    if wanted == "pdf":
        return await asyncio.to_thread(_pdf, made, lang)
    return accounts_csv(made, lang)


def _from_accept(accept: str) -> Format:
    for media, name in _BY_ACCEPT:
        if media in accept:
            return name
    return "json"


def _pdf(made: Accounts, lang: str) -> bytes:
    from services.finance.accounts.document import render_pdf

    with _PDF_LOCK:
        return render_pdf(made, lang)
