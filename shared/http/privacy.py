"""Erasing data subjects over HTTP, for admins (the same erasure as `ptrack privacy erase`); on
every service, since they share the keyring. Each service rebuilds its own read models when it
hears of the erasure; `GET /admin/privacy/erasures` shows how far they are."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import erase_holders
from shared.http.deps import AccessDep, Admin, RuntimeDep
from shared.http.problems import FieldError, Problem, invalid
from shared.privacy.erasure import (
    NoSuchSubject,
    erasures,
    find_subjects,
    rebuilt_for,
    record_erasures,
)
from shared.privacy.personal import Handle
from shared.runtime import Runtime
from shared.text import NotBlank, Storable

router = APIRouter(prefix="/admin/privacy", tags=["admin"])

Line = Annotated[str, Field(min_length=1, max_length=500), NotBlank, Storable]


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subjects: list[Line] = Field(min_length=1, max_length=100)
    """Who, each as kind:value: `person:Kari Nordmann`, `member:m-17`, `respondent:r-42`."""
    basis: Literal["request", "retention"] = "request"
    """The data subject asked (GDPR art. 17), or the retention time has passed."""
    requested_by: Line
    """Who asked, by role or case number, not by name: it is kept in the privacy log."""
    reason: Line
    """Why, by case number or rule."""


class ErasureView(BaseModel):
    subject: UUID
    """The subject's id: it names nobody once the key is gone."""
    kind: str
    position: int
    """The erasure's position in the privacy log."""


class ErasuresRecorded(BaseModel):
    erasures: list[ErasureView]


class RecordedErasure(ErasureView):
    basis: str
    requested_by: str
    reason: str
    recorded_at: datetime
    recorded_by: str | None
    """The key that asked (`key:<id>:<name>`), or the command line."""


class ReadModelsRebuilt(BaseModel):
    rebuilt_after: int
    """The last erasure (privacy log position) the schema's read models were rebuilt after."""
    done: bool
    """Rebuilt after every erasure recorded."""


class ErasureLog(BaseModel):
    erasures: list[RecordedErasure]
    read_models: dict[str, ReadModelsRebuilt]
    """Per service schema of this deployment."""


@router.post(
    "/erasures",
    summary="Erase data subjects: record it, destroy their keys; the services rebuild",
    status_code=202,
    responses={404: {"description": "Nobody is recorded as one of the subjects; none erased"}},
)
async def erase(
    body: ErasureRequest, runtime: RuntimeDep, access: AccessDep, key: Admin
) -> ErasuresRecorded:
    handles = []
    errors = []
    for index, text in enumerate(body.subjects):
        try:
            handles.append(Handle.parse(text))
        except ValueError as error:
            errors.append(FieldError(f"/subjects/{index}", "kind_value", str(error)))
    if errors:
        raise invalid("a subject is not written kind:value", errors)
    try:
        subjects = await find_subjects(runtime.keyring, handles)
    except NoSuchSubject as error:
        raise Problem(404, "unknown-subject", f"{error}; nobody was erased") from None
    recorded = await record_erasures(
        runtime.pool,
        runtime.keyring,
        subjects,
        basis=body.basis,
        requested_by=body.requested_by,
        reason=body.reason,
        metadata={"actor": key.actor},
    )
    erased = [(found.handle, found.subject) for found in recorded]
    for key_id in await erase_holders(access.pool, access.schema, erased):
        access.keys.forget(key_id)  # at once here; other replicas within their cache time
    views = [ErasureView(subject=r.subject, kind=r.kind, position=r.position) for r in recorded]
    return ErasuresRecorded(erasures=views)


@router.get("/erasures", summary="The erasures recorded, and how far each service has rebuilt")
async def erasure_log(runtime: RuntimeDep, _: Admin) -> ErasureLog:
    recorded = await erasures(runtime.pool, runtime.keyring)
    head = recorded[-1]["position"] if recorded else 0
    rebuilt = {}
    for schema in await _service_schemas(runtime):
        after = await rebuilt_for(runtime.pool, schema)
        rebuilt[schema] = ReadModelsRebuilt(rebuilt_after=after, done=after >= head)
    return ErasureLog(
        erasures=[RecordedErasure.model_validate(entry) for entry in recorded],
        read_models=rebuilt,
    )


async def _service_schemas(runtime: Runtime) -> list[str]:
    """The schemas of this deployment's services that keep read models: `<prefix><name>` with a
    projection failures table (a replay's scratch schema has an underscore after the name)."""
    prefix = runtime.settings.schema_prefix
    rows: list[Any] = await runtime.pool.fetch(
        "SELECT table_schema FROM information_schema.tables "
        "WHERE table_name = 'projection_failures' AND starts_with(table_schema, $1) "
        "AND strpos(substr(table_schema, length($1) + 1), '_') = 0 ORDER BY 1",
        prefix,
    )
    return [row["table_schema"] for row in rows]
