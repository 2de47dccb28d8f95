"""``/clinics``: a clinic's profile, weekly hours, closures, settings, staff and veterinarians.

Public clinic search lives in :mod:`vet_clinic_api.routers.places` (``/clinics/search``); mount
that router before this one so ``search`` is never read as a clinic id.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, EmailStr, Field

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.pagination import PageDep, PageResponse
from vet_core.models.enums import StaffRole
from vet_core.schemas.base import InputSchema
from vet_core.schemas.clinics import (
    ClinicClosureCreate,
    ClinicClosureResponse,
    ClinicCreate,
    ClinicMembershipResponse,
    ClinicMembershipUpdate,
    ClinicOperatingHoursCreate,
    ClinicOperatingHoursResponse,
    ClinicResponse,
    ClinicUpdate,
)
from vet_core.schemas.veterinarians import VeterinarianResponse
from vet_services.clinics import members, service, veterinarians
from vet_services.clinics.service import SettingsPart

router = APIRouter(prefix="/clinics", tags=["clinics"], responses=responses())


class WeekHours(InputSchema):
    """The whole week's opening intervals; an empty list closes the clinic every day."""

    hours: list[ClinicOperatingHoursCreate] = Field(max_length=70)


class MemberInvite(InputSchema):
    """Add an existing user, by the e-mail they signed up with, in a staff role."""

    email: EmailStr
    role: StaffRole


class SettingsPartResponse(BaseModel):
    part: SettingsPart
    values: dict[str, Any]


@router.post(
    "",
    response_model=ClinicResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def create_clinic(body: ClinicCreate, actor: ActorDep, session: SessionDep) -> ClinicResponse:
    """Register a clinic (platform admins)."""
    return ClinicResponse.model_validate(await service.create_clinic(session, actor, body))


@router.get("/{clinic_id}", response_model=ClinicResponse)
async def get_clinic(clinic_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> ClinicResponse:
    """A clinic's public profile (anyone signed in)."""
    del actor  # signed-in callers only; the profile itself is public
    return ClinicResponse.model_validate(await service.get_clinic(session, clinic_id))


@router.patch("/{clinic_id}", response_model=ClinicResponse, responses=responses(409))
async def update_clinic(
    clinic_id: uuid.UUID, body: ClinicUpdate, actor: ActorDep, session: SessionDep
) -> ClinicResponse:
    """Change a clinic's profile (its clinic admins, platform admins)."""
    clinic = await service.update_clinic(session, actor, clinic_id, body)
    return ClinicResponse.model_validate(clinic)


@router.delete("/{clinic_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_clinic(clinic_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Response:
    """Retire a clinic (soft delete; platform admins; audited)."""
    await service.delete_clinic(session, actor, clinic_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{clinic_id}/hours", response_model=list[ClinicOperatingHoursResponse])
async def list_hours(
    clinic_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> list[ClinicOperatingHoursResponse]:
    """The weekly opening intervals, Monday first (anyone signed in)."""
    del actor
    rows = await service.list_hours(session, clinic_id)
    return [ClinicOperatingHoursResponse.model_validate(row) for row in rows]


@router.put("/{clinic_id}/hours", response_model=list[ClinicOperatingHoursResponse])
async def replace_hours(
    clinic_id: uuid.UUID, body: WeekHours, actor: ActorDep, session: SessionDep
) -> list[ClinicOperatingHoursResponse]:
    """Replace the whole week at once (clinic admins); overlapping intervals are refused."""
    rows = await service.replace_hours(session, actor, clinic_id, body.hours)
    return [ClinicOperatingHoursResponse.model_validate(row) for row in rows]


@router.get("/{clinic_id}/closures", response_model=list[ClinicClosureResponse])
async def list_closures(
    clinic_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> list[ClinicClosureResponse]:
    """Closures and special hours from today on (anyone signed in)."""
    del actor
    rows = await service.list_closures(session, clinic_id)
    return [ClinicClosureResponse.model_validate(row) for row in rows]


@router.post(
    "/{clinic_id}/closures",
    response_model=ClinicClosureResponse,
    status_code=status.HTTP_201_CREATED,
)
async def add_closure(
    clinic_id: uuid.UUID, body: ClinicClosureCreate, actor: ActorDep, session: SessionDep
) -> ClinicClosureResponse:
    """Close the clinic for some days or set special hours (schedule managers)."""
    closure = await service.add_closure(session, actor, clinic_id, body)
    return ClinicClosureResponse.model_validate(closure)


@router.delete("/{clinic_id}/closures/{closure_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_closure(
    clinic_id: uuid.UUID, closure_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> Response:
    """Withdraw a closure (schedule managers)."""
    await service.remove_closure(session, actor, clinic_id, closure_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{clinic_id}/settings/{part}", response_model=SettingsPartResponse)
async def update_settings(
    clinic_id: uuid.UUID,
    part: SettingsPart,
    body: dict[str, Any],
    actor: ActorDep,
    session: SessionDep,
) -> SettingsPartResponse:
    """Replace the ``scheduling`` or ``reminders`` settings (clinic admins); validated."""
    values = await service.update_settings(session, actor, clinic_id, part, body)
    return SettingsPartResponse(part=part, values=values)


@router.get("/{clinic_id}/members", response_model=PageResponse[ClinicMembershipResponse])
async def list_members(
    clinic_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    include_ended: bool = False,
) -> PageResponse[ClinicMembershipResponse]:
    """The clinic's staff (any staff member of the clinic, platform admins)."""
    result = await members.list_members(
        session,
        actor,
        clinic_id,
        include_ended=include_ended,
        cursor=page.cursor,
        limit=page.limit,
    )
    return PageResponse[ClinicMembershipResponse].of(
        result, ClinicMembershipResponse.model_validate
    )


@router.post(
    "/{clinic_id}/members",
    response_model=ClinicMembershipResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def add_member(
    clinic_id: uuid.UUID, body: MemberInvite, actor: ActorDep, session: SessionDep
) -> ClinicMembershipResponse:
    """Give an existing user a staff role here (clinic admins; audited)."""
    row = await members.add_member(session, actor, clinic_id, str(body.email), body.role)
    return ClinicMembershipResponse.model_validate(row)


@router.patch(
    "/{clinic_id}/members/{membership_id}",
    response_model=ClinicMembershipResponse,
    responses=responses(409),
)
async def change_member(
    clinic_id: uuid.UUID,
    membership_id: uuid.UUID,
    body: ClinicMembershipUpdate,
    actor: ActorDep,
    session: SessionDep,
) -> ClinicMembershipResponse:
    """Change a member's role or status (clinic admins; audited; keeps one admin)."""
    row = await members.change_member(session, actor, clinic_id, membership_id, body)
    return ClinicMembershipResponse.model_validate(row)


@router.delete(
    "/{clinic_id}/members/{membership_id}",
    response_model=ClinicMembershipResponse,
    responses=responses(409),
)
async def end_member(
    clinic_id: uuid.UUID, membership_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> ClinicMembershipResponse:
    """End a membership, kept as history (clinic admins; audited; keeps one admin)."""
    row = await members.end_member(session, actor, clinic_id, membership_id)
    return ClinicMembershipResponse.model_validate(row)


@router.get("/{clinic_id}/veterinarians", response_model=PageResponse[VeterinarianResponse])
async def clinic_veterinarians(
    clinic_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    accepts_new_patients: Annotated[bool | None, Query()] = None,
) -> PageResponse[VeterinarianResponse]:
    """The veterinarians working at the clinic now (anyone signed in)."""
    del actor
    result = await veterinarians.list_veterinarians(
        session,
        clinic_id=clinic_id,
        accepts_new_patients=accepts_new_patients,
        cursor=page.cursor,
        limit=page.limit,
    )
    return PageResponse[VeterinarianResponse].of(result, VeterinarianResponse.model_validate)
