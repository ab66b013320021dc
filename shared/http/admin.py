"""Key management for admins over HTTP (the same keys as `ptrack keys`); on every service,
since they share the auth schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from shared.auth import ApiKey, Role, create_key, list_keys, revoke_key
from shared.http.deps import AccessDep, Admin, Anyone
from shared.http.problems import FieldError, Problem, invalid
from shared.text import NotBlank, Storable


def _written_out(value: Any) -> Any:
    # pydantic would read a JSON number as seconds since 1970: `0` made a key that expired
    # before it was made. A moment is written out, with its zone.
    if not isinstance(value, str | datetime):
        raise PydanticCustomError(
            "datetime_string", "must be an ISO 8601 date and time with a zone, as a string"
        )
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_written_out)]

router = APIRouter(prefix="/admin/keys", tags=["admin"])
me_router = APIRouter(tags=["admin"])


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), NotBlank, Storable]
    role: Role
    services: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]] | None = Field(
        default=None, min_length=1, max_length=20
    )
    """For an integration key: the services it may post to (all when left out)."""
    expires_at: Moment | None = None
    """When the key stops working; in the future."""


class KeyView(BaseModel):
    key_id: str
    name: str
    role: str
    services: list[str] | None
    expires_at: datetime | None
    revoked_at: datetime | None


class CreatedKey(KeyView):
    token: str
    """Shown only now: only its hash is kept."""


def _view(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "role": key.role,
        "services": list(key.services) if key.services is not None else None,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
    }


@router.get("", summary="Every API key (never its secret)")
async def keys(access: AccessDep, _: Admin) -> list[KeyView]:
    return [KeyView(**_view(key)) for key in await list_keys(access.pool, access.schema)]


@router.post("", summary="Make a key; its token is in this answer only", status_code=201)
async def create(body: NewKey, access: AccessDep, _: Admin) -> CreatedKey:
    if body.expires_at is not None and body.expires_at <= datetime.now(UTC):
        raise invalid(
            "the key would expire before it is made",
            [FieldError("/expires_at", "in_the_future", "must be later than now")],
        )
    token, key = await create_key(
        access.pool,
        access.schema,
        name=body.name,
        role=body.role,
        services=tuple(body.services) if body.services is not None else None,
        expires_at=body.expires_at,
    )
    return CreatedKey(token=token, **_view(key))


@router.delete(
    "/{key_id}",
    summary="Revoke a key (takes effect within 5 seconds on every replica)",
    status_code=204,
    responses={404: {"description": "No such active key"}},
)
async def revoke(
    key_id: Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")], access: AccessDep, _: Admin
) -> None:
    if not await revoke_key(access.pool, access.schema, key_id):
        raise Problem(404, "unknown-key", f"no active key {key_id}")
    access.keys.forget(key_id)  # at once here; other replicas within their cache time


@me_router.get("/me", summary="The calling key: its owner's name, role and expiry")
async def me(key: Anyone) -> KeyView:
    """Who a key belongs to, for an app that signs a person in with their key (the office)."""
    return KeyView(**_view(key))
