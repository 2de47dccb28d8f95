"""``/veterinarians``: profiles (public to anyone signed in), weekly availability rules and
time off. Slots and reviews of a veterinarian are served by their own routers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.pagination import PageDep, PageResponse
from vet_core.schemas.veterinarians import (
    VeterinarianAvailabilityCreate,
    VeterinarianAvailabilityResponse,
    VeterinarianCreate,
    VeterinarianResponse,
    VeterinarianTimeOffCreate,
    VeterinarianTimeOffResponse,
    VeterinarianUpdate,
)
from vet_services.clinics import veterinarians as service

router = APIRouter(prefix="/veterinarians", tags=["veterinarians"], responses=responses())


@router.post(
    "",
    response_model=VeterinarianResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def create_veterinarian(
    body: VeterinarianCreate, actor: ActorDep, session: SessionDep
) -> VeterinarianResponse:
    """Create the profile of a clinic member with the role veterinarian (their clinic admins)."""
    return VeterinarianResponse.model_validate(
        await service.create_veterinarian(session, actor, body)
    )


@router.get("", response_model=PageResponse[VeterinarianResponse])
async def list_veterinarians(
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    clinic_id: Annotated[uuid.UUID | None, Query()] = None,
    accepts_new_patients: Annotated[bool | None, Query()] = None,
) -> PageResponse[VeterinarianResponse]:
    """Veterinarians, optionally those working at one clinic (anyone signed in)."""
    del actor  # signed-in callers only; profiles are public
    result = await service.list_veterinarians(
        session,
        clinic_id=clinic_id,
        accepts_new_patients=accepts_new_patients,
        cursor=page.cursor,
        limit=page.limit,
    )
    return PageResponse[VeterinarianResponse].of(result, VeterinarianResponse.model_validate)


@router.get("/{veterinarian_id}", response_model=VeterinarianResponse)
async def get_veterinarian(
    veterinarian_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> VeterinarianResponse:
    """A veterinarian's public profile (anyone signed in)."""
    del actor
    return VeterinarianResponse.model_validate(
        await service.get_veterinarian(session, veterinarian_id)
    )


@router.patch("/{veterinarian_id}", response_model=VeterinarianResponse, responses=responses(409))
async def update_veterinarian(
    veterinarian_id: uuid.UUID, body: VeterinarianUpdate, actor: ActorDep, session: SessionDep
) -> VeterinarianResponse:
    """Change a profile (the veterinarian, or an admin of a clinic where they work)."""
    vet = await service.update_veterinarian(session, actor, veterinarian_id, body)
    return VeterinarianResponse.model_validate(vet)


@router.get(
    "/{veterinarian_id}/availability-rules",
    response_model=list[VeterinarianAvailabilityResponse],
)
async def list_rules(
    veterinarian_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    clinic_id: Annotated[uuid.UUID | None, Query()] = None,
) -> list[VeterinarianAvailabilityResponse]:
    """The veterinarian's weekly rules, optionally at one clinic (anyone signed in)."""
    del actor
    rows = await service.list_rules(session, veterinarian_id, clinic_id=clinic_id)
    return [VeterinarianAvailabilityResponse.model_validate(row) for row in rows]


@router.post(
    "/{veterinarian_id}/availability-rules",
    response_model=VeterinarianAvailabilityResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def add_rule(
    veterinarian_id: uuid.UUID,
    body: VeterinarianAvailabilityCreate,
    actor: ActorDep,
    session: SessionDep,
) -> VeterinarianAvailabilityResponse:
    """Add a weekly rule (the veterinarian, or a schedule manager of that clinic)."""
    rule = await service.add_rule(session, actor, veterinarian_id, body)
    return VeterinarianAvailabilityResponse.model_validate(rule)


@router.delete(
    "/{veterinarian_id}/availability-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT
)
async def remove_rule(
    veterinarian_id: uuid.UUID, rule_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> Response:
    """Delete a weekly rule (the veterinarian, or a schedule manager of that clinic)."""
    await service.remove_rule(session, actor, veterinarian_id, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{veterinarian_id}/time-off", response_model=list[VeterinarianTimeOffResponse])
async def list_time_off(
    veterinarian_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> list[VeterinarianTimeOffResponse]:
    """The veterinarian's time off (the vet, staff of their clinics)."""
    rows = await service.list_time_off(session, actor, veterinarian_id)
    return [VeterinarianTimeOffResponse.model_validate(row) for row in rows]


@router.post(
    "/{veterinarian_id}/time-off",
    response_model=VeterinarianTimeOffResponse,
    status_code=status.HTTP_201_CREATED,
)
async def add_time_off(
    veterinarian_id: uuid.UUID,
    body: VeterinarianTimeOffCreate,
    actor: ActorDep,
    session: SessionDep,
) -> VeterinarianTimeOffResponse:
    """Block an interval (the veterinarian, or an admin of a clinic where they work)."""
    entry = await service.add_time_off(session, actor, veterinarian_id, body)
    return VeterinarianTimeOffResponse.model_validate(entry)


@router.delete("/{veterinarian_id}/time-off/{time_off_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_time_off(
    veterinarian_id: uuid.UUID, time_off_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> Response:
    """Withdraw time off (the veterinarian, or an admin of a clinic where they work)."""
    await service.remove_time_off(session, actor, veterinarian_id, time_off_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
