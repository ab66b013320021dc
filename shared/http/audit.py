"""The auditor's endpoints, on every service: the log itself (paged, or streamed as NDJSON),
a verification of it, and its signed checkpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from shared.audit.signing import check_checkpoint, key_id, list_checkpoints
from shared.audit.stored import verify_stored
from shared.envelope import to_cloudevent
from shared.http.deps import Auditor, RuntimeDep

NDJSON = "application/x-ndjson"
_LAST = 2**62
"""Past any log position; a page from a position up to it still fits a PostgreSQL bigint."""
router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "/events",
    summary="The log as CloudEvents with positions and hashes: a page, or all of it as NDJSON",
    responses={200: {"content": {"application/json": {}, NDJSON: {}}}},
)
async def events(
    request: Request,
    runtime: RuntimeDep,
    _: Auditor,
    from_position: Annotated[int, Query(ge=1, le=_LAST)] = 1,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size (JSON only)")] = 100,
    format: Annotated[
        str | None, Query(pattern="^(json|ndjson)$", description="Or ask with Accept")
    ] = None,
) -> Response:
    service = runtime.spec.name
    wants_ndjson = format == "ndjson" or (
        format is None and NDJSON in request.headers.get("accept", "")
    )
    if wants_ndjson:
        head = (await runtime.store.head()).position

        async def lines() -> AsyncIterator[bytes]:
            # To the head as it was when asked: a stable file even while events arrive.
            async for event in runtime.store.read_all(from_position, head, page_size=1000):
                yield orjson.dumps(to_cloudevent(event, service)) + b"\n"

        return StreamingResponse(lines(), media_type=NDJSON)
    page = [
        to_cloudevent(event, service)
        async for event in runtime.store.read_all(
            from_position, from_position + limit - 1, page_size=limit
        )
    ]
    body = {
        "service": service,
        "events": page,
        "next_position": page[-1]["position"] + 1 if len(page) == limit else None,
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/verify", summary="Check the log's positions and hash chain, and its checkpoints")
async def verify(runtime: RuntimeDep, _: Auditor) -> dict[str, Any]:
    chain = await verify_stored(runtime.store)
    checks = [
        (await check_checkpoint(checkpoint, runtime.store, runtime.signer.public_key)).to_dict()
        for checkpoint in await list_checkpoints(runtime.pool, runtime.schema)
    ]
    return {
        "service": runtime.spec.name,
        "ok": chain.ok and all(check["ok"] for check in checks),
        "chain": chain.to_dict(),
        "checkpoints": checks,
    }


@router.get("/checkpoints", summary="Signed checkpoints of the log head, and the public key")
async def checkpoints(runtime: RuntimeDep, _: Auditor) -> dict[str, Any]:
    public_key = runtime.signer.public_key
    return {
        "service": runtime.spec.name,
        "key_id": key_id(public_key),
        "public_key": public_key.hex(),
        "checkpoints": [
            checkpoint.to_dict()
            for checkpoint in await list_checkpoints(runtime.pool, runtime.schema)
        ],
    }


@router.post("/checkpoints", summary="Sign the log head now", status_code=201)
async def sign_now(runtime: RuntimeDep, _: Auditor) -> dict[str, Any]:
    return (await runtime.sign_checkpoint()).to_dict()
