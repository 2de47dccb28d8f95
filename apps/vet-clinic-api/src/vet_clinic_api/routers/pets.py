"""``/pets``: a family's pets, their owners, transfers and weights; clinics' patient search."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, EmailStr

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.pagination import PageDep
from vet_core.models.enums import PetStatus, Species
from vet_core.schemas.pets import (
    PetCreate,
    PetOwnershipResponse,
    PetResponse,
    PetTransferCreate,
    PetUpdate,
    WeightRecordCreate,
    WeightRecordResponse,
)
from vet_services.pets import ownership, service, weights

router = APIRouter(prefix="/pets", tags=["pets"], responses=responses())


class PetPage(BaseModel):
    items: list[PetResponse]
    next_cursor: str | None = None


class CoOwnerRequest(BaseModel):
    email: EmailStr


@router.get("", response_model=PetPage)
async def my_pets(
    actor: ActorDep,
    session: SessionDep,
    page: PageDep,
    species: Species | None = None,
    pet_status: Annotated[PetStatus | None, Query(alias="status")] = None,
    name: Annotated[str | None, Query(max_length=100)] = None,
) -> PetPage:
    """The pets the caller owns or co-owns."""
    result = await service.list_my_pets(
        session,
        actor,
        species=species,
        status=pet_status,
        name=name,
        cursor=page.cursor,
        limit=page.limit,
    )
    return PetPage(
        items=[PetResponse.model_validate(p) for p in result.items], next_cursor=result.next_cursor
    )


@router.get("/search", response_model=list[PetResponse])
async def search_patients(
    actor: ActorDep,
    session: SessionDep,
    clinic_id: uuid.UUID,
    name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    microchip: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[PetResponse]:
    """A clinic's patients by fuzzy name or microchip (staff of that clinic)."""
    pets = await service.search_patients(
        session, actor, clinic_id, name=name, microchip=microchip, limit=limit
    )
    return [PetResponse.model_validate(p) for p in pets]


@router.post(
    "", response_model=PetResponse, status_code=status.HTTP_201_CREATED, responses=responses(409)
)
async def create_pet(body: PetCreate, actor: ActorDep, session: SessionDep) -> PetResponse:
    """Register a pet; the caller becomes its primary owner."""
    return PetResponse.model_validate(await service.create_pet(session, actor, body))


@router.get("/{pet_id}", response_model=PetResponse)
async def get_pet(pet_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> PetResponse:
    """One pet the caller may see."""
    return PetResponse.model_validate(await service.get_pet(session, actor, pet_id))


@router.patch("/{pet_id}", response_model=PetResponse, responses=responses(409))
async def update_pet(
    pet_id: uuid.UUID, body: PetUpdate, actor: ActorDep, session: SessionDep
) -> PetResponse:
    """Change a pet (marking it deceased stops its reminders)."""
    return PetResponse.model_validate(await service.update_pet(session, actor, pet_id, body))


@router.delete("/{pet_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_pet(pet_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> Response:
    """Remove a pet (soft delete; the primary owner only)."""
    await service.delete_pet(session, actor, pet_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{pet_id}/owners", response_model=list[PetOwnershipResponse])
async def owners(
    pet_id: uuid.UUID, actor: ActorDep, session: SessionDep, history: bool = False
) -> list[PetOwnershipResponse]:
    """Current owners (primary first), or the whole ownership history."""
    rows = await ownership.list_owners(session, actor, pet_id, include_history=history)
    return [PetOwnershipResponse.model_validate(row) for row in rows]


@router.post(
    "/{pet_id}/owners",
    response_model=PetOwnershipResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def add_co_owner(
    pet_id: uuid.UUID, body: CoOwnerRequest, actor: ActorDep, session: SessionDep
) -> PetOwnershipResponse:
    """Share the pet with another user, by e-mail (the primary owner only)."""
    row = await ownership.add_co_owner(session, actor, pet_id, str(body.email))
    return PetOwnershipResponse.model_validate(row)


@router.delete("/{pet_id}/owners/{user_id}", response_model=PetOwnershipResponse)
async def remove_co_owner(
    pet_id: uuid.UUID, user_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> PetOwnershipResponse:
    """End a co-ownership (kept as history)."""
    row = await ownership.remove_co_owner(session, actor, pet_id, user_id)
    return PetOwnershipResponse.model_validate(row)


@router.post("/{pet_id}/transfer", response_model=PetOwnershipResponse, responses=responses(409))
async def transfer(
    pet_id: uuid.UUID,
    body: PetTransferCreate,
    actor: ActorDep,
    session: SessionDep,
    keep_co_owners: bool = True,
) -> PetOwnershipResponse:
    """Give the pet to a new primary owner (audited; the old owner loses access)."""
    row = await ownership.transfer_pet(session, actor, pet_id, body, keep_co_owners=keep_co_owners)
    return PetOwnershipResponse.model_validate(row)


@router.get("/{pet_id}/weights", response_model=list[WeightRecordResponse])
async def list_weights(
    pet_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> list[WeightRecordResponse]:
    """The weight history, oldest first."""
    rows = await weights.list_weights(session, actor, pet_id)
    return [WeightRecordResponse.model_validate(row) for row in rows]


@router.post(
    "/{pet_id}/weights", response_model=WeightRecordResponse, status_code=status.HTTP_201_CREATED
)
async def add_weight(
    pet_id: uuid.UUID, body: WeightRecordCreate, actor: ActorDep, session: SessionDep
) -> WeightRecordResponse:
    """Record a weighing (updates the size category)."""
    return WeightRecordResponse.model_validate(
        await weights.add_weight(session, actor, pet_id, body)
    )
