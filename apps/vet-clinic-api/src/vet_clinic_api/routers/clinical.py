"""Clinical records: health records (with ETag/If-Match and signing), vaccinations, prescriptions."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from vet_clinic_api.deps import ActorDep, SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.etags import IfMatch, quoted, require_if_match
from vet_core.models.clinical import HealthRecord
from vet_core.models.enums import HealthRecordType
from vet_core.schemas.base import Attachment
from vet_core.schemas.clinical import (
    HealthRecordCreate,
    HealthRecordResponse,
    HealthRecordUpdate,
    PrescriptionCreate,
    PrescriptionResponse,
    VaccinationCreate,
    VaccinationResponse,
)
from vet_services.clinical import prescriptions, records, vaccinations

router = APIRouter(tags=["clinical records"], responses=responses())


class AddendumRequest(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=20_000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=50)
    clinic_id: uuid.UUID | None = None


def _with_etag(response: Response, record: HealthRecord) -> HealthRecordResponse:
    response.headers["ETag"] = quoted(records.record_version(record))
    return HealthRecordResponse.model_validate(record)


@router.get("/pets/{pet_id}/health-records", response_model=list[HealthRecordResponse])
async def list_health_records(
    pet_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    record_type: HealthRecordType | None = None,
) -> list[HealthRecordResponse]:
    """A pet's history, newest first."""
    rows = await records.list_health_records(session, actor, pet_id, record_type=record_type)
    return [HealthRecordResponse.model_validate(row) for row in rows]


@router.post(
    "/health-records",
    response_model=HealthRecordResponse,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def create_health_record(
    body: HealthRecordCreate, actor: ActorDep, session: SessionDep, response: Response
) -> HealthRecordResponse:
    """Add an entry to a pet's history (clinical staff of one of the caller's clinics)."""
    record = await records.create_health_record(session, actor, body)
    await session.flush()
    await session.refresh(record)
    return _with_etag(response, record)


@router.get("/health-records/{record_id}", response_model=HealthRecordResponse)
async def get_health_record(
    record_id: uuid.UUID, actor: ActorDep, session: SessionDep, response: Response
) -> HealthRecordResponse:
    """One record, with its ``ETag`` for a later edit."""
    return _with_etag(response, await records.get_health_record(session, actor, record_id))


@router.patch(
    "/health-records/{record_id}",
    response_model=HealthRecordResponse,
    responses=responses(409, 412, 428),
)
async def update_health_record(
    record_id: uuid.UUID,
    body: HealthRecordUpdate,
    actor: ActorDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> HealthRecordResponse:
    """Edit an unsigned record; ``If-Match`` must carry the ETag you read (412 when stale)."""
    record = await records.update_health_record(
        session, actor, record_id, body, expected_version=require_if_match(if_match)
    )
    await session.flush()
    await session.refresh(record)
    return _with_etag(response, record)


@router.post(
    "/health-records/{record_id}/sign",
    response_model=HealthRecordResponse,
    responses=responses(409, 412),
)
async def sign_health_record(
    record_id: uuid.UUID,
    actor: ActorDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
) -> HealthRecordResponse:
    """Sign (lock) a record (a veterinarian of its clinic); only addenda may follow."""
    record = await records.sign_health_record(session, actor, record_id, expected_version=if_match)
    await session.flush()
    await session.refresh(record)
    return _with_etag(response, record)


@router.post(
    "/health-records/{record_id}/addenda",
    response_model=HealthRecordResponse,
    status_code=status.HTTP_201_CREATED,
)
async def add_addendum(
    record_id: uuid.UUID,
    body: AddendumRequest,
    actor: ActorDep,
    session: SessionDep,
    response: Response,
) -> HealthRecordResponse:
    """Amend a record (signed or not) with a new entry pointing at it."""
    record = await records.add_addendum(
        session,
        actor,
        record_id,
        title=body.title,
        notes=body.notes,
        attachments=body.attachments,
        clinic_id=body.clinic_id,
    )
    await session.flush()
    await session.refresh(record)
    return _with_etag(response, record)


@router.get("/pets/{pet_id}/vaccinations", response_model=list[VaccinationResponse])
async def list_vaccinations(
    pet_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> list[VaccinationResponse]:
    """Every dose given."""
    rows = await vaccinations.list_vaccinations(session, actor, pet_id)
    return [VaccinationResponse.model_validate(row) for row in rows]


@router.get("/pets/{pet_id}/vaccinations/due", response_model=list[VaccinationResponse])
async def due_vaccinations(
    pet_id: uuid.UUID, actor: ActorDep, session: SessionDep, until: date | None = None
) -> list[VaccinationResponse]:
    """The latest dose of each vaccine with its next due date, soonest first."""
    rows = await vaccinations.due_vaccinations(session, actor, pet_id, until=until)
    return [VaccinationResponse.model_validate(row) for row in rows]


@router.post(
    "/vaccinations", response_model=VaccinationResponse, status_code=status.HTTP_201_CREATED
)
async def record_vaccination(
    body: VaccinationCreate, actor: ActorDep, session: SessionDep
) -> VaccinationResponse:
    """Record a dose (completes the matching reminders)."""
    return VaccinationResponse.model_validate(
        await vaccinations.record_vaccination(session, actor, body)
    )


@router.get("/pets/{pet_id}/prescriptions", response_model=list[PrescriptionResponse])
async def list_prescriptions(
    pet_id: uuid.UUID, actor: ActorDep, session: SessionDep, active_only: bool = False
) -> list[PrescriptionResponse]:
    """A pet's prescriptions (optionally only those active today)."""
    rows = await prescriptions.list_prescriptions(session, actor, pet_id, active_only=active_only)
    return [PrescriptionResponse.model_validate(row) for row in rows]


@router.post(
    "/prescriptions", response_model=PrescriptionResponse, status_code=status.HTTP_201_CREATED
)
async def create_prescription(
    body: PrescriptionCreate, actor: ActorDep, session: SessionDep
) -> PrescriptionResponse:
    """Prescribe (veterinarians of one of the pet's clinics)."""
    return PrescriptionResponse.model_validate(
        await prescriptions.create_prescription(session, actor, body)
    )


@router.post(
    "/prescriptions/{prescription_id}/refill",
    response_model=PrescriptionResponse,
    responses=responses(409),
)
async def refill(
    prescription_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> PrescriptionResponse:
    """Record a refill (within the allowed number and validity)."""
    return PrescriptionResponse.model_validate(
        await prescriptions.record_refill(session, actor, prescription_id)
    )


@router.post(
    "/prescriptions/{prescription_id}/discontinue",
    response_model=PrescriptionResponse,
    responses=responses(409),
)
async def discontinue(
    prescription_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> PrescriptionResponse:
    """Stop a prescription."""
    return PrescriptionResponse.model_validate(
        await prescriptions.discontinue_prescription(session, actor, prescription_id)
    )
