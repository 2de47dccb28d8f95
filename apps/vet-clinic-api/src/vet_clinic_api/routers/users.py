"""``/users``: one's own profile and preferences; account administration for platform admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from vet_clinic_api.deps import ActorDep, CurrentUser, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.exports import ExportAccepted, accepted, export_id_for
from vet_clinic_api.idempotency import IdempotencyKey
from vet_clinic_api.pagination import PageDep, PageResponse
from vet_core.models.enums import UserRole, UserStatus
from vet_core.schemas.identity import (
    UserAdminUpdate,
    UserPreferences,
    UserResponse,
    UserStaffResponse,
    UserUpdate,
)
from vet_services import users as service
from vet_services.reports import request_owner_export

router = APIRouter(prefix="/users", tags=["users"], responses=responses())


@router.get("/me", response_model=UserResponse)
async def me(user: CurrentUser) -> UserResponse:
    """The signed-in person."""
    return UserResponse.model_validate(user)


@router.patch("/me", response_model=UserResponse)
async def update_me(body: UserUpdate, user: CurrentUser, session: SessionDep) -> UserResponse:
    """Change one's names, phone or avatar (e-mail is managed by the sign-in provider)."""
    updated = await service.update_profile(session, user, body.changes())
    return UserResponse.model_validate(updated)


@router.post("/me/export", response_model=ExportAccepted, status_code=status.HTTP_202_ACCEPTED)
async def export_my_data(
    actor: ActorDep, session: SessionDep, idempotency_key: IdempotencyKey = None
) -> ExportAccepted:
    """E-mail the caller a link to their pets and records as a ZIP of CSV files."""
    export = await request_owner_export(
        session, actor, export_id=export_id_for(str(actor.user_id), idempotency_key)
    )
    return accepted(export)


@router.get("/me/preferences", response_model=UserPreferences)
async def my_preferences(user: CurrentUser) -> UserPreferences:
    """Timezone, language, notification channels and quiet hours."""
    return service.preferences_of(user)


@router.put("/me/preferences", response_model=UserPreferences)
async def set_my_preferences(
    body: UserPreferences, user: CurrentUser, session: SessionDep
) -> UserPreferences:
    """Replace one's preferences."""
    return await service.update_preferences(session, user, body)


@router.get("", response_model=PageResponse[UserStaffResponse])
async def list_users(
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    role: UserRole | None = None,
    status: UserStatus | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> PageResponse[UserStaffResponse]:
    """Every account (platform admins)."""
    result = await service.list_users(
        session, actor, limit=page.limit, cursor=page.cursor, role=role, status=status, q=q
    )
    return PageResponse.of(result, UserStaffResponse.model_validate)


@router.get("/{user_id}", response_model=UserStaffResponse)
async def get_user(user_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> UserStaffResponse:
    """One account (one's own, or any for platform admins)."""
    return UserStaffResponse.model_validate(await service.get_user(session, actor, user_id))


@router.patch("/{user_id}", response_model=UserStaffResponse)
async def administer_user(
    user_id: uuid.UUID, body: UserAdminUpdate, actor: ActorDep, session: SessionDep
) -> UserStaffResponse:
    """Change an account's role or status (platform admins; audited)."""
    user = await service.administer_user(session, actor, user_id, body.changes())
    return UserStaffResponse.model_validate(user)
