"""``/api-keys``: scoped keys for clinic systems (clinic admins of that clinic)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import field_validator

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_core.schemas.identity import ApiKeyCreate, ApiKeyCreated, ApiKeyResponse
from vet_services.auth import api_keys as service
from vet_services.auth.permissions import API_KEY_GRANTABLE, Action

router = APIRouter(prefix="/api-keys", tags=["api keys"], responses=responses())


class ApiKeyRequest(ApiKeyCreate):
    """A key for one clinic with the permissions it may use."""

    clinic_id: uuid.UUID

    @field_validator("permissions")
    @classmethod
    def _known_permissions(cls, value: list[str]) -> list[str]:
        grantable = {action.value for action in API_KEY_GRANTABLE}
        unknown = sorted(set(value) - grantable)
        if unknown:
            raise ValueError(f"unknown or ungrantable permissions: {', '.join(unknown)}")
        return value


@router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_key(body: ApiKeyRequest, actor: ActorDep, session: SessionDep) -> ApiKeyCreated:
    """Issue a key; ``secret`` is in this response only and is never shown again."""
    issued = await service.create_api_key(
        session,
        actor,
        clinic_id=body.clinic_id,
        name=body.name,
        permissions=[Action(p) for p in body.permissions],
        expires_at=body.expires_at,
    )
    await session.refresh(issued.api_key)
    return ApiKeyCreated.model_validate(
        {**ApiKeyResponse.model_validate(issued.api_key).model_dump(), "secret": issued.secret}
    )


@router.get("", response_model=list[ApiKeyResponse])
async def list_keys(
    actor: ActorDep, session: SessionDep, clinic_id: Annotated[uuid.UUID, Query()]
) -> list[ApiKeyResponse]:
    """The clinic's keys (never their secrets)."""
    keys = await service.list_api_keys(session, actor, clinic_id)
    return [ApiKeyResponse.model_validate(key) for key in keys]


@router.delete("/{api_key_id}", response_model=ApiKeyResponse)
async def revoke_key(api_key_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> ApiKeyResponse:
    """Revoke a key at once."""
    return ApiKeyResponse.model_validate(await service.revoke_api_key(session, actor, api_key_id))
