"""Finding a clinic: public nearest-first search, emergency routing, and emergency requests.

Search and the emergency list are public (a frightened owner may not have an account yet);
telling a clinic an emergency is on its way needs a signed-in caller.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from vet_clinic_api.deps import ActorDep, ReadSessionDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.pagination import PageDep
from vet_core.models.enums import Species
from vet_core.schemas.base import InputSchema
from vet_services.places.emergency import (
    EmergencyOption,
    create_emergency_request,
    emergency_options,
)
from vet_services.places.search import MAX_RADIUS_KM, ClinicFilters, ClinicHit, search_clinics

router = APIRouter(tags=["clinic search"])

Latitude = Annotated[float, Query(ge=-90, le=90, description="latitude of the searcher")]
Longitude = Annotated[float, Query(ge=-180, le=180, description="longitude of the searcher")]


class ClinicHitResponse(BaseModel):
    """A clinic near the query point; ``distance_m`` is the straight-line distance."""

    id: uuid.UUID
    name: str
    slug: str
    city: str
    phone: str | None
    timezone: str
    latitude: float
    longitude: float
    distance_m: float
    services: list[str]
    accepts_emergencies: bool
    accepts_new_patients: bool
    is_open_24h: bool
    name_similarity: float | None = None

    @classmethod
    def of(cls, hit: ClinicHit) -> ClinicHitResponse:
        return cls(
            id=hit.id,
            name=hit.name,
            slug=hit.slug,
            city=hit.city,
            phone=hit.phone,
            timezone=hit.timezone,
            latitude=hit.latitude,
            longitude=hit.longitude,
            distance_m=hit.distance_m,
            services=list(hit.services),
            accepts_emergencies=hit.accepts_emergencies,
            accepts_new_patients=hit.accepts_new_patients,
            is_open_24h=hit.is_open_24h,
            name_similarity=hit.name_similarity,
        )


class ClinicSearchPage(BaseModel):
    """Clinics nearest first; pass ``next_cursor`` back as ``cursor`` for more."""

    items: list[ClinicHitResponse]
    next_cursor: str | None = None
    limit: int


class EmergencyOptionResponse(BaseModel):
    """An open emergency clinic, ranked by the estimated minutes until the animal is seen."""

    clinic_id: uuid.UUID
    name: str
    phone: str | None
    address: str
    distance_m: float
    patients_in_care: int
    estimated_minutes_to_care: float
    after_hours_instructions: str

    @classmethod
    def of(cls, option: EmergencyOption) -> EmergencyOptionResponse:
        return cls(
            clinic_id=option.clinic_id,
            name=option.name,
            phone=option.phone,
            address=option.address,
            distance_m=option.distance_m,
            patients_in_care=option.patients_in_care,
            estimated_minutes_to_care=option.estimated_minutes_to_care,
            after_hours_instructions=option.after_hours_instructions,
        )


class EmergencyRequestCreate(InputSchema):
    """Tell a clinic an emergency is on its way, and how to call the owner back."""

    clinic_id: uuid.UUID
    description: str = Field(min_length=1, max_length=2000)
    contact_phone: str = Field(min_length=3, max_length=32, pattern=r"^\+?[0-9 ().-]+$")
    species: Species | None = None
    pet_id: uuid.UUID | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class EmergencyRequestReceiptResponse(BaseModel):
    """The reference of the request and how to reach the clinic that was told."""

    reference: uuid.UUID
    clinic_id: uuid.UUID
    clinic_name: str
    phone: str | None
    distance_m: float | None


@router.get("/clinics/search", response_model=ClinicSearchPage, responses=responses(public=True))
async def search(
    session: ReadSessionDep,
    page: PageDep,
    lat: Latitude,
    lng: Longitude,
    radius_km: Annotated[float, Query(gt=0, le=MAX_RADIUS_KM)] = 25.0,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="words of the name or of a service"),
    ] = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="a clinic name, misspellings forgiven"),
    ] = None,
    open_now: bool = False,
    emergency: bool = False,
    accepting_new_patients: bool = False,
    species: Species | None = None,
    service: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    ] = None,
) -> ClinicSearchPage:
    """Active clinics within ``radius_km`` of the point, nearest first (public)."""
    result = await search_clinics(
        session,
        latitude=lat,
        longitude=lng,
        radius_km=radius_km,
        filters=ClinicFilters(
            open_now=open_now,
            emergency=emergency,
            species=species,
            service=service,
            accepting_new_patients=accepting_new_patients,
            text=q,
            fuzzy_name=name,
        ),
        limit=page.limit,
        cursor=page.cursor,
    )
    return ClinicSearchPage(
        items=[ClinicHitResponse.of(hit) for hit in result.items],
        next_cursor=result.next_cursor,
        limit=page.limit,
    )


@router.get(
    "/emergency/clinics",
    response_model=list[EmergencyOptionResponse],
    responses=responses(public=True),
)
async def emergency_clinics(
    session: ReadSessionDep,
    lat: Latitude,
    lng: Longitude,
    radius_km: Annotated[float, Query(gt=0, le=MAX_RADIUS_KM)] = 50.0,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[EmergencyOptionResponse]:
    """Emergency clinics open now, best first: driving time plus the patients already in care."""
    options = await emergency_options(
        session, latitude=lat, longitude=lng, radius_km=radius_km, limit=limit
    )
    return [EmergencyOptionResponse.of(option) for option in options]


@router.post(
    "/emergency/requests",
    response_model=EmergencyRequestReceiptResponse,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(),
)
async def emergency_request(
    body: EmergencyRequestCreate, actor: ActorDep, session: SessionDep
) -> EmergencyRequestReceiptResponse:
    """Tell an open emergency clinic you are coming; it is notified when this commits."""
    receipt = await create_emergency_request(
        session,
        actor,
        clinic_id=body.clinic_id,
        description=body.description,
        contact_phone=body.contact_phone,
        species=body.species,
        pet_id=body.pet_id,
        latitude=body.latitude,
        longitude=body.longitude,
    )
    return EmergencyRequestReceiptResponse(
        reference=receipt.reference,
        clinic_id=receipt.clinic_id,
        clinic_name=receipt.clinic_name,
        phone=receipt.phone,
        distance_m=receipt.distance_m,
    )
